"""A request given up on is a WARNING: ERROR lines are for runs that fail.

A stuck task (its ``task_get`` retries spent, the rest answering) stays pending
and the run exits 0 with no ERROR line; a run that stops ends with its one-line
error, after every request it had started.
"""

from __future__ import annotations

import re
import typing as t
from datetime import timedelta

from fake_dataforseo import Fault
from tap_dataforseo_gemini.streams import API_DOWN
from tests.harness import run_process, run_tap
from tests.test_stuck_task import GET, one_stuck, settings

if t.TYPE_CHECKING:
    from collections.abc import Callable

    from fake_dataforseo import Emulator

#: The level field of the tap's log lines.
LEVEL = re.compile(r"^\S+ \S+ \| (\w+)\s*\|")


def level(line: str) -> str | None:
    """A log line's level name; None for a line that is not a log record."""
    found = LEVEL.match(line)
    return found.group(1) if found else None


def test_a_run_keeping_a_stuck_task_pending_logs_no_error_line(
    make_emulator: Callable[..., Emulator],
) -> None:
    emulator = make_emulator(seed=251)
    _, stuck = one_stuck(emulator, 3, 1)

    run = run_tap(settings(emulator))

    assert run.returncode == 0, run.stderr
    lines = run.stderr.splitlines()
    assert [line for line in lines if level(line) in {"ERROR", "CRITICAL"}] == []
    (gave_up,) = [line for line in lines if "Giving up" in line]
    assert level(gave_up) == "WARNING"
    assert any(stuck in line and "kept pending" in line for line in lines)


def test_a_run_stopped_by_task_get_ends_with_its_one_line_error(
    make_emulator: Callable[..., Emulator],
) -> None:
    # Four workers: the calls after the first four are still running when the
    # third stuck task stops the run.
    emulator = make_emulator(seed=252, latency=0.2)
    emulator.add_tasks(API_DOWN + 12, age=timedelta(hours=1))
    emulator.inject(Fault.HTTP_500, times=10_000, path_contains=GET)

    run = run_process({**settings(emulator), "max_concurrent_requests": 4})

    assert run.returncode == 1
    assert run.stderr.splitlines()[-1] == (
        "tap-dataforseo-gemini: error: HTTP 500 from task_get"
    )
