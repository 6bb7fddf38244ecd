"""Property tests: any answer gives a valid record or one clear error, never a crash."""

from __future__ import annotations

import copy
import json
import typing as t

import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

from tap_dataforseo_gemini import envelope, records
from tap_dataforseo_gemini.errors import MalformedAnswerError
from tap_dataforseo_gemini.streams import LlmResponsesStream, ReadyTasksStream
from tests.examples import TASK_GET_TASK, TASKS_READY

CLEAR_ERRORS = (FatalAPIError, RetriableAPIError)
RESPONSE_SCHEMA = Draft202012Validator(
    LlmResponsesStream.schema, format_checker=FormatChecker()
)
READY_SCHEMA = Draft202012Validator(
    ReadyTasksStream.schema, format_checker=FormatChecker()
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def paths(value: object, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value inside a JSON document."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*prefix, index))
    return found


def replaced(document: t.Any, path: tuple, value: object) -> t.Any:
    document = copy.deepcopy(document)
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return document


def response(
    body: bytes, path: str = "/v3/ai_optimization/gemini/llm_responses/x"
) -> requests.Response:
    answer = requests.Response()
    answer.status_code = 200
    answer._content = body
    answer.request = requests.Request("GET", f"http://127.0.0.1{path}").prepare()
    return answer


def outcome(compute: t.Callable[[], t.Any]) -> tuple[t.Any, Exception | None]:
    """The result of a computation, or the clear error it raised."""
    try:
        return compute(), None
    except CLEAR_ERRORS as error:
        return None, error


def task_record(body: bytes) -> dict:
    """What the stream does: the envelope, then the task's own fields, its record."""
    envelope.check(response(body), "task_get")
    task = envelope.read(response(body), "task_get")["tasks"][0]
    problem = envelope.task_problem(task)
    if problem:
        raise records.Where("task_get", "tasks[0]").fail(problem)
    return records.llm_response(task, "gemini", records.Where("task_get", "t"))


def ready_rows(body: bytes) -> tuple[list, list]:
    envelope.check(response(body), "tasks_ready")
    tasks = envelope.read(response(body), "tasks_ready")["tasks"]
    items = [item for task in tasks for item in task["result"] or []]
    where = records.Where("tasks_ready", "r")
    return items, [records.ready_task(item, where) for item in items]


@settings(max_examples=300, deadline=None)
@given(path=st.sampled_from(paths(TASK_GET_TASK)), value=json_values)
def test_task_get_task_gives_a_valid_record_or_a_clear_error(path, value):
    task = replaced(TASK_GET_TASK, path, value)
    body = json.dumps({"status_code": 20000, "status_message": "Ok.", "tasks": [task]})
    record, error = outcome(lambda: task_record(body.encode()))
    if error is None:
        assert record["id"] == task["id"]
        assert list(RESPONSE_SCHEMA.iter_errors(record)) == []
    else:
        assert str(error).strip()


@settings(max_examples=200, deadline=None)
@given(path=st.sampled_from(paths(TASKS_READY)), value=json_values)
def test_tasks_ready_answer_gives_valid_records_or_a_clear_error(path, value):
    body = json.dumps(replaced(TASKS_READY, path, value)).encode()
    result, error = outcome(lambda: ready_rows(body))
    if error is None:
        items, rows = result
        assert len(rows) == len(items)
        assert all(list(READY_SCHEMA.iter_errors(row)) == [] for row in rows)
    else:
        assert str(error).strip()


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=64) | json_values.map(lambda v: json.dumps(v).encode()))
def test_any_body_is_an_envelope_or_a_malformed_answer(body):
    _, error = outcome(lambda: envelope.check(response(body), "tasks_ready"))
    if error is None:
        assert isinstance(envelope.read(response(body), "tasks_ready")["tasks"], list)
    else:
        assert str(error).strip()


def test_malformed_answer_is_retriable():
    assert issubclass(MalformedAnswerError, RetriableAPIError)
