"""``make demo`` posts its prompts to Google AI Mode too and collects them (issue 20).

Cheap checks: the demo's plan and Meltano command, and the summary's count of
AI Mode answers (the whole demo runs in test_demo.py and by ``make demo``).
"""

from __future__ import annotations

import typing as t
from datetime import UTC, datetime

import duckdb
import pytest
from ruamel.yaml import YAML

from demo import __main__ as demo_main
from demo import pipeline
from demo.errors import DemoError
from demo.summary import summarize
from tap_dataforseo_gemini.prompts import plan, prompt_set
from tests.test_demo_summary import warehouse_with

if t.TYPE_CHECKING:
    from pathlib import Path


def test_the_demo_plans_each_prompt_in_ai_mode_within_its_budget() -> None:
    prompts = prompt_set.load(demo_main.PROMPTS)

    tasks = plan.tasks(prompts, datetime.now(UTC))

    ai_mode = [task for task in tasks if task.surface == "ai_mode"]
    assert len(ai_mode) == len(prompts.prompts) == 3
    assert not prompts.price_problems()


def test_the_demo_collects_ai_mode_after_posting_and_before_the_marts() -> None:
    run = list(pipeline.RUN)

    at = run.index(pipeline.AI_MODE_EXTRACTOR)

    assert run.index(f"{pipeline.UTILITY}:post") < at
    assert run[at + 1] == pipeline.LOADER
    assert at + 1 < run.index(f"{pipeline.TRANSFORMER}:run")
    assert pipeline.AI_MODE_EXTRACTOR in pipeline.INSTALL


def test_the_ai_mode_extractor_reads_the_ai_mode_queue() -> None:
    project = YAML(typ="safe").load(
        (demo_main.ROOT / "meltano.yml").read_text(encoding="utf-8")
    )

    (extractor,) = [
        plugin
        for plugin in project["plugins"]["extractors"]
        if plugin["name"] == pipeline.AI_MODE_EXTRACTOR
    ]

    assert extractor["config"]["source"] == "ai_mode"
    assert "ai_mode_results.*" in extractor["select"]


def with_ai_mode(folder: Path, answers: int, ready: int | None = None) -> Path:
    """The summary's warehouse with AI Mode answers, one reference each.

    ``ready``: AI Mode tasks in ready_tasks (default: one an answer).
    """
    path = warehouse_with(folder)
    with duckdb.connect(str(path)) as db:
        db.execute(
            "create table dataforseo.ai_mode_results (id varchar);"
            "create table dataforseo.ai_mode_references (id varchar);"
        )
        for n in range(answers):
            db.execute("insert into dataforseo.ai_mode_results values (?)", [f"m{n}"])
            db.execute(
                "insert into dataforseo.ai_mode_references values (?)", [f"m{n}"]
            )
        for n in range(answers if ready is None else ready):
            db.execute("insert into dataforseo.ready_tasks values (?)", [f"m{n}"])
    return path


def test_the_summary_counts_ai_mode_answers_beside_the_llms(tmp_path: Path) -> None:
    summary = summarize(with_ai_mode(tmp_path, 2), expected_tasks=2, expected_ai_mode=2)

    assert summary.ai_mode == (2, 2)
    assert any(line.startswith("AI Mode  2 answers") for line in summary.lines())


def test_the_summary_fails_when_an_ai_mode_answer_is_missing(tmp_path: Path) -> None:
    # Three AI Mode tasks listed in ready_tasks, two answers loaded.
    warehouse = with_ai_mode(tmp_path, 2, ready=3)

    with pytest.raises(DemoError, match="3 AI Mode tasks but DuckDB holds"):
        summarize(warehouse, expected_tasks=2, expected_ai_mode=3)
