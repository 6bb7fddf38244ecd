"""Concurrent collection: the in-flight bound and the rate windows hold.

These tests count requests on the emulator; they time nothing (bench/ does).
"""

from __future__ import annotations

import re

import requests

from tests.harness import LOGIN, PASSWORD, config_for, run_tap


def task_gets(emulator) -> list:
    return [r for r in emulator.requests if "/task_get/" in r.path]


def test_task_get_requests_never_exceed_the_concurrency_setting(make_emulator):
    emulator = make_emulator(seed=50, latency=0.02)
    ids = emulator.add_tasks(120)
    run = run_tap(config_for(emulator.url, max_concurrent_requests=5))
    assert {r["id"] for r in run.records("llm_responses")} == set(ids)
    assert emulator.max_in_flight == 5


def test_one_request_at_a_time_when_concurrency_is_one(make_emulator):
    emulator = make_emulator(seed=51, latency=0.01)
    emulator.add_tasks(20)
    run_tap(config_for(emulator.url, max_concurrent_requests=1))
    assert emulator.max_in_flight == 1


def test_records_come_out_in_plan_order_whatever_the_answer_order(make_emulator):
    emulator = make_emulator(seed=52, latency=0.001, latency_jitter=0.03)
    emulator.add_tasks(60)
    run = run_tap(config_for(emulator.url, max_concurrent_requests=16))
    collected = [r["id"] for r in run.records("llm_responses")]
    # One posting time for all: the plan orders them by id.
    assert len(collected) == 60
    assert collected == sorted(collected)


def test_account_window_is_never_exceeded(make_emulator, rate_window):
    rate_window(1.0)
    emulator = make_emulator(seed=53, rate_limit_per_minute=25, rate_window_seconds=1.0)
    ids = emulator.add_tasks(80)
    config = config_for(
        emulator.url,
        rate_limit_per_minute=25,
    )
    run = run_tap(config)
    assert {r["id"] for r in run.records("llm_responses")} == set(ids)
    assert all(r.status_code != 40202 for r in emulator.requests)
    starts = sorted(r.start for r in emulator.requests)
    assert len(starts) > 80
    for index, start in enumerate(starts):
        in_window = [s for s in starts[index:] if s < start + 0.95]
        assert len(in_window) <= 25


def test_a_window_spent_by_an_earlier_run_is_ridden_out(make_emulator, rate_window):
    rate_window(3.0)
    emulator = make_emulator(
        seed=54, tasks_ready_limit_per_minute=1, rate_window_seconds=3.0
    )
    ids = set(emulator.add_tasks(3))
    config = config_for(
        emulator.url,
        collection_mode="next_run",
        tasks_ready_rate_limit_per_minute=1,
        max_tries=8,
        max_retry_seconds=60,
    )
    first = run_tap(config)
    second = run_tap(config, state=first.last_state)
    assert second.returncode == 0, second.stderr
    assert {r["id"] for r in second.records("llm_responses")} == ids
    assert any(r.status_code == 40202 for r in emulator.requests)


def test_progress_is_logged_with_counts_and_rate(make_emulator):
    emulator = make_emulator(seed=55, latency=0.01)
    emulator.add_tasks(40)
    run = run_tap(
        config_for(
            emulator.url, progress_interval_seconds=0.05, max_concurrent_requests=2
        )
    )
    progress = [
        line for line in run.stderr.splitlines() if "llm_responses progress" in line
    ]
    assert progress
    assert "tasks/s" in progress[0]
    assert "llm_responses done: 40 of 40 tasks (40 collected)" in run.stderr


def progress_lines(run) -> list[str]:
    lines = run.stderr.splitlines()
    return [line for line in lines if "llm_responses progress" in line]


def test_progress_is_logged_on_a_timer_while_no_task_finishes(make_emulator):
    emulator = make_emulator(seed=58, latency=1.2)
    emulator.add_tasks(1)
    run = run_tap(config_for(emulator.url, progress_interval_seconds=0.2))
    assert run.returncode == 0, run.stderr
    waiting = [line for line in progress_lines(run) if ": 0 of 1 task (none)" in line]
    assert len(waiting) >= 3


def test_progress_says_when_the_run_waits_for_a_rate_limit_window(
    make_emulator, rate_window
):
    rate_window(1.0)
    emulator = make_emulator(seed=59, rate_limit_per_minute=6, rate_window_seconds=1.0)
    emulator.add_tasks(12)
    config = config_for(
        emulator.url,
        rate_limit_per_minute=6,
        progress_interval_seconds=0.2,
    )
    run = run_tap(config)
    assert run.returncode == 0, run.stderr
    held = [line for line in progress_lines(run) if "rate-limit window" in line]
    assert held
    assert re.search(r"; waiting \d+ s for the account rate-limit window$", held[0])


def test_a_wait_before_collection_starts_is_logged_too(make_emulator, rate_window):
    rate_window(1.5)
    emulator = make_emulator(seed=60, rate_limit_per_minute=2, rate_window_seconds=1.5)
    emulator.add_tasks(1)
    config = config_for(
        emulator.url,
        rate_limit_per_minute=2,
        progress_interval_seconds=0.2,
    )
    run = run_tap(config)
    assert run.returncode == 0, run.stderr
    assert re.search(
        r"ready_tasks: waiting \d+ s for the account rate-limit window", run.stderr
    )


def test_citations_add_no_log_line_per_task(make_emulator):
    emulator = make_emulator(seed=56)
    emulator.add_tasks(30, web_search=True)
    run = run_tap(config_for(emulator.url))
    assert len(run.records("llm_response_citations")) > 30
    assert run.stderr.count("llm_response_citations") <= 2


def test_calls_another_client_spent_are_paced_from_the_headers(
    make_emulator, rate_window
):
    rate_window(3.0)
    emulator = make_emulator(seed=57, rate_limit_per_minute=40, rate_window_seconds=3.0)
    ids = set(emulator.add_tasks(30))
    with requests.Session() as other:
        other.auth = (LOGIN, PASSWORD)
        for _ in range(30):
            other.get(f"{emulator.url}/v3/ai_optimization/gemini/llm_responses/models")
    emulator.reset_stats()
    config = config_for(
        emulator.url,
        rate_limit_per_minute=40,
    )
    run = run_tap(config)
    assert {r["id"] for r in run.records("llm_responses")} == ids
    assert [r.status_code for r in emulator.requests].count(40202) == 0
