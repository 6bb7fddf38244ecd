"""The per-minute window: never waits under the limit, holds it when over."""

from __future__ import annotations

import threading
import time

import pytest

from tap_dataforseo_gemini.rate_limit import (
    MalformedHeaderError,
    RateLimiter,
    RateLimits,
    count,
    retry_after,
)


class FakeClock:
    """A clock that moves when told to, or when a limiter waits."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float | None] = []

    def __call__(self) -> float:
        return self.now

    def wait(self, timeout: float | None) -> None:
        assert timeout is not None, "would wait for a running call forever"
        self.waits.append(timeout)
        self.now += timeout


def limiter(limit: int, window: float = 60.0) -> tuple[RateLimiter, FakeClock]:
    clock = FakeClock()
    rate = RateLimiter(limit, window, clock=clock)
    rate._wait = clock.wait
    return rate, clock


def call(rate: RateLimiter, clock: FakeClock, duration: float = 0.0) -> float:
    """One call: take a slot, run for ``duration``, release; return the wait."""
    with rate.slot() as waited:
        clock.now += duration
    return waited


def test_calls_under_the_limit_never_wait():
    rate, clock = limiter(5)
    assert [call(rate, clock) for _ in range(5)] == [0.0] * 5
    assert clock.waits == []


def test_call_over_the_limit_waits_for_the_oldest_to_leave_the_window():
    rate, clock = limiter(3)
    for second in range(3):
        clock.now = float(second)
        call(rate, clock)
    clock.now = 10.0
    assert call(rate, clock) == pytest.approx(50.0)
    assert clock.now == pytest.approx(60.0)


def test_a_slot_frees_a_window_after_its_call_ends_not_starts():
    rate, clock = limiter(1, window=10.0)
    call(rate, clock, duration=4.0)
    assert call(rate, clock) == pytest.approx(10.0)
    assert clock.now == pytest.approx(14.0)


def test_no_window_ever_holds_more_than_the_limit():
    rate, clock = limiter(4, window=1.0)
    starts = []
    for _ in range(40):
        with rate.slot():
            starts.append(clock.now)
        clock.now += 0.01
    for index, start in enumerate(starts):
        in_window = [s for s in starts[index:] if s < start + 1.0 - 1e-6]
        assert len(in_window) <= 4


def test_limit_of_zero_is_refused():
    with pytest.raises(ValueError, match="at least one"):
        RateLimiter(0)


def test_endpoint_window_is_taken_as_well_as_the_account_window():
    account, _ = limiter(100)
    endpoint, endpoint_clock = limiter(2)
    limits = RateLimits(account, {"tasks_ready": endpoint})
    for _ in range(3):
        with limits.slot("tasks_ready"):
            pass
    assert endpoint_clock.waits == [60.0]
    assert len(account._ended) == 3


def test_other_endpoints_share_only_the_account_window():
    account, _ = limiter(100)
    endpoint, endpoint_clock = limiter(1)
    limits = RateLimits(account, {"tasks_ready": endpoint})
    for _ in range(5):
        with limits.slot("task_get"):
            pass
    assert endpoint_clock.waits == []
    assert endpoint._ended == []


def test_threads_sharing_a_limiter_stay_within_the_limit():
    rate = RateLimiter(10, window=0.5)
    starts: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(5):
            with rate.slot():
                with lock:
                    starts.append(time.monotonic())
                time.sleep(0.001)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    starts.sort()
    assert len(starts) == 30
    for index, start in enumerate(starts):
        assert len([s for s in starts[index:] if s < start + 0.5 - 1e-3]) <= 10


def test_running_calls_hold_their_slots():
    rate = RateLimiter(2, window=0.01)
    rate.acquire()
    rate.acquire()
    freed = threading.Event()

    def third() -> None:
        rate.acquire()
        freed.set()

    waiter = threading.Thread(target=third)
    waiter.start()
    assert not freed.wait(0.1)
    rate.release()
    assert freed.wait(2)
    waiter.join()


def test_calls_the_server_says_are_spent_are_held_for_a_window():
    rate, clock = limiter(10, window=60.0)
    rate.observe(remaining=3)
    assert [call(rate, clock) for _ in range(3)] == [0.0] * 3
    assert call(rate, clock) == pytest.approx(60.0)


def test_a_server_with_more_calls_left_changes_nothing():
    rate, clock = limiter(5)
    call(rate, clock)
    rate.observe(remaining=100)
    assert [call(rate, clock) for _ in range(4)] == [0.0] * 4
    assert clock.waits == []


def test_remaining_header_counts_against_the_endpoints_own_window():
    account, _ = limiter(100)
    endpoint, _ = limiter(20)
    limits = RateLimits(account, {"tasks_ready": endpoint})
    limits.observe("tasks_ready", {"X-RateLimit-Remaining": "5"})
    limits.observe("task_get", {"X-RateLimit-Remaining": "90"})
    limits.observe("task_get", {"X-RateLimit-Remaining": "soon"})
    assert len(endpoint._ended) == 15
    assert len(account._ended) == 10


def test_a_count_header_is_ascii_digits_only():
    assert count("2000") == 2000
    assert count(None) is None
    for value in ("²", "٣", "-1", "1.5", " 7", "", "9" * 5000):
        with pytest.raises(MalformedHeaderError):
            count(value)


def test_retry_after_in_seconds_or_as_an_http_date_on_the_servers_clock():
    assert retry_after({"Retry-After": "7"}) == 7.0
    assert retry_after(
        {
            "Retry-After": "Wed, 25 Nov 2026 10:00:30 GMT",
            "Date": "Wed, 25 Nov 2026 10:00:00 GMT",
        }
    ) == pytest.approx(30.0)
    assert retry_after({"Retry-After": "soon"}) is None
    assert retry_after({}) is None


def test_the_limit_header_lowers_the_window_but_never_above_the_settings():
    account, _ = limiter(100)
    limits = RateLimits(account, {})
    limits.observe("task_get", {"X-RateLimit-Limit": "40"})
    assert account.limit == 40
    limits.observe("task_get", {"X-RateLimit-Limit": "500"})
    assert account.limit == 100


def test_a_malformed_header_changes_nothing_and_warns_once(caplog):
    account, _ = limiter(100)
    limits = RateLimits(account, {})
    for _ in range(3):
        limits.observe("task_get", {"X-RateLimit-Remaining": "²"})
    assert account.limit == 100
    assert account._ended == []
    assert caplog.text.count("Ignoring a malformed rate-limit header") == 1


def test_a_refusal_drops_the_limit_to_what_the_window_managed_once_a_window():
    rate, clock = limiter(100, window=60.0)
    for _ in range(30):
        call(rate, clock, duration=0.1)
    assert rate.refused() == 30
    call(rate, clock)
    assert rate.refused() is None
    assert rate.limit == 30


def test_a_refusal_after_too_few_calls_to_explain_it_changes_nothing():
    rate, clock = limiter(100, window=60.0)
    for _ in range(9):
        call(rate, clock)
    assert rate.refused() is None
    assert rate.limit == 100


def test_a_pause_holds_every_call_until_it_ends():
    rate, clock = limiter(100)
    rate.pause(5.0)
    assert call(rate, clock) == pytest.approx(5.0)
    assert call(rate, clock) == 0.0


def test_held_names_the_window_a_waiting_call_waits_for_and_how_long():
    clock = FakeClock()
    tasks_ready = RateLimiter(1, 60.0, clock=clock)
    account = RateLimiter(100, 60.0, clock=clock)
    limits = RateLimits(account, {"tasks_ready": tasks_ready})
    seen = []

    def wait(timeout: float | None) -> None:
        seen.append(limits.held())
        clock.wait(timeout)

    tasks_ready._wait = wait
    with limits.slot("tasks_ready"):
        clock.now += 5.0
    assert limits.held() is None
    with limits.slot("tasks_ready"):
        pass
    assert seen == [("tasks_ready", 60.0)]
    assert limits.held() is None


def test_held_counts_a_retry_after_pause_too():
    clock = FakeClock()
    account = RateLimiter(100, 60.0, clock=clock)
    limits = RateLimits(account, {})
    seen = []

    def wait(timeout: float | None) -> None:
        seen.append(limits.held())
        clock.wait(timeout)

    account._wait = wait
    limits.pause(7.0)
    with limits.slot("task_get"):
        pass
    assert seen == [("account", 7.0)]
