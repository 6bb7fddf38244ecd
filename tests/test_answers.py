"""The send path: ids quoted as one segment, a deadline and a size cap per answer."""

from __future__ import annotations

import time
from urllib.parse import unquote

import pytest

from fake_dataforseo import Fault
from tap_dataforseo_gemini.collect import Collected, Stuck, Unreadable
from tap_dataforseo_gemini.errors import DeadlineExceededError
from tap_dataforseo_gemini.streams import API_DOWN, LlmResponsesStream
from tap_dataforseo_gemini.tap import NAME, TapDataForSEOGemini
from tests.harness import config_for, run_tap


def collector(url: str, **settings: object) -> LlmResponsesStream:
    """The llm_responses stream of a tap built in this process."""
    tap = TapDataForSEOGemini(config=config_for(url, **settings))
    stream = tap.streams["llm_responses"]
    assert isinstance(stream, LlmResponsesStream)
    return stream


@pytest.mark.parametrize("task_id", ["a?b", "c#d", "e%2Ff", "g/h", "..", ".", "i j"])
def test_a_task_id_reaches_the_api_as_one_literal_path_segment(emulator, task_id):
    task = collector(emulator.url).task_get(task_id).task
    # The emulator answers "Task Not Found." for the id it decoded from the path.
    assert (task["id"], task["status_code"]) == (task_id, 40400)
    # Dot segments are percent-encoded too: servers and proxies resolve them.
    segment = emulator.requests[-1].path.rsplit("/", 1)[1]
    assert segment not in {".", ".."}
    assert unquote(segment) == task_id


def test_an_answer_that_drips_fails_at_the_request_deadline(emulator):
    emulator.inject(Fault.DRIP, path_contains="task_get")
    stream = collector(emulator.url, request_timeout=1, max_tries=1)
    started = time.monotonic()
    stuck = stream.task_get(emulator.add_tasks(1)[0])
    assert isinstance(stuck, Stuck)
    with pytest.raises(DeadlineExceededError, match="request_timeout"):
        raise stuck.error
    # The whole answer would take minutes at one byte a tenth of a second.
    assert time.monotonic() - started < 5


def test_an_answer_past_the_deadline_is_retried(emulator):
    task_id = emulator.add_tasks(1)[0]
    emulator.inject(Fault.DRIP, path_contains="task_get")
    answer = collector(emulator.url, request_timeout=1, max_tries=2).task_get(task_id)
    assert isinstance(answer, Collected)
    task = answer.task
    assert (task["id"], task["status_code"]) == (task_id, 20000)


def test_an_answer_past_the_size_cap_is_cut_off_and_refused(emulator):
    emulator.inject(Fault.HUGE, path_contains="task_get")
    stream = collector(emulator.url, max_answer_bytes=1_000_000)
    answer = stream.task_get(emulator.add_tasks(1)[0])
    assert isinstance(answer, Unreadable)
    assert "max_answer_bytes" in answer.problem
    # Reading stopped at the cap: the emulator could not send its 100 MB.
    assert emulator.huge_bytes_sent < emulator.huge_bytes // 4


def test_an_answer_whose_length_passes_the_cap_is_refused_before_reading(emulator):
    stream = collector(emulator.url, max_answer_bytes=100)
    answer = stream.task_get(emulator.add_tasks(1)[0])
    assert isinstance(answer, Unreadable)
    assert "task_get" in answer.problem


def test_a_task_past_the_size_cap_is_a_failure_record_and_the_run_goes_on(emulator):
    task_ids = emulator.add_tasks(3)
    emulator.inject(Fault.HUGE, times=1, path_contains=f"task_get/{task_ids[1]}")
    run = run_tap(config_for(emulator.url, max_answer_bytes=1_000_000))
    assert run.returncode == 0, run.stderr
    by_id = {record["id"]: record for record in run.records("llm_responses")}
    assert set(by_id) == set(task_ids)
    huge = by_id[task_ids[1]]
    assert huge["status_code"] is None
    assert huge["raw_answer"] is None
    assert huge["status_message"] == (
        "task_get: the answer is larger than max_answer_bytes (1000000 bytes); "
        "raise max_answer_bytes if it is expected"
    )
    assert [by_id[i]["status_code"] for i in (task_ids[0], task_ids[2])] == [20000] * 2
    warnings = [line for line in run.stderr.splitlines() if "max_answer_bytes" in line]
    assert len(warnings) == 1
    assert f"Task {task_ids[1]}: task_get: the answer is larger" in warnings[0]


def test_a_run_whose_answers_never_finish_ends_with_one_line(emulator):
    emulator.add_tasks(API_DOWN)  # fewer in a row: one task's trouble, kept pending
    emulator.inject(Fault.DRIP, times=9, path_contains="task_get")
    run = run_tap(config_for(emulator.url, request_timeout=1, max_tries=1))
    assert run.returncode == 1
    assert run.stderr.splitlines()[-1] == (
        f"{NAME}: error: task_get: no whole answer within request_timeout from "
        f"{emulator.url}"
    )
