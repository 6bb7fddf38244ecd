"""Paging id_list: every entry of a window once, this LLM's task_post calls only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tap_dataforseo_gemini.errors import EndpointNotFoundError, MalformedAnswerError
from tap_dataforseo_gemini.ledger import moment, read, to_api
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
