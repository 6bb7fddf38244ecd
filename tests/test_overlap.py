"""Collecting a ledger page's tasks while later pages are read, losing nothing."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from tap_dataforseo_gemini.concurrency import ReadAhead
from tap_dataforseo_gemini.delivery import (
    SETTLE,
    Bookmark,
    Entry,
    Plan,
    Reconciliation,
    Task,
    Watermark,
)
from tests.harness import Warehouse, config_for, run_tap

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=2)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def paged_plan(state: dict, listed: list[Task] | None = None) -> Plan:
    """A same_run plan whose ledger is still to be read, page by page."""
    bookmark = Bookmark(state, "gemini", "api.dataforseo.com")
    return Plan(bookmark, listed or [], Reconciliation(Watermark(T0), NOW))


# The watermark, page by page


def test_the_watermark_stays_put_while_later_pages_are_unread():
    state: dict = {}
    plan = paged_plan(state)
    for task in plan.add([Entry("a", at(1), at(2)), Entry("b", at(3), at(4))]):
        plan.delivered(task)
    assert state["ledger"] == Watermark(T0).to_state()


def test_a_later_page_older_task_holds_the_watermark_once_the_ledger_is_read():
    state: dict = {}
    plan = paged_plan(state)
    first = plan.add([Entry("x", at(30), at(31)), Entry("y", at(32), at(33))])
    plan.delivered(first[0])
    older = plan.add([Entry("old", at(5), at(40))])
    plan.ledger_read()
    # "x" is delivered; "y" and "old" (posted earlier, on a later page) are not.
    assert state["ledger"] == Watermark(at(5)).to_state()
    plan.delivered(first[1])
    plan.delivered(older[0])
    assert state["ledger"] == Watermark(NOW - SETTLE, NOW - SETTLE).to_state()


def test_a_task_running_on_a_later_page_holds_the_watermark():
    state: dict = {}
    plan = paged_plan(state)
    plan.delivered(plan.add([Entry("done", at(30), at(31))])[0])
    plan.add([Entry("running", at(10), None, "40602")])
    plan.ledger_read()
    assert state["ledger"] == Watermark(at(10), NOW - SETTLE).to_state()


def test_each_page_is_collected_in_posting_order_after_the_pending_tasks():
    plan = paged_plan({"pending": ["p"]})
    plan.add([Entry("b", at(3), at(4)), Entry("a", at(1), at(9))])
    plan.add([Entry("c", at(0), at(20)), Entry("p", at(2), at(3))])
    assert [task.id for task in plan.tasks] == ["p", "a", "b", "c"]


def test_a_listed_task_becomes_pending_only_if_the_whole_ledger_misses_it():
    state: dict = {}
    plan = paged_plan(state, [Task("late"), Task("missed")])
    plan.add([Entry("x", at(1), at(2))])
    assert state["pending"] == []
    plan.add([Entry("late", at(3), at(4))])
    plan.ledger_read()
    assert state["pending"] == ["missed"]


def test_a_ledger_failing_part_way_leaves_listed_tasks_not_planned_pending():
    state: dict = {}
    plan = paged_plan(state, [Task("a"), Task("b")])
    plan.add([Entry("a", at(1), at(2))])
    plan.ledger_failed()
    assert state["pending"] == ["b"]
    assert state["ledger"] == Watermark(T0).to_state()


# Reading ahead


def test_read_ahead_yields_in_order_and_raises_in_turn():
    def produce():
        yield from (1, 2)
        raise ValueError("page 3")

    ahead = ReadAhead(produce(), name="test")
    assert [next(ahead), next(ahead)] == [1, 2]
    with pytest.raises(ValueError, match="page 3"):
        next(ahead)


def test_read_ahead_produces_before_it_is_asked():
    produced: list[int] = []

    def produce():
        for n in range(3):
            produced.append(n)
            yield n

    ahead = ReadAhead(produce(), name="test")
    deadline = time.monotonic() + 5
    while len(produced) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert produced == [0, 1, 2]
    assert list(ahead) == [0, 1, 2]


# Runs


def slow_ledger(make_emulator, rate_window, seed: int, window: float):
    """2100 done tasks (three id_list pages), two pages a window.

    The ledger sorts by execution time: the 200 tasks posted first and done last
    are on the third page, posted before every task of the first two.
    """
    rate_window(window)
    emulator = make_emulator(
        seed=seed,
        id_list_limit_per_minute=2,
        rate_window_seconds=window,
        rate_limit_per_minute=100_000,
    )
    late = emulator.add_tasks(
        200, age=timedelta(days=4), status="queued", web_search=False
    )
    ids = emulator.add_tasks(1900, age=timedelta(days=3.5), web_search=False)
    time.sleep(1.1)
    emulator.complete(late)
    ids += late
    config = config_for(emulator.url, id_list_rate_limit_per_minute=2)
    return emulator, ids, config


def test_tasks_are_collected_while_later_ledger_pages_are_read(
    make_emulator, rate_window
):
    emulator, ids, config = slow_ledger(make_emulator, rate_window, 71, 3.0)
    run = run_tap(config)
    assert {r["id"] for r in run.records("llm_responses")} == set(ids)
    paths = [r.path for r in emulator.requests]
    last_page = max(i for i, path in enumerate(paths) if path.endswith("/id_list"))
    first_get = min(i for i, path in enumerate(paths) if "/task_get/" in path)
    assert first_get < last_page


@pytest.mark.slow
def test_a_run_killed_while_a_later_ledger_page_is_read_loses_nothing(
    make_emulator, rate_window
):
    emulator, ids, config = slow_ledger(make_emulator, rate_window, 72, 10.0)
    warehouse = Warehouse()
    # Killed after 1000 messages: tasks of the first pages written, some committed.
    assert warehouse.load(config, stop_after=1000) is None
    id_lists = [r for r in emulator.requests if r.path.endswith("/id_list")]
    assert len(id_lists) == 2  # the third page was still to come
    assert warehouse.ids("llm_responses")
    assert warehouse.load(config) == 0, warehouse.stderr
    assert warehouse.ids("llm_responses") == set(ids)
