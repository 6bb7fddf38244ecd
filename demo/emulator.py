"""Run the DataForSEO emulator (``python -m fake_dataforseo``) as a subprocess."""

from __future__ import annotations

import typing as t
from contextlib import contextmanager

from demo.errors import DemoError
from fake_dataforseo.process import EmulatorProcess, EmulatorStartError

if t.TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

LOGIN = "demo"
PASSWORD = "demo-password"
TASKS = 200
ARGS = (
    "--port", "0", "--seed", "7", "--tasks", str(TASKS), "--days", "3",
    "--latency", "0.02",
    "--login", LOGIN, "--password", PASSWORD,
)  # fmt: skip


@contextmanager
def running(root: Path) -> Iterator[EmulatorProcess]:
    """Start the emulator on a free port; stop it on the way out."""
    try:
        with EmulatorProcess(*ARGS, cwd=root, start_timeout=30.0) as emulator:
            yield emulator
    except EmulatorStartError as exc:
        raise DemoError(str(exc)) from None
