"""A plan takes its tasks' transitions in plan order, or refuses, naming both ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tap_dataforseo_gemini.delivery import (
    Bookmark,
    Entry,
    Plan,
    PlanOrderError,
    Watermark,
    reconcile,
)

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


def plan_of(*ids: str) -> Plan:
    """A same_run plan of ledger tasks done an hour ago, posted in this order."""
    entries = [
        Entry(task_id, NOW - timedelta(hours=2, minutes=-i), NOW - timedelta(hours=1))
        for i, task_id in enumerate(ids)
    ]
    reconciliation = reconcile(entries, Watermark(NOW - timedelta(days=1)), NOW)
    return Plan(Bookmark({}, "gemini", "api.dataforseo.com"), [], reconciliation)


def test_a_task_delivered_before_the_next_one_is_refused_naming_both():
    plan = plan_of("a", "b")
    with pytest.raises(PlanOrderError, match=r"task b .* the next one is task a"):
        plan.delivered(plan.tasks[1])


def test_a_task_not_ready_before_the_next_one_is_refused():
    plan = plan_of("a", "b")
    with pytest.raises(PlanOrderError, match=r"task b .* the next one is task a"):
        plan.not_ready(plan.tasks[1])


def test_a_refused_transition_leaves_the_watermark_where_it_was():
    plan = plan_of("a", "b")
    before = dict(plan.bookmark.ledger)
    with pytest.raises(PlanOrderError):
        plan.delivered(plan.tasks[1])
    assert plan.bookmark.ledger == before


def test_a_task_after_the_last_one_is_refused():
    plan = plan_of("a")
    plan.delivered(plan.tasks[0])
    with pytest.raises(PlanOrderError, match="no task"):
        plan.delivered(plan.tasks[0])
