"""Ledger entries without ``datetime_done``: which have finished, which still run.

The vendor documents neither the ``status`` id_list writes for a task still
running nor when ``datetime_done`` appears: ``20000`` (Ok.) and ``20100`` (Task
Created.) say the call was taken, not that the task is done, so only an error
code finishes a task at its posting time.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from tap_dataforseo_gemini.delivery import REACH, SETTLE, Entry, Watermark, reconcile
from tap_dataforseo_gemini.ledger import to_api
from tests.harness import LOGIN, PASSWORD, config_for, run_tap
from tests.test_delivery_rules import NOW, T0, at

SETTLED = NOW - SETTLE


@pytest.mark.parametrize("status", ["20000", "20100"])
def test_an_ok_entry_without_datetime_done_is_still_running(status):
    assert Entry("x", at(30), None, status).finished(SETTLED) is None


@pytest.mark.parametrize("status", ["20000", "20100"])
def test_an_ok_entry_without_datetime_done_holds_the_watermark(status):
    entries = [Entry("running", at(30), None, status), Entry("done", at(40), at(41))]
    plan = reconcile(entries, Watermark(T0, done_after=at(35)), NOW)
    assert plan.floor == at(30)
    assert [task.id for task in plan.tasks] == ["done"]


@pytest.mark.parametrize("status", ["40501", "40102", "50000"])
def test_an_error_entry_without_datetime_done_finished_at_its_posting(status):
    assert Entry("x", at(30), None, status).finished(SETTLED) == at(30)


@pytest.mark.parametrize("status", ["40601", "40602", "Task In Queue.", "", "2000"])
def test_a_running_code_or_text_without_datetime_done_is_still_running(status):
    assert Entry("x", at(30), None, status).finished(SETTLED) is None


def test_an_ok_entry_older_than_a_task_may_run_finished_at_posting_plus_reach():
    posted = SETTLED - REACH - timedelta(hours=1)
    assert Entry("x", posted, None, "20000").finished(SETTLED) == posted + REACH


def test_datetime_done_decides_whatever_the_status():
    assert Entry("x", at(30), at(90), "40501").finished(SETTLED) == at(90)


def collected(run) -> set[str]:
    return {record["id"] for record in run.records("llm_responses")}


def test_a_task_the_ledger_marks_20000_while_it_runs_is_collected_once_done(
    make_emulator,
):
    emulator = make_emulator(seed=230)
    # Posted an hour ago, still queued: id_list writes 40602 and the watermark
    # holds at its posting time.
    running = emulator.add_tasks(3, status="queued", age=timedelta(hours=1))
    done = emulator.add_tasks(8, age=timedelta(hours=1))
    first = run_tap(config_for(emulator.url))
    assert collected(first) == set(done)
    # Being processed, the same tasks are written "20000" without datetime_done.
    emulator.id_list_running_status = "20000"
    second = run_tap(config_for(emulator.url), state=first.last_state)
    assert collected(second) == set()
    # They finish and another client takes them off tasks_ready.
    emulator.complete(running)
    emulator.collect_by_other_client(running)
    third = run_tap(config_for(emulator.url), state=second.last_state)
    assert collected(third) == set(running)


def ledger_items(emulator) -> list[dict]:
    """The emulator's id_list of the last day, as the API answers it."""
    now = emulator.now()
    query = {
        "datetime_from": to_api(now - timedelta(days=1)),
        "datetime_to": to_api(now),
    }
    answer = requests.post(
        f"{emulator.url}/v3/ai_optimization/id_list",
        json=[query],
        auth=(LOGIN, PASSWORD),
        timeout=10,
    ).json()
    return answer["tasks"][0]["result"]


def test_the_emulator_ledger_writes_the_running_status_it_is_given(make_emulator):
    emulator = make_emulator(seed=231)
    (queued,) = emulator.add_tasks(1, status="queued")
    (done,) = emulator.add_tasks(1)
    emulator.id_list_running_status = "20100"
    items = {item["id"]: item for item in ledger_items(emulator)}
    assert (items[queued]["status"], items[queued]["datetime_done"]) == ("20100", None)
    assert items[done]["status"] == "20000"
    assert items[done]["datetime_done"] is not None
