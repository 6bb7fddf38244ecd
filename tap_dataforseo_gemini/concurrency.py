"""Run a function over items on a pool of threads, yielding results in order."""

from __future__ import annotations

import typing as t
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
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
