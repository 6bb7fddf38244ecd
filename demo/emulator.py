"""Run the DataForSEO emulator (``python -m tests.emulator``) as a subprocess."""

from __future__ import annotations

import re
import select
import subprocess
import sys
import tempfile
import typing as t
from contextlib import contextmanager
from dataclasses import dataclass

from demo.errors import DemoError

if t.TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

LOGIN = "demo"
PASSWORD = "demo-password"
TASKS = 200
ARGS = (
    "--port", "0", "--seed", "7", "--tasks", str(TASKS), "--latency", "0.02",
    "--login", LOGIN, "--password", PASSWORD,
)  # fmt: skip
READY = re.compile(r"emulator listening on (http://\S+) with (\d+) tasks")
START_TIMEOUT = 30.0


@dataclass(frozen=True)
class RunningEmulator:
    """Where the emulator listens and how many tasks it holds."""

    url: str
    tasks: int


@contextmanager
def running(root: Path) -> Iterator[RunningEmulator]:
    """Start the emulator on a free port; stop it (SIGTERM) on the way out."""
    with tempfile.TemporaryFile(mode="w+") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.emulator", *ARGS],
            cwd=root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        try:
            yield _wait_ready(process, errors)
        finally:
            _stop(process)


def _wait_ready(process: subprocess.Popen[str], errors: t.IO[str]) -> RunningEmulator:
    """Read the emulator's first line: its URL and task count."""
    assert process.stdout is not None
    readable, _, _ = select.select([process.stdout], [], [], START_TIMEOUT)
    line = process.stdout.readline() if readable else ""
    match = READY.search(line)
    if match is None:
        errors.seek(0)
        sys.stderr.write(errors.read())
        raise DemoError(f"the emulator did not start (first line: {line.strip()!r})")
    return RunningEmulator(match[1], int(match[2]))


def _stop(process: subprocess.Popen[str]) -> None:
    """Ask the emulator to stop, and kill it if it does not."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()
