"""Per-minute request windows, shared by every thread of a run."""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager

#: Calls this close to leaving the window count as gone (absorbs float rounding).
_EPSILON = 1e-6


class RateLimiter:
    """Allow at most ``limit`` calls in any window of ``window`` seconds.

    A call holds its slot while it runs and for ``window`` seconds after it ends,
    so however long the request takes to reach the server, no server-side window
    sees more than ``limit`` calls. A call under the limit never waits.
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
        self.window = window
        self._clock = clock
        self._ended: list[float] = []
        self._running = 0
        self._waiting = 0
        self._changed = threading.Condition()

    def acquire(self) -> float:
        """Wait for a free slot and take it; return the seconds waited."""
        started = self._clock()
        with self._changed:
            while True:
                now = self._clock()
                while self._ended and self._ended[0] + self.window <= now + _EPSILON:
                    heapq.heappop(self._ended)
                if len(self._ended) + self._running < self.limit:
                    self._running += 1
                    return now - started
                oldest = self._ended[0] + self.window - now if self._ended else None
                self._waiting += 1
                try:
                    self._wait(oldest)
                finally:
                    self._waiting -= 1

    def _wait(self, timeout: float | None) -> None:
        """Sleep until a slot may be free: a call ends, or the oldest leaves."""
        self._changed.wait(timeout)

    def held_for(self) -> float:
        """Seconds until a call waiting for this window may go; 0 if none waits.

        A call waiting only for calls in flight (no slot ended yet) counts as 0.
        """
        with self._changed:
            if not self._waiting or not self._ended:
                return 0.0
            return max(0.0, self._ended[0] + self.window - self._clock())

    def release(self) -> None:
        """End a call: its slot frees ``window`` seconds from now."""
        with self._changed:
            self._running -= 1
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

    @contextmanager
    def slot(self) -> Iterator[float]:
        """Hold a slot for the duration of a call; yield the seconds waited."""
        waited = self.acquire()
        try:
            yield waited
        finally:
            self.release()


class RateLimits:
    """The account-wide window and the tighter windows of single endpoints."""

    def __init__(self, account: RateLimiter, endpoints: dict[str, RateLimiter]) -> None:
        """Pair the account window with per-endpoint windows keyed by endpoint name."""
        self.account = account
        self.endpoints = endpoints

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
        """Take in the server's ``X-RateLimit-Remaining``, when it sends one.

        It counts against the endpoint's own window if it has one (its limit is
        the tighter), else against the account's.
        """
        remaining = headers.get("X-RateLimit-Remaining", "")
        if remaining.isdigit():
            limiter = self.endpoints.get(endpoint, self.account)
            limiter.observe(int(remaining))

    @contextmanager
    def slot(self, endpoint: str) -> Iterator[None]:
        """Hold a slot in the endpoint's window, then in the account's."""
        with ExitStack() as stack:
            if limiter := self.endpoints.get(endpoint):
                stack.enter_context(limiter.slot())
            stack.enter_context(self.account.slot())
            yield
