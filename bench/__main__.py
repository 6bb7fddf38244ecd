"""``python -m bench``: throughput, rate-ceiling and memory figures of the tap.

Each scenario starts ``python -m fake_dataforseo`` in its own process, runs the
tap against it as a subprocess and prints one line of figures with PASS or FAIL.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import typing as t
from pathlib import Path

from bench.backlog import backlog, collection_bound, ledger_bound
from bench.harness import ROOT, Emulator, TapRun, run_tap, tap_config
from bench.writer import MESSAGES, compare
from tap_dataforseo_gemini.rate_limit import WINDOW_VARIABLE

#: Targets: x the sequential bound, x the rate ceiling, large/small peak RSS.
THROUGHPUT_TARGET = 20.0
CEILING_TARGET = 0.9
#: ``id_list`` pages (1000 tasks each) a rate window allows: 10 a minute.
ID_LIST_LIMIT = 10
MEMORY_TARGET = 1.3
#: The tap's default account limit: calls a 60 s window (DataForSEO's default).
DEFAULT_LIMIT, DEFAULT_WINDOW = 10000, 60.0
#: An account on the old default limit, which the tap must find out by itself.
ACCOUNT_LIMIT = 2000
#: Quick variants: the same calls a minute, in 10 s windows.
QUICK_WINDOW = 10.0
#: Tasks of each scenario by ``--quick``: 2.6 to 2.9 windows of its limit.
CEILING_TASKS = {False: 29000, True: 4900}
#: Five and a half windows of the 2000/min account: a 5-minute run (50 s in
#: quick windows). A sliding window's ratio swings with how full the run's last
#: window is (x1.25 just full, x1.0 just begun): mid-window is the fair point.
ACCOUNT_TASKS = {False: 11000, True: 1830}
#: The most 40202 answers a run against the 2000/min account may meet: a
#: handful with headers; without, the few calls probing past the limit.
REFUSED_TARGET = {"headers": 5, "no headers": 10}
SCENARIOS = (
    "throughput",
    "cpu",
    "ceiling",
    "account",
    "memory",
    "bombs",
    "writer",
    "backlog",
)
#: The ``cpu`` scenario compares with this git revision, and runs each this often.
BEFORE, CPU_RUNS = "main", 3
#: Peak RSS of a run of gzip bombs: 64 answers of 1 MiB (a bomb is refused past
#: its first MiB, see body.py) beside the ~55 MB of an ordinary run.
BOMBS_TARGET_MB = 150
#: The tap's default ``max_concurrent_requests``.
DEFAULT_WORKERS = 64


def non_task_calls(tasks: int) -> int:
    """Calls a run makes besides ``task_get``: models, tasks_ready, id_list pages.

    ``id_list`` pages hold 1000 tasks and paging stops at a short page.
    """
    return 2 + tasks // 1000 + 1


def fastest_run(
    tasks: int, limit: int, window: float, latency: float, workers: int
) -> float:
    """The shortest run the settings allow, in seconds, startup aside.

    The ledger's pages (``ID_LIST_LIMIT`` a window) are read while the tasks of
    those already read are collected: the longer of the two bounds.
    """
    return max(
        ledger_bound(tasks, window, latency),
        collection_bound(
            tasks + non_task_calls(tasks), limit, window, latency, workers
        ),
    )


def check(run: TapRun, tasks: int) -> str:
    """Empty if the run collected every task, else what went wrong."""
    if run.exit_code != 0:
        return f"tap exit code {run.exit_code}"
    if run.records["llm_responses"] != tasks:
        return f"{run.records['llm_responses']} llm_responses records, not {tasks}"
    return ""


def explain(*runs: TapRun) -> None:
    """Print the end of the log of runs that failed."""
    for run in runs:
        if run.exit_code != 0:
            print("  " + "\n  ".join(run.stderr_tail.splitlines()[-6:]))


def verdict(ok: bool, target: str, problem: str = "") -> str:
    """PASS or FAIL against a target, or FAIL with the problem."""
    if problem:
        return f"FAIL ({problem})"
    return f"{'PASS' if ok else 'FAIL'} ({target})"


def figures(run: TapRun) -> str:
    """Peak RSS and CPU cost of a run, and the CPU the rest of the machine used."""
    return (
        f"rss {run.max_rss_kb / 1024:.1f} MB | cpu {run.cpu:.2f} s = "
        f"{run.cpu_per_1k_records:.2f} s/1k rec ({run.total_records} rec) | "
        f"{cpu_elsewhere(run)}"
    )


def cpu_elsewhere(run: TapRun) -> str:
    """CPU seconds of the emulator and of other processes during the tap run."""
    return f"emulator cpu {run.emulator_cpu:.1f} s, others {run.other_cpu:.1f} s"


def collect_phase(run: TapRun, tasks: int) -> str:
    """The collection phase from the tap's ``llm_responses done`` log line."""
    if run.collect_seconds is None:
        return "collect ?"
    return f"collect {run.collect_seconds:.2f} s = {tasks / run.collect_seconds:.0f}/s"


