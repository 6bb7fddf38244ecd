"""No completed task is lost, whatever kills the tap or fails the target.

Each scenario stops runs at random points (SIGKILL, or the target failing and
closing its input before it commits), then runs again from the last state the
target committed, as Meltano does. Tasks keep arriving, other clients take some
off tasks_ready, and some wait past its three days.
"""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest

from tests.harness import Warehouse, config_for

SEEDS = [1, 2, 3]
# Killed runs spend calls too: the account limit is not what these tests are about.


def done_ids(emulator) -> set[str]:
    return set(emulator.task_ids())


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("mode", ["same_run", "next_run"])
def test_random_kills_and_failed_targets_lose_no_task(make_emulator, seed, mode):
    rng = random.Random(seed)
    emulator = make_emulator(seed=seed, rate_limit_per_minute=100_000)
    # A backlog posted minutes to two days before the first run: older than the
    # ledger's five settling minutes, so only the watermark keeps it safe.
    for _ in range(6):
        emulator.add_tasks(30, age=timedelta(minutes=rng.randint(6, 48 * 60)))
    config = config_for(emulator.url, collection_mode=mode, max_concurrent_requests=8)
    warehouse = Warehouse()
    for _ in range(8):
        emulator.add_tasks(rng.randint(0, 60))
        if mode == "same_run" and rng.random() < 0.3:
            ready = emulator.ready_ids()
            emulator.collect_by_other_client(rng.sample(ready, k=min(10, len(ready))))
        warehouse.load(config, stop_after=rng.randint(0, 1500), kill=rng.random() < 0.5)
    for _ in range(2):
        assert warehouse.load(config) == 0, warehouse.stderr[-3000:]
    assert warehouse.ids("llm_responses") == done_ids(emulator)
    assert warehouse.ids("ready_tasks") <= done_ids(emulator)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_kills_with_tasks_past_tasks_ready_lose_no_task(make_emulator, seed):
    rng = random.Random(seed)
    emulator = make_emulator(seed=seed, rate_limit_per_minute=100_000)
    emulator.add_tasks(80, age=timedelta(hours=1))
    emulator.add_tasks(150, age=timedelta(days=4))
    config = config_for(emulator.url)
    warehouse = Warehouse()
    warehouse.load(config, stop_after=rng.randint(0, 600), kill=True)
    emulator.add_tasks(50)
    warehouse.load(config, stop_after=rng.randint(0, 600), kill=False)
    assert warehouse.load(config) == 0
    assert warehouse.ids("llm_responses") == done_ids(emulator)


@pytest.mark.slow
def test_state_stays_flat_while_thousands_of_tasks_pass(make_emulator):
    # Six runs page id_list more than ten times a minute: not what this is about.
    emulator = make_emulator(
        seed=9, rate_limit_per_minute=100_000, id_list_limit_per_minute=1000
    )
    config = config_for(
        emulator.url,
        max_concurrent_requests=8,
        progress_interval_seconds=0.5,
        id_list_rate_limit_per_minute=1000,
    )
    warehouse = Warehouse()
    sizes = []
    for _ in range(6):
        emulator.add_tasks(500)
        assert warehouse.load(config) == 0
        sizes.append(len(json.dumps(warehouse.state)))
    assert len(warehouse.ids("llm_responses")) == 3000
    assert max(sizes) < 1000
    assert max(sizes) - min(sizes) < 100


@pytest.mark.slow
def test_next_run_state_holds_only_the_pending_ids(make_emulator):
    emulator = make_emulator(seed=10)
    config = config_for(emulator.url, collection_mode="next_run")
    warehouse = Warehouse()
    for _ in range(4):
        emulator.add_tasks(300)
        assert warehouse.load(config) == 0
        pending = warehouse.state["bookmarks"]["llm_responses"]["pending"]
        assert len(pending) == 300
    assert len(warehouse.ids("llm_responses")) == 900
