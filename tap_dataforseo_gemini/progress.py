"""Progress lines for long runs: counts, rates, and rate-limit waits, on a timer."""

from __future__ import annotations

import threading
import time
import typing as t
from collections import Counter
from contextlib import contextmanager

from tap_dataforseo_gemini.words import counted

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Callable, Iterator

#: What holds the run: (the window's name, seconds left), or None.
Held = t.Callable[[], "tuple[str, float] | None"]


def waiting(held: tuple[str, float] | None) -> str:
    """Words for a rate-limit hold, or nothing when the run is not held."""
    if held is None:
        return ""
    name, seconds = held
    return f"waiting {seconds:.0f} s for the {name} rate-limit window"


class Progress:
    """Count outcomes; log totals, the rate and any rate-limit wait on request.

    Thread-safe: the collecting loop counts while a timer thread logs.
    """

    def __init__(
        self,
        logger: logging.Logger,
        what: str,
        total: int,
        held: Held = lambda: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Track ``total`` items of ``what``; ``held`` says what pacing waits for."""
        self.logger = logger
        self.what = what
        self.total = total
        self.counts: Counter[str] = Counter()
        self._held = held
        self._clock = clock
        self._started = clock()
        self._lock = threading.Lock()

    def count(self, outcome: str) -> None:
        """Count one item with its outcome."""
        with self._lock:
            self.counts[outcome] += 1

    def log(self, label: str) -> None:
        """Log the totals so far, the rate since the start, and any wait."""
        with self._lock:
            counts = dict(self.counts)
        done = sum(counts.values())
        elapsed = max(self._clock() - self._started, 1e-9)
        outcomes = ", ".join(f"{n} {name}" for name, n in sorted(counts.items()))
        wait = waiting(self._held())
        self.logger.info(
            "%s %s: %d of %s (%s) in %.1f s, %.1f tasks/s%s",
            self.what,
            label,
            done,
            counted(self.total, "task"),
            outcomes or "none",
            elapsed,
            done / elapsed,
            f"; {wait}" if wait else "",
        )


@contextmanager
def every(interval: float, action: Callable[[], None]) -> Iterator[None]:
    """Call ``action`` every ``interval`` seconds on a thread, until the block ends."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(interval):
            action()

    thread = threading.Thread(target=beat, name="progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
