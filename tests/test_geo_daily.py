"""`meltano run geo-daily`: meltano.yml's daily job, post then collect then marts."""

from __future__ import annotations

import json
import shutil
import typing as t

import pytest

from tests.harness import LOGIN, PASSWORD
from tests.marts import copy_project
from tests.meltano_project import (
    EXTRACTOR,
    LOADER,
    REPO,
    SCHEMA,
    UTILITY,
    meltano,
    rows,
    write_meltano_yml,
)

if t.TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from fake_dataforseo import Emulator

pytestmark = pytest.mark.slow

JOB = "geo-daily"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """meltano.yml, prompts.yml and transform/ as a clone has them, installed."""
    root = tmp_path_factory.mktemp("geo-daily")
    write_meltano_yml(root)
    copy_project(root)
    shutil.copy(REPO / "prompts.yml", root)
    (root / "output").mkdir()
    done = meltano(root, "install", EXTRACTOR, UTILITY, LOADER, "dbt-duckdb")
    assert done.returncode == 0, f"meltano install failed:\n{done.stderr[-6000:]}"
    return root


def test_the_job_posts_collects_each_llm_of_the_prompt_set_and_builds_the_marts(
    project: Path, make_emulator: Callable[..., Emulator]
) -> None:
    emulator = make_emulator(seed=21)
    env = {
        "TAP_DATAFORSEO_GEMINI_LOGIN": LOGIN,
        "TAP_DATAFORSEO_GEMINI_PASSWORD": PASSWORD,
        "TAP_DATAFORSEO_GEMINI_API_URL": emulator.url,
    }

    done = meltano(project, "run", JOB, env=env)

    assert done.returncode == 0, done.stderr[-6000:]
    assert "posted 4 tasks" in done.stderr
    warehouse = project / "output" / "warehouse.duckdb"
    loaded = rows(
        warehouse, f"select se, count(*) from {SCHEMA}.llm_responses group by 1"
    )
    assert dict(loaded) == {"gemini": 2, "chat_gpt": 2}
    answers = rows(warehouse, "select sum(answers) from geo.geo_brand_visibility")
    assert answers[0][0] > 0


def test_the_job_runs_daily_on_its_schedule(project: Path) -> None:
    listed = meltano(project, "schedule", "list", "--format=json")
    assert listed.returncode == 0, listed.stderr[-3000:]
    schedules = {s["name"]: s for s in json.loads(listed.stdout)["schedules"]["job"]}
    assert schedules[JOB]["cron_interval"] == "0 0 * * *"
    assert schedules[JOB]["job"]["name"] == JOB
