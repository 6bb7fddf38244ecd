"""The in-process run: the command line's own results, and no trace left behind."""

from __future__ import annotations

import logging
import signal
import sys

from tap_dataforseo_gemini import redact
from tests.harness import PASSWORD, config_for, run_process, run_tap


def process_state() -> tuple[object, ...]:
    """What a run of the tap may change in the process that runs it."""
    return (
        list(logging.root.handlers),
        logging.root.level,
        signal.getsignal(signal.SIGINT),
        signal.getsignal(signal.SIGTERM),
        sys.excepthook,
        redact.current.secrets,
    )


def test_an_in_process_run_leaves_logging_signals_and_the_mask_as_found(emulator):
    emulator.add_tasks(2)
    before = process_state()
    run = run_tap(config_for(emulator.url))
    assert run.returncode == 0, run.stderr
    assert len(run.records("llm_responses")) == 2
    assert process_state() == before


def test_an_in_process_run_ends_as_the_process_does(emulator):
    config = config_for(emulator.url, llm="bard")
    here, there = run_tap(config), run_process(config)
    assert (here.returncode, here.stdout) == (there.returncode, there.stdout) == (1, "")
    assert here.stderr.splitlines()[-1] == there.stderr.splitlines()[-1]
    assert PASSWORD not in here.stderr
