"""The surface extractors through Meltano: ``tap-dataforseo-ai-mode`` and the apps.

Each inherits the tap and sets its source; each keeps its own state (issue 20).
"""

from __future__ import annotations

import typing as t
from datetime import timedelta

import pytest

from tests.harness import LOGIN, PASSWORD
from tests.meltano_project import LOADER, SCHEMA, ids, meltano, rows

if t.TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from fake_dataforseo import Emulator
    from tests.meltano_project import MeltanoProject

pytestmark = pytest.mark.slow

#: (extractor, emulator ledger key, results table, rows table)
EXTRACTORS = [
    (
        "tap-dataforseo-ai-mode",
        "google/ai_mode",
        "ai_mode_results",
        "ai_mode_references",
    ),
    (
        "tap-dataforseo-chatgpt-app",
        "chat_gpt/llm_scraper",
        "llm_scraper_results",
        "llm_scraper_sources",
    ),
    (
        "tap-dataforseo-gemini-app",
        "gemini/llm_scraper",
        "llm_scraper_results",
        "llm_scraper_sources",
    ),
]


def run(
    project: MeltanoProject, emulator: Emulator, warehouse: Path, extractor: str
) -> None:
    done = meltano(
        project.root,
        "run",
        "--state-id-suffix",
        warehouse.stem,
        extractor,
        LOADER,
        env={
            "TAP_DATAFORSEO_GEMINI_LOGIN": LOGIN,
            "TAP_DATAFORSEO_GEMINI_PASSWORD": PASSWORD,
            "TAP_DATAFORSEO_GEMINI_API_URL": emulator.url,
            "TARGET_DUCKDB_FILEPATH": str(warehouse),
        },
    )
    assert done.returncode == 0, f"meltano run failed:\n{done.stderr[-6000:]}"


@pytest.mark.parametrize("surface", EXTRACTORS, ids=[e[0] for e in EXTRACTORS])
def test_a_surface_extractor_loads_its_surface_only_with_a_state_of_its_own(
    project: MeltanoProject,
    make_emulator: Callable[..., Emulator],
    tmp_path: Path,
    surface: tuple[str, str, str, str],
) -> None:
    extractor, key, results, cited = surface
    emulator = make_emulator(seed=220)
    mine = emulator.add_tasks(5, se=key, age=timedelta(hours=1))
    emulator.add_tasks(3, age=timedelta(hours=1))
    warehouse = tmp_path / f"{extractor}.duckdb"
    run(project, emulator, warehouse, extractor)
    assert sorted(ids(warehouse, results)) == sorted(mine)
    assert set(ids(warehouse, cited)) <= set(mine)
    assert rows(warehouse, f"select count(*) from {SCHEMA}.{cited}")[0][0] > 0
    more = emulator.add_tasks(2, se=key)
    run(project, emulator, warehouse, extractor)
    assert sorted(set(ids(warehouse, results))) == sorted(mine + more)
    states = meltano(project.root, "state", "list").stdout
    assert f"{extractor}-to-{LOADER}:{warehouse.stem}" in states
