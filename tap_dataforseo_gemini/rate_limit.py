"""Per-minute request windows shared by every thread, and the headers tuning them."""

from __future__ import annotations

import heapq
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime

from tap_dataforseo_gemini.clock import parse_date
from tap_dataforseo_gemini.words import counted

#: Calls this close to leaving the window count as gone (absorbs float rounding).
_EPSILON = 1e-6
#: A 40202 teaches the limit only after at least 1/LEARN_FROM of it was used.
LEARN_FROM = 10
#: Calls at once beyond the most a window has been seen to take, while the
#: account's limit is unknown: reaching it costs at most this many 40202 answers.
PROBES = 8
#: Digits a count may have: more is no real count (and ``int`` refuses 4300+).
COUNT_DIGITS = 12
#: DataForSEO's rate-limit window: its limits are calls a minute.
WINDOW_SECONDS = 60.0
#: Test-only environment variable shortening the window, so tests need not wait
#: minutes; not a setting (a run against DataForSEO must keep its minute).
WINDOW_VARIABLE = "TAP_DATAFORSEO_GEMINI_TEST_RATE_WINDOW_SECONDS"
LIMIT_HEADER = "X-RateLimit-Limit"
REMAINING_HEADER = "X-RateLimit-Remaining"


def window_seconds() -> float:
    """The window's length: a minute, unless a test set ``WINDOW_VARIABLE``."""
    return float(os.environ.get(WINDOW_VARIABLE) or WINDOW_SECONDS)


class MalformedHeaderError(ValueError):
    """A header that should hold a count or a time holds something else."""


