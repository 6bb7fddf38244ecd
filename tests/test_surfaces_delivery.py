"""Each consumer surface keeps every delivery guarantee of ``llm_responses``.

The LLM Scraper (ChatGPT, Gemini) and Google AI Mode through the same protocol:
runs killed or their target failing, other clients taking tasks off
``tasks_ready``, a backlog past three days or 1000 tasks, a failing ``id_list``,
a task that fails on every ``task_get`` (issue 20). The scenarios mirror
``test_delivery.py``, ``test_reconcile.py`` and ``test_survival.py``.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from fake_dataforseo import Fault
from tests.harness import Warehouse, run_tap
from tests.surfaces import SURFACES, Surface

each_surface = pytest.mark.parametrize("surface", SURFACES, ids=str)


def collected(run, surface: Surface) -> set[str]:
    return {record["id"] for record in run.records(surface.results)}


@pytest.mark.slow
@each_surface
def test_random_kills_and_failed_targets_lose_no_task(make_emulator, surface):
    rng = random.Random(7)
    emulator = make_emulator(seed=7, rate_limit_per_minute=100_000)
    for _ in range(4):
        emulator.add_tasks(
            30, se=surface.key, age=timedelta(minutes=rng.randint(6, 48 * 60))
        )
    config = surface.config(emulator.url, max_concurrent_requests=8)
    warehouse = Warehouse()
    for _ in range(6):
        emulator.add_tasks(rng.randint(0, 40), se=surface.key)
        if rng.random() < 0.4:
            ready = emulator.ready_ids(surface.key)
            emulator.collect_by_other_client(rng.sample(ready, k=min(10, len(ready))))
        warehouse.load(config, stop_after=rng.randint(0, 600), kill=rng.random() < 0.5)
    for _ in range(2):
        assert warehouse.load(config) == 0, warehouse.stderr[-3000:]
    assert warehouse.ids(surface.results) == set(emulator.task_ids(surface.key))
    assert warehouse.ids(surface.rows) <= set(emulator.task_ids(surface.key))


@each_surface
def test_one_run_delivers_tasks_other_clients_took_and_tasks_past_three_days(
    make_emulator, surface
):
    emulator = make_emulator(seed=210)
    old = emulator.add_tasks(3, se=surface.key, age=timedelta(days=5))
    new = emulator.add_tasks(6, se=surface.key)
    emulator.collect_by_other_client(new[:4])
    run = run_tap(surface.config(emulator.url))
    assert run.returncode == 0, run.stderr
    assert collected(run, surface) == set(old + new)
    assert {r["id"] for r in run.records("ready_tasks")} == set(new[4:])


@each_surface
def test_one_run_delivers_a_backlog_over_a_thousand(make_emulator, surface):
    emulator = make_emulator(seed=211, rate_limit_per_minute=100_000)
    ids = emulator.add_tasks(1200, se=surface.key)
    run = run_tap(surface.config(emulator.url))
    assert len(run.records("ready_tasks")) == 1000
    assert collected(run, surface) == set(ids)


@each_surface
def test_a_failing_id_list_falls_back_to_the_next_run(make_emulator, surface):
    emulator = make_emulator(seed=212)
    ids = emulator.add_tasks(4, se=surface.key)
    emulator.inject(Fault.INVALID_PATH_40402, times=1000, path_contains="/id_list")
    config = surface.config(emulator.url, max_tries=2)
    warehouse = Warehouse()
    assert warehouse.load(config) == 0, warehouse.stderr
    assert warehouse.ids(surface.results) == set()
    assert "id_list failed" in warehouse.stderr
    assert warehouse.load(config) == 0, warehouse.stderr
    assert warehouse.ids(surface.results) == set(ids)


@each_surface
def test_a_task_failing_on_every_task_get_is_a_failure_record_once(
    make_emulator, surface
):
    emulator = make_emulator(seed=213)
    poison, *good = emulator.add_tasks(3, se=surface.key, age=timedelta(hours=1))
    emulator.inject(
        Fault.TASK_50000, times=1000, path_contains=surface.task_get + poison
    )
    run = run_tap(surface.config(emulator.url))
    assert run.returncode == 0, run.stderr
    records = {r["id"]: r for r in run.records(surface.results)}
    assert records[poison]["status_code"] == 50000
    assert records[poison]["raw_answer"]
    assert all(records[task_id]["raw_answer"] is None for task_id in good)
    emulator.reset_stats()
    again = run_tap(surface.config(emulator.url), state=run.last_state)
    assert again.returncode == 0, again.stderr
    assert collected(again, surface) == set()
    assert not [r for r in emulator.requests if surface.task_get in r.path]


@each_surface
def test_a_second_run_does_not_collect_settled_tasks_again(make_emulator, surface):
    emulator = make_emulator(seed=214)
    emulator.add_tasks(5, se=surface.key, age=timedelta(hours=2))
    first = run_tap(surface.config(emulator.url))
    assert len(collected(first, surface)) == 5
    second = run_tap(surface.config(emulator.url), state=first.last_state)
    assert collected(second, surface) == set()


@each_surface
def test_next_run_mode_collects_listed_tasks_from_committed_state(
    make_emulator, surface
):
    emulator = make_emulator(seed=215)
    ids = emulator.add_tasks(4, se=surface.key)
    config = surface.config(emulator.url, collection_mode="next_run")
    warehouse = Warehouse()
    assert warehouse.load(config) == 0, warehouse.stderr
    assert warehouse.ids(surface.results) == set()
    assert not [r for r in emulator.requests if "/id_list" in r.path]
    assert warehouse.load(config) == 0, warehouse.stderr
    assert warehouse.ids(surface.results) == set(ids)


@each_surface
@pytest.mark.parametrize("minutes", [10, -10])
def test_every_task_is_delivered_with_the_apis_clock_minutes_off(
    make_emulator, surface, minutes
):
    emulator = make_emulator(seed=216, clock_offset=timedelta(minutes=minutes))
    warehouse = Warehouse()
    ids: list[str] = []
    for _ in range(3):
        new = emulator.add_tasks(4, se=surface.key)
        emulator.collect_by_other_client(new[:2])
        ids += new
        assert warehouse.load(surface.config(emulator.url)) == 0, warehouse.stderr
    assert warehouse.ids(surface.results) == set(ids)
