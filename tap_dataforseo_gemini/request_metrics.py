"""A run's requests by endpoint: counts, statuses, latency percentiles, one line."""

from __future__ import annotations

import math
import threading
import typing as t
from collections import Counter, defaultdict
from http import HTTPStatus

if t.TYPE_CHECKING:
    import logging

#: Latencies are counted in buckets this much wider than the last: a percentile
#: is exact to 2 %, and memory stays flat however many requests a run makes.
GROWTH = 1.02
#: The lower edge of the first bucket: faster requests count as this fast.
FLOOR_SECONDS = 1e-4
PERCENTILES = (50, 90, 99)


def bucket(seconds: float) -> int:
    """The bucket of a latency: the first whose upper edge is not below it."""
    return math.ceil(math.log(max(seconds, FLOOR_SECONDS) / FLOOR_SECONDS, GROWTH))


def upper_edge(index: int) -> float:
    """The latency a bucket stands for: its upper edge, in seconds."""
    return FLOOR_SECONDS * GROWTH**index


class Endpoint:
    """One endpoint's requests: how many, by HTTP status, and a latency histogram."""

    def __init__(self) -> None:
        """No request yet."""
        self.statuses: Counter[int] = Counter()
        self.latencies: Counter[int] = Counter()
        self.slowest = 0.0

    @property
    def count(self) -> int:
        """Requests answered."""
        return self.statuses.total()

    def add(self, status: int, seconds: float) -> None:
        """Count one answered request."""
        self.statuses[status] += 1
        self.latencies[bucket(seconds)] += 1
        self.slowest = max(self.slowest, seconds)

    def percentile(self, share: float) -> float:
        """The latency ``share`` percent of the requests took at most, in seconds."""
        rank = math.ceil(self.count * share / 100)
        seen = 0
        for index in sorted(self.latencies):
            seen += self.latencies[index]
            if seen >= rank:
                return min(upper_edge(index), self.slowest)
        return self.slowest

    def describe(self, name: str) -> str:
        """``task_get 1000 (HTTP 500: 2), p50 52 ms, p90 ..., max 95 ms``."""
        others = ", ".join(
            f"HTTP {status}: {n}"
            for status, n in sorted(self.statuses.items())
            if status != HTTPStatus.OK
        )
        latencies = ", ".join(
            f"p{share} {_ms(self.percentile(share))}" for share in PERCENTILES
        )
        counted = f"{name} {self.count}" + (f" ({others})" if others else "")
        return f"{counted}, {latencies}, max {_ms(self.slowest)}"


class RequestMetrics:
    """The answered requests of a run, by endpoint. Thread-safe."""

    def __init__(self) -> None:
        """No request yet."""
        self._endpoints: defaultdict[str, Endpoint] = defaultdict(Endpoint)
        self._lock = threading.Lock()

    def add(self, endpoint: str, status: int, seconds: float) -> None:
        """Count one answered request of ``endpoint`` (``task_get``, ``id_list``...)."""
        with self._lock:
            self._endpoints[endpoint].add(status, seconds)

    def summary(self) -> str:
        """One line: each endpoint's count, statuses other than 200, and latencies."""
        with self._lock:
            parts = [
                self._endpoints[name].describe(name) for name in sorted(self._endpoints)
            ]
        return "; ".join(parts) or "none"

    def log(self, logger: logging.Logger) -> None:
        """Log the summary at INFO."""
        logger.info("Requests this run (answered, latency): %s", self.summary())


def _ms(seconds: float) -> str:
    """Milliseconds, to two significant figures at least."""
    ms = seconds * 1000
    return f"{ms:.0f} ms" if ms >= 10 else f"{ms:.1f} ms"
