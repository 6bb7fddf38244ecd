"""Reconciliation plans: what a run collects and how far the watermark moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tap_dataforseo_gemini.errors import EndpointNotFoundError, MalformedAnswerError
from tap_dataforseo_gemini.ledger import (
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


def item(task_id: str, llm: str = "gemini", done: bool = True) -> dict:
    return {
        "id": task_id,
        "url": f"https://api.dataforseo.com/v3/ai_optimization/{llm}/llm_responses/task_post",
        "datetime_posted": to_api(at(1)),
        "datetime_done": to_api(at(2)) if done else None,
        "status": "Ok.",
    }


def test_reading_pages_by_offset_until_a_short_page():
    bodies = []

    def send(body: list[dict]) -> dict:
        bodies.append(body[0])
        offset = body[0]["offset"]
        count = 1000 if offset < 2000 else 5
        return page([item(f"{offset}-{i}") for i in range(count)])

    entries = list(read(send, "gemini", T0, NOW))
    assert len(entries) == 2005
    assert [b["offset"] for b in bodies] == [0, 1000, 2000]
    assert bodies[0]["datetime_from"] == to_api(T0)


def test_reading_keeps_only_this_llms_llm_responses_tasks():
    items = [item("g"), item("c", llm="chat_gpt"), {**item("s"), "url": "/v3/serp/x"}]
    entries = list(read(lambda body: page(items), "gemini", T0, NOW))
    assert [entry.id for entry in entries] == ["g"]


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
