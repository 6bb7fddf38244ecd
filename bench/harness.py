"""Run the emulator and the tap as separate processes and measure the tap."""

from __future__ import annotations

import atexit
import functools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fake_dataforseo.process import EmulatorProcess

#: The repository root: both ``fake_dataforseo`` and the tap run from here.
ROOT = Path(__file__).resolve().parent.parent
LOGIN, PASSWORD = "bench-login", "bench-pass"
#: Modules a run imports, compiled before any run is measured.
WARM_UP = ("tap_dataforseo_gemini.tap", "singer_sdk.contrib.msgspec")

_DONE = re.compile(
    r"llm_responses done: (\d+) of (\d+) tasks \(([^)]*)\) in ([\d.]+) s, "
    r"([\d.]+) tasks/s"
)
_RECORD = b'{"type":"RECORD","stream":"'
_REFUSED = re.compile(r"Retrying .*status 40202")
_LEARNT = re.compile(r"(DataForSEO (?:allows|answered 40202) [^\n]*)")


class Emulator(EmulatorProcess):
    """The emulator in its own process, with the bench's login and options."""

    def __init__(
        self, tasks: int, root: Path = ROOT, **options: float | int | bool
    ) -> None:
        """Prepare ``--tasks tasks`` plus ``--<option> value`` for each option.

        An option given as True is a flag (``no_rate_limit_headers=True``).
        """
        args = ["--port", "0", "--tasks", str(tasks)]
        args += ["--login", LOGIN, "--password", PASSWORD]
        for name, value in options.items():
            flag = f"--{name.replace('_', '-')}"
            args += [flag] if value is True else [flag, str(value)]
        super().__init__(*args, cwd=root, start_timeout=120)

    def cpu_seconds(self) -> float:
        """User plus system CPU seconds the emulator has used so far."""
        return process_cpu_seconds(self.pid)


@dataclass
class TapRun:
    """What one tap run did and cost."""

    exit_code: int
    wall: float
    cpu: float
    max_rss_kb: int
    records: Counter[str] = field(default_factory=Counter)
    collected: int | None = None
    collect_seconds: float | None = None
    retries: int = 0
    #: Tries the API refused with 40202 (rate limit exceeded).
    refused: int = 0
    #: The tap's log line saying it learnt a lower limit, if any.
    learnt: str = ""
    stderr_tail: str = ""
    #: CPU seconds of the emulator, and of everything else on the machine.
    emulator_cpu: float = 0.0
    other_cpu: float = 0.0

    @property
    def total_records(self) -> int:
        """RECORD messages of every stream."""
        return sum(self.records.values())

    @property
    def cpu_per_1k_records(self) -> float:
        """User plus system CPU seconds of the tap per 1000 RECORD messages."""
        return 1000 * self.cpu / max(self.total_records, 1)


def tap_config(url: str, **settings: Any) -> dict[str, Any]:
    """The tap config for an emulator at ``url``, with extra settings."""
    return {
        "login": LOGIN,
        "password": PASSWORD,
        "api_url": url,
        "collection_mode": "same_run",
        "progress_interval_seconds": 5,
        **settings,
    }


@functools.cache
def bytecode(root: Path) -> dict[str, str]:
    """Environment for a tap with its bytecode cached, as an installed one has it.

    Python compiles a module it has no bytecode for at each start (here
    ``PYTHONDONTWRITEBYTECODE`` is set, and the tap runs from sources): the
    cache lives in a temporary folder, filled once per root before measuring.
    """
    cache = tempfile.mkdtemp(prefix="bench-pyc-")
    atexit.register(shutil.rmtree, cache, ignore_errors=True)
    env = {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": cache}
    subprocess.run(
        [sys.executable, "-c", f"import {', '.join(WARM_UP)}"],
        cwd=root,
        env={**os.environ, **env},
        check=True,
    )
    return env


def process_cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of a live process, from ``/proc``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds all processors have spent busy since boot (``/proc/stat``)."""
    ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = ticks[3] + ticks[4]
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def run_tap(
    config: dict[str, Any],
    root: Path = ROOT,
    emulator: Emulator | None = None,
    timeout: float = 900.0,
    env: dict[str, str] | None = None,
) -> TapRun:
    """Run ``python -m tap_dataforseo_gemini`` once; measure it with ``wait4``.

    It runs from ``root``, so that the package there is the one imported. The
    CPU the ``emulator`` and the rest of the machine used meanwhile is noted.
    Singer messages go to a temporary file (counted after the run, so the pipe
    never blocks and counting costs the tap nothing), the log to another;
    ``env`` adds environment variables. Bytecode is cached (``bytecode``).
    """
    environment = {**os.environ, **bytecode(root), **(env or {})}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        (work / "config.json").write_text(json.dumps(config))
        with (
            open(work / "out.jsonl", "wb") as out,
            open(work / "err.log", "wb") as err,
        ):
            emulator_cpu = emulator.cpu_seconds() if emulator else 0.0
            busy = machine_busy_seconds()
            start = time.perf_counter()
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tap_dataforseo_gemini",
                    "--config",
                    str(work / "config.json"),
                ],
                cwd=root,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )
            status, usage, wall = _wait(proc, start, timeout)
            if emulator:
                emulator_cpu = emulator.cpu_seconds() - emulator_cpu
            busy = machine_busy_seconds() - busy
        stderr = (work / "err.log").read_text(errors="replace")
        run = TapRun(
            exit_code=os.waitstatus_to_exitcode(status),
            wall=wall,
            cpu=usage.ru_utime + usage.ru_stime,
            max_rss_kb=usage.ru_maxrss,
            records=_count_records(work / "out.jsonl"),
            retries=stderr.count("Retrying "),
            refused=len(_REFUSED.findall(stderr)),
            learnt=next(iter(_LEARNT.findall(stderr)), ""),
            stderr_tail=stderr[-3000:],
            emulator_cpu=emulator_cpu,
        )
    run.other_cpu = max(busy - run.cpu - emulator_cpu, 0.0)
    if done := _DONE.search(stderr):
        run.collected = int(done.group(1))
        rate = float(done.group(5))
        # The rate has more significant digits than the one-decimal seconds.
        run.collect_seconds = run.collected / rate if rate else float(done.group(4))
    return run


def _wait(
    proc: subprocess.Popen[bytes], start: float, timeout: float
) -> tuple[int, Any, float]:
    """Wait for the tap; return (wait status, its own rusage, wall seconds).

    ``waitid(WNOWAIT)`` sees the exit without reaping, so the watchdog can never
    signal a reused pid; ``wait4`` then reaps it with this child's rusage only.
    """
    exited = threading.Event()

    def watchdog() -> None:
        if not exited.wait(timeout):
            os.kill(proc.pid, signal.SIGKILL)

    guard = threading.Thread(target=watchdog, daemon=True)
    guard.start()
    os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
    wall = time.perf_counter() - start
    exited.set()
    guard.join()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return status, usage, wall


def _count_records(path: Path) -> Counter[str]:
    """RECORD messages per stream in a file of Singer messages."""
    counts: Counter[str] = Counter()
    start = len(_RECORD)
    with open(path, "rb") as lines:
        for line in lines:
            if line.startswith(_RECORD):
                counts[line[start : line.index(b'"', start)].decode()] += 1
    return counts
