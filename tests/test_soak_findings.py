"""What the soak (python -m soak) found, each kept fixed by a test of its own."""

from __future__ import annotations

import json
import signal
from datetime import timedelta

from tap_dataforseo_gemini.tap import NAME
from tests.harness import config_for, run_tap
from tests.test_interrupts import (  # noqa: F401 - slow_run is a fixture
    read_until_records,
    slow_run,
    stderr_of,
)
from tests.test_survival import answer_of, responses


def test_an_envelope_without_status_message_is_pending_then_a_failure_record(
    make_emulator,
):
    emulator = make_emulator(seed=240)
    garbled, good = emulator.add_tasks(2, age=timedelta(hours=1))
    body = answer_of(emulator, garbled)
    del body["status_message"]
    emulator.set_answer(garbled, body)
    config = config_for(emulator.url, max_retry_seconds=1)

    first = run_tap(config)
    emulator.add_tasks(1)  # a task_get that answers: the API is not down
    second = run_tap(config, state=first.last_state)
    emulator.add_tasks(1)
    third = run_tap(config, state=second.last_state)

    assert [run.returncode for run in (first, second, third)] == [0, 0, 0]
    assert set(responses(first)) == {good}
    assert garbled not in responses(second)
    record = responses(third)[garbled]
    assert "'status_message' is missing" in record["status_message"]
    assert json.loads(record["raw_answer"]) == body


def test_a_garbled_task_get_envelope_does_not_stop_the_next_run(make_emulator):
    emulator = make_emulator(seed=241)
    (garbled,) = emulator.add_tasks(1, age=timedelta(hours=1))
    body = answer_of(emulator, garbled)
    del body["status_message"]
    emulator.set_answer(garbled, body)
    first = run_tap(config_for(emulator.url, max_retry_seconds=1))
    later = emulator.add_tasks(1)

    again = run_tap(
        config_for(emulator.url, max_retry_seconds=1), state=first.last_state
    )

    assert again.returncode == 0, again.stderr
    assert set(responses(again)) == set(later)


def test_sigterm_after_the_target_closed_its_input_ends_with_one_line(
    slow_run,  # noqa: F811 - the fixture imported above
):
    process = slow_run
    read_until_records(process, 5)
    process.stdout.close()
    process.send_signal(signal.SIGTERM)

    code = process.wait(timeout=30)

    stderr = stderr_of(process)
    assert code in {1, 143}
    assert "Traceback" not in stderr
    assert "Exception ignored" not in stderr
    assert stderr.splitlines()[-1].startswith(f"{NAME}: error: ")


def test_a_foreign_state_is_refused_before_any_state_is_written(make_emulator):
    emulator = make_emulator(seed=242)
    emulator.add_tasks(2, age=timedelta(hours=1))
    foreign = {"bookmarks": {"llm_responses": {"llm": "chat_gpt"}}}

    run = run_tap(config_for(emulator.url), state=foreign)

    assert run.returncode == 1
    assert "belongs to llm chat_gpt" in run.stderr.splitlines()[-1]
    assert [m for m in run.messages if m["type"] in {"STATE", "RECORD"}] == []