def count(value: str | None) -> int | None:
    """A header's count of calls: a few ASCII digits (``'²'.isdigit()`` is True).

    Raises:
        MalformedHeaderError: the header is there but is not such a count.
    """
    if value is None:
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= COUNT_DIGITS):
        raise MalformedHeaderError(value)
    return int(value)


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait: seconds, or an HTTP date.

    A date counts from the answer's own ``Date`` (the server's clock), else from
    this machine's clock. None when the header is absent or unreadable.
    """
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        return float(count(value.strip()) or 0)
    except MalformedHeaderError:
        pass
    until = parse_date(value)
    if until is None:
        return None
    now = parse_date(headers.get("Date")) or datetime.now(UTC)
    return max((until - now).total_seconds(), 0.0)


class RateLimiter:
    """Allow at most ``limit`` calls in any window of ``window`` seconds.

    A call holds its slot while it runs and for ``window`` seconds after it ends,
    so however long the request takes to reach the server, no server-side window
    sees more than ``limit`` calls. A call under the limit never waits.

    Probing (``probe``): until the server says its limit (a header or a 40202),
    a window's calls go freely only up to the most it has been seen to take, the
    ``proven`` count (a tenth of the limit at first); beyond it at most ``PROBES``
    run at once, and each one the server takes raises ``proven``. The pace ramps
    up to the limit, and reaching it costs at most ``PROBES`` refused calls, not
    a burst.
    Thread-safe: all workers of a run share one instance.
    """

    def __init__(
        self,
        limit: int,
        window: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Create a window of ``limit`` calls per ``window`` seconds."""
        if limit < 1:
            raise ValueError("a rate limit must allow at least one call")
        self.limit = limit
        #: The limit the settings allow: what the server says never raises it.
        self.ceiling = limit
        self.window = window
        self._clock = clock
        self._ended: list[float] = []
        self._running = 0
        self._waiting = 0
        self._paused_until = float("-inf")
        self._lowered_at = float("-inf")
        #: The most calls a window held when the server took one: no limit below
        #: it. Infinite when not probing.
        self.proven = float("inf")
        self._probing = 0
        self._changed = threading.Condition()

    def probe(self) -> None:
        """Ramp up until the server tells its limit (see the class).

        From a tenth of the limit: below that a 40202 teaches nothing anyway
        (``LEARN_FROM``), the account is taken to allow that much.
        """
        with self._changed:
            self.proven = self.limit // LEARN_FROM

    def trust(self) -> None:
        """Stop probing: the server told its limit (or its calls left)."""
        with self._changed:
            self.proven = float("inf")
            self._changed.notify_all()

    def acquire(self) -> float:
        """Wait for a free slot and take it; return the seconds waited.

        Only for a window not probing: ``slot`` keeps a probe's place for release.
        """
        return self._take()[0]

    def _take(self) -> tuple[float, int]:
        """Wait for a slot; the seconds waited and, for a probe, its place.

        A probe's place is its count in the window (0 for other calls).
        """
        started = self._clock()
        with self._changed:
            while True:
                now = self._clock()
                self._forget(now)
                if now < self._paused_until:
                    self._hold(self._paused_until - now)
                    continue
                place = len(self._ended) + self._running + 1
                if place <= self.limit and place <= self.proven:
                    self._running += 1
                    return now - started, 0
                if place <= self.limit and self._probing < PROBES:
                    self._running += 1
                    self._probing += 1
                    return now - started, place
                full = place > self.limit and self._ended
                self._hold(self._ended[0] + self.window - now if full else None)

    def _hold(self, timeout: float | None) -> None:
        """Wait as a call held by pacing, counted for ``held_for``."""
        self._waiting += 1
        try:
            self._wait(timeout)
        finally:
            self._waiting -= 1

    def _forget(self, now: float) -> None:
        """Drop the calls that have left the window."""
        while self._ended and self._ended[0] + self.window <= now + _EPSILON:
            heapq.heappop(self._ended)

    def _wait(self, timeout: float | None) -> None:
        """Sleep until a slot may be free: a call ends, or the oldest leaves."""
        self._changed.wait(timeout)

    def held_for(self) -> float:
        """Seconds until a call waiting for this window may go; 0 if none waits.

        A call waiting only for calls in flight (no slot ended yet) counts as 0.
        """
        with self._changed:
            if not self._waiting:
                return 0.0
            until = self._paused_until
            if self._ended and len(self._ended) + self._running >= self.limit:
                until = max(until, self._ended[0] + self.window)
            return max(0.0, until - self._clock())

    def release(self, place: int = 0, *, taken: bool = False) -> None:
        """End a call: its slot frees ``window`` seconds from now.

        ``place`` is a probe's (see ``_take``); ``taken``: the server took it,
        so a window takes that many calls.
        """
        with self._changed:
            self._running -= 1
            if place:
                self._probing -= 1
            if place and taken:
                self.proven = max(self.proven, place)
            heapq.heappush(self._ended, self._clock())
            self._changed.notify_all()

    def observe(self, remaining: int) -> None:
        """Believe the server when it has fewer calls left than this window.

        Calls made by other clients of the account count there, not here: hold
        as many slots for a window as the server says are already spent.
        """
        with self._changed:
            now = self._clock()
            spent = self.limit - len(self._ended) - self._running - remaining
            for _ in range(spent):
                heapq.heappush(self._ended, now)
        self.trust()

    def follow(self, limit: int) -> bool:
        """Take the server's limit, never above the settings'; True if it changed."""
        with self._changed:
            limit = max(1, min(limit, self.ceiling))
            changed, self.limit = limit != self.limit, limit
        self.trust()
        return changed

    def refused(self) -> int | None:
        """The server refused a call (40202): drop to what the last window managed.

        The calls that ended in the last window are what the server took (while
        probing, no more than ``proven``); the limit drops to them, probing ends
        and the window is ridden out before the next call. At most once a window,
        and only when this window's own calls can explain the refusal (a tenth
        of its limit or more): after a window another run or client spent,
        retrying is enough. Returns the new limit, or None.
        """
        with self._changed:
            now = self._clock()
            self._forget(now)
            managed = int(min(len(self._ended), self.proven))
            if (
                now < self._lowered_at + self.window
                or managed >= self.limit
                or managed * LEARN_FROM < self.limit
            ):
                return None
            self.limit, self._lowered_at = managed, now
            self.proven = float("inf")
        return managed

    def pause(self, seconds: float) -> None:
        """Start no call for ``seconds`` (a ``Retry-After``)."""
        with self._changed:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    @contextmanager
    def slot(self) -> Iterator[float]:
        """Hold a slot for the duration of a call; yield the seconds waited.

        A call that ends without an exception was taken by the server.
        """
        waited, place = self._take()
        taken = False
        try:
            yield waited
            taken = True
        finally:
            self.release(place, taken=taken)


