"""Collecting one task with ``task_get``: its answer, typed.

``task_get`` answers a list of tasks, an error, or nothing readable; callers get
one of six kinds of :data:`Answer` instead, and write records from the kind.
"""

from __future__ import annotations

import time
import typing as t
from dataclasses import dataclass

import requests
from singer_sdk.exceptions import RetriableAPIError

from tap_dataforseo_gemini import envelope
from tap_dataforseo_gemini.errors import (
    APIError,
    EndpointNotFoundError,
    UnreadableAnswerError,
)

if t.TYPE_CHECKING:
    from tap_dataforseo_gemini.api.client import Client


@dataclass(frozen=True)
class Collected:
    """The task is done: its task object, status 20000."""

    task: dict[str, t.Any]


@dataclass(frozen=True)
class Failed:
    """The task failed: its task object, with the error status the API gave it."""

    task: dict[str, t.Any]


@dataclass(frozen=True)
class Malformed:
    """The answer is not one readable task: what is wrong, and what was answered."""

    problem: str
    answer: object


@dataclass(frozen=True)
class Unreadable:
    """No retry makes the answer readable: why, and what is kept of it.

    Too large, a compression bomb, not UTF-8, nested too deep, a lone surrogate.
    ``raw_answer`` is JSON text any writer can write, or None (nothing kept).
    """

    problem: str
    raw_answer: str | None


@dataclass(frozen=True)
class NotReady:
    """The task is not done yet (40601, 40602)."""

    task: dict[str, t.Any]


@dataclass(frozen=True)
class Stuck:
    """The request gave up (retries spent): an error not the credentials' or payment's.

    It may be this task's alone, or the API's: the caller tells by the others.
    """

    error: Exception


#: The answers written as a record (a failure record but for ``Collected``).
Final = Collected | Failed | Malformed | Unreadable
#: What one ``task_get`` comes to.
Answer = Final | NotReady | Stuck
#: Request errors that may be one task's: not the credentials, payment or path.
STUCK = (RetriableAPIError, requests.exceptions.RequestException, APIError)


def task_get(client: Client, task_id: str, endpoint: str = "task_get") -> Answer:
    """Collect one task with a ``task_get`` endpoint (the source's).

    A failed task is asked again a few times, quickly
    (``envelope.TASK_RETRY_WAITS``; a task-level 50000 too: the vendor's cure for
    it is posting the task again, so it is not retried for minutes); the last
    answer stands. Request-level trouble is the client's to retry; an answer
    still not the documented envelope once the client gives up is this task's
    (a failure record), so that it does not stop every later run; any other
    error once it gives up (HTTP 5xx, 50000, a time-out) is :class:`Stuck`.
    """
    for wait in (*envelope.TASK_RETRY_WAITS, None):
        try:
            tasks = client.send(endpoint, context={"id": task_id}, id=task_id)
        except UnreadableAnswerError as exc:
            return Unreadable(str(exc), exc.raw_answer)
        except EndpointNotFoundError:
            raise
        except STUCK as exc:
            return Stuck(exc)
        answer = typed(tasks["tasks"])
        if wait is None or not isinstance(answer, Failed):
            return answer
        time.sleep(wait)
    raise AssertionError  # pragma: no cover - the loop always returns


def typed(tasks: list[t.Any]) -> Answer:
    """The kind of answer a ``task_get`` task list is."""
    if len(tasks) != 1:
        return Malformed("the answer does not hold exactly one task", tasks)
    task = tasks[0]
    problem = envelope.task_problem(task)
    if problem:
        return Malformed(
            f"malformed API answer from task_get: tasks[0] {problem}", task
        )
    if task["status_code"] == envelope.OK:
        return Collected(task)
    if task["status_code"] in envelope.NOT_READY:
        return NotReady(task)
    return Failed(task)
