"""The shared REST stream: Basic auth, the LLM's paths, envelope checks, retries."""

from __future__ import annotations

import itertools
import logging
import threading
import time
import typing as t
from dataclasses import dataclass, field
from functools import cached_property
from http import HTTPStatus
from urllib.parse import quote, urlsplit, urlunsplit

import backoff
import requests
from requests.auth import HTTPBasicAuth
from requests.utils import resolve_proxies
from singer_sdk import RESTStream
from singer_sdk.helpers.conform import TypeConformanceLevel
from typing_extensions import override

from tap_dataforseo_gemini import body, envelope
from tap_dataforseo_gemini.errors import (
    APIError,
    RateLimitedError,
    TooManyInFlightError,
)
from tap_dataforseo_gemini.records import Where
from tap_dataforseo_gemini.request_metrics import RequestMetrics

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from backoff.types import Details
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context
    from singer_sdk.streams.rest import HTTPRequest

    from tap_dataforseo_gemini.clock import ApiClock
    from tap_dataforseo_gemini.concurrency import InFlightLimit
    from tap_dataforseo_gemini.rate_limit import RateLimits


def endpoint_of(path: str) -> str:
    """Name the endpoint of a URL path in the API's words (``task_get``, ...)."""
    parts = path.split("?", 1)[0].rstrip("/").split("/")
    return "task_get" if "task_get" in parts else parts[-1]


def path_segment(value: str) -> str:
    """Quote a value as one URL path segment; "." and ".." too, as ``%2E``."""
    if set(value) <= {"."}:
        return value.replace(".", "%2E")
    return quote(value, safe="")


@dataclass(frozen=True)
class Shared:
    """What every stream of a run shares, made once by the tap."""

    #: The request windows (account, ``tasks_ready``, ``id_list``).
    rate_limits: RateLimits
    #: The bound on requests at once, lowered by 40209 answers.
    in_flight: InFlightLimit
    #: DataForSEO's clock, learnt from its answers' ``Date`` headers.
    api_clock: ApiClock
    #: The run's answered requests by endpoint, logged once at the end.
    request_metrics: RequestMetrics = field(default_factory=RequestMetrics)


class AnswerSession(requests.Session):
    """A session that reads every answer whole as it streams in, or refuses it.

    Within the request's ``timeout`` as a deadline from connecting to the last
    byte, and at most ``limit`` bytes (``body.read``). The environment's proxies
    are worked out once: ``Session.send`` would scan the environment each time.
    """

    def __init__(self, limit: int) -> None:
        """A session refusing answers past ``limit`` bytes."""
        super().__init__()
        self.limit = limit
        # Only what body.read inflates within its bounds (not br or zstd).
        self.headers["Accept-Encoding"] = "gzip, deflate"
        self._resolved_proxies: dict[str, str] | None = None

    @override
    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: t.Any
    ) -> requests.Response:
        """Send, then read the answer within the deadline and the size cap."""
        deadline = time.monotonic() + float(kwargs["timeout"])
        if "proxies" not in kwargs:
            if self._resolved_proxies is None:
                self._resolved_proxies = resolve_proxies(
                    request, self.proxies, self.trust_env
                )
            kwargs["proxies"] = self._resolved_proxies
        response = super().send(request, **{**kwargs, "stream": True})
        if getattr(response, "_content_consumed", False):
            return response  # a redirect's last answer, read by the call that sent it
        try:
            body.read(
                response,
                deadline=deadline,
                limit=self.limit,
                endpoint=endpoint_of(request.path_url or ""),
            )
        finally:
            response.close()
        return response