class RateLimits:
    """The account-wide window and the tighter windows of single endpoints.

    The server's ``X-RateLimit-*`` headers and its 40202 answers tune them: a
    header counts for the endpoint's own window if it has one (its limit is the
    tighter), else for the account's. Until either tells the account's limit,
    its window probes for it (``RateLimiter.probe``); the endpoints' documented
    limits are taken as they are.
    """

    def __init__(
        self,
        account: RateLimiter,
        endpoints: dict[str, RateLimiter],
        logger: logging.Logger | None = None,
    ) -> None:
        """Pair the account window with per-endpoint windows keyed by endpoint name."""
        self.account = account
        account.probe()
        self.endpoints = endpoints
        self.logger = logger or logging.getLogger(__name__)
        self._warned = self._told_ramp = False
        self._warning = threading.Lock()

    def limiter(self, endpoint: str) -> RateLimiter:
        """The window an endpoint's calls count in first."""
        return self.endpoints.get(endpoint, self.account)

    def held(self) -> tuple[str, float] | None:
        """The window holding calls longest, and for how long; None if none is."""
        waits = [
            (seconds, name)
            for name, limiter in (("account", self.account), *self.endpoints.items())
            if (seconds := limiter.held_for()) > 0
        ]
        if not waits:
            return None
        seconds, name = max(waits)
        return name, seconds

    def observe(self, endpoint: str, headers: Mapping[str, str]) -> None:
        """Take in ``X-RateLimit-Limit`` and ``-Remaining``, when the server sends them.

        They are advice: a malformed one is ignored, with one warning a run.
        """
        try:
            limit = count(headers.get(LIMIT_HEADER))
            remaining = count(headers.get(REMAINING_HEADER))
        except MalformedHeaderError as exc:
            self._warn_malformed(str(exc))
            return
        limiter = self.limiter(endpoint)
        if limit is not None and limiter.follow(limit):
            self.logger.info(
                "DataForSEO allows %s a window for %s (%s): pacing to %d",
                counted(limit, "call"),
                endpoint,
                LIMIT_HEADER,
                limiter.limit,
            )
        if remaining is not None:
            limiter.observe(remaining)
        if limit is None and remaining is None and limiter is self.account:
            self._tell_ramp()

    def _tell_ramp(self) -> None:
        """Say once a run that the account's limit is found by ramping up."""
        with self._warning:
            if self._told_ramp or self.account.proven == float("inf"):
                return
            self._told_ramp = True
        self.logger.info(
            "DataForSEO sent no %s header: the account's window ramps up from %s, "
            "at most %d more at once, until a 40202 shows the limit",
            LIMIT_HEADER,
            counted(int(self.account.proven), "call"),
            PROBES,
        )

    def _warn_malformed(self, value: str) -> None:
        with self._warning:
            if self._warned:
                return
            self._warned = True
        self.logger.warning(
            "Ignoring a malformed rate-limit header (%r is not a count of calls): "
            "pacing goes on from the settings and from 40202 answers",
            value[:40],
        )

    def refused(self, endpoint: str) -> None:
        """A 40202: drop the account's window to what its last window managed.

        Endpoints with their own documented window (``tasks_ready``, ``id_list``)
        only retry: their few calls cannot say what the account allows.
        """
        if endpoint in self.endpoints:
            return
        limiter = self.account
        managed = limiter.refused()
        if managed is not None:
            self.logger.warning(
                "DataForSEO answered 40202 (rate limit exceeded) after %s in the "
                "last %g s: pacing to %s a window from now on",
                counted(managed, "call"),
                limiter.window,
                counted(managed, "call"),
            )

    def pause(self, seconds: float) -> None:
        """Start no call on any endpoint for ``seconds`` (a ``Retry-After``)."""
        self.account.pause(seconds)

    @contextmanager
    def slot(self, endpoint: str) -> Iterator[None]:
        """Hold a slot in the endpoint's window, then in the account's."""
        with ExitStack() as stack:
            if limiter := self.endpoints.get(endpoint):
                stack.enter_context(limiter.slot())
            stack.enter_context(self.account.slot())
            yield
