"""The one client for DataForSEO: sends a request by endpoint name, paced and retried.

Every request, from a stream or from ``dataforseo-prompts``, goes through
:meth:`Client.send`: Basic auth, the endpoint's rate window and the account's,
the bound on requests in flight, a deadline from connecting to the last byte, a
size cap, retries with full-jitter backoff, limits learnt from the answers, the
API's clock from their ``Date``, and the endpoint's error policy (the table in
:mod:`~tap_dataforseo_gemini.api.endpoints`). Messages name the endpoint and the
status, never a body or a header (they may echo the password).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
import typing as t
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import SplitResult, urlsplit, urlunsplit

import backoff
import requests
from requests.auth import HTTPBasicAuth
from requests.cookies import RequestsCookieJar, merge_cookies
from requests.hooks import default_hooks
from requests.sessions import merge_hooks
from requests.utils import resolve_proxies
from singer_sdk.exceptions import RetriableAPIError
from typing_extensions import override
from urllib3.exceptions import MaxRetryError, NewConnectionError

from tap_dataforseo_gemini import body, envelope
from tap_dataforseo_gemini.api.endpoints import Endpoint, name_of, named
from tap_dataforseo_gemini.clock import ApiClock
from tap_dataforseo_gemini.concurrency import InFlightLimit
from tap_dataforseo_gemini.errors import (
    CostLimitError,
    MalformedAnswerError,
    RateLimitedError,
    TooManyInFlightError,
    UnknownOutcomeError,
    UnreadableAnswerError,
)
from tap_dataforseo_gemini.rate_limit import RateLimiter, RateLimits, window_seconds
from tap_dataforseo_gemini.request_metrics import RequestMetrics

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from backoff.types import Details

#: Sends a prepared request and returns its answer, read whole; the second
#: argument is the stream context the SDK's request metrics are tagged with.
Transport = t.Callable[
    [requests.PreparedRequest, "dict[str, t.Any] | None"], requests.Response
]

#: What a later try may cure (the SDK's list for its own retries).
RETRIED = (
    ConnectionResetError,
    RetriableAPIError,
    requests.exceptions.Timeout,
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


@dataclass(frozen=True)
class Shared:
    """What every request of a run shares: made once a run, learnt from answers."""

    #: The request windows (the account's, and the endpoints' own).
    rate_limits: RateLimits
    #: The bound on requests at once, lowered by 40209 answers.
    in_flight: InFlightLimit
    #: DataForSEO's clock, learnt from its answers' ``Date`` headers.
    api_clock: ApiClock
    #: The run's answered requests by endpoint, logged once at the end.
    request_metrics: RequestMetrics = field(default_factory=RequestMetrics)

    @classmethod
    def from_settings(
        cls,
        config: Mapping[str, t.Any],
        windows: Iterable[str],
        logger: logging.Logger,
    ) -> Shared:
        """The run's windows (``<window>_rate_limit_per_minute`` each), bound, clock."""
        seconds = window_seconds()
        rate_limits = RateLimits(
            RateLimiter(config["rate_limit_per_minute"], seconds),
            {
                window: RateLimiter(config[f"{window}_rate_limit_per_minute"], seconds)
                for window in windows
            },
            logger,
        )
        in_flight = InFlightLimit(config["max_concurrent_requests"])
        return cls(rate_limits, in_flight, ApiClock())


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
                endpoint=name_of(request.path_url or ""),
            )
        finally:
            response.close()
        return response


