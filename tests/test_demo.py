"""``make demo`` runs apart from real data: its own warehouse file and state id."""

from __future__ import annotations

import hashlib
import shutil
import typing as t

import pytest

from demo import __main__ as demo_main
from demo import pipeline
from tests.harness import LOGIN, PASSWORD
from tests.marts import copy_project
from tests.meltano_project import EXTRACTOR, LOADER, ids, meltano, rows

if t.TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from fake_dataforseo import Emulator
    from tests.meltano_project import MeltanoProject

pytestmark = pytest.mark.slow

#: The state id of the README's `meltano run tap-dataforseo-gemini target-duckdb`.
REAL_STATE_ID = f"dev:{EXTRACTOR}-to-{LOADER}"
TRANSFORMER = pipeline.TRANSFORMER


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def state(project: MeltanoProject, state_id: str) -> str:
    done = meltano(project.root, "state", "get", state_id)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_the_demo_leaves_a_real_pipelines_warehouse_and_state_untouched(
    project: MeltanoProject,
    make_emulator: Callable[..., Emulator],
    tmp_path: Path,
) -> None:
    copy_project(project.root)  # transform/, as a clone has it, for dbt-duckdb:run
    installed = meltano(project.root, "install", TRANSFORMER)
    assert installed.returncode == 0, installed.stderr[-3000:]
    real_api = make_emulator(seed=21)
    real_api.add_tasks(4)
    # The README's "With Meltano" pipeline with the GEO marts, as configured.
    project.run(real_api, None, after=(f"{TRANSFORMER}:run",))
    warehouse = project.root / "output" / "warehouse.duckdb"
    real_ids = sorted(ids(warehouse, "llm_responses"))
    assert real_ids == sorted(real_api.task_ids())
    assert rows(warehouse, "select count(*) from geo.geo_answer_brands")[0][0] > 0
    warehouse_before, state_before = digest(warehouse), state(project, REAL_STATE_ID)
    assert "llm_responses" in state_before

    demo_api = make_emulator(seed=22)
    demo_api.add_tasks(6)
    prompts = tmp_path / "prompts.yml"  # its journal goes next to it, not into demo/
    shutil.copy(demo_main.PROMPTS, prompts)
    env = pipeline.environment(demo_api.url, LOGIN, PASSWORD, prompts)
    pipeline.install(project.root, tmp_path / "demo.log", env)
    pipeline.run(project.root, tmp_path / "demo.log", env)

    demo_warehouse = project.root / demo_main.WAREHOUSE.relative_to(demo_main.ROOT)
    assert sorted(ids(demo_warehouse, "llm_responses")) == sorted(demo_api.task_ids())
    assert rows(demo_warehouse, "select count(*) from geo.geo_answer_brands")[0][0] > 0
    # The demo's prompts posted to Google AI Mode, collected by tap-dataforseo-ai-mode.
    ai_mode = "select count(*) from geo.geo_brand_visibility where surface = 'ai_mode'"
    assert rows(demo_warehouse, ai_mode)[0][0] > 0
    assert digest(warehouse) == warehouse_before
    assert state(project, REAL_STATE_ID) == state_before
