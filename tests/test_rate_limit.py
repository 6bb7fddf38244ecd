"""The per-minute window: never waits under the limit, holds it when over."""

from __future__ import annotations

import threading
import time

import pytest

from tap_dataforseo_gemini.rate_limit import RateLimiter, RateLimits


class FakeClock:
    """A clock that moves only when something sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def limiter(limit: int, window: float = 60.0) -> tuple[RateLimiter, FakeClock]:
    clock = FakeClock()
    return RateLimiter(limit, window, clock=clock, sleep=clock.sleep), clock


def test_calls_under_the_limit_never_sleep():
    rate, clock = limiter(5)
    for _ in range(5):
        assert rate.acquire() == 0.0
    assert clock.slept == []


def test_call_over_the_limit_waits_for_the_oldest_to_leave_the_window():
    rate, clock = limiter(3)
    for second in range(3):
        clock.now = float(second)
        rate.acquire()
    clock.now = 10.0
    assert rate.acquire() == pytest.approx(50.0)
    assert clock.now == pytest.approx(60.0)


def test_no_window_ever_holds_more_than_the_limit():
    rate, clock = limiter(4, window=1.0)
    stamps = []
    for _ in range(40):
        rate.acquire()
        stamps.append(clock.now)
        clock.now += 0.01
    for index, start in enumerate(stamps):
        in_window = [s for s in stamps[index:] if s < start + 1.0 - 1e-6]
        assert len(in_window) <= 4


def test_limit_of_zero_is_refused():
    with pytest.raises(ValueError, match="at least one"):
        RateLimiter(0)


def test_endpoint_window_is_taken_before_the_account_window():
    account, account_clock = limiter(100)
    endpoint, endpoint_clock = limiter(2)
    limits = RateLimits(account, {"tasks_ready": endpoint})
    for _ in range(3):
        limits.acquire("tasks_ready")
    assert endpoint_clock.slept == [60.0]
    assert account_clock.slept == []


def test_other_endpoints_share_only_the_account_window():
    account, _ = limiter(100)
    endpoint, endpoint_clock = limiter(1)
    limits = RateLimits(account, {"tasks_ready": endpoint})
    for _ in range(5):
        limits.acquire("task_get")
    assert endpoint_clock.slept == []


def test_threads_sharing_a_limiter_stay_within_the_limit():
    rate = RateLimiter(10, window=0.5)
    stamps: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(5):
            rate.acquire()
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stamps.sort()
    assert len(stamps) == 30
    for index, start in enumerate(stamps):
        assert len([s for s in stamps[index:] if s < start + 0.5 - 1e-3]) <= 10
