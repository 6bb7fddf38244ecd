"""id_list reconciliation: one run delivers every completed task, whatever took it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.harness import config_for, run_tap


def collected(run) -> set[str]:
    return {record["id"] for record in run.records("llm_responses")}


def test_one_run_delivers_tasks_another_client_took_off_tasks_ready(make_emulator):
    emulator = make_emulator(seed=30)
    ids = emulator.add_tasks(20)
    emulator.collect_by_other_client(ids[:12])
    run = run_tap(config_for(emulator.url))
    assert collected(run) == set(ids)
    assert {r["id"] for r in run.records("ready_tasks")} == set(ids[12:])


def test_one_run_delivers_tasks_older_than_three_days(make_emulator):
    emulator = make_emulator(seed=31)
    old = emulator.add_tasks(10, age=timedelta(days=5))
    new = emulator.add_tasks(5)
    assert set(emulator.ready_ids()) == set(new)
    assert collected(run_tap(config_for(emulator.url))) == set(old + new)


def test_one_run_delivers_a_backlog_over_a_thousand(make_emulator):
    emulator = make_emulator(seed=32, rate_limit_per_minute=100_000)
    ids = emulator.add_tasks(1500)
    run = run_tap(config_for(emulator.url))
    assert len(run.records("ready_tasks")) == 1000
    assert collected(run) == set(ids)
    assert "returned 1000 tasks, its maximum" in run.stderr


def test_one_run_delivers_postback_tasks(make_emulator):
    emulator = make_emulator(seed=33)
    ids = emulator.add_tasks(4, postback=True)
    assert collected(run_tap(config_for(emulator.url))) == set(ids)


def test_failed_tasks_from_the_ledger_are_records_with_their_status(make_emulator):
    emulator = make_emulator(seed=34)
    failed = emulator.add_tasks(3, status="failed")
    run = run_tap(config_for(emulator.url))
    assert {
        r["id"]: r["status_code"] for r in run.records("llm_responses")
    } == dict.fromkeys(failed, 40501)


def test_a_second_run_does_not_collect_settled_tasks_again(make_emulator):
    emulator = make_emulator(seed=35)
    emulator.add_tasks(10, age=timedelta(hours=2))
    first = run_tap(config_for(emulator.url))
    assert len(collected(first)) == 10
    second = run_tap(config_for(emulator.url), state=first.last_state)
    assert collected(second) == set()


def test_other_llms_tasks_are_not_collected(make_emulator):
    emulator = make_emulator(seed=36)
    gemini = emulator.add_tasks(3)
    emulator.add_tasks(3, se="chat_gpt", age=timedelta(days=4))
    assert collected(run_tap(config_for(emulator.url))) == set(gemini)


def test_start_date_bounds_the_first_reconciliation(make_emulator):
    emulator = make_emulator(seed=37)
    emulator.add_tasks(4, age=timedelta(days=10))
    recent = emulator.add_tasks(3, age=timedelta(days=5))
    start = (datetime.now(UTC) - timedelta(days=7)).isoformat()
    run = run_tap(config_for(emulator.url, start_date=start))
    assert collected(run) == set(recent)


def test_default_first_run_reaches_back_thirty_days(make_emulator):
    emulator = make_emulator(seed=38)
    emulator.add_tasks(2, age=timedelta(days=40))
    within = emulator.add_tasks(2, age=timedelta(days=25))
    assert collected(run_tap(config_for(emulator.url))) == set(within)


def test_without_id_list_listed_tasks_wait_for_the_next_run(make_emulator):
    emulator = make_emulator(seed=39, id_list_enabled=False)
    ids = set(emulator.add_tasks(6))
    first = run_tap(config_for(emulator.url))
    assert first.returncode == 0, first.stderr
    assert collected(first) == set()
    assert emulator.collected_ids() == set()
    warnings = [
        line
        for line in first.stderr.splitlines()
        if "id_list" in line and "WARNING" in line
    ]
    assert len(warnings) == 1
    second = run_tap(config_for(emulator.url), state=first.last_state)
    assert collected(second) == ids


def test_id_list_is_paged_within_its_rate_limit(make_emulator, rate_window):
    rate_window(1.0)
    emulator = make_emulator(
        seed=40,
        id_list_limit_per_minute=2,
        rate_window_seconds=1.0,
        rate_limit_per_minute=100_000,
    )
    ids = emulator.add_tasks(2500, age=timedelta(days=4))
    config = config_for(
        emulator.url,
        id_list_rate_limit_per_minute=2,
    )
    run = run_tap(config)
    assert collected(run) == set(ids)
    id_list_calls = [r for r in emulator.requests if r.path.endswith("/id_list")]
    assert len(id_list_calls) == 3
    assert all(r.status_code == 20000 for r in id_list_calls)


def test_listed_task_the_ledger_does_not_vouch_for_waits_as_pending(make_emulator):
    emulator = make_emulator(seed=41)
    first = run_tap(config_for(emulator.url))
    # Posted before the watermark, as if the ledger had missed it: only
    # tasks_ready shows it, so it is collected next run, from committed state.
    late = emulator.add_tasks(2, age=timedelta(hours=1))
    second = run_tap(config_for(emulator.url), state=first.last_state)
    assert collected(second) == set()
    assert emulator.collected_ids() == set()
    assert set(second.last_state["bookmarks"]["llm_responses"]["pending"]) == set(late)
    third = run_tap(config_for(emulator.url), state=second.last_state)
    assert collected(third) == set(late)