class Client:
    """Send DataForSEO requests by endpoint name (see the module).

    ``config`` is the tap's settings; ``shared`` the run's windows, bound and
    clock; ``name`` says who retries in log lines. ``transport`` sends one try:
    by default this client's session; a stream passes the SDK's request function,
    which times each request in the SDK's request metrics.
    """

    def __init__(
        self,
        config: Mapping[str, t.Any],
        shared: Shared,
        logger: logging.Logger,
        *,
        name: str,
        transport: Transport | None = None,
    ) -> None:
        """A client for one stream or command; ``shared`` is the run's."""
        self.config = config
        self.shared = shared
        self.logger = logger
        self.name = name
        self._transport = transport or self._send_plain
        self._sessions = threading.local()
        self._send_retried = backoff.on_exception(
            backoff.expo,
            RETRIED,
            max_tries=lambda: self.config["max_tries"],
            on_backoff=self._retrying,
            jitter=backoff.full_jitter,
            logger=self.logger,
            # Not ERROR: the caller decides what a failed request means (a stuck
            # task stays pending and the run succeeds); a run that stops ends
            # with its own one-line error.
            giveup_log_level=logging.WARNING,
            base=2,
            factor=1,
            max_value=60,
        )(self._send_once)

    @property
    def session(self) -> AnswerSession:
        """One session per thread, so concurrent workers each reuse a connection."""
        session = getattr(self._sessions, "session", None)
        if session is None:
            session = AnswerSession(self.config["max_answer_bytes"])
            session.auth = HTTPBasicAuth(self.config["login"], self.config["password"])
            session.headers["User-Agent"] = self.config["user_agent"]
            self._sessions.session = session
        return session

    def send(
        self,
        name: str,
        body: list[dict[str, t.Any]] | None = None,
        *,
        context: dict[str, t.Any] | None = None,
        **values: str,
    ) -> dict[str, t.Any]:
        """Call an endpoint (``{llm}`` is the configured LLM unless given).

        Returns the checked envelope of its answer. ``values`` fill the path's
        placeholders, each quoted as one segment; ``context`` tags the metrics.
        """
        endpoint = named(name)
        prepared = self.prepare(endpoint, body, **values)
        response = self._send_retried(endpoint, prepared, context)
        return envelope.read(response, endpoint.name)

    def prepare(
        self,
        endpoint: Endpoint,
        body: list[dict[str, t.Any]] | None = None,
        **values: str,
    ) -> requests.PreparedRequest:
        """The request for an endpoint, its path exactly as quoted.

        What ``Session.prepare_request`` makes of it (the session's headers,
        cookies, auth and hooks, in its order), but the URL's scheme, host and
        port are prepared once a run (``_origin``): requests would parse and
        requote the whole URL each time, only to have its path replaced.
        """
        address = endpoint.url(
            self.config["api_url"], **{"llm": self.config["llm"], **values}
        )
        url = urlsplit(address)
        session = self.session
        prepared = requests.PreparedRequest()
        prepared.prepare_method(endpoint.method)
        # requests turns %2E back into ".", and "." or ".." would then leave the
        # task_get path: keep the path exactly as quoted.
        prepared.url = urlunsplit(
            _origin(urlunsplit(url._replace(path="")))._replace(path=url.path)
        )
        prepared.prepare_headers(session.headers)
        prepared.prepare_cookies(merge_cookies(RequestsCookieJar(), session.cookies))
        prepared.prepare_body(None, None, body)
        prepared.prepare_auth(session.auth, address)
        prepared.prepare_hooks(merge_hooks(default_hooks(), session.hooks))
        return prepared

    def _send_plain(
        self, request: requests.PreparedRequest, context: dict[str, t.Any] | None
    ) -> requests.Response:
        return self.session.send(request, timeout=self.config["request_timeout"])

    def _send_once(
        self,
        endpoint: Endpoint,
        request: requests.PreparedRequest,
        context: dict[str, t.Any] | None,
    ) -> requests.Response:
        """One try, paced: a slot in flight, in the endpoint's window, the account's.

        A rate-limit answer tunes the windows (and a ``Retry-After`` pauses every
        call); a 40209 leaves fewer requests in flight.
        """
        window = endpoint.window or endpoint.name
        with self.shared.in_flight.slot(), self.shared.rate_limits.slot(window):
            try:
                response = self._transport(request, context)
                self.check(endpoint, response)
            except RateLimitedError as exc:
                self._rate_limited(window, exc)
                raise
            except TooManyInFlightError:
                self._too_many_in_flight()
                raise
            except requests.exceptions.RequestException as exc:
                if endpoint.at_most_once and not _never_sent(exc):
                    raise UnknownOutcomeError(
                        f"{endpoint} got no answer ({type(exc).__name__}): "
                        "the tasks may or may not exist"
                    ) from None
                raise
            return response

    def check(self, endpoint: Endpoint, response: requests.Response) -> None:
        """Note the calls left and the API's time; raise what the answer stands for."""
        self.shared.rate_limits.observe(
            endpoint.window or endpoint.name, response.headers
        )
        if self.shared.api_clock.observe(response.headers.get("Date")):
            self.logger.warning(
                "DataForSEO's clock differs from this machine's by %s: "
                "the tap keeps to DataForSEO's",
                self.shared.api_clock.skew,
            )
        if endpoint.at_most_once:
            _check_posted(endpoint, response)
        else:
            envelope.check(response, endpoint.name)

    def _rate_limited(self, window: str, error: RateLimitedError) -> None:
        if error.retry_after is not None:
            self.shared.rate_limits.pause(
                min(error.retry_after, float(self.config["max_retry_seconds"]))
            )
        if error.response is None or error.response.status_code == HTTPStatus.OK:
            self.shared.rate_limits.refused(window)

    def _too_many_in_flight(self) -> None:
        limit, first = self.shared.in_flight.shrink()
        if first:
            self.logger.warning(
                "DataForSEO answered 40209 (too many requests at once): %d in flight "
                "from now on, fewer if it answers 40209 again",
                limit,
            )

    def _retrying(self, details: Details) -> None:
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


