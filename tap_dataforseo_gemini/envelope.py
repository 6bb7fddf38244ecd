"""The JSON envelope every DataForSEO answer comes in, and its status codes."""

from __future__ import annotations

import base64
import codecs
import json
import re
import typing as t
from array import array
from http import HTTPStatus
from itertools import accumulate
from types import UnionType

from tap_dataforseo_gemini import redact
from tap_dataforseo_gemini.api.endpoints import named
from tap_dataforseo_gemini.errors import (
    AccountError,
    APIError,
    AuthenticationError,
    EndpointNotFoundError,
    MalformedAnswerError,
    PaymentRequiredError,
    RateLimitedError,
    TooManyInFlightError,
    TransientAPIError,
    UnreadableAnswerError,
)
from tap_dataforseo_gemini.rate_limit import retry_after
from tap_dataforseo_gemini.shape import Where

if t.TYPE_CHECKING:
    import requests

OK = 20000
NOT_AUTHORIZED = 40100
ACCOUNT_BLOCKED = 40201
RATE_LIMITED = 40202
COST_LIMIT = 40203
IP_NOT_WHITELISTED = 40207
TOO_MANY_IN_FLIGHT = 40209
NOT_FOUND = 40400
TASK_HANDED = 40601
TASK_IN_QUEUE = 40602
INTERNAL_ERROR = 50000
NOT_IMPLEMENTED = 50100

#: Statuses no retry cures, each with what it means and what to do ({} = detail).
FATAL = {
    ACCOUNT_BLOCKED: (
        AccountError,
        "DataForSEO has blocked the account for suspicious activity ({}): "
        "ask DataForSEO support to unblock it",
    ),
    COST_LIMIT: (
        AccountError,
        "the account's cost limit is reached ({}): raise it in the DataForSEO "
        "dashboard, or wait for the limit's period to end",
    ),
    IP_NOT_WHITELISTED: (
        AccountError,
        "DataForSEO refused this machine's IP address ({}): add it to the "
        "account's IP whitelist in the DataForSEO dashboard",
    ),
    NOT_IMPLEMENTED: (
        APIError,
        "DataForSEO does not implement this call ({}): check the `api_url` and "
        "`llm` settings",
    ),
}

#: Task statuses that mean "not done yet": the task stays pending.
NOT_READY = frozenset({TASK_HANDED, TASK_IN_QUEUE})

_CACHE_ATTRIBUTE = "_dataforseo_envelope"


def is_transient(status_code: int) -> bool:
    """Tell whether a status is trouble that a later try may not meet."""
    if status_code in {RATE_LIMITED, TOO_MANY_IN_FLIGHT}:
        return True
    return status_code >= INTERNAL_ERROR and status_code not in FATAL


#: Waits (seconds) before asking again for a task that answered a task-level error.
TASK_RETRY_WAITS = (1.0, 2.0)


def is_payment_problem(status_code: int) -> bool:
    """Tell whether a status is a balance or payment problem (the other 402xx)."""
    return 40200 <= status_code < 40300 and not (
        is_transient(status_code) or status_code in FATAL
    )


def transient_error(
    status: int, detail: str, response: requests.Response
) -> TransientAPIError:
    """The retriable error of a transient status: rate limits are told apart."""
    if status == RATE_LIMITED:
        return RateLimitedError(
            detail, response, retry_after=retry_after(response.headers)
        )
    if status == TOO_MANY_IN_FLIGHT:
        return TooManyInFlightError(detail, response)
    return TransientAPIError(detail, response)


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
    body = parse(response.content, endpoint)
    problem = _envelope_problem(body, endpoint)
    if problem:
        raise MalformedAnswerError(
            f"malformed API answer from {endpoint}: {problem}", answer=body
        )
    return body


