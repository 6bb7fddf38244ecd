"""Hostile answers (issue 23): one answer never stops a run, and memory stays bounded.

Each is served by the emulator over loopback: a lone surrogate, a byte that is not
UTF-8, nesting 1000 levels deep, an answer for another task id, a gzip bomb.
"""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta

import pytest
import requests

from fake_dataforseo import Fault
from fake_dataforseo.faults import OTHER_TASK_ID
from tap_dataforseo_gemini import body, collect, envelope, redact
from tap_dataforseo_gemini.errors import (
    DeadlineExceededError,
    MalformedAnswerError,
    UnreadableAnswerError,
)
from tap_dataforseo_gemini.tap import NAME
from tests.harness import Warehouse, config_for, run_tap
from tests.test_answers import collector

GET = "/v3/ai_optimization/gemini/llm_responses/task_get/"


def responses(run) -> dict[str, dict]:
    return {record["id"]: record for record in run.records("llm_responses")}


@pytest.mark.parametrize(
    ("fault", "problem"),
    [
        (Fault.LONE_SURROGATE, "has \\ud83d (half of a UTF-16 pair"),
        (Fault.INVALID_UTF8, "the body is not UTF-8 (byte 0xff"),
        (Fault.DEEP_NESTING, "the body nests deeper than 100 levels"),
        (Fault.OTHER_TASK_ID, f"task_get answered task '{OTHER_TASK_ID}', not"),
        (Fault.GZIP_BOMB, "inflates more than 200 times its compressed size"),
    ],
    ids=["lone surrogate", "not UTF-8", "too deep", "another id", "gzip bomb"],
)
def test_a_hostile_task_get_answer_is_a_failure_record_the_next_run_does_not_meet(
    make_emulator, fault, problem
):
    emulator = make_emulator(seed=230)
    # Done an hour ago: no later run delivers them again (see delivery.REACH).
    hostile, *others = emulator.add_tasks(3, age=timedelta(hours=1))
    emulator.inject(fault, times=1000, path_contains=GET + hostile)
    warehouse = Warehouse()
    assert warehouse.load(config_for(emulator.url)) == 0, warehouse.stderr
    rows = {row["id"]: row for row in warehouse.rows["llm_responses"].values()}
    assert set(rows) == {hostile, *others}
    assert problem in rows[hostile]["status_message"]
    assert rows[hostile]["status_code"] is None
    assert [rows[task]["status_code"] for task in others] == [20000, 20000]
    assert f"Task {hostile}: " in warehouse.stderr
    emulator.reset_stats()
    assert warehouse.load(config_for(emulator.url)) == 0, warehouse.stderr
    assert not [r for r in emulator.requests if GET in r.path]


def test_a_lone_surrogate_is_kept_escaped_in_raw_answer(emulator):
    (task_id,) = emulator.add_tasks(1)
    emulator.inject(Fault.LONE_SURROGATE, path_contains=GET)
    run = run_tap(config_for(emulator.url))
    assert run.returncode == 0, run.stderr
    record = responses(run)[task_id]
    assert record["raw_answer"].isascii()
    kept = json.loads(record["raw_answer"])["tasks"][0]["result"][0]["items"]
    assert kept[0]["sections"][0]["text"].startswith("\ud83d")
    assert record["status_message"].startswith(
        "malformed API answer from task_get: tasks[0].result[0].items[0]"
        ".sections[0].text has \\ud83d"
    )


def test_a_body_that_is_not_utf8_is_kept_whole_in_base64(emulator):
    (task_id,) = emulator.add_tasks(1)
    emulator.inject(Fault.INVALID_UTF8, path_contains=GET)
    run = run_tap(config_for(emulator.url))
    assert run.returncode == 0, run.stderr
    kept = json.loads(responses(run)[task_id]["raw_answer"])
    sent = base64.b64decode(kept["body_base64"])
    assert b'"text":"\xff' in sent
    assert f'"id":"{task_id}"'.encode() in sent


def test_a_body_kept_in_base64_has_the_password_masked_first(monkeypatch):
    password = "pässword-1"
    monkeypatch.setattr(redact, "current", redact.Mask(redact.forms("me", password)))
    basic = base64.b64encode(f"me:{password}".encode("latin-1")).decode()
    body = b'{"text":"\xff ' + password.encode() + b" Basic " + basic.encode() + b'"}'
    with pytest.raises(UnreadableAnswerError) as caught:
        envelope.parse(body, "task_get")
    kept = base64.b64decode(json.loads(caught.value.raw_answer)["body_base64"])
    assert kept.startswith(b'{"text":"\xff ')
    assert password.encode() not in kept
    assert basic.encode() not in kept
    assert kept.count(redact.MASK_BYTES) == 2


def test_nesting_up_to_the_depth_limit_is_read_and_past_it_refused():
    deepest = b"[" * envelope.MAX_DEPTH + b"]" * envelope.MAX_DEPTH
    assert envelope.parse(deepest, "models")
    # Brackets inside strings do not count.
    assert envelope.parse(b'{"a": "' + b"[" * 1000 + b'"}', "models")
    too_deep = b"[" + deepest + b"]"
    with pytest.raises(UnreadableAnswerError, match="deeper than 100 levels"):
        envelope.parse(too_deep, "models")


