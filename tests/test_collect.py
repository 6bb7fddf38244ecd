"""What one task_get comes to: a typed answer, one kind per outcome."""

from __future__ import annotations

import logging

import pytest

from fake_dataforseo import Fault
from tap_dataforseo_gemini import collect, settings
from tap_dataforseo_gemini.api.client import Client, Shared
from tests.harness import config_for


def task(status: int, **fields: object) -> dict:
    """A task object of a task_get answer."""
    return {
        "id": "t1",
        "status_code": status,
        "status_message": "...",
        "result": None,
        "data": None,
        **fields,
    }


@pytest.mark.parametrize(
    ("tasks", "kind"),
    [
        ([task(20000)], collect.Collected),
        ([task(40602)], collect.NotReady),
        ([task(40601)], collect.NotReady),
        ([task(40501)], collect.Failed),
        ([task(50000)], collect.Failed),
        ([task(20000), task(20000)], collect.Malformed),
        ([], collect.Malformed),
        ([task(20000, result="x")], collect.Malformed),
        (["not a task"], collect.Malformed),
    ],
)
def test_a_task_list_is_typed_by_what_it_holds(tasks, kind):
    assert type(collect.typed(tasks)) is kind


def test_a_malformed_task_says_why():
    answer = collect.typed([task(20000, id=7)])
    assert isinstance(answer, collect.Malformed)
    assert answer.problem == (
        "malformed API answer from task_get: tasks[0] has a 'id' that is not a string"
    )


def test_a_failed_task_is_asked_again_and_the_last_answer_stands(emulator):
    task_id = emulator.add_tasks(1)[0]
    emulator.inject(Fault.TASK_50000, times=1, path_contains="task_get")
    config = settings.load(config_for(emulator.url))
    logger = logging.getLogger("test")
    shared = Shared.from_settings(config, settings.WINDOWS, logger)
    client = Client(config, shared, logger, name="llm_responses")
    answer = collect.task_get(client, task_id)
    assert isinstance(answer, collect.Collected)
    assert answer.task["id"] == task_id
    assert sum("task_get" in r.path for r in emulator.requests) == 2
