"""Request metrics: one summary line a run at INFO, a METRIC line a request at DEBUG."""

from __future__ import annotations

import re

import pytest

from tap_dataforseo_gemini.request_metrics import RequestMetrics
from tests.harness import config_for, run_tap

SUMMARY = "Requests this run"
REQUEST_METRIC = '"metric":"http_request_duration"'


def test_percentiles_are_read_from_the_latencies_within_two_percent():
    metrics = RequestMetrics()
    for ms in range(1, 101):
        metrics.add("task_get", 200, ms / 1000)
    line = metrics.summary()
    found = re.fullmatch(
        r"task_get 100, p50 ([\d.]+) ms, p90 ([\d.]+) ms, p99 ([\d.]+) ms, max 100 ms",
        line,
    )
    assert found, line
    assert [float(ms) for ms in found.groups()] == pytest.approx([50, 90, 99], rel=0.02)


def test_statuses_other_than_200_are_counted_by_endpoint():
    metrics = RequestMetrics()
    metrics.add("task_get", 200, 0.05)
    metrics.add("task_get", 500, 0.05)
    metrics.add("tasks_ready", 429, 0.05)
    line = metrics.summary()
    assert line.startswith("task_get 2 (HTTP 500: 1), ")
    assert "; tasks_ready 1 (HTTP 429: 1), " in line


def test_a_run_logs_its_requests_in_one_line_at_info(make_emulator):
    emulator = make_emulator(seed=222)
    emulator.add_tasks(12)
    run = run_tap(config_for(emulator.url))
    assert run.returncode == 0, run.stderr
    assert REQUEST_METRIC not in run.stderr
    (line,) = [line for line in run.stderr.splitlines() if SUMMARY in line]
    assert "INFO" in line
    assert "task_get 12, p50 " in line
    assert "tasks_ready 1, p50 " in line


def test_at_debug_each_request_has_its_own_metric_line(make_emulator):
    emulator = make_emulator(seed=223)
    emulator.add_tasks(12)
    run = run_tap(
        config_for(emulator.url), env={"TAP_DATAFORSEO_GEMINI_LOGLEVEL": "DEBUG"}
    )
    assert run.returncode == 0, run.stderr
    lines = [line for line in run.stderr.splitlines() if REQUEST_METRIC in line]
    assert len(lines) == len(emulator.requests)
    assert sum('"endpoint":"task_get"' in line for line in lines) == 12
    assert run.stderr.count(SUMMARY) == 1
