"""The Singer writer holds RECORD messages and writes them in batches, in order."""

from __future__ import annotations

import io
import json
import sys
from datetime import timedelta

import pytest
from singer_sdk.singerlib import RecordMessage, SchemaMessage, StateMessage

from fake_dataforseo.faults import Fault
from tap_dataforseo_gemini import shutdown
from tap_dataforseo_gemini.shutdown import HELD_BYTES, Writer
from tap_dataforseo_gemini.streams import API_DOWN
from tests.harness import config_for, run_tap


class Stdout(io.RawIOBase):
    """A binary stdout that notes each write and takes at most ``most`` bytes."""

    def __init__(self, most: int | None = None) -> None:
        self.writes: list[bytes] = []
        self.most = most

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | memoryview) -> int:  # type: ignore[override]
        taken = bytes(data[: self.most])
        self.writes.append(taken)
        return len(taken)

    @property
    def messages(self) -> list[dict]:
        return [json.loads(line) for line in b"".join(self.writes).splitlines()]


def captured(monkeypatch: pytest.MonkeyPatch, most: int | None = None) -> Stdout:
    """Stdout replaced for the rest of the test (pytest resets it between phases)."""
    raw = Stdout(most)
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, write_through=True))
    return raw


def record(n: int) -> RecordMessage:
    return RecordMessage(stream="llm_responses", record={"id": str(n)})


def state(n: int) -> StateMessage:
    return StateMessage(value={"bookmarks": {"n": n}})


def test_records_wait_for_the_state_and_go_out_with_it_in_one_write(monkeypatch):
    stdout = captured(monkeypatch)
    writer = Writer()
    for n in range(10):
        writer.write_message(record(n))
    assert stdout.writes == []
    writer.write_message(state(1))
    assert len(stdout.writes) == 1
    assert [m.get("record", m.get("value")) for m in stdout.messages] == [
        *({"id": str(n)} for n in range(10)),
        {"bookmarks": {"n": 1}},
    ]


def test_a_schema_message_goes_out_at_once(monkeypatch):
    stdout = captured(monkeypatch)
    Writer().write_message(SchemaMessage("s", {"type": "object"}, []))
    assert [m["type"] for m in stdout.messages] == ["SCHEMA"]


def test_records_go_out_once_held_bytes_are_held(monkeypatch):
    stdout = captured(monkeypatch)
    writer = Writer()
    for n in range(HELD_BYTES // 10):  # each line is longer than 10 bytes
        writer.write_message(record(n))
        if stdout.writes:
            break
    assert sum(map(len, stdout.writes)) >= HELD_BYTES
    assert [m["record"]["id"] for m in stdout.messages] == [
        str(i) for i in range(n + 1)
    ]


def test_a_write_that_takes_part_of_the_batch_is_carried_on(monkeypatch):
    stdout = captured(monkeypatch, most=7)
    writer = Writer()
    writer.write_message(record(1))
    writer.write_message(state(2))
    assert len(stdout.writes) > 2
    assert [m["type"] for m in stdout.messages] == ["RECORD", "STATE"]


def test_flush_writes_the_records_held(monkeypatch):
    stdout = captured(monkeypatch)
    writer = Writer()
    writer.write_message(record(1))
    writer.flush()
    assert [m["record"] for m in stdout.messages] == [{"id": "1"}]


def test_a_signal_writes_the_held_records_then_the_last_state_again(monkeypatch):
    captured(monkeypatch)
    ended: list[tuple[int, bytes]] = []
    monkeypatch.setattr(shutdown, "stopped", lambda *args: ended.append(args))
    writer = Writer()
    writer.write_message(state(1))
    writer.write_message(record(2))
    writer.stop(15)
    (signum, last), *_ = ended
    assert signum == 15
    assert [json.loads(line) for line in last.splitlines()] == [
        {"type": "RECORD", "stream": "llm_responses", "record": {"id": "2"}},
        {"type": "STATE", "value": {"bookmarks": {"n": 1}}},
    ]


def test_a_run_ending_on_an_error_writes_the_records_it_collected(make_emulator):
    emulator = make_emulator(seed=24)
    first = emulator.add_tasks(2, age=timedelta(hours=2))
    down = emulator.add_tasks(API_DOWN, age=timedelta(hours=1))
    # API_DOWN task_gets in a row give up: the API is down and the run stops.
    for task_id in down:
        emulator.inject(Fault.HTTP_500, times=1000, path_contains=f"task_get/{task_id}")
    run = run_tap(config_for(emulator.url, max_tries=1))
    assert run.returncode == 1
    # Collected before the failing tasks' turn, after the last STATE: still written.
    collected = [r["id"] for r in run.records("llm_responses")]
    assert sorted(collected) == sorted(first)