def limited_run(
    args: argparse.Namespace,
    tasks: int,
    latency: float,
    limit: int,
    window: float,
    **emulator_options: bool,
) -> TapRun:
    """One run with the same rate window on the emulator and the tap.

    The tap's limit is the emulator's unless ``--set`` gives it one.
    """
    with Emulator(
        tasks,
        args.root,
        latency=latency,
        rate_limit=limit,
        rate_window=window,
        **emulator_options,
    ) as emulator:
        return run_tap(
            tap_config(
                emulator.url,
                **{"rate_limit_per_minute": limit, **args.settings},
            ),
            args.root,
            emulator,
            env={WINDOW_VARIABLE: str(window)},
        )


def scaled(limit_a_minute: int, window: float) -> int:
    """Calls a window of ``window`` seconds at ``limit_a_minute`` calls a minute."""
    return round(limit_a_minute * window / DEFAULT_WINDOW)


def accepted_calls(run: TapRun, tasks: int) -> int:
    """Calls the API took: every task, the listing calls, retries not refused."""
    return tasks + non_task_calls(tasks) + run.retries - run.refused


def throughput(args: argparse.Namespace) -> bool:
    """Many tasks at a small latency: how far above sequential collection."""
    tasks = args.tasks or 1000
    latency = 0.05 if args.latency is None else args.latency
    limit, window = args.limit or DEFAULT_LIMIT, args.window or DEFAULT_WINDOW
    run = limited_run(args, tasks, latency, limit, window)
    bound = tasks * latency
    ratio = bound / run.wall
    collect_ratio = bound / run.collect_seconds if run.collect_seconds else 0.0
    calls = tasks + non_task_calls(tasks) + run.retries
    ceiling = (calls / run.wall) / (limit / window)
    workers = args.settings.get("max_concurrent_requests", DEFAULT_WORKERS)
    fastest = fastest_run(tasks, limit, window, latency, workers)
    print(
        f"throughput  {tasks} tasks @{latency * 1000:.0f} ms: wall {run.wall:.2f} s = "
        f"{tasks / run.wall:.0f} tasks/s ({collect_phase(run, tasks)}) | "
        f"x{ratio:.1f} seq bound {bound:.0f} s (collect x{collect_ratio:.1f}) | "
        f"fastest run {workers} workers allow {fastest:.2f} s | "
        f"x{ceiling:.2f} ceiling | {run.retries} retries | {figures(run)} | "
        + verdict(
            ratio >= THROUGHPUT_TARGET,
            f">= x{THROUGHPUT_TARGET:g}",
            check(run, tasks),
        )
    )
    explain(run)
    return ratio >= THROUGHPUT_TARGET and not check(run, tasks)


def ceiling(args: argparse.Namespace) -> bool:
    """The default 10,000/min limit at 300 ms: can the defaults reach it."""
    latency = 0.3 if args.latency is None else args.latency
    window = args.window or (QUICK_WINDOW if args.quick else DEFAULT_WINDOW)
    limit = args.limit or scaled(DEFAULT_LIMIT, window)
    tasks = args.tasks or CEILING_TASKS[args.quick]
    run = limited_run(args, tasks, latency, limit, window)
    calls = accepted_calls(run, tasks)
    allowed = limit / window
    ratio = (calls / run.wall) / allowed
    collect_ratio = (tasks / (run.collect_seconds or run.wall)) / allowed
    workers = args.settings.get("max_concurrent_requests", DEFAULT_WORKERS)
    fastest = fastest_run(tasks, limit, window, latency, workers)
    variant = "quick" if window != DEFAULT_WINDOW else "full"
    print(
        f"ceiling[{variant}: {limit}/{window:g}s = {allowed:.1f}/s] {tasks} tasks "
        f"@{latency * 1000:.0f} ms: wall {run.wall:.1f} s = "
        f"{tasks / run.wall:.1f} tasks/s, ~{calls} calls = {calls / run.wall:.1f}/s "
        f"({collect_phase(run, tasks)}) | x{collect_ratio:.2f} ceiling collecting, "
        f"x{ratio:.2f} over the whole run (fastest run {workers} workers and "
        f"id_list's {ID_LIST_LIMIT} pages a window allow {fastest:.1f} s: "
        f"x{fastest / run.wall:.2f}) | "
        f"{run.retries} retries | {figures(run)} | "
        + verdict(
            collect_ratio >= CEILING_TARGET,
            f"collecting >= x{CEILING_TARGET:g}",
            check(run, tasks),
        )
    )
    explain(run)
    return collect_ratio >= CEILING_TARGET and not check(run, tasks)


