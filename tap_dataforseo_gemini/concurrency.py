"""Ordered concurrent map over a thread pool, and the bound on calls in flight."""

from __future__ import annotations

import queue
import threading
import typing as t
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from itertools import islice

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

Item = t.TypeVar("Item")
Result = t.TypeVar("Result")


def ordered_map(
    function: Callable[[Item], Result],
    items: Iterable[Item],
    *,
    workers: int,
    window: int,
) -> Iterator[tuple[Item, Result]]:
    """Yield ``(item, function(item))`` in the order of ``items``.

    At most ``workers`` calls run at once, and at most ``window`` results (running
    or finished) are held ahead of the consumer, so memory stays flat however many
    items there are. An exception from a call is raised when its turn comes;
    calls not started by then are cancelled.
    """
    window = max(window, workers)
    source = iter(items)
    ahead: deque[tuple[Item, Future[Result]]] = deque()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="task_get") as pool:
        try:
            ahead.extend(
                (item, pool.submit(function, item)) for item in islice(source, window)
            )
            while ahead:
                item, future = ahead.popleft()
                result = future.result()
                ahead.extend(
                    (next_item, pool.submit(function, next_item))
                    for next_item in islice(source, 1)
                )
                yield item, result
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


class InFlightLimit:
    """At most ``limit`` calls at once; the limit shrinks when the server says so.

    Thread-safe: all workers of a run share one instance.
    """

    def __init__(self, limit: int) -> None:
        """Allow ``limit`` calls at once."""
        self.limit = limit
        self._running = 0
        self._shrunk = False
        self._changed = threading.Condition()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the ``limit`` places for the duration of a call."""
        with self._changed:
            self._changed.wait_for(lambda: self._running < self.limit)
            self._running += 1
        try:
            yield
        finally:
            with self._changed:
                self._running -= 1
                self._changed.notify()

    def shrink(self) -> tuple[int, bool]:
        """One fewer than were running when the server refused (40209), at least 1.

        Each refused call lowers the limit by one below what ran, so a burst of
        refusals settles near what the server takes. Returns the new limit, and
        whether this was the first shrink.
        """
        with self._changed:
            self.limit = max(1, min(self.limit, self._running) - 1)
            first, self._shrunk = not self._shrunk, True
            return self.limit, first


class ReadAhead(t.Generic[Item]):
    """``items`` in order, produced on a thread of their own from the start.

    An exception of the producer is raised when its turn comes. ``close`` stops
    the producer at its next item (a daemon: a call under way is not waited for).
    """

    def __init__(self, items: Iterable[Item], *, name: str) -> None:
        """Start producing ``items`` on a thread named ``name``."""
        self._produced: queue.SimpleQueue[tuple[bool, t.Any]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._done = False
        threading.Thread(
            target=self._produce, args=(items,), name=name, daemon=True
        ).start()

    def _produce(self, items: Iterable[Item]) -> None:
        try:
            for item in items:
                if self._stop.is_set():
                    return
                self._produced.put((True, item))
            self._produced.put((False, None))
        except BaseException as exc:  # raised in the consumer, in its turn
            self._produced.put((False, exc))

    def __iter__(self) -> ReadAhead[Item]:
        """The items themselves."""
        return self

    def __next__(self) -> Item:
        """The next item, waiting for it; the producer's exception in its turn."""
        if self._done:
            raise StopIteration
        more, value = self._produced.get()
        if more:
            return value
        self._done = True
        if value is not None:
            raise value
        raise StopIteration

    def close(self) -> None:
        """Stop producing."""
        self._stop.set()
