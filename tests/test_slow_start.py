"""Without rate-limit headers the account's window ramps up: no burst of 40202."""

from __future__ import annotations

import re
from contextlib import ExitStack

import pytest

from tap_dataforseo_gemini.rate_limit import (
    LEARN_FROM,
    PROBES,
    RateLimiter,
    RateLimits,
)
from tests.harness import config_for, run_tap
from tests.test_rate_limit import FakeClock


def account(limit: int = 100) -> tuple[RateLimits, FakeClock]:
    """An account window of ``limit`` calls a minute, as a run starts it."""
    clock = FakeClock()
    window = RateLimiter(limit, 60.0, clock=clock)
    window._wait = clock.wait
    return RateLimits(window, {}), clock


def calls_at_once(limits: RateLimits, most: int = 1000) -> int:
    """How many calls start before one has to wait for a call in flight."""
    with ExitStack() as running:
        for started in range(most):
            try:
                running.enter_context(limits.slot("task_get"))
            except AssertionError:  # FakeClock: would wait for a running call
                return started
    return most


def taken(limits: RateLimits, calls: int) -> None:
    """``calls`` calls one after another, each taken by the server."""
    for _ in range(calls):
        with limits.slot("task_get"):
            pass


def test_a_run_starts_with_a_tenth_of_the_limit_and_a_few_probes_at_once():
    limits, _ = account(100)
    assert calls_at_once(limits) == 100 // LEARN_FROM + PROBES


def test_calls_the_server_took_in_a_window_go_at_once_after_that():
    limits, _ = account(100)
    taken(limits, 30)
    limits.account._ended.clear()  # a window later
    assert calls_at_once(limits) == 30 + PROBES


def test_a_refused_call_proves_nothing():
    limits, _ = account(100)
    for _ in range(3):
        with pytest.raises(RuntimeError), limits.slot("task_get"):
            raise RuntimeError("40202")
    limits.account._ended.clear()
    assert limits.account.proven == 100 // LEARN_FROM
    assert calls_at_once(limits) == 100 // LEARN_FROM + PROBES


def test_a_limit_header_ends_the_ramp():
    limits, _ = account(100)
    limits.observe("task_get", {"X-RateLimit-Limit": "80"})
    assert calls_at_once(limits) == 80


def test_a_remaining_header_ends_the_ramp_too():
    limits, _ = account(100)
    limits.observe("task_get", {"X-RateLimit-Remaining": "100"})
    assert calls_at_once(limits) == 100


def test_the_endpoints_documented_windows_do_not_ramp():
    clock = FakeClock()
    id_list = RateLimiter(10, 60.0, clock=clock)
    id_list._wait = clock.wait
    limits = RateLimits(RateLimiter(100, 60.0, clock=clock), {"id_list": id_list})
    limits.observe("task_get", {"X-RateLimit-Limit": "100"})
    with ExitStack() as running:
        for _ in range(10):
            running.enter_context(limits.slot("id_list"))


def test_a_40202_while_ramping_paces_to_the_calls_the_server_took():
    limits, clock = account(100)
    taken(limits, 30)
    for _ in range(PROBES):  # the calls in flight when the limit was reached
        with pytest.raises(RuntimeError), limits.slot("task_get"):
            raise RuntimeError("40202")
    limits.refused("task_get")
    assert limits.account.limit == 30
    clock.now += 61.0
    assert calls_at_once(limits) == 30


def test_a_headerless_account_is_reached_with_a_few_40202_not_a_burst(
    make_emulator, rate_window
):
    rate_window(2.0)
    emulator = make_emulator(
        seed=221,
        latency=0.01,
        rate_limit_per_minute=60,
        rate_window_seconds=2.0,
        rate_limit_headers=False,
    )
    ids = set(emulator.add_tasks(150))
    config = config_for(
        emulator.url, rate_limit_per_minute=300, max_concurrent_requests=32
    )
    run = run_tap(config)
    assert run.returncode == 0, run.stderr
    assert {r["id"] for r in run.records("llm_responses")} == ids
    assert [r.status_code for r in emulator.requests].count(40202) <= PROBES
    (learnt,) = re.findall(r"pacing to (\d+) calls a window", run.stderr)
    assert 54 <= int(learnt) <= 60
    assert run.stderr.count("the account's window ramps up from 30 calls") == 1
