"""A small Singer target that commits as loaders do: records, then their state.

``python -m soak.target DIR``: records are held until the STATE message after
them; then they are written to a new file in DIR (written, synced, renamed:
all or nothing) and only then is that state printed, for the runner to save.
``--fail-after N`` exits 1 on the Nth record, before committing anything held.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import typing as t
from pathlib import Path


class Target:
    """Records held since the last commit, and where commits go."""

    def __init__(self, folder: Path, fail_after: int | None) -> None:
        """Commit into ``folder``; fail on record number ``fail_after`` if given."""
        self.folder = folder
        self.fail_after = fail_after
        self.held: list[dict[str, t.Any]] = []
        self.records = 0
        self.commits = 0

    def take(self, message: dict[str, t.Any]) -> None:
        """Handle one Singer message."""
        kind = message.get("type")
        if kind == "RECORD":
            self.records += 1
            if self.fail_after is not None and self.records >= self.fail_after:
                sys.stderr.write("soak target: failing before its commit (injected)\n")
                sys.exit(1)
            self.held.append({"stream": message["stream"], "record": message["record"]})
        elif kind == "STATE":
            self.commit()
            sys.stdout.write(json.dumps(message["value"]) + "\n")
            sys.stdout.flush()

    def commit(self) -> None:
        """Write the held records to a new batch file, atomically."""
        if not self.held:
            return
        self.commits += 1
        name = f"batch-{time.time_ns()}-{os.getpid()}-{self.commits}.jsonl"
        part = self.folder / (name + ".part")
        with part.open("w", encoding="utf-8") as file:
            file.writelines(json.dumps(row) + "\n" for row in self.held)
            file.flush()
            os.fsync(file.fileno())
        part.rename(self.folder / name)
        self.held.clear()


def main(argv: list[str] | None = None) -> int:
    """Read Singer messages from stdin until it closes; commit what is left."""
    parser = argparse.ArgumentParser(prog="python -m soak.target")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--fail-after", type=int, default=None)
    args = parser.parse_args(argv)
    args.folder.mkdir(parents=True, exist_ok=True)
    target = Target(args.folder, args.fail_after)
    for line in sys.stdin:
        if line.strip():
            target.take(json.loads(line))
    target.commit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