def account(args: argparse.Namespace) -> bool:
    """A 2000/min account under the default settings, with and without headers.

    The tap's settings say 10,000 a minute and it must find the account's
    limit: from ``X-RateLimit-Limit``, or else by ramping up to the first few
    40202 answers.
    """
    latency = 0.3 if args.latency is None else args.latency
    window = args.window or (QUICK_WINDOW if args.quick else DEFAULT_WINDOW)
    limit = args.limit or scaled(ACCOUNT_LIMIT, window)
    tasks = args.tasks or ACCOUNT_TASKS[args.quick]
    defaults = scaled(DEFAULT_LIMIT, window)
    settings = {"rate_limit_per_minute": defaults, **args.settings}
    tap = argparse.Namespace(**{**vars(args), "settings": settings})
    ok = True
    for variant, options in (
        ("headers", {}),
        ("no headers", {"no_rate_limit_headers": True}),
    ):
        run = limited_run(tap, tasks, latency, limit, window, **options)
        ratio = (accepted_calls(run, tasks) / run.wall) / (limit / window)
        passed = ratio >= CEILING_TARGET and run.refused <= REFUSED_TARGET[variant]
        print(
            f"account[{variant}: {limit}/{window:g}s, tap defaults "
            f"{defaults}/{window:g}s] {tasks} tasks "
            f"@{latency * 1000:.0f} ms: wall {run.wall:.1f} s | x{ratio:.2f} "
            f"the account's ceiling | {run.refused} answers 40202 | "
            f"learnt: {run.learnt or 'nothing'} | "
            + verdict(
                passed,
                f">= x{CEILING_TARGET:g}, <= {REFUSED_TARGET[variant]} x 40202",
                check(run, tasks),
            )
        )
        explain(run)
        ok = ok and passed and not check(run, tasks)
    return ok


def cpu(args: argparse.Namespace) -> bool:
    """The tap's CPU per 1000 records and x the sequential bound, before and after.

    The throughput run (1000 tasks at 50 ms) alternates between the code of
    ``--before`` (a git revision) and this code, ``CPU_RUNS`` times each, so both
    meet the same machine load; medians are compared.
    """
    tasks = args.tasks or 1000
    latency = 0.05 if args.latency is None else args.latency
    bound = tasks * latency
    with tempfile.TemporaryDirectory(prefix="bench-before-") as before:
        export(args.before, Path(before))
        runs: dict[str, list[TapRun]] = {args.before: [], "this code": []}
        for _ in range(CPU_RUNS):
            for name, root in ((args.before, Path(before)), ("this code", args.root)):
                with Emulator(tasks, root, latency=latency) as emulator:
                    config = tap_config(emulator.url, **args.settings)
                    runs[name].append(run_tap(config, root, emulator))
    problem = next(
        (
            f"{name}: {p}"
            for name, rs in runs.items()
            for r in rs
            if (p := check(r, tasks))
        ),
        "",
    )
    per_1k = {
        name: statistics.median(r.cpu_per_1k_records for r in rs)
        for name, rs in runs.items()
    }
    ratio = {
        name: statistics.median(bound / r.wall for r in rs) for name, rs in runs.items()
    }
    before_cpu, after_cpu = per_1k.values()
    print(
        f"cpu         {tasks} tasks @{latency * 1000:.0f} ms, median of {CPU_RUNS} "
        "alternating runs each: "
        + " vs ".join(
            f"{name}: {per_1k[name]:.2f} s/1k rec, x{ratio[name]:.1f} seq bound"
            for name in runs
        )
        + f" | cpu x{after_cpu / before_cpu:.2f} of {args.before}'s | "
        + verdict(after_cpu < before_cpu, f"less CPU than {args.before}", problem)
    )
    explain(*(r for rs in runs.values() for r in rs))
    return after_cpu < before_cpu and not problem


def export(revision: str, folder: Path) -> None:
    """The repository's tree at ``revision``, written into ``folder`` (no checkout)."""
    archive = subprocess.run(
        ["git", "archive", revision], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)


