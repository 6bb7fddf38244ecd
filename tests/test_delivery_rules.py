"""The delivery protocol, rule by rule (README: "Delivery guarantees")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tap_dataforseo_gemini.delivery import (
    REACH,
    RESULTS_KEPT,
    SETTLE,
    TASK_LIFETIME,
    Bookmark,
    Entry,
    Plan,
    Start,
    Task,
    Watermark,
    reconcile,
)
from tap_dataforseo_gemini.errors import InvalidStateError

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=2)
HOST = "api.dataforseo.com"


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def bookmark(state: dict | None = None) -> Bookmark:
    return Bookmark({} if state is None else state, "gemini", HOST)


def done(*ids: str) -> list[Entry]:
    """Ledger entries posted and done in the order given, a minute apart."""
    return [Entry(i, at(n), at(n + 1)) for n, i in enumerate(ids)]


def ids(tasks: list[Task]) -> list[str]:
    return [task.id for task in tasks]


# What a run collects


def test_pending_tasks_come_first_then_the_ledgers_in_posting_order():
    state = {"pending": ["old"]}
    plan = Plan(bookmark(state), [], reconcile(done("b", "a"), Watermark(T0), NOW))
    assert ids(plan.tasks) == ["old", "b", "a"]


def test_next_run_collects_no_listed_task_now_it_becomes_pending():
    state: dict = {}
    plan = Plan(bookmark(state), [Task("new", "2026-11-01T12:00:00+00:00")])
    assert plan.tasks == []
    assert state["pending"] == ["new"]


def test_a_listed_task_the_ledger_does_not_show_waits_for_the_next_run():
    state: dict = {}
    listed = [Task("lagging"), Task("a")]
    plan = Plan(bookmark(state), listed, reconcile(done("a"), Watermark(T0), NOW))
    assert ids(plan.tasks) == ["a"]
    assert state["pending"] == ["lagging"]


def test_a_pending_task_the_ledger_shows_too_is_collected_once():
    state = {"pending": ["a"]}
    plan = Plan(bookmark(state), [], reconcile(done("a", "b"), Watermark(T0), NOW))
    assert ids(plan.tasks) == ["a", "b"]


# When the state moves


def test_a_task_leaves_pending_only_once_its_record_is_delivered():
    state = {"pending": ["a", "b"]}
    plan = Plan(bookmark(state), [])
    plan.delivered(plan.tasks[0])
    assert state["pending"] == ["b"]


def test_a_failed_task_is_delivered_as_a_record_and_leaves_pending_alike():
    state = {"pending": ["failed"]}
    plan = Plan(bookmark(state), [])
    plan.delivered(plan.tasks[0])  # the stream writes a failure record first
    assert state["pending"] == []


def test_a_task_not_ready_stays_pending_for_a_later_run():
    state: dict = {}
    plan = Plan(bookmark(state), [], reconcile(done("slow"), Watermark(T0), NOW))
    plan.not_ready(plan.tasks[0])
    assert state["pending"] == ["slow"]


def test_the_watermark_never_passes_a_task_not_yet_delivered():
    state: dict = {}
    plan = Plan(bookmark(state), [], reconcile(done("a", "b"), Watermark(T0), NOW))
    assert state["ledger"] == Watermark(at(0)).to_state()
    plan.delivered(plan.tasks[0])
    assert state["ledger"] == Watermark(at(1)).to_state()


def test_pending_tasks_handled_first_do_not_move_the_watermark():
    state = {"pending": ["old"]}
    plan = Plan(bookmark(state), [], reconcile(done("a"), Watermark(T0), NOW))
    plan.delivered(plan.tasks[0])
    assert state["ledger"] == Watermark(at(0)).to_state()


def test_once_every_task_is_handled_the_watermark_moves_to_the_settled_time():
    state: dict = {}
    plan = Plan(bookmark(state), [], reconcile(done("a"), Watermark(T0), NOW))
    plan.not_ready(plan.tasks[0])
    assert state["ledger"] == Watermark(NOW - SETTLE, NOW - SETTLE).to_state()


def test_next_run_keeps_no_watermark():
    state: dict = {}
    Plan(bookmark(state), [Task("a")])
    Plan(bookmark(state), []).delivered(Task("a"))
    assert "ledger" not in state


# date_posted


def test_a_pending_task_keeps_its_date_posted_into_a_later_run():
    state: dict = {}
    Plan(bookmark(state), [Task("a", "2026-11-01T12:00:00+00:00")])
    later = Plan(bookmark(state), [])
    assert later.tasks == [Task("a", "2026-11-01T12:00:00+00:00")]


def test_a_reconciled_task_takes_its_date_posted_from_the_ledger():
    plan = Plan(bookmark(), [], reconcile(done("a"), Watermark(T0), NOW))
    assert plan.tasks == [Task("a", at(0).isoformat())]


def test_an_older_state_without_date_posted_is_read_and_its_tasks_have_none():
    plan = Plan(bookmark({"pending": ["a"]}), [])
    assert plan.tasks == [Task("a", None)]


def test_a_delivered_task_leaves_no_trace_in_state():
    state: dict = {}
    Plan(bookmark(state), [Task("a", "2026-11-01T12:00:00+00:00")])
    Plan(bookmark(state), []).delivered(Task("a"))
    assert state["pending"] == []
    assert state["date_posted"] == {}


def test_date_posted_of_the_wrong_shape_is_invalid_state():
    with pytest.raises(InvalidStateError, match="date_posted"):
        bookmark({"pending": [], "date_posted": ["a"]})


# Whose state


def test_a_state_of_another_llm_or_host_is_refused():
    with pytest.raises(InvalidStateError, match="llm chat_gpt at"):
        bookmark({"llm": "chat_gpt", "api_host": HOST})


def test_a_state_without_owner_is_taken_as_this_runs():
    state: dict = {"pending": []}
    bookmark(state)
    assert (state["llm"], state["api_host"]) == ("gemini", HOST)


# Duplicates only by primary key


def test_tasks_done_in_the_previous_runs_settle_window_count_as_redelivered():
    previous = Watermark(T0, done_after=at(10))
    entries = [Entry("again", at(1), at(12)), Entry("new", at(2), at(10) + SETTLE * 2)]
    plan = Plan(bookmark(), [], reconcile(entries, previous, NOW))
    assert plan.redelivered == 1


def test_a_first_run_redelivers_nothing():
    plan = Plan(bookmark(), [], reconcile(done("a"), Watermark(T0), NOW))
    assert plan.redelivered == 0


# The ledger's rules


def test_first_run_collects_every_done_task_in_posting_order():
    entries = [Entry("b", at(5), at(6)), Entry("a", at(1), at(9))]
    plan = reconcile(entries, Watermark(T0), NOW)
    assert [task.id for task in plan.tasks] == ["a", "b"]


def test_tasks_done_before_the_watermark_are_not_collected_again():
    entries = [Entry("old", at(1), at(2)), Entry("new", at(3), at(20))]
    plan = reconcile(entries, Watermark(T0, done_after=at(10)), NOW)
    assert [task.id for task in plan.tasks] == ["new"]


def test_running_task_holds_the_watermark_at_its_posting_time():
    entries = [Entry("running", at(30), None), Entry("done", at(40), at(41))]
    plan = reconcile(entries, Watermark(T0), NOW)
    assert plan.watermark_after(1) == Watermark(at(30), NOW - SETTLE)


def test_without_running_tasks_the_watermark_moves_to_the_settled_time():
    plan = reconcile([Entry("done", at(40), at(41))], Watermark(T0), NOW)
    assert plan.watermark_after(1) == Watermark(NOW - SETTLE, NOW - SETTLE)


def test_midway_the_watermark_stops_at_the_first_undelivered_task():
    entries = [Entry(str(i), at(i), at(i + 1)) for i in range(5)]
    previous = Watermark(T0, done_after=T0)
    plan = reconcile(entries, previous, NOW)
    assert plan.watermark_after(2) == Watermark(at(2), T0)
    assert plan.watermark_after(0) == Watermark(at(0), T0)


def test_dropping_pending_tasks_leaves_the_rest():
    entries = [Entry(str(i), at(i), at(i + 1)) for i in range(3)]
    plan = reconcile(entries, Watermark(T0), NOW)
    plan.drop(lambda task_id: task_id == "1")
    assert [task.id for task in plan.tasks] == ["0", "2"]


def test_watermark_survives_a_round_trip_through_state():
    mark = Watermark(at(3), at(4))
    assert Watermark.from_state(mark.to_state(), T0) == mark


def test_missing_watermark_starts_at_the_first_start():
    assert Watermark.from_state(None, T0) == Watermark(T0)


def test_entry_refused_at_posting_does_not_hold_the_watermark():
    refused = Entry("refused", at(30), None, "40501")
    plan = reconcile([refused], Watermark(T0), NOW)
    assert plan.watermark_after(1) == Watermark(NOW - SETTLE, NOW - SETTLE)
    assert [task.id for task in plan.tasks] == ["refused"]


def test_entry_running_longer_than_a_task_may_does_not_hold_the_watermark():
    stuck = Entry("stuck", NOW - REACH - timedelta(hours=1), None, "40601")
    plan = reconcile([stuck], Watermark(T0 - timedelta(days=20)), NOW)
    assert plan.floor == NOW - SETTLE


def test_entry_running_within_a_task_lifetime_holds_the_watermark():
    running = Entry("running", NOW - timedelta(hours=50), None, "40601")
    plan = reconcile([running], Watermark(T0 - timedelta(days=20)), NOW)
    assert plan.floor == running.posted


def test_entry_with_an_unknown_status_text_counts_as_running():
    running = Entry("running", at(30), None, "Task In Queue.")
    assert reconcile([running], Watermark(T0), NOW).floor == at(30)


def test_the_query_starts_no_earlier_than_task_get_answers():
    assert Watermark(NOW - timedelta(days=365)).window_start(NOW) == NOW - RESULTS_KEPT
    assert Watermark(at(5)).window_start(NOW) == at(5)


def test_a_watermark_in_the_future_is_clamped_to_the_reach():
    future = Watermark(NOW + timedelta(minutes=10), NOW + timedelta(minutes=9))
    assert future.in_future(NOW)
    assert future.clamped(NOW) == Watermark(NOW - REACH)
    assert not Watermark(at(5), at(6)).in_future(NOW)


def test_a_clock_gone_back_moves_the_watermark_back_and_says_so():
    plan = reconcile([], Watermark(at(1), NOW + timedelta(minutes=1)), NOW)
    assert plan.moves_back
    assert not reconcile([], Watermark(at(1), at(2)), NOW).moves_back


def test_a_first_run_reads_the_ledger_from_start_date():
    start = Start.of(None, at(5).isoformat(), NOW)
    assert (start.since, start.clamped, start.shortened) == (at(5), False, False)


def test_a_first_run_without_start_date_reads_back_as_far_as_task_get_answers():
    assert Start.of(None, None, NOW).since == NOW - RESULTS_KEPT


def test_a_saved_watermark_in_the_future_is_clamped_and_says_so():
    saved = Watermark(NOW + timedelta(minutes=10)).to_state()
    start = Start.of(saved, None, NOW)
    assert start.clamped
    assert start.watermark == Watermark(NOW - REACH)


def test_a_watermark_older_than_task_get_answers_shortens_the_query():
    start = Start.of(Watermark(NOW - timedelta(days=40)).to_state(), None, NOW)
    assert start.shortened
    assert start.since == NOW - RESULTS_KEPT


# Each rule below once had no test: a one-line change to it passed the suite.


def test_midway_the_watermark_never_passes_a_task_still_running():
    entries = [
        Entry("a", at(0), at(1)),
        Entry("running", at(1), None, "40602"),
        Entry("b", at(2), at(3)),
    ]
    plan = reconcile(entries, Watermark(T0, done_after=T0), NOW)
    assert plan.watermark_after(1) == Watermark(at(1), T0)


def test_an_entry_running_a_little_past_the_task_lifetime_still_holds_the_watermark():
    late = Entry("late", NOW - TASK_LIFETIME - timedelta(hours=1), None, "40602")
    plan = reconcile([late], Watermark(T0 - timedelta(days=20)), NOW)
    assert plan.floor == late.posted


def test_an_entry_past_the_reach_is_collected_after_a_run_that_saw_it_running():
    posted = NOW - SETTLE - REACH - timedelta(hours=1)
    previous = Watermark(posted, done_after=posted + timedelta(hours=2))
    plan = reconcile([Entry("stuck", posted, None, "40602")], previous, NOW)
    assert [task.id for task in plan.tasks] == ["stuck"]


def test_a_task_done_exactly_at_the_watermark_is_not_collected_again():
    entries = [Entry("edge", at(1), at(10)), Entry("after", at(2), at(11))]
    plan = reconcile(entries, Watermark(T0, done_after=at(10)), NOW)
    assert [task.id for task in plan.tasks] == ["after"]
