"""Record transformations, on the vendor's documented example payloads."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from tap_dataforseo_gemini import records
from tap_dataforseo_gemini.errors import MalformedAnswerError
from tap_dataforseo_gemini.streams import (
    LlmResponseCitationsStream,
    LlmResponsesStream,
    ReadyTasksStream,
)
from tests.examples import TASK_GET_TASK, TASKS_READY, task_get_task

WHERE = records.Where("task_get", "tasks[0]")


def valid(schema: dict, record: dict) -> bool:
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    return not list(validator.iter_errors(record))


def ready(index: int) -> dict:
    item = TASKS_READY["tasks"][0]["result"][index]
    return records.ready_task(item, records.Where("tasks_ready", "result"))


def test_ready_task_date_posted_becomes_iso_8601():
    assert ready(0)["date_posted"] == "2025-07-14T07:25:54+00:00"


def test_ready_task_keeps_every_documented_field():
    assert ready(1) == {
        "id": "07141400-0696-0613-0000-ece0beb3cbad",
        "se": "gemini",
        "function": "llm_responses",
        "date_posted": "2025-07-14T11:00:14+00:00",
        "tag": "",
        "endpoint": "/v3/ai_optimization/gemini/llm_responses/task_get/"
        "07141400-0696-0613-0000-ece0beb3cbad",
    }


def test_ready_task_accepts_se_type_for_function():
    item = {**TASKS_READY["tasks"][0]["result"][0]}
    item["se_type"] = item.pop("function")
    assert records.ready_task(item, WHERE)["function"] == "llm_responses"


def test_ready_task_record_matches_its_schema():
    assert valid(ReadyTasksStream.schema, ready(0))


def test_llm_response_keeps_request_and_result_model_apart():
    record = records.llm_response(task_get_task(), "gemini", WHERE)
    assert record["request_model_name"] == "gemini-2.5-flash"
    assert record["model_name"] == "gemini-2.5-flash"
    assert record["request_web_search"] is True
    assert record["web_search"] is True


def test_llm_response_carries_request_parameters():
    record = records.llm_response(task_get_task(), "gemini", WHERE)
    assert record["system_message"] == "communicate as if we are in a business meeting"
    assert record["message_chain"][0] == {
        "role": "user",
        "message": "Hello, what's up?",
    }
    assert (record["max_output_tokens"], record["temperature"], record["top_p"]) == (
        200,
        0.3,
        0.5,
    )


def test_llm_response_carries_tokens_cost_and_iso_datetime():
    record = records.llm_response(task_get_task(), "gemini", WHERE)
    assert (record["input_tokens"], record["output_tokens"]) == (38, 196)
    assert record["money_spent"] == 0.000501
    assert record["datetime"] == "2025-07-14T07:26:11+00:00"


def test_llm_response_record_matches_its_schema():
    assert valid(
        LlmResponsesStream.schema,
        records.llm_response(task_get_task(), "gemini", WHERE),
    )


def test_response_text_joins_message_sections_in_order():
    record = records.llm_response(task_get_task(), "gemini", WHERE)
    assert record["response_text"] == (
        "The amusement park business in France remains highly relevant, led by "
        "Disneyland Paris.\n\nAttendance grew in 2024."
    )


def test_response_text_leaves_out_reasoning():
    task = task_get_task()
    task["result"][0]["items"].insert(
        0,
        {"type": "reasoning", "sections": [{"type": "summary_text", "text": "Think"}]},
    )
    assert "Think" not in records.llm_response(task, "gemini", WHERE)["response_text"]


def test_failed_task_gives_a_record_with_its_status_and_no_result():
    task = task_get_task(
        status_code=40501, status_message="Invalid Field.", result=None
    )
    record = records.llm_response(task, "gemini", WHERE)
    assert (record["status_code"], record["status_message"]) == (
        40501,
        "Invalid Field.",
    )
    assert record["model_name"] is None
    assert record["items"] is None
    assert valid(LlmResponsesStream.schema, record)


def test_wrong_type_names_the_field():
    task = task_get_task()
    task["result"][0]["input_tokens"] = "many"
    with pytest.raises(MalformedAnswerError, match=r"result\[0\]\.input_tokens"):
        records.llm_response(task, "gemini", WHERE)


def test_bad_date_names_the_field():
    task = task_get_task()
    task["result"][0]["datetime"] = "yesterday"
    with pytest.raises(MalformedAnswerError, match="datetime"):
        records.llm_response(task, "gemini", WHERE)


def test_citations_give_one_row_per_annotation_with_its_position():
    rows = list(records.citations(records.llm_response(TASK_GET_TASK, "gemini", WHERE)))
    assert [
        (r["item_index"], r["section_index"], r["annotation_index"]) for r in rows
    ] == [
        (0, 0, 0),
        (0, 0, 1),
    ]
    assert all(valid(LlmResponseCitationsStream.schema, row) for row in rows)


def test_citation_domain_prefers_direct_url_without_www():
    rows = list(records.citations(records.llm_response(TASK_GET_TASK, "gemini", WHERE)))
    assert rows[0]["domain"] == "statista.com"


def annotation(**fields: str | None) -> dict:
    base = {"title": None, "url": None, "direct_url": None}
    return {**base, **fields}


def test_citation_domain_falls_back_to_a_domain_like_title():
    cited = annotation(
        title="www.Statista.com", url="https://vertexaisearch.cloud.google.com/r/1"
    )
    assert records.cited_domain(cited) == "statista.com"


def test_citation_domain_falls_back_to_url_when_it_is_not_a_redirect():
    cited = annotation(title="Acme blog", url="https://blog.acme.com/post")
    assert records.cited_domain(cited) == "blog.acme.com"


def test_citation_domain_is_never_a_redirect_host():
    rows = list(records.citations(records.llm_response(TASK_GET_TASK, "gemini", WHERE)))
    assert rows[1]["title"] == "Wikipedia"
    assert rows[1]["domain"] is None
