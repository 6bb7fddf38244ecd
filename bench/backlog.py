"""The backlog scenario: a whole run against the longer of its two bounds.

A backlog is read from ``id_list`` (1000 entries a page, ``ID_LIST_LIMIT`` pages a
window) and collected under the account's window. With the pages collected as
they come, the whole run takes about the longer of the two, not their sum.
"""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

    from bench.harness import TapRun

#: Tasks in the backlog, and the target: whole run / max(ledger, collection).
BACKLOG_TASKS = 12000
BACKLOG_TARGET = 1.25
#: ``id_list`` pages a window, entries a page, entries two pages share.
ID_LIST_LIMIT, PAGE_SIZE, PAGE_OVERLAP = 10, 1000, 100
#: Calls before the ledger: models and tasks_ready.
LISTING_CALLS = 2


def pages(tasks: int) -> int:
    """``id_list`` pages of a backlog: pages overlap, paging stops at a short one."""
    return max(1, -(-(tasks - PAGE_OVERLAP) // (PAGE_SIZE - PAGE_OVERLAP)))


def ledger_bound(tasks: int, window: float, latency: float) -> float:
    """The listing calls, then the pages one after another, ten a window."""
    count = pages(tasks)
    return (LISTING_CALLS + count) * latency + (count - 1) // ID_LIST_LIMIT * window


def collection_bound(
    calls: int, limit: int, window: float, latency: float, workers: int
) -> float:
    """``calls`` with ``workers`` at once, ``limit`` a window, from the first call.

    The tap's window lets ``limit`` calls go at once and holds each slot until a
    window after its call ends: the next ``limit`` go a window and a latency
    after the first of those.
    """
    rate = workers / latency if latency > 0 else float("inf")
    spent = 0.0
    while calls > limit:
        spent += max(window + latency, limit / rate)
        calls -= limit
    return spent + calls / rate


def backlog(
    args: argparse.Namespace,
    run_with: Callable[[int, float, int, float], TapRun],
    workers: int,
) -> bool:
    """A 12,000-task backlog at 10,000 a minute in 60 s windows (``id_list`` 10)."""
    latency = 0.3 if args.latency is None else args.latency
    window = args.window or 60.0
    limit = args.limit or round(10000 * window / 60.0)
    tasks = args.tasks or BACKLOG_TASKS
    run = run_with(tasks, latency, limit, window)
    ledger = ledger_bound(tasks, window, latency)
    collection = collection_bound(
        tasks + LISTING_CALLS + pages(tasks), limit, window, latency, workers
    )
    ratio = run.wall / max(ledger, collection)
    ok = run.exit_code == 0 and run.records["llm_responses"] == tasks
    print(
        f"backlog[{limit}/{window:g}s, id_list {ID_LIST_LIMIT}/{window:g}s] {tasks} "
        f"tasks @{latency * 1000:.0f} ms: wall {run.wall:.1f} s | ledger bound "
        f"{ledger:.1f} s ({pages(tasks)} pages), collection bound {collection:.1f} s "
        f"| x{ratio:.2f} max(bounds) | {run.records['llm_responses']} records | "
        f"{'PASS' if ok and ratio <= BACKLOG_TARGET else 'FAIL'} "
        f"(<= x{BACKLOG_TARGET:g})"
    )
    return ok and ratio <= BACKLOG_TARGET
