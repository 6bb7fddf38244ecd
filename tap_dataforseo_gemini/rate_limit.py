"""Per-minute request windows, shared by every thread of a run."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

#: Calls this close to leaving the window count as gone (absorbs float rounding).
_EPSILON = 1e-6


class RateLimiter:
    """Allow at most ``limit`` calls in any sliding window of ``window`` seconds.

    A call under the limit never waits; a call over it sleeps until the oldest call
    in the window leaves it. Thread-safe: all workers of a run share one instance.
    """

    def __init__(
        self,
        limit: int,
        window: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Create a window of ``limit`` calls per ``window`` seconds."""
        if limit < 1:
            raise ValueError("a rate limit must allow at least one call")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._calls: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait for a free slot and take it; return the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                while self._calls and self._calls[0] + self.window <= now + _EPSILON:
                    self._calls.popleft()
                if len(self._calls) < self.limit:
                    self._calls.append(now)
                    return waited
                delay = self._calls[0] + self.window - now
            self._sleep(delay)
            waited += delay


class RateLimits:
    """The account-wide window and the tighter windows of single endpoints."""

    def __init__(self, account: RateLimiter, endpoints: dict[str, RateLimiter]) -> None:
        """Pair the account window with per-endpoint windows keyed by endpoint name."""
        self.account = account
        self.endpoints = endpoints

    def acquire(self, endpoint: str) -> float:
        """Take a slot in the endpoint's window, then in the account's."""
        waited = 0.0
        if limiter := self.endpoints.get(endpoint):
            waited += limiter.acquire()
        return waited + self.account.acquire()