def memory(args: argparse.Namespace) -> bool:
    """Peak RSS of a small and a ten times larger run: it should stay flat."""
    large = args.tasks or 1000
    small = max(large // 10, 1)
    latency = 0.0 if args.latency is None else args.latency
    runs: list[TapRun] = []
    for tasks in (small, large):
        with Emulator(
            tasks, args.root, latency=latency, answer_bytes=args.answer_bytes
        ) as emu:
            runs.append(run_tap(tap_config(emu.url, **args.settings), args.root, emu))
    ratio = runs[1].max_rss_kb / runs[0].max_rss_kb
    problem = check(runs[0], small) or check(runs[1], large)
    print(
        f"memory      {small} -> {large} tasks @{args.answer_bytes} B: peak rss "
        f"{runs[0].max_rss_kb / 1024:.1f} -> {runs[1].max_rss_kb / 1024:.1f} MB = "
        f"x{ratio:.2f} | wall {runs[0].wall:.2f} / {runs[1].wall:.2f} s | cpu "
        f"{runs[1].cpu_per_1k_records:.2f} s/1k rec ({runs[1].total_records} rec) | "
        f"{cpu_elsewhere(runs[1])} | "
        + verdict(ratio <= MEMORY_TARGET, f"<= x{MEMORY_TARGET:g}", problem)
    )
    explain(*runs)
    return ratio <= MEMORY_TARGET and not problem


def bombs(args: argparse.Namespace) -> bool:
    """Peak RSS of a run whose every task_get answer is a 1 GiB gzip bomb."""
    tasks = args.tasks or 2 * DEFAULT_WORKERS
    with Emulator(tasks, args.root, fault="gzip_bomb") as emu:
        run = run_tap(tap_config(emu.url, **args.settings), args.root, emu)
    rss = run.max_rss_kb / 1024
    problem = check(run, tasks)
    print(
        f"bombs       {tasks} task_get answers of 1 MB gzip -> 1 GiB: peak rss "
        f"{rss:.1f} MB | wall {run.wall:.2f} s | {figures(run)} | "
        + verdict(rss <= BOMBS_TARGET_MB, f"<= {BOMBS_TARGET_MB} MB", problem)
    )
    explain(run)
    return rss <= BOMBS_TARGET_MB and not problem


def writer(args: argparse.Namespace) -> bool:
    """Serialize llm_responses records with the SDK's default and msgspec writers."""
    default, fast, same = compare()
    print(
        f"writer      {MESSAGES} llm_responses RECORD messages: default "
        f"{default:.2f} s, msgspec {fast:.2f} s = x{default / fast:.1f} faster | "
        + verdict(same and fast < default, "same JSON, faster", "")
    )
    return same and fast < default


def _setting(text: str) -> tuple[str, t.Any]:
    """Parse ``KEY=VALUE``; the value is JSON if it parses, else a string."""
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except ValueError:
        return key, value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=(
            "Benchmark the tap against the emulator (separate processes). "
            "Without scenarios: all of them."
        ),
    )
    parser.add_argument(
        "scenarios", nargs="*", metavar="SCENARIO", help=" | ".join(SCENARIOS)
    )
    parser.add_argument("--tasks", type=int, help="tasks (memory: the large run)")
    parser.add_argument("--latency", type=float, help="emulator seconds a request")
    parser.add_argument("--limit", type=int, help="calls a rate window (tap+emulator)")
    parser.add_argument("--window", type=float, help="rate window seconds")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="ceiling, account: 10 s windows (the same calls a minute), ~30 s each",
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=ROOT,
        help="run the tap and emulator from this copy of the repository",
    )
    parser.add_argument("--answer-bytes", type=int, default=8000, help="memory")
    parser.add_argument(
        "--before", default=BEFORE, help="cpu: the git revision to compare with"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per scenario")
    parser.add_argument(
        "--set",
        dest="settings",
        type=_setting,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra tap setting (JSON value), e.g. max_concurrent_requests=32",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the chosen scenarios; exit 1 if any misses its target."""
    args = _parser().parse_args(argv)
    args.settings = dict(args.settings)
    if unknown := set(args.scenarios) - set(SCENARIOS):
        _parser().error(f"unknown scenario {', '.join(sorted(unknown))}")
    chosen = args.scenarios or list(SCENARIOS)
    print(
        f"bench: {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, scenarios {' '.join(chosen)}"
        + ("" if args.root == ROOT else f", code from {args.root}"),
        flush=True,
    )
    runners = {
        "throughput": throughput,
        "cpu": cpu,
        "ceiling": ceiling,
        "account": account,
        "memory": memory,
        "bombs": bombs,
        "writer": writer,
        "backlog": lambda args: backlog(
            args,
            lambda *run: limited_run(args, *run),
            args.settings.get("max_concurrent_requests", DEFAULT_WORKERS),
        ),
    }
    ok = True
    for name in chosen:
        for _ in range(args.repeat):
            ok = runners[name](args) and ok
            sys.stdout.flush()
    if not args.scenarios and args.quick:
        print(
            "full 60 s windows (ceiling ~5 min, account ~11 min): "
            "python -m bench ceiling account; "
            "each window's limit scales with --window"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
