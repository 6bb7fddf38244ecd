"""A run stopped by a signal or by its target: one line, an honest exit code."""

from __future__ import annotations

import array
import fcntl
import json
import os
import signal
import subprocess
import tempfile
import termios
import time
import typing as t

import pytest

from tap_dataforseo_gemini.tap import NAME
from tests.harness import config_for, tap_args

if t.TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def slow_run(make_emulator) -> Iterator[subprocess.Popen]:
    """A tap collecting 300 tasks two at a time, 20 ms an answer; stderr to a file."""
    emulator = make_emulator(seed=31, latency=0.02)
    emulator.add_tasks(300)
    config = config_for(emulator.url, max_concurrent_requests=2)
    with (
        tempfile.TemporaryFile() as stderr,
        subprocess.Popen(
            tap_args(config), stdout=subprocess.PIPE, stderr=stderr
        ) as process,
    ):
        process.stderr_file = stderr  # type: ignore[attr-defined]
        yield process
        if process.poll() is None:
            process.kill()


def read_until_records(process: subprocess.Popen, records: int) -> list[dict]:
    """Singer messages up to the given number of llm_responses records."""
    assert process.stdout is not None
    messages: list[dict] = []
    seen = 0
    for line in process.stdout:
        messages.append(json.loads(line))
        if messages[-1].get("stream") == "llm_responses":
            seen += messages[-1]["type"] == "RECORD"
            if seen >= records:
                break
    return messages


def stderr_of(process: subprocess.Popen) -> str:
    process.stderr_file.seek(0)  # type: ignore[attr-defined]
    return process.stderr_file.read().decode()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("signum", "code"),
    [(signal.SIGTERM, 143), (signal.SIGINT, 130)],
    ids=["TERM", "INT"],
)
def test_a_signal_ends_the_run_with_128_plus_its_number_and_one_line(
    slow_run, signum, code
):
    process = slow_run
    read_until_records(process, 5)
    process.send_signal(signum)
    process.stdout.read()
    assert process.wait(timeout=30) == code
    stderr = stderr_of(process)
    assert "Traceback" not in stderr
    assert stderr.splitlines()[-1] == (
        f"{NAME}: error: stopped by {signal.Signals(signum).name}; the last STATE "
        "written covers every record written: run again to continue"
    )


def test_a_signal_re_emits_the_last_state_written_not_the_live_one(slow_run):
    process = slow_run
    messages = read_until_records(process, 5)
    process.send_signal(signal.SIGTERM)
    messages += [json.loads(line) for line in process.stdout]
    process.wait(timeout=30)
    states = [m["value"] for m in messages if m["type"] == "STATE"]
    assert messages[-1]["type"] == "STATE"
    assert len(states) >= 2
    # Records written after the last STATE are not vouched for: the STATE
    # repeated is the one before them, not one that skips past them.
    assert states[-1] == states[-2]


def test_a_target_that_closes_its_input_gets_one_line_and_exit_1(slow_run):
    process = slow_run
    read_until_records(process, 5)
    process.stdout.close()
    assert process.wait(timeout=30) == 1
    stderr = stderr_of(process)
    assert "Traceback" not in stderr
    assert "Exception ignored" not in stderr
    assert stderr.splitlines()[-1] == (
        f"{NAME}: error: the target closed its input; the run stopped, and the next "
        "one starts from the last STATE the target committed"
    )


@pytest.fixture
def blocked_run(make_emulator) -> Iterator[tuple[subprocess.Popen, int]]:
    """A tap blocked writing to a full one-page pipe: (process, its read end)."""
    emulator = make_emulator(seed=32)
    emulator.add_tasks(300)
    read, write = os.pipe()
    fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, 4096)
    with (
        tempfile.TemporaryFile() as stderr,
        subprocess.Popen(
            tap_args(config_for(emulator.url)), stdout=write, stderr=stderr
        ) as process,
    ):
        os.close(write)
        process.stderr_file = stderr  # type: ignore[attr-defined]
        # Full: bytes wait in the pipe and their count stops changing.
        waiting, before = array.array("i", [0]), -1
        while (waiting[0] == 0 or waiting[0] != before) and process.poll() is None:
            before = waiting[0]
            time.sleep(0.5)
            fcntl.ioctl(read, termios.FIONREAD, waiting)
        yield process, read
        if process.poll() is None:
            process.kill()
        os.close(read)


def read_all(fd: int) -> bytes:
    """Everything left in a pipe, to its end."""
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


def test_a_signal_while_the_target_is_slow_waits_for_the_message_being_written(
    blocked_run,
):
    process, read = blocked_run
    process.send_signal(signal.SIGTERM)
    time.sleep(0.5)  # a slow target, reading again
    lines = read_all(read).splitlines(keepends=True)
    assert process.wait(timeout=30) == 143
    assert "Traceback" not in stderr_of(process)
    assert all(line.endswith(b"\n") for line in lines)
    messages = [json.loads(line) for line in lines]  # each one whole
    assert messages[-1]["type"] == "STATE"


def test_a_signal_while_the_target_reads_nothing_ends_the_run_without_a_state(
    blocked_run,
):
    process, read = blocked_run
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 143
    stderr = stderr_of(process)
    assert "Traceback" not in stderr
    assert stderr.splitlines()[-1].startswith(
        f"{NAME}: error: stopped by SIGTERM; the target took nothing for 5 s"
    )
    whole = read_all(read).splitlines(keepends=True)
    # What the pipe holds ends in the message cut short, never a STATE glued on.
    for line in whole[:-1]:
        json.loads(line)
    assert b'"type":"STATE"' not in whole[-1] or whole[-1].startswith(
        b'{"type":"STATE"'
    )
