"""The JSON envelope every DataForSEO answer comes in, and its status codes."""

from __future__ import annotations

import json
import typing as t
from http import HTTPStatus
from types import UnionType

from tap_dataforseo_gemini.errors import (
    APIError,
    AuthenticationError,
    EndpointNotFoundError,
    MalformedAnswerError,
    PaymentRequiredError,
    TransientAPIError,
)

if t.TYPE_CHECKING:
    import requests

OK = 20000
NOT_AUTHORIZED = 40100
RATE_LIMITED = 40202
NOT_FOUND = 40400
TASK_HANDED = 40601
TASK_IN_QUEUE = 40602
INTERNAL_ERROR = 50000

#: Task statuses that mean "not done yet": the task stays pending.
NOT_READY = frozenset({TASK_HANDED, TASK_IN_QUEUE})

_CACHE_ATTRIBUTE = "_dataforseo_envelope"


def is_transient(status_code: int) -> bool:
    """Tell whether a status is trouble that a later try may not meet."""
    return status_code == RATE_LIMITED or status_code >= INTERNAL_ERROR


#: Waits (seconds) before asking again for a task that answered a task-level error.
TASK_RETRY_WAITS = (1.0, 2.0)


def retries_task(status_code: int) -> bool:
    """Tell whether a ``task_get`` task status is asked again, quickly, in the run.

    Any task-level error is (a task-level 50000 too: the vendor's cure for it is
    posting the task again, so it is not retried for minutes); the last answer
    becomes a failure record.
    """
    return status_code != OK and status_code not in NOT_READY


def is_payment_problem(status_code: int) -> bool:
    """Tell whether a status is a balance or payment problem (402xx but 40202)."""
    return 40200 <= status_code < 40300 and status_code != RATE_LIMITED


def read(response: requests.Response, endpoint: str) -> dict[str, t.Any]:
    """Return the checked envelope of an answer, parsing it only once.

    Raises:
        MalformedAnswerError: the body is not the documented envelope.
    """
    cached = response.__dict__.get(_CACHE_ATTRIBUTE)
    if cached is None:
        cached = _parse(response, endpoint)
        response.__dict__[_CACHE_ATTRIBUTE] = cached
    return cached


def _parse(response: requests.Response, endpoint: str) -> dict[str, t.Any]:
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedAnswerError(
            f"malformed API answer from {endpoint}: the body is not JSON ({exc})"
        ) from None
    problem = _envelope_problem(body)
    if problem:
        raise MalformedAnswerError(f"malformed API answer from {endpoint}: {problem}")
    return body


def _envelope_problem(body: object) -> str | None:
    if not isinstance(body, dict):
        return f"expected a JSON object, got {type(body).__name__}"
    for key, kind in (("status_code", int), ("status_message", str)):
        if not isinstance(body.get(key), kind) or isinstance(body.get(key), bool):
            return f"'{key}' is missing or not {kind.__name__}"
    tasks = body.get("tasks")
    if body["status_code"] != OK and tasks is None:
        return None
    if not isinstance(tasks, list):
        return "'tasks' is not a list"
    for index, task in enumerate(tasks):
        problem = _task_problem(task)
        if problem:
            return f"tasks[{index}] {problem}"
    return None


_TASK_FIELDS: tuple[tuple[str, type | UnionType, str], ...] = (
    ("id", str, "a string"),
    ("status_code", int, "an integer"),
    ("status_message", str, "a string"),
    ("result", list | None, "a list or null"),
    ("data", dict | None, "an object or null"),
)


def _task_problem(task: object) -> str | None:
    if not isinstance(task, dict):
        return "is not an object"
    for key, kind, described in _TASK_FIELDS:
        value = task.get(key)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            return f"has a '{key}' that is not {described}"
    return None


def check(response: requests.Response, endpoint: str) -> None:
    """Raise the error an answer stands for, if any; retriable ones are marked so.

    The HTTP status comes first (401, 402, 404 and 5xx are the only codes the API
    sends besides 200), then the envelope's status, then each task's; a
    ``task_get`` task's own error (but 40202) is the task's, not the request's.
    """
    code = response.status_code
    if code == HTTPStatus.UNAUTHORIZED:
        raise AuthenticationError(
            "DataForSEO rejected the login and password (HTTP 401, status 40100): "
            "check the `login` and `password` settings"
        )
    if code == HTTPStatus.PAYMENT_REQUIRED:
        raise PaymentRequiredError(
            f"DataForSEO refused {endpoint} for payment (HTTP 402): "
            "check the account balance"
        )
    if code >= HTTPStatus.INTERNAL_SERVER_ERROR or code == HTTPStatus.TOO_MANY_REQUESTS:
        raise TransientAPIError(f"HTTP {code} from {endpoint}", response)
    if code == HTTPStatus.NOT_FOUND:
        raise EndpointNotFoundError(f"{endpoint} is not found (HTTP 404)")
    if code != HTTPStatus.OK:
        raise APIError(f"unexpected HTTP {code} from {endpoint}")
    body = read(response, endpoint)
    _check_status(body["status_code"], body["status_message"], endpoint, response)
    for task in body["tasks"] or []:
        if is_transient(task["status_code"]) and (
            endpoint != "task_get" or task["status_code"] == RATE_LIMITED
        ):
            raise TransientAPIError(
                f"{endpoint}: task status {task['status_code']} "
                f"{task['status_message']}",
                response,
            )


def _check_status(
    status: int, message: str, endpoint: str, response: requests.Response
) -> None:
    if status == OK:
        return
    detail = f"{endpoint}: status {status} {message}"
    if status == NOT_AUTHORIZED:
        raise AuthenticationError(
            f"DataForSEO rejected the login and password ({detail}): "
            "check the `login` and `password` settings"
        )
    if is_transient(status):
        raise TransientAPIError(detail, response)
    if is_payment_problem(status):
        raise PaymentRequiredError(f"{detail}: check the account balance")
    if status == NOT_FOUND:
        raise EndpointNotFoundError(detail)
    raise APIError(detail)
