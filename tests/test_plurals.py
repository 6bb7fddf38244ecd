"""Counts in messages take the noun in the right number: "1 task", "2 tasks"."""

from __future__ import annotations

import logging
import re
import typing as t

import duckdb
import pytest

from demo.summary import summarize
from tap_dataforseo_gemini.progress import Progress
from tap_dataforseo_gemini.rate_limit import LIMIT_HEADER, RateLimiter, RateLimits
from tests.test_demo_ai_mode import with_ai_mode
from tests.test_probe import post_while_queued

if t.TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from fake_dataforseo import Emulator

#: A count of one followed by a plural noun.
ONE_PLURAL = re.compile(r"\b1 (?:more )?(?:tasks|calls|tags|citations|answers)\b")


def test_the_progress_line_of_a_run_of_one_task_says_task(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("test_plurals")
    with caplog.at_level(logging.INFO, logger.name):
        Progress(logger, "llm_responses", 1).log("progress")

    assert "llm_responses progress: 0 of 1 task (none)" in caplog.text
    assert not ONE_PLURAL.search(caplog.text)


def header_of_one(limits: RateLimits) -> str:
    limits.observe("task_get", {LIMIT_HEADER: "1"})
    return "DataForSEO allows 1 call a window for task_get"


def no_header_from_one(limits: RateLimits) -> str:
    limits.observe("task_get", {})
    return "the account's window ramps up from 1 call, at most"


def refused_after_one(limits: RateLimits) -> str:
    with limits.slot("task_get"):
        pass
    limits.refused("task_get")
    return "after 1 call in the last 60 s: pacing to 1 call a window"


@pytest.mark.parametrize(
    "event", [header_of_one, no_header_from_one, refused_after_one]
)
def test_rate_limit_lines_say_call_for_one_call(
    event: Callable[[RateLimits], str], caplog: pytest.LogCaptureFixture
) -> None:
    # A limit of 10 probes from a tenth of it: one call.
    logger = logging.getLogger("test_plurals")
    limits = RateLimits(RateLimiter(10, 60.0), {}, logger)
    with caplog.at_level(logging.INFO, logger.name):
        expected = event(limits)

    assert expected in caplog.text
    assert not ONE_PLURAL.search(caplog.text)


def test_a_posting_run_holding_one_task_says_task(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = post_while_queued(emulator, tmp_path, capsys, 2, "0.1")

    assert code == 0, err
    assert "1 task left for a later run: no charge of gemini" in err
    assert not ONE_PLURAL.search(err)


def test_the_demo_summary_of_one_citation_and_one_ai_mode_answer_says_so(
    tmp_path: Path,
) -> None:
    warehouse = with_ai_mode(tmp_path, 1)
    with duckdb.connect(str(warehouse)) as db:
        db.execute(
            "insert into dataforseo.llm_response_citations values ('a', 'acme.com')"
        )

    lines = summarize(warehouse, expected_tasks=2, expected_ai_mode=1).lines()

    assert lines[0].endswith("(ready_tasks), 1 citation")
    assert "AI Mode  1 answer (ai_mode_results), 1 reference" in lines
    assert not ONE_PLURAL.search("\n".join(lines))
