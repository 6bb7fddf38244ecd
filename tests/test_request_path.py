"""Requests go the SDK's way: its request metrics, its retry hooks, safe errors."""

from __future__ import annotations

import json
import logging

import pytest
import requests
from singer_sdk.exceptions import RetriableAPIError

from fake_dataforseo import Fault
from tap_dataforseo_gemini.collect import Stuck
from tap_dataforseo_gemini.errors import AnswerTooLargeError
from tap_dataforseo_gemini.streams import LlmResponsesStream
from tap_dataforseo_gemini.tap import TapDataForSEOGemini
from tests.harness import PASSWORD, config_for


def collector(url: str, **settings: object) -> LlmResponsesStream:
    """The llm_responses stream of a tap built in this process."""
    stream = TapDataForSEOGemini(config=config_for(url, **settings)).streams[
        "llm_responses"
    ]
    assert isinstance(stream, LlmResponsesStream)
    return stream


def test_a_task_get_request_is_timed_by_the_sdk_request_metrics_at_debug(
    emulator, caplog
):
    task_id = emulator.add_tasks(1)[0]
    stream = collector(emulator.url)  # the tap sets the metrics logger's level
    with caplog.at_level(logging.DEBUG, logger="singer_sdk.metrics"):
        stream.task_get(task_id)
    points = [
        json.loads(r.getMessage().removeprefix("METRIC: "))
        for r in caplog.records
        if "http_request_duration" in r.getMessage()
    ]
    assert [p["tags"]["endpoint"] for p in points] == ["task_get"]
    assert points[0]["tags"]["context"] == {"id": task_id}


def test_retries_end_once_max_retry_seconds_are_spent(emulator):
    task_id = emulator.add_tasks(1)[0]
    emulator.inject(Fault.HTTP_500, times=50, path_contains="task_get")
    stream = collector(emulator.url, max_tries=6, max_retry_seconds=1)
    stuck = stream.task_get(task_id)
    assert isinstance(stuck, Stuck)
    with pytest.raises(RetriableAPIError, match="HTTP 500"):
        raise stuck.error
    tries = [r for r in emulator.requests if "task_get" in r.path]
    # Waits of up to 1, 2, 4, 8 s (full jitter) pass one second long before 6 tries.
    assert len(tries) < 6


def test_an_error_message_names_the_status_never_the_body(emulator):
    response = requests.Response()
    response.status_code = 500
    response.reason = "Internal Server Error"
    response._content = f"Authorization: Basic {PASSWORD}".encode()
    response.headers["X-Echo"] = PASSWORD
    response.request = requests.Request(
        "GET", f"{emulator.url}/v3/ai_optimization/gemini/llm_responses/task_get/x"
    ).prepare()
    message = collector(emulator.url).response_error_message(response)
    assert message == "task_get answered HTTP 500 Internal Server Error"


def test_a_listing_answer_past_the_size_cap_ends_the_run_with_one_line(emulator):
    emulator.inject(Fault.HUGE, path_contains="models")
    tap = TapDataForSEOGemini(config=config_for(emulator.url, max_answer_bytes=100_000))
    with pytest.raises(AnswerTooLargeError, match="models: the answer is larger"):
        list(tap.streams["models"].get_records(None))
    assert emulator.huge_bytes_sent < emulator.huge_bytes // 4
