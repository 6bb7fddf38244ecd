"""``task_post``, ``id_list`` and ``models`` through the tap's HTTP machinery.

Auth, pacing, envelope checks and retries are the tap's (:class:`DataForSEOStream`),
with one difference for ``task_post``: a POST is retried only when the API
refused it whole (rate limit 40202) or it never left this machine. An answer
lost any other way (timeout, reset, 5xx, 50000, a garbled body) may hide created
tasks: it raises :class:`UnknownOutcomeError` and the caller asks ``id_list``.
"""

from __future__ import annotations

import typing as t
from datetime import datetime, timedelta
from functools import partial
from http import HTTPStatus

import requests
from singer_sdk import typing as th
from singer_sdk.streams.rest import HTTPRequest
from urllib3.exceptions import MaxRetryError, NewConnectionError

from tap_dataforseo_gemini import envelope
from tap_dataforseo_gemini.client import DataForSEOStream, endpoint_of
from tap_dataforseo_gemini.errors import (
    APIError,
    MalformedAnswerError,
    PaymentRequiredError,
    UnreadableAnswerError,
)
from tap_dataforseo_gemini.ledger import pages

if t.TYPE_CHECKING:
    from collections.abc import Callable

#: The account's cost limit is reached [D-ERR].
COST_LIMIT = 40203
#: Created: the only task_post status that means a task exists.
TASK_CREATED = 20100
#: task_post accepts at most this many tasks a call; extras get 40006 [D-TP].
MAX_TASKS = 100
#: The account's data: money, limits, spending so far (free) [D:appendix/user_data].
USER_DATA = "v3/appendix/user_data"
#: How far back ``id_list`` answers with ``include_metadata`` (a month), less a
#: margin for rounding and clock estimates [D-IDL].
METADATA_REACH = timedelta(days=30) - timedelta(hours=1)


class UnknownOutcomeError(APIError):
    """A ``task_post`` answer was lost: its tasks may or may not exist."""


class CostLimitError(PaymentRequiredError):
    """The account's own cost limit refused the posting (40203)."""


class TaskPostStream(DataForSEOStream):
    """Not a stream of the tap: the tap's HTTP client, pointed at ``task_post``."""

    name = "dataforseo-prompts"
    endpoint = "task_post"
    schema = th.PropertiesList().to_dict()

    def _url(self, *parts: str) -> str:
        return "/".join((self.url_base, "v3/ai_optimization", *parts))

    def _post(self, url: str, body: list[dict[str, t.Any]]) -> dict[str, t.Any]:
        request = HTTPRequest(
            url=url, method="POST", headers=self.http_headers, data=body
        )
        return self.send(request)

    def task_post(self, llm: str, tasks: list[dict[str, t.Any]]) -> dict[str, t.Any]:
        """Post up to 100 tasks to one LLM; the checked envelope of the answer."""
        if not 1 <= len(tasks) <= MAX_TASKS:
            raise ValueError(f"task_post takes 1 to {MAX_TASKS} tasks a call")
        return self._post(self._url(llm, "llm_responses/task_post"), tasks)

    def models(self, llm: str) -> list[dict[str, t.Any]]:
        """The models list of one LLM."""
        request = HTTPRequest(
            url=self._url(llm, "llm_responses/models"),
            method="GET",
            headers=self.http_headers,
        )
        return envelope.result_items(self.send(request), "models")

    def user_data(self) -> dict[str, t.Any]:
        """The account's ``user_data`` result (its ``money``...); {} if it has none."""
        request = HTTPRequest(
            url=f"{self.url_base}/{USER_DATA}", method="GET", headers=self.http_headers
        )
        items = envelope.result_items(self.send(request), "user_data")
        return items[0] if items and isinstance(items[0], dict) else {}

    def posted_tags(self, since: datetime, prefix: str) -> dict[str, dict[str, t.Any]]:
        """``id_list`` since ``since``: id_list items by their ``tag``, if it starts so.

        Times are the API's (its ``Date`` headers); the window starts a little
        inside the month ``id_list`` allows with ``include_metadata``.

        Raises:
            EndpointNotFoundError: the API has no ``id_list``.
        """
        until = self.api_clock.now()
        since = max(since, until - METADATA_REACH)
        found: dict[str, dict[str, t.Any]] = {}
        send = partial(self._post, self._url("id_list"))
        for _, item in pages(send, since, until, include_metadata=True):
            metadata = item.get("metadata") if isinstance(item, dict) else None
            tag = metadata.get("tag") if isinstance(metadata, dict) else None
            if isinstance(tag, str) and tag.startswith(prefix):
                found[tag] = item
        return found

    def validate_response(self, response: requests.Response) -> None:
        """Check an answer; a ``task_post`` answer is read for what it proves."""
        endpoint = endpoint_of(response.request.path_url)
        if endpoint != "task_post":
            super().validate_response(response)
            return
        self.rate_limits.observe(endpoint, response.headers)
        if not response.ok:
            if response.status_code >= HTTPStatus.INTERNAL_SERVER_ERROR:
                raise UnknownOutcomeError(
                    f"{endpoint} answered HTTP {response.status_code}: "
                    "the tasks may or may not exist"
                )
            # 401, 402, 404, 429...: the call was refused whole, nothing created.
            envelope.check(response, endpoint)
        try:
            status = envelope.read(response, endpoint)["status_code"]
        except (MalformedAnswerError, UnreadableAnswerError) as exc:
            raise UnknownOutcomeError(f"{exc}: the tasks may exist") from None
        if status == envelope.OK:
            return
        if status == COST_LIMIT:
            raise CostLimitError(
                "DataForSEO refused task_post: the account's cost limit is reached "
                "(40203); raise it in the user panel"
            )
        if status < envelope.INTERNAL_ERROR:
            # 40202 is retried; other 4xxxx refusals of the whole call are final.
            envelope.check(response, endpoint)
        raise UnknownOutcomeError(
            f"{endpoint} answered status {status}: the tasks may or may not exist"
        )

    def request_decorator(self, func: Callable[..., t.Any]) -> Callable[..., t.Any]:
        """The tap's pacing and retries; a ``task_post`` sent is never sent again."""

        def at_most_once(request: requests.PreparedRequest, *args: t.Any) -> t.Any:
            try:
                return func(request, *args)
            except requests.exceptions.RequestException as exc:
                posting = endpoint_of(request.path_url or "") == "task_post"
                if not posting or _never_sent(exc):
                    raise
                raise UnknownOutcomeError(
                    f"task_post got no answer ({type(exc).__name__}): "
                    "the tasks may or may not exist"
                ) from None

        return super().request_decorator(at_most_once)


def _never_sent(exc: requests.exceptions.RequestException) -> bool:
    """Tell whether a request failed before any byte of it left (no connection)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if not isinstance(exc, requests.exceptions.ConnectionError):
        return False
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, NewConnectionError)