class DataForSEOStream(RESTStream):
    """Base stream for one LLM's ``/v3/ai_optimization/<llm>/llm_responses`` API."""

    #: The endpoint this stream reads, after ``/llm_responses/``.
    endpoint: str = ""
    #: Records come from ``shape``'s readers, each value checked against the
    #: declaration the schema is made from: the SDK's conformance walk would
    #: change nothing, at a sixth of the tap's CPU.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(self, tap: Tap, shared: Shared, **kwargs: t.Any) -> None:
        """Set up per-thread HTTP sessions; ``shared`` is the run's, from the tap."""
        super().__init__(tap, **kwargs)
        self.shared = shared
        self._sessions = threading.local()

    @property
    @override
    def url_base(self) -> str:
        """The API host from the ``api_url`` setting."""
        return self.config["api_url"].rstrip("/")

    @property
    def llm(self) -> str:
        """The LLM whose tasks this run reads: gemini, chat_gpt or claude."""
        return self.config["llm"]

    @property
    @override
    def path(self) -> str:  # type: ignore[override]
        """The endpoint's path for the configured LLM."""
        return f"/v3/ai_optimization/{self.llm}/llm_responses/{self.endpoint}"

    @cached_property
    @override
    def authenticator(self) -> HTTPBasicAuth:
        """HTTP Basic auth with the account's API login and password."""
        return HTTPBasicAuth(self.config["login"], self.config["password"])

    @property
    @override
    def timeout(self) -> int:
        """Seconds a request may take, connect to last byte (``request_timeout``)."""
        return self.config["request_timeout"]

    @override
    def get_url(self, context: Context | None) -> str:
        """The endpoint's URL, each context value (a task id) quoted as one segment."""
        url = self.url_base + self.path
        for key, value in (context or {}).items():
            url = url.replace(f"{{{key}}}", path_segment(str(value)))
        return url

    @property
    @override
    def requests_session(self) -> requests.Session:
        """One session per thread, so concurrent workers each reuse a connection."""
        session = getattr(self._sessions, "session", None)
        if session is None:
            session = AnswerSession(self.config["max_answer_bytes"])
            session.auth = self.authenticator
            self._sessions.session = session
        return session

    @property
    def rate_limits(self) -> RateLimits:
        """The run's request windows, shared by all streams and workers."""
        return self.shared.rate_limits

    @property
    def in_flight(self) -> InFlightLimit:
        """The run's bound on requests at once, shared by all streams and workers."""
        return self.shared.in_flight

    @property
    def api_clock(self) -> ApiClock:
        """DataForSEO's clock, shared by all streams."""
        return self.shared.api_clock

    @override
    def validate_response(self, response: requests.Response) -> None:
        """Note the calls left and the API's time; check the status, envelope, tasks."""
        endpoint = endpoint_of(response.request.path_url)
        self.rate_limits.observe(endpoint, response.headers)
        if self.api_clock.observe(response.headers.get("Date")):
            self.logger.warning(
                "DataForSEO's clock differs from this machine's by %s: "
                "the tap keeps to DataForSEO's",
                self.api_clock.skew,
            )
        envelope.check(response, endpoint)

    # Private SDK hook: the SDK logs one METRIC line per request at INFO, with no
    # public way to aggregate them. tests/test_sdk_hooks.py checks it still exists.
    @override
    def _write_request_duration_log(
        self,
        endpoint: str,
        response: requests.Response,
        context: Context | None,
        extra_tags: dict | None,
    ) -> None:
        """Count the request in the run's metrics; its own METRIC line at DEBUG only."""
        name = endpoint_of(response.request.path_url or "")
        self.shared.request_metrics.add(
            name, response.status_code, response.elapsed.total_seconds()
        )
        if self.metrics_logger.isEnabledFor(logging.DEBUG):
            super()._write_request_duration_log(name, response, context, extra_tags)

    @override
    def response_error_message(self, response: requests.Response) -> str:
        """The status and endpoint only: no body or headers, which may echo secrets."""
        return (
            f"{endpoint_of(response.request.path_url or '')} answered HTTP "
            f"{response.status_code} {response.reason}"
        )

    @override
    def request_decorator(self, func: Callable[..., t.Any]) -> Callable[..., t.Any]:
        """The SDK's retries, each try paced to the limits.

        A rate-limit answer tunes the windows (and a ``Retry-After`` pauses every
        call); a 40209 leaves fewer requests in flight.
        """

        def paced_request(request: requests.PreparedRequest, *args: t.Any) -> t.Any:
            endpoint = endpoint_of(request.path_url or "")
            with self.in_flight.slot(), self.rate_limits.slot(endpoint):
                try:
                    return func(request, *args)
                except RateLimitedError as exc:
                    self._rate_limited(endpoint, exc)
                    raise
                except TooManyInFlightError:
                    self._too_many_in_flight()
                    raise

        return super().request_decorator(paced_request)

    def _rate_limited(self, endpoint: str, error: RateLimitedError) -> None:
        if error.retry_after is not None:
            self.rate_limits.pause(
                min(error.retry_after, float(self.config["max_retry_seconds"]))
            )
        if error.response is None or error.response.status_code == HTTPStatus.OK:
            self.rate_limits.refused(endpoint)

    def _too_many_in_flight(self) -> None:
        limit, first = self.in_flight.shrink()
        if first:
            self.logger.warning(
                "DataForSEO answered 40209 (too many requests at once): %d in flight "
                "from now on, fewer if it answers 40209 again",
                limit,
            )

    @override
    def backoff_wait_generator(self) -> t.Generator[float, None, None]:
        """Exponential waits from one second, capped at a rate-limit window."""
        return backoff.expo(base=2, factor=1, max_value=60)

    @override
    def backoff_max_tries(self) -> int:
        """Tries per request: the ``max_tries`` setting."""
        return self.config["max_tries"]

    @override
    def backoff_jitter(self, value: float) -> float:
        """Full jitter: concurrent workers do not retry in step."""
        return backoff.full_jitter(value)

    @override
    def backoff_handler(self, details: Details) -> None:
        """Log one line per retry; give up once ``max_retry_seconds`` are spent.

        Raising here ends the retries with the request's own error.
        """
        exception = details.get("exception")
        if exception is not None and details["elapsed"] >= float(
            self.config["max_retry_seconds"]
        ):
            raise exception
        self.logger.warning(
            "Retrying %s in %.1f s (try %d of %d): %s",
            self.name,
            details.get("wait") or 0.0,
            details["tries"],
            self.config["max_tries"],
            _describe(exception),
        )

    def send(
        self, request: HTTPRequest, context: Context | None = None
    ) -> dict[str, t.Any]:
        """Send one request the SDK's way, paced and retried; its checked envelope."""
        prepared = self.build_prepared_request(
            method=request.method,
            url=request.url,
            params=request.encode_params(),
            headers=request.headers,
            json=request.data,
        )
        # requests turns %2E back into ".", and "." or ".." would then leave the
        # task_get path: keep the path exactly as quoted.
        built = urlsplit(prepared.url or "")
        prepared.url = urlunsplit(built._replace(path=urlsplit(request.url).path))
        response = self._request_retried(prepared, context)
        return envelope.read(response, endpoint_of(prepared.path_url))

    @cached_property
    def _request_retried(
        self,
    ) -> Callable[[requests.PreparedRequest, Context | None], requests.Response]:
        """The SDK's ``_request`` (request metrics, validation) with retries."""
        return self.request_decorator(self._request)

    @override
    def parse_response(self, response: requests.Response) -> Iterator[dict[str, t.Any]]:
        """Yield the result items of every task; a failed listing task is an error."""
        endpoint = endpoint_of(response.request.path_url)
        body = envelope.read(response, endpoint)
        for index, task in enumerate(body["tasks"]):
            if task["status_code"] != envelope.OK:
                raise APIError(
                    f"{endpoint}: task status {task['status_code']} "
                    f"{task['status_message']}"
                )
            where = Where(endpoint, f"tasks[{index}].result")
            for position, item in enumerate(task["result"] or []):
                yield self.record_from(item, where / position)

    def record_from(self, item: object, where: Where) -> dict[str, t.Any]:
        """Turn one result item into a record."""
        raise NotImplementedError

    @override
    def get_records(self, context: Context | None) -> Iterator[dict[str, t.Any]]:
        """The listing's records; a dry run (``--test``) stops at its record limit.

        The SDK would otherwise abort the stream at the next record and log the
        abort as an error, though the test succeeded.
        """
        records = super().get_records(context)
        if self.ABORT_AT_RECORD_COUNT is None:
            return records
        return itertools.islice(records, self.ABORT_AT_RECORD_COUNT)

    @override
    def get_new_paginator(self) -> None:
        """The listing endpoints answer in one page."""
        return


def _describe(exception: BaseException | None) -> str:
    """Say what failed without echoing request headers (the password is in them)."""
    if exception is None:
        return "no answer"
    if isinstance(exception, requests.exceptions.RequestException):
        return type(exception).__name__
    return str(exception)
