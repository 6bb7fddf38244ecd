"""Every DataForSEO endpoint called, in one table: a new endpoint is one line here."""

from __future__ import annotations

import functools
import re
import typing as t
from dataclasses import dataclass
from urllib.parse import quote

#: Who a task-level error in an answer belongs to: the task (a failure record),
#: or the request (retried or ending the run).
Owner = t.Literal["task", "request"]


@dataclass(frozen=True)
class Endpoint:
    """One endpoint: how to call it and what its answers' errors mean."""

    #: The API's own name for it: ``task_get``, ``tasks_ready``...
    name: str
    #: ``GET`` or ``POST``.
    method: str
    #: The path, with ``{llm}`` and ``{id}`` placeholders.
    path: str
    #: The rate window of its own (setting ``<window>_rate_limit_per_minute``), if
    #: it has a tighter limit than the account's; its calls count in both.
    window: str | None = None
    #: Whose a task-level error is: ``task`` (kept as the task's failure record)
    #: or ``request`` (the whole answer fails). Rate limits are the request's.
    task_errors: Owner = "request"
    #: A POST that may create what it asks for (and charge for it): once sent,
    #: it is never sent again, and a lost answer is an unknown outcome.
    at_most_once: bool = False

    def url(self, base: str, **values: str) -> str:
        """The endpoint's URL, each value quoted as one path segment."""
        path = self.path.format(**{k: path_segment(v) for k, v in values.items()})
        return base.rstrip("/") + path

    def matches(self, path: str) -> bool:
        """Tell whether a URL path (``request.path_url``) is this endpoint's."""
        return self._pattern.fullmatch(path.split("?", 1)[0]) is not None

    @functools.cached_property
    def _pattern(self) -> re.Pattern[str]:
        """The path with each placeholder matching one segment, compiled once."""
        return re.compile(re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(self.path)))

    def __str__(self) -> str:
        """The endpoint's name, as messages say it."""
        return self.name


def path_segment(value: str) -> str:
    """Quote a value as one URL path segment; "." and ".." too, as ``%2E``."""
    if set(value) <= {"."}:
        return value.replace(".", "%2E")
    return quote(value, safe="")


_LLM = "/v3/ai_optimization/{llm}/llm_responses"
_SCRAPER = "/v3/ai_optimization/{llm}/llm_scraper"
_AI_MODE = "/v3/serp/google/ai_mode"


def _queue(function: str, base: str) -> tuple[Endpoint, ...]:
    """A surface's task queue: its tasks_ready, task_get/advanced and task_post.

    Its calls count in the same windows as LLM Responses' (``tasks_ready``).
    """
    return (
        Endpoint(
            f"{function}/tasks_ready",
            "GET",
            f"{base}/tasks_ready",
            window="tasks_ready",
        ),
        Endpoint(
            f"{function}/task_get",
            "GET",
            f"{base}/task_get/advanced/{{id}}",
            task_errors="task",
        ),
        Endpoint(
            f"{function}/task_post", "POST", f"{base}/task_post", at_most_once=True
        ),
    )


#: The endpoints by name.
ENDPOINTS: dict[str, Endpoint] = {
    endpoint.name: endpoint
    for endpoint in (
        Endpoint("tasks_ready", "GET", f"{_LLM}/tasks_ready", window="tasks_ready"),
        Endpoint("task_get", "GET", f"{_LLM}/task_get/{{id}}", task_errors="task"),
        Endpoint("models", "GET", f"{_LLM}/models"),
        Endpoint("task_post", "POST", f"{_LLM}/task_post", at_most_once=True),
        Endpoint("id_list", "POST", "/v3/ai_optimization/id_list", window="id_list"),
        # The account's money, limits and spending so far (free).
        Endpoint("user_data", "GET", "/v3/appendix/user_data"),
        # The consumer surfaces (issue 20): the same queue under other paths.
        *_queue("llm_scraper", _SCRAPER),
        *_queue("ai_mode", _AI_MODE),
        Endpoint("serp/id_list", "POST", "/v3/serp/id_list", window="id_list"),
    )
}


def named(name: str) -> Endpoint:
    """The endpoint of that name."""
    return ENDPOINTS[name]


def name_of(path: str) -> str:
    """The name of the endpoint a URL path calls, for messages."""
    return next(
        (name for name, endpoint in ENDPOINTS.items() if endpoint.matches(path)),
        "the API",
    )
