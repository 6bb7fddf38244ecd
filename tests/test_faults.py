"""Faults: retried when transient, one clear line when final, never a lost task."""

from __future__ import annotations

import pytest

from fake_dataforseo import Fault
from tests.harness import PASSWORD, config_for, run_tap


def final_line(run) -> str:
    """The run's last stderr line, after checking it failed without a traceback."""
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    assert PASSWORD not in run.stderr
    return run.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(
    "fault",
    [
        Fault.HTTP_500,
        Fault.INTERNAL_50000,
        Fault.RATE_LIMIT_40202,
        Fault.MALFORMED_JSON,
        Fault.NOT_JSON,
        Fault.WRONG_SHAPE,
        Fault.DROP_CONNECTION,
        Fault.TOO_MANY_IN_FLIGHT_40209,
        Fault.HTTP_429,
    ],
)
def test_transient_faults_on_task_get_are_retried(make_emulator, fault):
    emulator = make_emulator(seed=20)
    ids = set(emulator.add_tasks(6))
    emulator.inject(fault, times=2, path_contains="task_get")
    run = run_tap(config_for(emulator.url))
    assert run.returncode == 0, run.stderr
    assert {r["id"] for r in run.records("llm_responses")} == ids
    assert "Retrying llm_responses" in run.stderr


@pytest.mark.parametrize("fault", [Fault.HTTP_500, Fault.RATE_LIMIT_40202])
def test_transient_faults_on_tasks_ready_are_retried(make_emulator, fault):
    emulator = make_emulator(seed=21)
    ids = set(emulator.add_tasks(3))
    emulator.inject(fault, times=2, path_contains="tasks_ready")
    run = run_tap(config_for(emulator.url))
    assert run.returncode == 0, run.stderr
    assert {r["id"] for r in run.records("ready_tasks")} == ids


def test_transient_faults_on_id_list_are_retried(make_emulator):
    emulator = make_emulator(seed=22)
    ids = set(emulator.add_tasks(3))
    emulator.inject(Fault.INTERNAL_50000, times=2, path_contains="id_list")
    run = run_tap(config_for(emulator.url))
    assert run.returncode == 0, run.stderr
    assert {r["id"] for r in run.records("llm_responses")} == ids


def test_wrong_password_ends_with_one_clear_line(emulator):
    run = run_tap({**config_for(emulator.url), "password": "wrong-password"})
    assert "rejected the login and password" in final_line(run)


def test_payment_required_ends_with_one_clear_line(emulator):
    emulator.inject(Fault.HTTP_402, times=50)
    run = run_tap(config_for(emulator.url))
    assert "account balance" in final_line(run)


def test_unreachable_api_url_ends_with_one_clear_line(emulator):
    url = emulator.url
    emulator.stop()
    run = run_tap(config_for(url, max_tries=2, max_retry_seconds=2))
    line = final_line(run)
    assert "cannot reach the DataForSEO API" in line
    assert "api_url" in line


def test_missing_login_ends_with_one_clear_line(emulator):
    config = config_for(emulator.url)
    del config["login"]
    assert "'login' is a required property" in final_line(run_tap(config))


def test_malformed_api_url_ends_with_one_clear_line():
    line = final_line(run_tap(config_for("ftp:/nowhere")))
    assert "api_url" in line


def test_unknown_llm_ends_with_one_clear_line(emulator):
    assert "llm" in final_line(run_tap(config_for(emulator.url, llm="bard")))


def test_invalid_state_ends_with_one_clear_line(emulator):
    state = {"bookmarks": {"llm_responses": {"pending": "not-a-list"}}}
    assert "invalid state" in final_line(run_tap(config_for(emulator.url), state=state))


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (Fault.WRONG_SHAPE, "malformed API answer from task_get"),
        (Fault.HTTP_500, "HTTP 500 from task_get"),
    ],
)
def test_persistent_fault_fails_clearly_and_the_next_run_delivers(
    make_emulator, fault, message
):
    emulator = make_emulator(seed=23)
    ids = set(emulator.add_tasks(4))
    emulator.inject(fault, times=1000, path_contains="task_get")
    failed = run_tap(config_for(emulator.url, max_tries=2))
    assert message in final_line(failed)
    emulator.clear_faults()
    again = run_tap(config_for(emulator.url), state=failed.last_state)
    assert {r["id"] for r in again.records("llm_responses")} == ids


def test_failed_task_is_a_record_with_its_status(make_emulator):
    emulator = make_emulator(seed=25)
    failed = set(emulator.add_tasks(2, status="failed"))
    done = set(emulator.add_tasks(2))
    run = run_tap(config_for(emulator.url))
    assert run.returncode == 0, run.stderr
    records = {r["id"]: r for r in run.records("llm_responses")}
    assert set(records) == failed | done
    for task_id in failed:
        assert records[task_id]["status_code"] == 40501
        assert records[task_id]["model_name"] is None
    assert "failed with status 40501" in run.stderr


def test_pending_id_unknown_to_the_api_is_a_record_and_leaves_pending(emulator):
    state = {"bookmarks": {"llm_responses": {"pending": ["00000000-dead-beef"]}}}
    run = run_tap(config_for(emulator.url), state=state)
    assert [r["status_code"] for r in run.records("llm_responses")] == [40400]
    assert run.last_state["bookmarks"]["llm_responses"]["pending"] == []


def test_pending_task_not_done_yet_stays_pending(make_emulator):
    emulator = make_emulator(seed=26)
    queued = emulator.add_tasks(1, status="queued")
    state = {"bookmarks": {"llm_responses": {"pending": queued}}}
    run = run_tap(config_for(emulator.url, collection_mode="next_run"), state=state)
    assert run.records("llm_responses") == []
    assert run.last_state["bookmarks"]["llm_responses"]["pending"] == queued


def test_running_tasks_are_collected_once_they_complete(make_emulator):
    emulator = make_emulator(seed=27)
    queued = emulator.add_tasks(3, status="queued")
    first = run_tap(config_for(emulator.url))
    assert first.records("llm_responses") == []
    emulator.complete(queued)
    second = run_tap(config_for(emulator.url), state=first.last_state)
    assert {r["id"] for r in second.records("llm_responses")} == set(queued)


def test_a_request_past_request_timeout_is_retried(make_emulator):
    emulator = make_emulator(seed=28)
    ids = set(emulator.add_tasks(3))
    emulator.inject(Fault.SLOW, times=1, path_contains="task_get")
    run = run_tap(config_for(emulator.url, request_timeout=1))
    assert run.returncode == 0, run.stderr
    assert {r["id"] for r in run.records("llm_responses")} == ids
    assert "ReadTimeout" in run.stderr
