"""Request-level statuses as the vendor's table says, and rate limits learnt.

Fatal statuses end the run with their own line; 40209, 40202 and HTTP 429 are
retried, each the way its answer asks.
"""

from __future__ import annotations

import re

import pytest

from fake_dataforseo import Fault
from tests.harness import config_for, run_tap
from tests.test_faults import final_line


def overlap(intervals: list[tuple[float, float]]) -> int:
    """The most intervals open at one moment."""
    edges = sorted(
        [(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals]
    )
    most = running = 0
    for _, step in edges:
        running += step
        most = max(most, running)
    return most


@pytest.mark.parametrize(
    ("fault", "says"),
    [
        (Fault.ACCOUNT_BLOCKED_40201, "blocked the account for suspicious activity"),
        (Fault.COST_LIMIT_40203, "cost limit is reached"),
        (Fault.IP_NOT_WHITELISTED_40207, "add it to the account's IP whitelist"),
        (Fault.NOT_IMPLEMENTED_50100, "does not implement this call"),
    ],
)
def test_fatal_status_ends_the_run_with_its_own_line_and_no_retry(
    make_emulator, fault, says
):
    emulator = make_emulator(seed=90)
    emulator.add_tasks(2)
    emulator.inject(fault, times=50)
    run = run_tap(config_for(emulator.url))
    line = final_line(run)
    assert says in line
    assert f"status {fault.value.rsplit('_', 1)[1]}" in line
    assert "Retrying" not in run.stderr
    assert len(emulator.requests) == 1


def test_too_many_in_flight_is_retried_with_fewer_in_flight(make_emulator):
    emulator = make_emulator(seed=91, latency=0.03, max_concurrent=3)
    ids = set(emulator.add_tasks(60))
    run = run_tap(config_for(emulator.url, max_concurrent_requests=8))
    assert run.returncode == 0, run.stderr
    assert {r["id"] for r in run.records("llm_responses")} == ids
    refused = [r for r in emulator.requests if r.status_code == 40209]
    assert refused
    last = max(r.end for r in refused)
    after = [(r.start, r.end) for r in emulator.requests if r.start > last]
    assert len(after) > 20
    assert overlap(after) <= 3
    assert run.stderr.count("answered 40209") == 1


def test_http_429_waits_its_retry_after_before_any_call(make_emulator):
    emulator = make_emulator(seed=92)
    ids = set(emulator.add_tasks(10))
    emulator.retry_after = "2"
    emulator.inject(Fault.HTTP_429, times=1, path_contains="task_get")
    run = run_tap(config_for(emulator.url))
    assert run.returncode == 0, run.stderr
    assert {r["id"] for r in run.records("llm_responses")} == ids
    (limited,) = [r for r in emulator.requests if r.status_code == 429]
    # Calls already on their way when the 429 came back land at once; then none.
    later = [r.start - limited.end for r in emulator.requests if r.start > limited.end]
    assert max(later) >= 1.9
    assert not [gap for gap in later if 0.2 < gap < 1.9]


def test_the_limit_is_learnt_from_x_ratelimit_limit(make_emulator, rate_window):
    rate_window(1.5)
    emulator = make_emulator(seed=93, rate_limit_per_minute=15, rate_window_seconds=1.5)
    ids = set(emulator.add_tasks(40))
    config = config_for(emulator.url, max_concurrent_requests=4)
    run = run_tap(config)
    assert run.returncode == 0, run.stderr
    assert {r["id"] for r in run.records("llm_responses")} == ids
    assert [r.status_code for r in emulator.requests].count(40202) == 0
    assert "DataForSEO allows 15 calls a window for models" in run.stderr


def test_without_headers_the_limit_is_learnt_from_40202_once(
    make_emulator, rate_window
):
    rate_window(1.5)
    emulator = make_emulator(
        seed=94,
        latency=0.01,
        rate_limit_per_minute=30,
        rate_window_seconds=1.5,
        rate_limit_headers=False,
    )
    ids = set(emulator.add_tasks(100))
    config = config_for(
        emulator.url,
        rate_limit_per_minute=200,
        max_concurrent_requests=4,
    )
    run = run_tap(config)
    assert run.returncode == 0, run.stderr
    assert {r["id"] for r in run.records("llm_responses")} == ids
    assert run.stderr.count("answered 40202") == 1
    # The tap counts a call when it ends, the server when it takes it: near 30.
    (learnt,) = re.findall(r"pacing to (\d+) calls a window", run.stderr)
    assert 27 <= int(learnt) <= 33
    assert [r.status_code for r in emulator.requests].count(40202) <= 8


def test_a_malformed_rate_limit_header_is_ignored_with_one_warning(make_emulator):
    emulator = make_emulator(seed=95)
    ids = set(emulator.add_tasks(6))
    emulator.inject(Fault.MALFORMED_RATE_HEADERS, times=5)
    run = run_tap(config_for(emulator.url))
    assert run.returncode == 0, run.stderr
    assert {r["id"] for r in run.records("llm_responses")} == ids
    assert run.stderr.count("Ignoring a malformed rate-limit header") == 1
    assert "'²'" in run.stderr
