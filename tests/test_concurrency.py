"""ordered_map: bounded in flight, bounded ahead, results in input order."""

from __future__ import annotations

import random
import threading
import time

import pytest

from tap_dataforseo_gemini.concurrency import InFlightLimit, ordered_map


class Gauge:
    """Counts calls running at once."""

    def __init__(self) -> None:
        self.running = 0
        self.peak = 0
        self.started: list[int] = []
        self.lock = threading.Lock()

    def call(self, item: int) -> int:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
            self.started.append(item)
        time.sleep(random.uniform(0, 0.01))
        with self.lock:
            self.running -= 1
        return item * item


def test_results_come_in_input_order():
    gauge = Gauge()
    results = list(ordered_map(gauge.call, range(60), workers=8, window=16))
    assert results == [(i, i * i) for i in range(60)]


def test_no_more_than_workers_calls_run_at_once():
    gauge = Gauge()
    list(ordered_map(gauge.call, range(80), workers=5, window=20))
    assert 1 < gauge.peak <= 5


def test_calls_start_at_most_a_window_ahead_of_the_consumer():
    gauge = Gauge()
    consumed = 0
    for item, _ in ordered_map(gauge.call, range(50), workers=4, window=6):
        consumed = item + 1
        time.sleep(0.002)
        with gauge.lock:
            assert len(gauge.started) <= consumed + 6


def test_an_error_is_raised_in_its_turn_and_later_calls_are_cancelled():
    started = []

    def call(item: int) -> int:
        started.append(item)
        if item == 3:
            raise RuntimeError("boom")
        time.sleep(0.01)
        return item

    seen = []
    results = ordered_map(call, range(1000), workers=2, window=4)
    with pytest.raises(RuntimeError, match="boom"):
        seen.extend(item for item, _ in results)
    assert seen == [0, 1, 2]
    assert len(started) < 20


def test_items_are_read_lazily():
    def endless():
        number = 0
        while True:
            yield number
            number += 1

    results = ordered_map(lambda x: x, endless(), workers=2, window=4)
    assert [next(results)[0] for _ in range(10)] == list(range(10))
    results.close()


def test_each_refusal_leaves_one_fewer_than_were_running():
    limit = InFlightLimit(8)
    slots = [limit.slot() for _ in range(8)]
    for slot in slots:
        slot.__enter__()
    assert limit.shrink() == (7, True)
    slots.pop().__exit__(None, None, None)
    assert limit.shrink() == (6, False)
    for slot in slots:
        slot.__exit__(None, None, None)
    assert limit.shrink() == (1, False)


def test_calls_wait_for_a_place_under_the_shrunk_limit():
    limit = InFlightLimit(4)
    gauge = Gauge()

    def call(item: int) -> int:
        with limit.slot():
            return gauge.call(item)

    limit.limit = 2
    list(ordered_map(call, range(40), workers=4, window=8))
    assert gauge.peak == 2
