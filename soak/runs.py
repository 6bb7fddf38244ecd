"""The loop's real command lines as processes: the poster, and tap | target.

Each process gets the soak's machine clock (``machine_clock/sitecustomize.py``)
and may be killed with SIGKILL at a point drawn by the caller: the poster after
its journal has N lines, the tap or the target after N Singer messages.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import typing as t
from dataclasses import dataclass
from pathlib import Path

from tap_dataforseo_gemini.rate_limit import WINDOW_VARIABLE

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]
MACHINE_CLOCK = Path(__file__).resolve().parent / "machine_clock"
#: Rate-limit windows of the tap and the emulator, seconds (DataForSEO: 60).
WINDOW = 2.0
#: A process still running after this long is killed and counted as stalled.
STALL_SECONDS = 120.0
#: How long the poster waits for a model's first task to settle (``--probe-seconds``):
#: not at all. While it runs, the API's clock moves at the machine's pace, and the
#: soak's tasks take a minute or more; a later run prices by the settled charge.
PROBE_SECONDS = 0
#: The tap's STATE after this many ``llm_responses`` records (its own: 100).
CHECKPOINT_EVERY = 3


@dataclass
class Outcome:
    """How one process ended: its exit code (-9 when killed) and what it said."""

    returncode: int
    stdout: str = ""
    stalled: bool = False


def environment(machine_time: float) -> dict[str, str]:
    """The child's environment: the machine clock at ``machine_time`` (epoch)."""
    path = os.pathsep.join(
        [str(MACHINE_CLOCK), str(ROOT), os.environ.get("PYTHONPATH", "")]
    )
    return {
        **os.environ,
        "PYTHONPATH": path,
        "SOAK_MACHINE_TIME": repr(machine_time),
        WINDOW_VARIABLE: str(WINDOW),
    }


def post(
    config: Path,
    prompts: Path,
    journal: Path,
    log: t.IO[str],
    *,
    machine_time: float,
    kill_at_line: int | None,
) -> Outcome:
    """``dataforseo-prompts post``; SIGKILL once it wrote that many journal lines."""
    command = [
        str(BIN / "dataforseo-prompts"),
        "post",
        "--config",
        str(config),
        "--prompts",
        str(prompts),
        "--probe-seconds",
        str(PROBE_SECONDS),
    ]
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env=environment(machine_time),
        cwd=prompts.parent,
    ) as process:
        started = time.monotonic()
        written = _lines(journal)
        while process.poll() is None:
            if kill_at_line is not None and _lines(journal) - written >= kill_at_line:
                process.send_signal(signal.SIGKILL)
                process.wait()
                return Outcome(-9)
            if time.monotonic() - started > STALL_SECONDS:
                process.kill()
                process.wait()
                return Outcome(-9, stalled=True)
            time.sleep(0.005)
        assert process.stdout is not None
        return Outcome(process.returncode, process.stdout.read())


def _lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


@dataclass
class Kill:
    """Which process of a collection run dies, and after how many messages."""

    who: str  # "tap" or "target"
    after: int


def collect(
    config: Path,
    state: dict[str, t.Any] | None,
    warehouse: Path,
    folder: Path,
    log: t.IO[str],
    *,
    machine_time: float,
    kill: Kill | None = None,
    target_fails_after: int | None = None,
) -> tuple[Outcome, list[dict[str, t.Any]]]:
    """``python -m tap_dataforseo_gemini --config … --state …`` into the target.

    Returns the tap's outcome and every state the target committed, in order.
    The messages pass through here so a kill point is a message count.
    """
    state_path = folder / "state-in.json"
    command = [sys.executable, "-m", "tap_dataforseo_gemini", "--config", str(config)]
    if state is not None:
        state_path.write_text(json.dumps(state))
        command += ["--state", str(state_path)]
    target_command = [sys.executable, "-m", "soak.target", str(warehouse)]
    if target_fails_after is not None:
        target_command += ["--fail-after", str(target_fails_after)]
    env = environment(machine_time)
    committed: list[dict[str, t.Any]] = []
    tap_env = {**env, "SOAK_CHECKPOINT_EVERY": str(CHECKPOINT_EVERY)}
    with (
        subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=log, env=tap_env, cwd=folder
        ) as tap,
        subprocess.Popen(
            target_command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            env=env,
            cwd=ROOT,
        ) as target,
    ):
        assert tap.stdout is not None
        assert target.stdin is not None
        stalled = threading.Event()
        watchdog = threading.Timer(STALL_SECONDS, _kill, (stalled, tap, target))
        watchdog.start()
        killed = _relay(tap, target, kill)
        watchdog.cancel()
        with contextlib.suppress(OSError):
            target.stdin.close()
        if killed == "tap" or tap.poll() is None:
            tap.stdout.close()
        assert target.stdout is not None
        committed = [json.loads(line) for line in target.stdout if line.strip()]
        target.wait()
        code = -9 if killed == "tap" else tap.wait()
    return Outcome(code, stalled=stalled.is_set()), committed


def _kill(stalled: threading.Event, *processes: subprocess.Popen[bytes]) -> None:
    """The watchdog: a run that takes this long has stalled."""
    stalled.set()
    for process in processes:
        process.kill()


def _relay(
    tap: subprocess.Popen[bytes], target: subprocess.Popen[bytes], kill: Kill | None
) -> str | None:
    """Copy the tap's lines to the target; kill one when its count is reached."""
    assert tap.stdout is not None
    assert target.stdin is not None
    for count, line in enumerate(tap.stdout, start=1):
        if not line.endswith(b"\n"):
            break  # the torn last line of a killed tap
        try:
            target.stdin.write(line)
        except BrokenPipeError:
            # The target failed: a real pipeline stops the tap too.
            tap.send_signal(signal.SIGTERM)
            return "target-failed"
        if kill is not None and count >= kill.after:
            victim = tap if kill.who == "tap" else target
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            if kill.who == "target":
                tap.send_signal(signal.SIGTERM)
            return kill.who
    return None