#: Deepest nesting of arrays and objects read in an answer; a task_get answer
#: nests about 11 levels.
MAX_DEPTH = 100
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = bytes(set(range(256)) - set(b"[]{}"))
#: A bracket as a step of depth: +1 for ``[`` and ``{``, -1 (255) for ``]`` and ``}``.
_STEP = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
#: Brackets summed at a time: a deep answer is found in its first slice.
_SLICE = 1 << 16
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def parse(content: bytes, endpoint: str) -> t.Any:
    r"""Parse an answer's body as JSON, nested at most ``MAX_DEPTH`` levels.

    Raises:
        MalformedAnswerError: the body is not JSON, or cut short (worth a retry).
        UnreadableAnswerError: the body is JSON no retry makes readable: nested
            too deep, not UTF-8, or holding a lone surrogate (``\ud83d``, half an
            emoji) that no UTF-8 writer can write.
    """
    content = content.removeprefix(codecs.BOM_UTF8)
    problem = f"malformed API answer from {endpoint}"
    if too_deep(content):
        raise UnreadableAnswerError(
            f"{problem}: the body nests deeper than {MAX_DEPTH} levels",
            _base64(content),
        )
    try:
        text = content.decode()
        body = json.loads(text)
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data":  # cut short: worth a retry
            raise MalformedAnswerError(
                f"{problem}: the body is not JSON ({exc})"
            ) from None
        raise UnreadableAnswerError(
            f"{problem}: the body is not UTF-8 (byte "
            f"0x{content[exc.start]:02x} at offset {exc.start})",
            _base64(content),
        ) from None
    except ValueError as exc:
        raise MalformedAnswerError(f"{problem}: the body is not JSON ({exc})") from None
    if _SURROGATE_ESCAPE.search(text) and (where := _lone_surrogate(body)):
        raise UnreadableAnswerError(
            f"{problem}: {where} (half of a UTF-16 pair, such as half an emoji), "
            "which UTF-8 cannot hold",
            json.dumps(body),
        )
    return body


def too_deep(content: bytes) -> bool:
    """Tell whether arrays and objects nest past ``MAX_DEPTH`` in a JSON text.

    Strings aside, each bracket is a step up or down; the steps are summed a
    slice at a time, stopping at the first slice that climbs too high.
    """
    steps = _STRING.sub(b"", content).translate(_STEP, _NOT_BRACKET)
    level = 0
    for start in range(0, len(steps), _SLICE):
        part = steps[start : start + _SLICE]
        if max(accumulate(array("b", part), initial=level)) > MAX_DEPTH:
            return True
        level += part.count(1) - part.count(255)
    return False


def _base64(content: bytes) -> str:
    """A body kept whole as JSON text any writer can write, its secrets masked."""
    masked = redact.current.raw(content)
    return json.dumps({"body_base64": base64.b64encode(masked).decode()})