def describe(response: requests.Response) -> str:
    """The endpoint and status of an answer; no body or headers (may echo secrets)."""
    return (
        f"{name_of(response.request.path_url or '')} answered HTTP "
        f"{response.status_code} {response.reason}"
    )


@functools.lru_cache(maxsize=16)
def _origin(url: str) -> SplitResult:
    """A URL without its path, as requests prepares it (host encoded, query quoted)."""
    prepared = requests.PreparedRequest()
    prepared.prepare_url(url, None)
    return urlsplit(prepared.url or "")


def _check_posted(endpoint: Endpoint, response: requests.Response) -> None:
    """Check an at-most-once POST's answer for what it proves.

    A refusal of the whole call (401, 402, 404, 429, 40202...) proves nothing was
    created; a lost or garbled answer, a 5xx or a 5xxxx proves nothing at all.
    """
    if not response.ok:
        if response.status_code >= HTTPStatus.INTERNAL_SERVER_ERROR:
            raise UnknownOutcomeError(
                f"{endpoint} answered HTTP {response.status_code}: "
                "the tasks may or may not exist"
            )
        envelope.check(response, endpoint.name)
    try:
        status = envelope.read(response, endpoint.name)["status_code"]
    except (MalformedAnswerError, UnreadableAnswerError) as exc:
        raise UnknownOutcomeError(f"{exc}: the tasks may exist") from None
    if status == envelope.OK:
        return
    if status == envelope.COST_LIMIT:
        raise CostLimitError(
            f"DataForSEO refused {endpoint}: the account's cost limit is reached "
            "(40203); raise it in the user panel"
        )
    if status < envelope.INTERNAL_ERROR:
        # 40202 is retried; other 4xxxx refusals of the whole call are final.
        envelope.check(response, endpoint.name)
    raise UnknownOutcomeError(
        f"{endpoint} answered status {status}: the tasks may or may not exist"
    )


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


def _describe(exception: BaseException | None) -> str:
    """Say what failed without echoing request headers (the password is in them)."""
    if exception is None:
        return "no answer"
    if isinstance(exception, requests.exceptions.RequestException):
        return type(exception).__name__
    return str(exception)
