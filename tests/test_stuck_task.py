"""One task whose task_get never answers does not stop every run (issue h24-stall).

A task whose ``task_get`` exhausts its retries while the API answers the rest is
kept pending, with the count of runs that tried it, until it answers or has
been tried by ``STUCK_RUNS`` runs; ``API_DOWN`` such tasks in a row stop the run.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from fake_dataforseo import Emulator, Fault
from tap_dataforseo_gemini.delivery import STUCK_RUNS, Bookmark, Plan, Task
from tap_dataforseo_gemini.errors import InvalidStateError
from tap_dataforseo_gemini.streams import API_DOWN
from tests.harness import PASSWORD, Run, config_for, run_tap

GET = "/v3/ai_optimization/gemini/llm_responses/task_get/"


def settings(emulator: Emulator) -> dict[str, object]:
    """Settings that give up on a request after two quick tries."""
    return config_for(emulator.url, max_tries=2, max_retry_seconds=5)


def one_stuck(
    emulator: Emulator, n: int, index: int, fault: Fault = Fault.HTTP_500
) -> tuple[list[str], str]:
    """Add ``n`` done tasks; every task_get of the ``index``-th answers ``fault``."""
    ids = emulator.add_tasks(n, age=timedelta(hours=1))
    emulator.inject(fault, times=1000, path_contains=GET + ids[index])
    return ids, ids[index]


def runs(emulator: Emulator, count: int, state: dict | None = None) -> list[Run]:
    """``count`` runs in a row, each from the last one's state, each exiting 0.

    A new task is done before each run but the first, so that each run has a
    ``task_get`` that answers (a run where none answers counts no try).
    """
    done = []
    for number in range(count):
        if number:
            emulator.add_tasks(1)
        done.append(run_tap(settings(emulator), state=state))
        assert done[-1].returncode == 0, done[-1].stderr
        state = done[-1].last_state
    return done


def collected(run: Run) -> dict[str, dict]:
    return {record["id"]: record for record in run.records("llm_responses")}


def bookmark(run: Run) -> dict:
    assert run.last_state is not None
    return run.last_state["bookmarks"]["llm_responses"]


def stuck_warnings(run: Run, task_id: str) -> list[str]:
    return [
        line
        for line in run.stderr.splitlines()
        if "WARNING" in line and task_id in line and "pending" in line
    ]


def test_one_stuck_task_does_not_stop_the_run_and_the_rest_are_delivered(
    make_emulator,
):
    emulator = make_emulator(seed=241)
    ids, stuck = one_stuck(emulator, 4, 1)
    (run,) = runs(emulator, 1)
    assert set(collected(run)) == set(ids) - {stuck}
    assert bookmark(run)["pending"] == [stuck]
    said = stuck_warnings(run, stuck)
    assert len(said) == 1, run.stderr
    assert "HTTP 500" in said[0]


def test_a_stuck_task_is_tried_again_and_collected_once_it_answers(make_emulator):
    emulator = make_emulator(seed=242)
    _, stuck = one_stuck(emulator, 3, 0, Fault.INTERNAL_50000)
    _, second = runs(emulator, 2)
    assert bookmark(second)["pending"] == [stuck]
    assert bookmark(second)["tries"] == {stuck: 2}
    emulator.clear_faults()
    (third,) = runs(emulator, 1, second.last_state)
    record = collected(third)[stuck]
    assert record["status_code"] == 20000
    assert record["raw_answer"] is None
    assert bookmark(third)["pending"] == []
    assert "tries" not in bookmark(third)


def test_a_task_stuck_for_three_runs_is_a_failure_record_with_the_error(
    make_emulator,
):
    emulator = make_emulator(seed=243)
    _, stuck = one_stuck(emulator, 3, 2)
    *before, last, again = runs(emulator, STUCK_RUNS + 1)
    assert all(stuck not in collected(run) for run in before)
    record = collected(last)[stuck]
    assert record["status_code"] is None
    assert "HTTP 500" in json.loads(record["raw_answer"])["error"]
    assert bookmark(last)["pending"] == []
    assert "tries" not in bookmark(last)
    assert stuck not in collected(again)


def test_a_stuck_task_past_thirty_days_is_a_failure_record_at_once(make_emulator):
    emulator = make_emulator(seed=244)
    _, stuck = one_stuck(emulator, 2, 0)
    (first,) = runs(emulator, 1)
    state = first.last_state
    state["bookmarks"]["llm_responses"]["date_posted"][stuck] = (
        "2020-01-01T00:00:00+00:00"
    )
    (second,) = runs(emulator, 1, state)
    assert json.loads(collected(second)[stuck]["raw_answer"])["error"]
    assert bookmark(second)["pending"] == []


def test_consecutive_stuck_task_gets_stop_the_run_with_nothing_marked_failed(
    make_emulator,
):
    emulator = make_emulator(seed=245)
    ids = emulator.add_tasks(API_DOWN + 2, age=timedelta(hours=1))
    emulator.inject(Fault.HTTP_500, times=10_000, path_contains=GET)
    run = run_tap(settings(emulator))
    assert run.returncode != 0
    assert "HTTP 500" in run.stderr
    assert collected(run) == {}
    for state in run.states:
        saved = state.get("bookmarks", {}).get("llm_responses", {})
        assert "tries" not in saved
    emulator.clear_faults()
    after = run_tap(settings(emulator), state=run.last_state)
    assert after.returncode == 0, after.stderr
    assert set(collected(after)) == set(ids)
    assert all(r["raw_answer"] is None for r in collected(after).values())


def test_the_count_of_runs_survives_in_a_small_state(make_emulator):
    emulator = make_emulator(seed=246)
    _, stuck = one_stuck(emulator, 5, 3)
    first, second = runs(emulator, 2)
    assert bookmark(first)["tries"] == {stuck: 1}
    saved = bookmark(second)
    assert saved["tries"] == {stuck: 2}
    assert saved["pending"] == [stuck]
    assert set(saved["date_posted"]) == {stuck}
    assert len(json.dumps(second.last_state)) < 1000
    assert PASSWORD not in second.stdout + second.stderr


def test_a_run_that_finds_the_api_down_writes_no_failure_record_of_a_stuck_task(
    make_emulator,
):
    emulator = make_emulator(seed=247)
    one_stuck(emulator, 2, 0)
    *_, last = runs(emulator, STUCK_RUNS - 1)
    emulator.add_tasks(API_DOWN)
    emulator.inject(Fault.HTTP_500, times=10_000, path_contains=GET)
    down = run_tap(settings(emulator), state=last.last_state)
    assert down.returncode != 0
    assert collected(down) == {}


def test_tries_of_the_wrong_shape_are_invalid_state():
    state = {"pending": ["a"], "date_posted": {"a": None}, "tries": {"a": "2"}}
    with pytest.raises(InvalidStateError, match="tries must map task ids"):
        Bookmark(state, "gemini", "api.dataforseo.com")


def test_a_stuck_task_is_given_up_on_its_last_run_and_not_before():
    state = {"pending": ["a"], "date_posted": {"a": None}}
    plan = Plan(Bookmark(state, "gemini", "api.dataforseo.com"), [])
    now = datetime(2026, 12, 4, tzinfo=UTC)
    for _ in range(STUCK_RUNS - 1):
        assert not plan.gives_up(Task("a"), now)
        plan.bookmark.tried("a")
    assert plan.gives_up(Task("a"), now)


def test_runs_where_no_task_get_answers_count_no_try_against_a_stuck_task(
    make_emulator,
):
    emulator = make_emulator(seed=249)
    _, stuck = one_stuck(emulator, 1, 0)
    state = None
    for _ in range(STUCK_RUNS + 1):
        (run,) = runs(emulator, 1, state)
        state = run.last_state
        assert collected(run) == {}
        assert bookmark(run)["pending"] == [stuck]
        assert "tries" not in bookmark(run)
        assert "not counted" in stuck_warnings(run, stuck)[0]
