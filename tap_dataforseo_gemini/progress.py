"""Progress lines for long runs: counts and rates at a steady interval."""

from __future__ import annotations

import time
import typing as t
from collections import Counter

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Callable


class Progress:
    """Count outcomes and log a line with totals and the rate every ``interval`` s."""

    def __init__(
        self,
        logger: logging.Logger,
        what: str,
        total: int,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Track ``total`` items of ``what``, logging every ``interval`` seconds."""
        self.logger = logger
        self.what = what
        self.total = total
        self.interval = interval
        self.counts: Counter[str] = Counter()
        self._clock = clock
        self._started = self._last = clock()

    def count(self, outcome: str) -> None:
        """Count one item with its outcome; log if the interval has passed."""
        self.counts[outcome] += 1
        now = self._clock()
        if now - self._last >= self.interval:
            self._last = now
            self.log("progress")

    def log(self, label: str) -> None:
        """Log the totals so far and the rate since the start."""
        done = sum(self.counts.values())
        elapsed = max(self._clock() - self._started, 1e-9)
        outcomes = ", ".join(f"{n} {name}" for name, n in sorted(self.counts.items()))
        self.logger.info(
            "%s %s: %d of %d tasks (%s) in %.1f s, %.1f tasks/s",
            self.what,
            label,
            done,
            self.total,
            outcomes or "none",
            elapsed,
            done / elapsed,
        )
