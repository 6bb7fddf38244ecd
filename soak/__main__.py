"""``python -m soak --seed N --days 30``: a month of the loop, then its invariants.

Prints one line a simulated day, the invariants, and a summary; exits 1 when an
invariant fails. Not a test: ``make soak`` runs it; tests/test_soak.py runs 3 days.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from soak.checks import Check, check
from soak.world import World, wall


def parser() -> argparse.ArgumentParser:
    """The command line."""
    cli = argparse.ArgumentParser(prog="python -m soak", description=__doc__)
    cli.add_argument("--seed", type=int, default=1)
    cli.add_argument("--days", type=int, default=30)
    cli.add_argument(
        "--fault-rate", type=float, default=1.0, help="multiply every fault's chance"
    )
    cli.add_argument(
        "--leave-out",
        action="append",
        default=[],
        choices=["poison answer", "garbled envelope"],
        help="draw this answer fault but do not inject it (e.g. a known defect)",
    )
    cli.add_argument(
        "--keep",
        type=Path,
        help="play in this folder and keep it (logs, journal, warehouse)",
    )
    return cli


def soak(
    seed: int,
    days: int,
    folder: Path,
    fault_rate: float = 1.0,
    left_out: frozenset[str] = frozenset(),
) -> tuple[list[Check], str]:
    """Play the days in ``folder``; the invariants and the summary line."""
    started = time.monotonic()
    with World(seed, folder, fault_rate, left_out) as world:
        for number in range(days):
            print(world.play(number).line(), flush=True)
        drain_failures = world.drain()
        checks = check(world, drain_failures)
        tasks = len(world.emulator.task_ids())
        settled = world.emulator.settled
        posting_days = len({tag.split("/")[5] for tag in world.emulator.tags()})
    faults = ", ".join(f"{kind} {n}" for kind, n in sorted(world.faults.items()))
    summary = (
        f"seed {seed}: {days} days, {world.runs} collection runs, {world.posts} posts; "
        f"faults: {faults or 'none'}; tasks {tasks}; "
        f"spend ${settled:.4f} settled against ${world.budget:.4f} x "
        f"{posting_days} days; wall {wall(started):.0f} s"
    )
    return checks, summary


def main(argv: list[str] | None = None) -> int:
    """Run the soak; exit 1 when an invariant fails."""
    args = parser().parse_args(argv)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="soak-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        checks, summary = soak(
            args.seed, args.days, folder, args.fault_rate, frozenset(args.leave_out)
        )
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    print("invariants:")
    for item in checks:
        print(item.line())
    print(summary)
    return 0 if all(item.holds for item in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
