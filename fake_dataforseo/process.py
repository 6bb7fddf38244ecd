"""The emulator's command line in a child process, for scripts (make demo, bench)."""

from __future__ import annotations

import re
import select
import subprocess
import sys
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Self

#: The first line ``python -m fake_dataforseo`` prints once it serves.
LISTENING = re.compile(r"emulator listening on (http://\S+) with (\d+) tasks")
#: The repository root, from where ``fake_dataforseo`` is importable.
ROOT = Path(__file__).resolve().parents[1]


class EmulatorStartError(RuntimeError):
    """The emulator process did not come up."""


class EmulatorProcess:
    """``python -m fake_dataforseo ARGS`` in a child process; stopped on exit."""

    def __init__(
        self, *args: str, cwd: Path = ROOT, start_timeout: float = 60.0
    ) -> None:
        """Prepare the command line; ``--port 0`` picks a free port."""
        self.command = [sys.executable, "-m", "fake_dataforseo", *args]
        self.cwd = cwd
        self.start_timeout = start_timeout
        self.url = ""
        self.tasks = 0
        self._process: subprocess.Popen[str] | None = None
        self._stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed on exit

    @property
    def pid(self) -> int:
        """The emulator's process id."""
        assert self._process is not None
        return self._process.pid

    def __enter__(self) -> Self:
        """Start it and read its URL and task count from its first line."""
        self._process = subprocess.Popen(
            self.command,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        assert self._process.stdout is not None
        ready, _, _ = select.select([self._process.stdout], [], [], self.start_timeout)
        line = self._process.stdout.readline() if ready else ""
        match = LISTENING.search(line)
        if match is None:
            self.__exit__(None, None, None)
            raise EmulatorStartError(f"the emulator did not start: {line.strip()!r}")
        self.url, self.tasks = match[1], int(match[2])
        return self

    def stderr_tail(self, characters: int = 2000) -> str:
        """The end of what the emulator wrote on stderr."""
        self._stderr.seek(0)
        return self._stderr.read()[-characters:]

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop it: SIGTERM, then SIGKILL after 10 s."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()