def test_a_body_cut_short_inside_a_character_is_malformed_and_retried():
    with pytest.raises(MalformedAnswerError, match="not JSON") as caught:
        envelope.parse('{"text": "Caf\u00e9"}'.encode()[:-3], "task_get")
    assert not isinstance(caught.value, UnreadableAnswerError)


@pytest.mark.parametrize(
    "fault", [Fault.LONE_SURROGATE, Fault.INVALID_UTF8, Fault.DEEP_NESTING]
)
@pytest.mark.parametrize("endpoint", ["tasks_ready", "models"])
def test_a_hostile_listing_answer_ends_the_run_with_one_line(
    make_emulator, fault, endpoint
):
    emulator = make_emulator(seed=231)
    emulator.add_tasks(2)
    emulator.inject(fault, times=1000, path_contains=f"/{endpoint}")
    run = run_tap(config_for(emulator.url))
    assert run.returncode == 1
    assert run.stderr.splitlines()[-1].startswith(
        f"{NAME}: error: malformed API answer from {endpoint}: "
    )
    assert "Traceback" not in run.stderr


def test_an_answer_for_another_task_id_is_a_failure_record_with_its_raw_answer(
    emulator,
):
    asked, other = emulator.add_tasks(2)
    emulator.inject(Fault.OTHER_TASK_ID, path_contains=GET + asked)
    run = run_tap(config_for(emulator.url))
    assert run.returncode == 0, run.stderr
    records = responses(run)
    assert records[asked]["status_message"] == (
        f"task_get answered task '{OTHER_TASK_ID}', not '{asked}'"
    )
    assert json.loads(records[asked]["raw_answer"])["id"] == OTHER_TASK_ID
    assert records[other]["status_code"] == 20000


def test_a_gzip_bomb_is_a_failure_record_within_the_request_deadline(emulator):
    (task_id,) = emulator.add_tasks(1)
    emulator.inject(Fault.GZIP_BOMB, path_contains=GET)
    stream = collector(emulator.url, request_timeout=5, max_tries=1)
    began = time.monotonic()
    answer = stream.task_get(task_id)
    assert time.monotonic() - began < 5
    assert isinstance(answer, collect.Unreadable)
    assert "compression bomb" in answer.problem
    assert answer.raw_answer is None


def test_an_answer_past_1_mib_waits_its_turn_while_another_is_read(make_emulator):
    emulator = make_emulator(answer_bytes=2 * body.SMALL)
    large, small = emulator.add_tasks(2)
    stream = collector(emulator.url, request_timeout=1, max_tries=1)
    assert body.LARGE_ANSWER.acquire(timeout=5)  # another answer past 1 MiB
    try:
        stuck = stream.task_get(large)
        assert isinstance(stuck, collect.Stuck)
        with pytest.raises(DeadlineExceededError, match="request_timeout"):
            raise stuck.error
        emulator.set_answer(
            small, {"status_code": 20000, "status_message": "Ok.", "tasks": []}
        )
        # Small answers go on meanwhile.
        assert stream.task_get(small) == collect.Malformed(
            "the answer does not hold exactly one task", []
        )
    finally:
        body.LARGE_ANSWER.release()
    # Its turn come, the large answer is read whole.
    assert collector(emulator.url).task_get(large).task["status_code"] == 20000


def test_answers_inflate_a_chunk_at_a_time(emulator):
    emulator.inject(Fault.GZIP_BOMB, path_contains="/models")
    emulator.bomb_bytes = 8 * body.SMALL
    with requests.get(
        emulator.url + "/v3/ai_optimization/gemini/llm_responses/models",
        stream=True,
        timeout=10,
    ) as answer:
        inflate = body.Inflater("gzip", answer)
        sizes = []
        for chunk in inflate(answer.raw.read(1 << 16)):
            sizes.append(len(chunk))
            if sum(sizes) > 4 * body.SMALL:
                break
    assert max(sizes) <= body.CHUNK
    # The ratio is taken to the bytes inflated so far, not to all those received.
    assert inflate.consumed * body.MAX_RATIO < sum(sizes)


def held_bytes(error: BaseException) -> int:
    """Bytes the frames of an error's traceback keep alive, in bytes or lists."""
    held = 0
    trace = error.__traceback__
    while trace is not None:
        for value in trace.tb_frame.f_locals.values():
            parts = value if isinstance(value, list) else [value]
            held += sum(len(part) for part in parts if isinstance(part, bytes))
        trace = trace.tb_next
    return held


def test_a_refused_answer_keeps_none_of_what_it_inflated(emulator):
    (task_id,) = emulator.add_tasks(1)
    emulator.inject(Fault.GZIP_BOMB, path_contains=GET)
    # A refused answer's error may be held, by a caller, after it is raised.
    client = collector(emulator.url).client
    with pytest.raises(UnreadableAnswerError) as refused:
        client.send("task_get", id=task_id)
    assert held_bytes(refused.value) <= 2 * body.CHUNK


def test_a_bad_ledger_watermark_in_the_state_is_an_invalid_state_line(emulator):
    ledger = {"posted_from": "soon"}
    state = {"bookmarks": {"llm_responses": {"pending": [], "ledger": ledger}}}
    run = run_tap(config_for(emulator.url), state=state)
    assert run.returncode == 1
    assert run.stderr.splitlines()[-1] == (
        f"{NAME}: error: invalid state: bookmarks.llm_responses.ledger.posted_from "
        "is 'soon', expected a date like 2025-07-14 07:25:54 +00:00"
    )
