"""No task, ledger entry, clock or state stops the pipeline (issues 9 and 10)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from fake_dataforseo import Emulator, Fault
from fake_dataforseo.server import SANDBOX_TASK_ID
from tap_dataforseo_gemini import streams
from tap_dataforseo_gemini.delivery import REACH
from tests.harness import LOGIN, PASSWORD, Warehouse, config_for, run_tap

GET = "/v3/ai_optimization/gemini/llm_responses/task_get/"


def defaults(url: str, **overrides: object) -> dict[str, object]:
    """Settings with every retry setting at its default."""
    return {"login": LOGIN, "password": PASSWORD, "api_url": url, **overrides}


def responses(run) -> dict[str, dict]:
    return {record["id"]: record for record in run.records("llm_responses")}


def answer_of(emulator: Emulator, task_id: str) -> dict:
    """The task_get answer of a task (collecting it, as another client would)."""
    body = requests.get(
        emulator.url + GET + task_id, auth=(LOGIN, PASSWORD), timeout=10
    ).json()
    assert body["tasks"][0]["status_code"] == 20000
    return body


def test_tasks_failing_50000_on_every_task_get_are_failure_records(make_emulator):
    emulator = make_emulator(seed=90)
    ids = emulator.add_tasks(3, age=timedelta(hours=1))
    emulator.inject(Fault.TASK_50000, times=1000, path_contains=GET)
    began = time.monotonic()
    run = run_tap(defaults(emulator.url))
    assert run.returncode == 0, run.stderr
    assert time.monotonic() - began < 30
    failed = responses(run)
    assert set(failed) == set(ids)
    for record in failed.values():
        assert record["status_code"] == 50000
        assert json.loads(record["raw_answer"])["status_code"] == 50000
    emulator.reset_stats()
    again = run_tap(defaults(emulator.url), state=run.last_state)
    assert again.returncode == 0, again.stderr
    assert responses(again) == {}
    assert not [r for r in emulator.requests if GET in r.path]


def _unreadable_datetime(task):
    task["result"][0]["datetime"] = "soon"


def _result_not_a_list(task):
    task["result"] = "not a list"


@pytest.mark.parametrize(
    ("spoil", "problem"),
    [
        (_unreadable_datetime, "datetime"),
        (_result_not_a_list, "'result' that is not a list or null"),
    ],
    ids=["a field of the result", "the task's own shape"],
)
def test_an_unreadable_answer_is_a_failure_record_with_its_raw_json(
    make_emulator, spoil, problem
):
    emulator = make_emulator(seed=91)
    bad, good = emulator.add_tasks(2, age=timedelta(hours=1))
    body = answer_of(emulator, bad)
    spoil(body["tasks"][0])
    emulator.set_answer(bad, body)
    run = run_tap(config_for(emulator.url))
    assert run.returncode == 0, run.stderr
    records = responses(run)
    assert records[good]["raw_answer"] is None
    assert json.loads(records[bad]["raw_answer"]) == body["tasks"][0]
    assert problem in records[bad]["status_message"]
    assert run.stderr.count(f"Task {bad}:") == 1
    again = run_tap(config_for(emulator.url), state=run.last_state)
    assert responses(again) == {}


def test_a_citation_url_urlsplit_rejects_does_not_stop_the_run(make_emulator):
    emulator = make_emulator(seed=92)
    (task_id,) = emulator.add_tasks(1)
    body = answer_of(emulator, task_id)
    items = body["tasks"][0]["result"][0]["items"]
    annotation = next(
        s["annotations"][0]
        for i in items
        for s in i["sections"]
        if s.get("annotations")
    )
    annotation.update(direct_url="https://[acme.com/p", title="Acme", url=None)
    emulator.set_answer(task_id, body)
    run = run_tap(config_for(emulator.url))
    assert run.returncode == 0, run.stderr
    assert responses(run)[task_id]["raw_answer"] is None
    cited = [c for c in run.records("llm_response_citations") if c["title"] == "Acme"]
    assert [c["domain"] for c in cited] == [None]


def test_live_calls_and_other_apis_calls_in_the_ledger_produce_no_rows(
    make_emulator,
):
    emulator = make_emulator(seed=93)
    emulator.add_calls(3, "v3/ai_optimization/gemini/llm_responses/live")
    emulator.add_calls(2, "v3/serp/google/organic/task_post")
    ids = emulator.add_tasks(2)
    run = run_tap(config_for(emulator.url))
    assert run.returncode == 0, run.stderr
    assert set(responses(run)) == set(ids)
    assert set(emulator.task_get_counts()) == set(ids)


def test_a_never_finished_ledger_entry_does_not_hold_the_watermark_back(
    make_emulator,
):
    emulator = make_emulator(seed=94)
    emulator.add_tasks(1, status="queued", age=timedelta(days=10))
    emulator.add_tasks(2, age=timedelta(days=2))
    run = run_tap(config_for(emulator.url))
    assert run.returncode == 0, run.stderr
    ledger = run.last_state["bookmarks"]["llm_responses"]["ledger"]
    oldest = emulator.now() - REACH - timedelta(minutes=10)
    assert datetime.fromisoformat(ledger["posted_from"]) > oldest


def deliver_in_two_runs(emulator: Emulator, config: dict) -> tuple[set[str], str]:
    """Task ids delivered by two runs from the committed state, and their stderr."""
    warehouse = Warehouse()
    stderr = ""
    for _ in range(2):
        assert warehouse.load(config) == 0, warehouse.stderr
        stderr += warehouse.stderr
    return warehouse.ids("llm_responses"), stderr


@pytest.mark.parametrize(
    "fault",
    [
        Fault.NO_DATA_40404,
        Fault.INVALID_PATH_40402,
        Fault.WRONG_SHAPE,
        # Answers no retry makes readable (issue 23).
        Fault.LONE_SURROGATE,
        Fault.INVALID_UTF8,
        Fault.DEEP_NESTING,
    ],
)
def test_a_failing_id_list_falls_back_to_the_next_run(make_emulator, fault):
    emulator = make_emulator(seed=95)
    ids = emulator.add_tasks(4)
    emulator.inject(fault, times=1000, path_contains="/id_list")
    config = config_for(emulator.url, max_tries=2)
    delivered, stderr = deliver_in_two_runs(emulator, config)
    assert delivered == set(ids)
    assert stderr.count("id_list failed") == 2


def test_an_id_list_answering_http_404_falls_back_to_the_next_run(make_emulator):
    emulator = make_emulator(seed=96, id_list_enabled=False)
    ids = emulator.add_tasks(4)
    delivered, _ = deliver_in_two_runs(emulator, config_for(emulator.url))
    assert delivered == set(ids)


def test_a_year_old_start_date_reconciles_from_thirty_days_back(make_emulator):
    emulator = make_emulator(seed=97)
    ids = emulator.add_tasks(3, age=timedelta(days=20))
    ids += emulator.add_tasks(2)
    emulator.collect_by_other_client(ids[3:])
    start = (datetime.now(UTC) - timedelta(days=365)).isoformat()
    delivered, stderr = deliver_in_two_runs(
        emulator, config_for(emulator.url, start_date=start)
    )
    assert delivered == set(ids)
    assert "task_get answers for 30 days only" in stderr


def test_a_sandbox_run_exits_0_with_its_dummy_task(make_emulator):
    emulator = make_emulator(sandbox=True)
    delivered, _ = deliver_in_two_runs(emulator, config_for(emulator.url))
    assert delivered == {SANDBOX_TASK_ID}


def test_sandbox_answers_to_other_ids_are_keyed_by_the_id_asked_for(
    make_emulator, monkeypatch
):
    emulator = make_emulator(sandbox=True)
    # The emulator stands in for sandbox.dataforseo.com on loopback.
    monkeypatch.setattr(streams, "SANDBOX_HOSTS", frozenset({"127.0.0.1"}))
    state = {"bookmarks": {"llm_responses": {"pending": ["one", "two"]}}}
    run = run_tap(config_for(emulator.url), state=state)
    assert run.returncode == 0, run.stderr
    records = responses(run)
    assert {"one", "two"} <= set(records)
    assert records["one"]["status_code"] == 20000
    assert records["one"]["response_text"]
    assert run.stderr.count("the sandbox does") == 1


@pytest.mark.parametrize("minutes", [10, -10])
def test_every_task_is_delivered_with_the_apis_clock_minutes_off(
    make_emulator, minutes
):
    emulator = make_emulator(seed=98, clock_offset=timedelta(minutes=minutes))
    warehouse = Warehouse()
    ids: list[str] = []
    for _ in range(3):
        new = emulator.add_tasks(4)
        emulator.collect_by_other_client(new[:2])
        ids += new
        assert warehouse.load(config_for(emulator.url)) == 0, warehouse.stderr
    assert warehouse.ids("llm_responses") == set(ids)
    assert "DataForSEO's clock differs from this machine's" in warehouse.stderr


def test_a_watermark_in_the_apis_future_is_clamped_with_a_warning(make_emulator):
    emulator = make_emulator(seed=99)
    ids = emulator.add_tasks(3, age=timedelta(hours=1))
    emulator.collect_by_other_client(ids)
    future = (emulator.now() + timedelta(days=1)).isoformat()
    ledger = {"posted_from": future, "done_after": future}
    state = {"bookmarks": {"llm_responses": {"pending": [], "ledger": ledger}}}
    run = run_tap(config_for(emulator.url), state=state)
    assert run.returncode == 0, run.stderr
    assert set(responses(run)) == set(ids)
    assert run.stderr.count("lies after DataForSEO's now") == 1


def test_a_state_of_another_llm_fails_with_one_line_naming_both(make_emulator):
    emulator = make_emulator(seed=100)
    emulator.add_tasks(2)
    gemini = run_tap(config_for(emulator.url))
    run = run_tap(config_for(emulator.url, llm="chat_gpt"), state=gemini.last_state)
    assert run.returncode == 1
    (line,) = run.stderr.strip().splitlines()[-1:]
    assert "llm gemini" in line
    assert "llm chat_gpt" in line
    assert "Traceback" not in run.stderr


def test_a_state_without_its_llm_and_host_is_taken_and_gets_them(emulator):
    state = {"bookmarks": {"llm_responses": {"pending": []}}}
    run = run_tap(config_for(emulator.url), state=state)
    assert run.returncode == 0, run.stderr
    saved = run.last_state["bookmarks"]["llm_responses"]
    assert (saved["llm"], saved["api_host"]) == ("gemini", "127.0.0.1")
