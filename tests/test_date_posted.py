"""llm_responses and citations carry date_posted, whichever way a task came."""

from __future__ import annotations

from datetime import timedelta

from tests.harness import config_for, run_tap


def posted_by_id(run, stream: str) -> dict[str, str | None]:
    return {r["id"]: r["date_posted"] for r in run.records(stream)}


def test_a_listed_task_carries_the_listings_date_posted(make_emulator):
    emulator = make_emulator(seed=61)
    emulator.add_tasks(5)
    run = run_tap(config_for(emulator.url))
    assert run.returncode == 0, run.stderr
    listed = posted_by_id(run, "ready_tasks")
    assert posted_by_id(run, "llm_responses") == listed
    assert all(listed.values())


def test_a_task_tasks_ready_never_listed_carries_the_ledgers_date_posted(
    make_emulator,
):
    emulator = make_emulator(seed=62)
    ids = emulator.add_tasks(3, age=timedelta(days=4))  # past tasks_ready's 3 days
    run = run_tap(config_for(emulator.url))
    assert run.returncode == 0, run.stderr
    assert run.records("ready_tasks") == []
    posted = posted_by_id(run, "llm_responses")
    assert set(posted) == set(ids)
    assert all(posted.values())


def test_a_pending_task_keeps_its_date_posted_into_the_run_that_collects_it(
    make_emulator,
):
    emulator = make_emulator(seed=63)
    emulator.add_tasks(4)
    config = config_for(emulator.url, collection_mode="next_run")
    first = run_tap(config)
    second = run_tap(config, state=first.last_state)
    assert second.returncode == 0, second.stderr
    assert posted_by_id(second, "llm_responses") == posted_by_id(first, "ready_tasks")
    assert second.last_state["bookmarks"]["llm_responses"]["date_posted"] == {}


def test_a_state_without_date_posted_is_read_and_its_tasks_carry_none(
    make_emulator,
):
    emulator = make_emulator(seed=64)
    ids = emulator.add_tasks(2)
    state = {"bookmarks": {"llm_responses": {"pending": ids}}}
    config = config_for(emulator.url, collection_mode="next_run")
    run = run_tap(config, state=state)
    assert run.returncode == 0, run.stderr
    assert set(posted_by_id(run, "llm_responses")) == set(ids)


def test_citations_carry_their_tasks_date_posted(make_emulator):
    emulator = make_emulator(seed=65)
    emulator.add_tasks(5)
    run = run_tap(config_for(emulator.url))
    responses = posted_by_id(run, "llm_responses")
    citations = run.records("llm_response_citations")
    assert citations
    assert all(c["date_posted"] == responses[c["id"]] for c in citations)
