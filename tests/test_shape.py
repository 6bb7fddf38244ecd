"""The answer's shape is declared once: the schema and the record checks follow it."""

from __future__ import annotations

import pytest

from tap_dataforseo_gemini import records, shape
from tap_dataforseo_gemini.errors import MalformedAnswerError
from tap_dataforseo_gemini.streams import (
    LlmResponseCitationsStream,
    LlmResponsesStream,
    ModelsStream,
    ReadyTasksStream,
)
from tests.examples import TASKS_READY, task_get_task

TOKENS = shape.Field("tokens", shape.Scalar(int), "Tokens used", source="n_tokens")
USAGE = shape.Field("usage", shape.Array(shape.Object((TOKENS,))), "Usage per turn")


def test_a_field_gives_its_schema_property_with_description_and_bounds():
    prop = shape.schema(USAGE)["properties"]["usage"]
    tokens = prop["items"]["properties"]["tokens"]
    assert prop["description"] == "Usage per turn"
    assert tokens["description"] == "Tokens used"
    assert (tokens["minimum"], tokens["maximum"]) == (-(2**63), 2**63 - 1)


def test_the_same_field_reads_the_api_name_and_names_its_path_when_wrong():
    where = shape.Where("task_get", "tasks[0]")
    assert USAGE.read({"usage": [{"n_tokens": 3}, None]}, where) == [
        {"tokens": 3},
        None,
    ]
    with pytest.raises(MalformedAnswerError) as caught:
        USAGE.read({"usage": [{"n_tokens": 3}, {"n_tokens": "3"}]}, where)
    assert str(caught.value) == (
        "malformed API answer from task_get: tasks[0].usage[1].n_tokens is '3', "
        "expected int or null"
    )


def test_a_record_has_exactly_its_stream_schema_properties():
    response = records.llm_response(
        task_get_task(), "gemini", shape.Where("task_get", "tasks[0]")
    )
    listed = TASKS_READY["tasks"][0]["result"][0]
    model = {"model_name": "gemini-2.5-flash", "reasoning": True}
    produced = {
        ReadyTasksStream: records.ready_task(listed, shape.Where("tasks_ready")),
        LlmResponsesStream: response,
        LlmResponseCitationsStream: next(records.citations(response)),
        ModelsStream: {"se": "gemini", **records.model(model, shape.Where("models"))},
    }
    # The streams add date_posted, from the listing or the ledger.
    for stream in (LlmResponsesStream, LlmResponseCitationsStream):
        produced[stream] = {**produced[stream], "date_posted": None}
    for stream, record in produced.items():
        assert set(record) == set(stream.schema["properties"]), stream.name