def _lone_surrogate(value: object) -> str | None:
    r"""Where a string (or key) has a lone surrogate, and which: ``a.b has \ud83d``."""
    stack: list[tuple[str, object]] = [("", value)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
        elif isinstance(value, dict):
            for key, item in value.items():
                if surrogate := _surrogate(key):
                    return f"a key in {path or 'the body'} has {surrogate}"
                stack.append((f"{path}.{key}" if path else key, item))
        elif isinstance(value, str) and (surrogate := _surrogate(value)):
            return f"{path or 'the body'} has {surrogate}"
    return None


def _surrogate(text: str) -> str | None:
    r"""The first lone surrogate of a string, escaped (``\ud83d``), or None."""
    try:
        text.encode()
    except UnicodeEncodeError as exc:
        return f"\\u{ord(text[exc.start]):04x}"
    return None


def _envelope_problem(body: object, endpoint: str) -> str | None:
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
    # A task_get task of the wrong shape is the task's problem (a failure
    # record), not the request's: retrying it would stop every later run.
    checked = [] if _tasks_own_errors(endpoint) else tasks
    problems = (task_problem(task) for task in checked)
    return next(
        (
            f"tasks[{index}] {problem}"
            for index, problem in enumerate(problems)
            if problem
        ),
        None,
    )


_TASK_FIELDS: tuple[tuple[str, type | UnionType, str], ...] = (
    ("id", str, "a string"),
    ("status_code", int, "an integer"),
    ("status_message", str, "a string"),
    ("result", list | None, "a list or null"),
    ("data", dict | None, "an object or null"),
)


def task_problem(task: object) -> str | None:
    """What is wrong with a task's envelope fields, or None."""
    if not isinstance(task, dict):
        return "is not an object"
    for key, kind, described in _TASK_FIELDS:
        value = task.get(key)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            return f"has a '{key}' that is not {described}"
    return None


def result_items(body: dict[str, t.Any], endpoint: str) -> list[t.Any]:
    """The result items of an answer's one task; a failed task is an error."""
    tasks = body["tasks"]
    if len(tasks) != 1:
        raise Where(endpoint, "tasks").fail(f"has {len(tasks)} tasks, expected one")
    task = tasks[0]
    if task["status_code"] != OK:
        problem = f"{endpoint}: status {task['status_code']} {task['status_message']}"
        if task["status_code"] == NOT_FOUND:
            raise EndpointNotFoundError(problem)
        raise APIError(problem)
    return task["result"] or []


def check(response: requests.Response, endpoint: str) -> None:
    """Raise the error an answer stands for, if any; retriable ones are marked so.

    The HTTP status comes first (401, 402, 404 and 5xx are the only codes the API
    documents besides 200; a 429 from anything in between is retried after its
    ``Retry-After``), then the envelope's status, then each task's; on an
    endpoint whose task errors are the task's (``task_get``, see the endpoint
    table), a task's own error (but 40202 and 40209) is not the request's.
    """
    code = response.status_code
    if code == HTTPStatus.TOO_MANY_REQUESTS:
        raise RateLimitedError(
            f"HTTP 429 from {endpoint}",
            response,
            retry_after=retry_after(response.headers),
        )
    if code in {HTTPStatus.UNAUTHORIZED, HTTPStatus.PAYMENT_REQUIRED}:
        status = _status_of(response)
        _check_fatal(status, f"{endpoint}: HTTP {code}, status {status}")
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
    if code >= HTTPStatus.INTERNAL_SERVER_ERROR:
        raise TransientAPIError(f"HTTP {code} from {endpoint}", response)
    if code == HTTPStatus.NOT_FOUND:
        raise EndpointNotFoundError(f"{endpoint} is not found (HTTP 404)")
    if code != HTTPStatus.OK:
        raise APIError(f"unexpected HTTP {code} from {endpoint}")
    body = read(response, endpoint)
    _check_status(body["status_code"], body["status_message"], endpoint, response)
    for task in body["tasks"] or []:
        if task_problem(task):
            continue
        if is_transient(task["status_code"]) and (
            not _tasks_own_errors(endpoint)
            or task["status_code"] in {RATE_LIMITED, TOO_MANY_IN_FLIGHT}
        ):
            raise transient_error(
                task["status_code"],
                f"{endpoint}: task status {task['status_code']} "
                f"{task['status_message']}",
                response,
            )


def _tasks_own_errors(endpoint: str) -> bool:
    """Whether the endpoint's task-level errors are its tasks' (the table says)."""
    return named(endpoint).task_errors == "task"


def _status_of(response: requests.Response) -> int | None:
    """The envelope's status of an error answer, if its body has one."""
    try:
        body = parse(response.content, "")
    except (MalformedAnswerError, UnreadableAnswerError):
        return None
    status = body.get("status_code") if isinstance(body, dict) else None
    return status if type(status) is int else None


def _check_fatal(status: int | None, detail: str) -> None:
    """Raise the one-line error of a status in the ``FATAL`` table."""
    if status in FATAL:
        error, advice = FATAL[status]
        raise error(advice.format(detail))


def _check_status(
    status: int, message: str, endpoint: str, response: requests.Response
) -> None:
    if status == OK:
        return
    _check_fatal(status, f"{endpoint}: status {status}")
    detail = f"{endpoint}: status {status} {message}"
    if status == NOT_AUTHORIZED:
        raise AuthenticationError(
            f"DataForSEO rejected the login and password ({detail}): "
            "check the `login` and `password` settings"
        )
    if is_transient(status):
        raise transient_error(status, detail, response)
    if is_payment_problem(status):
        raise PaymentRequiredError(f"{detail}: check the account balance")
    if status == NOT_FOUND:
        raise EndpointNotFoundError(detail)
    raise APIError(detail)
