"""What a run says about what it collected: nothing new, re-deliveries."""

from __future__ import annotations

from tests.harness import config_for, run_tap


def lines(run, text: str) -> list[str]:
    return [line for line in run.stderr.splitlines() if text in line]


def test_a_run_with_nothing_new_says_so_in_one_line(make_emulator):
    emulator = make_emulator(seed=71)
    run = run_tap(config_for(emulator.url))
    assert run.returncode == 0, run.stderr
    assert len(lines(run, "nothing new to collect")) == 1
    assert lines(run, "llm_responses done") == []


def test_a_run_with_tasks_does_not_say_nothing_new(make_emulator):
    emulator = make_emulator(seed=72)
    emulator.add_tasks(2)
    run = run_tap(config_for(emulator.url))
    assert lines(run, "nothing new") == []


def test_a_rerun_counts_the_settle_windows_tasks_it_delivers_again(make_emulator):
    emulator = make_emulator(seed=73)
    ids = emulator.add_tasks(3)  # done just now: inside the five-minute window
    first = run_tap(config_for(emulator.url))
    assert lines(first, "delivered by the last run too") == []
    second = run_tap(config_for(emulator.url), state=first.last_state)
    assert {r["id"] for r in second.records("llm_responses")} == set(ids)
    said = lines(second, "delivered by the last run too")
    assert len(said) == 1
    assert "3 tasks of these were" in said[0]
