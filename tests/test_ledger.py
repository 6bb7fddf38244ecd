"""Reconciliation plans: what a run collects and how far the watermark moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tap_dataforseo_gemini.errors import EndpointNotFoundError, MalformedAnswerError
from tap_dataforseo_gemini.ledger import (
    REACH,
    RESULTS_KEPT,
    SETTLE,
    Entry,
    Watermark,
    moment,
    read,
    reconcile,
    to_api,
)
from tap_dataforseo_gemini.records import Where

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=2)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_api_dates_round_trip():
    assert moment(to_api(at(90)), Where("x")) == at(90)


def test_unparseable_date_names_the_field():
    with pytest.raises(MalformedAnswerError, match="datetime_done"):
        moment("soon", Where("id_list", "datetime_done"))


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


def page(items: list[dict]) -> dict:
    return {"tasks": [{"status_code": 20000, "status_message": "Ok.", "result": items}]}


def item(
    task_id: str,
    llm: str = "gemini",
    done: bool = True,
    call: str = "llm_responses/task_post",
    status: str = "20000",
) -> dict:
    return {
        "id": task_id,
        "url": f"v3/ai_optimization/{llm}/{call}",
        "datetime_posted": to_api(at(1)),
        "datetime_done": to_api(at(2)) if done else None,
        "status": status,
    }


def paged(ledger_items: list[dict], bodies: list[dict]):
    """An id_list that pages ``ledger_items`` by offset and records each query."""

    def send(body: list[dict]) -> dict:
        bodies.append(body[0])
        offset = body[0]["offset"]
        return page(ledger_items[offset : offset + body[0]["limit"]])

    return send


def test_reading_pages_by_offset_until_a_short_page():
    bodies: list[dict] = []
    items = [item(str(i)) for i in range(2005)]
    entries = list(read(paged(items, bodies), "gemini", T0, NOW))
    assert [entry.id for entry in entries] == [str(i) for i in range(2005)]
    assert [b["offset"] for b in bodies] == [0, 900, 1800]
    assert bodies[0]["datetime_from"] == to_api(T0)


def test_a_task_finishing_between_two_pages_shifts_no_entry_out_of_reach():
    bodies: list[dict] = []
    items = [item(str(i)) for i in range(1500)]
    send = paged(items, bodies)

    def finishing(body: list[dict]) -> dict:
        answer = send(body)
        if len(bodies) == 1:  # a running task at the front finishes: sorted last
            items.append(items.pop(0))
        return answer

    entries = list(read(finishing, "gemini", T0, NOW))
    assert {entry.id for entry in entries} == {str(i) for i in range(1500)}


def test_reading_keeps_only_this_llms_task_post_calls():
    items = [
        item("g"),
        item("c", llm="chat_gpt"),
        item("live", call="llm_responses/live"),
        item("scraper", call="llm_scraper/task_post"),
        {**item("s"), "url": "v3/serp/google/organic/task_post"},
    ]
    entries = list(read(lambda body: page(items), "gemini", T0, NOW))
    assert [entry.id for entry in entries] == ["g"]


def test_ledger_status_is_read_as_a_code_string():
    entries = list(
        read(lambda body: page([item("q", status="40602")]), "gemini", T0, NOW)
    )
    assert entries[0].status == "40602"


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


def test_unfinished_task_has_no_done_time():
    entries = list(read(lambda body: page([item("q", done=False)]), "gemini", T0, NOW))
    assert entries[0].done is None


def test_a_task_level_not_found_means_no_ledger():
    body = {
        "tasks": [
            {"status_code": 40400, "status_message": "Not Found.", "result": None}
        ]
    }
    with pytest.raises(EndpointNotFoundError, match="40400"):
        list(read(lambda _: body, "gemini", T0, NOW))
