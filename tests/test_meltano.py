"""End to end through Meltano: ``meltano run tap-dataforseo-gemini target-duckdb``.

A throw-away Meltano project gets this repository's ``meltano.yml`` (the extractor
installed editable from here) and the real ``target-duckdb`` loader; every test
runs Meltano as a subprocess against an in-process emulator and reads the DuckDB
file it leaves.
"""

from __future__ import annotations

import subprocess
import typing as t

import pytest
import requests

from tap_dataforseo_gemini.tap import TapDataForSEOGemini
from tests.harness import LOGIN, PASSWORD, config_for, tap_args, write_json
from tests.meltano_project import EXTRACTOR, SCHEMA, UTILITY, ids, meltano, rows

if t.TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from fake_dataforseo import Emulator
    from tests.meltano_project import MeltanoProject

pytestmark = pytest.mark.slow

API = "v3/ai_optimization/gemini/llm_responses"


def column_types(warehouse: Path, table: str) -> dict[str, str]:
    """Column name to DuckDB type of one loaded table."""
    found = rows(
        warehouse,
        "select column_name, data_type from information_schema.columns "
        f"where table_schema = '{SCHEMA}' and table_name = '{table}'",
    )
    return dict(found)


def api_get(emulator: Emulator, path: str) -> dict[str, t.Any]:
    """GET one endpoint of the emulator, as a client of the real API would."""
    response = requests.get(
        f"{emulator.url}/{API}/{path}", auth=(LOGIN, PASSWORD), timeout=30
    )
    response.raise_for_status()
    task = response.json()["tasks"][0]
    assert task["status_code"] == 20000, task["status_message"]
    return task


def annotation_keys(emulator: Emulator, task_ids: list[str]) -> set[tuple]:
    """(task id, item, section, annotation) of every annotation the API answers."""
    keys = set()
    for task_id in task_ids:
        for result in api_get(emulator, f"task_get/{task_id}")["result"] or []:
            for i, item in enumerate(result.get("items") or []):
                for s, section in enumerate((item or {}).get("sections") or []):
                    for a, note in enumerate((section or {}).get("annotations") or []):
                        if note is not None:
                            keys.add((task_id, i, s, a))
    return keys


def test_two_runs_load_every_task_exactly_once(
    project: MeltanoProject,
    make_emulator: Callable[..., Emulator],
    tmp_path: Path,
) -> None:
    emulator = make_emulator(seed=11)
    emulator.add_tasks(60)
    emulator.add_tasks(30, web_search=False)
    warehouse = tmp_path / "two-runs.duckdb"
    suffix = ("--state-id-suffix", "two-runs")

    project.run(emulator, warehouse, *suffix)
    first = emulator.task_ids()
    assert sorted(ids(warehouse, "llm_responses")) == sorted(first)

    emulator.add_tasks(30)
    project.run(emulator, warehouse, *suffix)

    every = emulator.task_ids()
    assert len(every) == 120
    # The second run lists only the new tasks and collects again what the ledger
    # shows done within its settling window: upserts keep one row per task.
    assert sorted(ids(warehouse, "llm_responses")) == sorted(every)
    assert sorted(ids(warehouse, "ready_tasks")) == sorted(every)
    citations = rows(
        warehouse,
        "select id, item_index, section_index, annotation_index "
        f"from {SCHEMA}.llm_response_citations",
    )
    expected = annotation_keys(emulator, every)
    assert len(expected) > 60, "the web-search tasks should cite sources"
    assert len(citations) == len(expected)
    assert set(citations) == expected
    models = rows(warehouse, f"select se, model_name from {SCHEMA}.models")
    answered = api_get(emulator, "models")["result"]
    assert sorted(models) == sorted(("gemini", m["model_name"]) for m in answered)


def test_a_lone_task_lands_in_every_table(
    project: MeltanoProject,
    make_emulator: Callable[..., Emulator],
    tmp_path: Path,
) -> None:
    emulator = make_emulator(seed=12)
    (task_id,) = emulator.add_tasks(1, web_search=False)
    warehouse = tmp_path / "lone.duckdb"

    project.run(emulator, warehouse, "--state-id-suffix", "lone")

    assert ids(warehouse, "ready_tasks") == [task_id]
    assert ids(warehouse, "llm_responses") == [task_id]


@pytest.mark.parametrize(
    ("flattening", "array_type"), [("true", "VARCHAR"), ("false", "JSON")]
)
def test_flattening_settings_reach_the_tap(
    project: MeltanoProject,
    make_emulator: Callable[..., Emulator],
    tmp_path: Path,
    flattening: str,
    array_type: str,
) -> None:
    """No property is a nested object, so flattening shows in arrays: JSON text."""
    emulator = make_emulator(seed=13)
    emulator.add_tasks(5)
    warehouse = tmp_path / f"flattening-{flattening}.duckdb"

    project.run(
        emulator,
        warehouse,
        "--state-id-suffix",
        f"flattening-{flattening}",
        env={
            "TAP_DATAFORSEO_GEMINI_FLATTENING_ENABLED": flattening,
            "TAP_DATAFORSEO_GEMINI_FLATTENING_MAX_DEPTH": "1",
        },
    )

    types = column_types(warehouse, "llm_responses")
    for column in ("items", "message_chain", "fan_out_queries"):
        assert types[column] == array_type, column
    assert types["input_tokens"] != "VARCHAR"
    loaded = rows(
        warehouse,
        "select json_array_length(items::JSON), json_extract_string(items, "
        f"'$[0].type') from {SCHEMA}.llm_responses",
    )
    assert len(loaded) == 5
    assert all(length >= 1 and kind for length, kind in loaded)


WRONG_PASSWORD = "Wr0ng-" + PASSWORD[::-1]


@pytest.mark.parametrize(
    "scenario",
    [
        # (password given to the tap, options before `run`, expected exit code)
        pytest.param((PASSWORD, ("--log-level=debug",), 0), id="debug-run"),
        pytest.param((WRONG_PASSWORD, (), 1), id="rejected-login"),
    ],
)
def test_the_password_never_appears_in_meltano_output(
    project: MeltanoProject,
    make_emulator: Callable[..., Emulator],
    tmp_path: Path,
    scenario: tuple[str, tuple[str, ...], int],
) -> None:
    password, meltano_args, returncode = scenario
    emulator = make_emulator(seed=14)
    emulator.add_tasks(3)

    done = project.run(
        emulator,
        tmp_path / "secret.duckdb",
        "--full-refresh",
        "--state-id-suffix",
        "secret",
        env={"TAP_DATAFORSEO_GEMINI_PASSWORD": password},
        meltano_args=meltano_args,
        check=False,
    )

    output = done.stdout + done.stderr
    assert done.returncode == returncode, output[-6000:]
    assert EXTRACTOR in output, "the run's log should be captured"
    assert password not in output
    assert PASSWORD not in output


def test_the_tap_piped_into_target_duckdb_loads_every_task(
    project: MeltanoProject,
    make_emulator: Callable[..., Emulator],
    tmp_path: Path,
) -> None:
    emulator = make_emulator(seed=14)
    emulator.add_tasks(25)
    warehouse = tmp_path / "piped.duckdb"
    target = project.root / ".meltano/loaders/target-duckdb/venv/bin/target-duckdb"
    target_config = write_json(
        tmp_path,
        "target.json",
        {
            "filepath": str(warehouse),
            "default_target_schema": SCHEMA,
            "add_metadata_columns": True,
        },
    )
    with subprocess.Popen(
        tap_args(config_for(emulator.url)), stdout=subprocess.PIPE
    ) as tap:
        loaded = subprocess.run(
            [str(target), "--config", target_config],
            stdin=tap.stdout,
            capture_output=True,
            timeout=300,
            check=False,
        )
    assert tap.returncode == 0
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    assert sorted(ids(warehouse, "llm_responses")) == sorted(emulator.task_ids())
    assert sorted(ids(warehouse, "ready_tasks")) == sorted(emulator.task_ids())


def test_duckdb_loads_integer_columns_as_bigint(
    project: MeltanoProject,
    make_emulator: Callable[..., Emulator],
    tmp_path: Path,
) -> None:
    emulator = make_emulator(seed=15)
    emulator.add_tasks(3)
    warehouse = tmp_path / "types.duckdb"

    project.run(emulator, warehouse, "--state-id-suffix", "types")

    tables = TapDataForSEOGemini(
        config={"login": LOGIN, "password": PASSWORD}, setup_mapper=False
    ).streams
    checked = 0
    for table, stream in tables.items():
        types = column_types(warehouse, table)
        for column, prop in stream.schema["properties"].items():
            if "integer" in prop["type"]:
                assert types[column] == "BIGINT", f"{table}.{column}"
                checked += 1
    assert checked >= 8


def test_fractional_seconds_settings_pass_through_meltano(
    project: MeltanoProject,
    make_emulator: Callable[..., Emulator],
    tmp_path: Path,
) -> None:
    """Set in meltano.yml: Meltano 4.4.1 cannot pass a decimal from an env var."""
    emulator = make_emulator(seed=16)
    emulator.add_tasks(2)
    warehouse = tmp_path / "fractions.duckdb"
    fractions = {"progress_interval_seconds": "2.5", "max_retry_seconds": "12.5"}
    try:
        for name, value in fractions.items():
            done = meltano(project.root, "config", "set", EXTRACTOR, name, value)
            assert done.returncode == 0, done.stderr[-3000:]
        project.run(emulator, warehouse, "--state-id-suffix", "fractions")
    finally:
        for name in fractions:
            meltano(project.root, "config", "unset", EXTRACTOR, name)

    assert sorted(ids(warehouse, "llm_responses")) == sorted(emulator.task_ids())


def test_post_then_collect_leaves_one_row_per_posted_task_with_its_tag(
    project: MeltanoProject,
    make_emulator: Callable[..., Emulator],
    tmp_path: Path,
) -> None:
    emulator = make_emulator(seed=15)
    prompts = tmp_path / "prompts.yml"
    prompts.write_text(
        "name: meltano\n"
        "budget_usd: 1\n"
        "prompts:\n- Best CRM?\n- Best mail app?\n- text: Best chat app?\n  tag: chat\n"
        "llms: {gemini: [gemini-2.5-flash, gemini-2.0-flash]}\n"
    )
    warehouse = tmp_path / "prompts.duckdb"

    done = project.run(
        emulator,
        warehouse,
        "--state-id-suffix",
        "prompts",
        f"{UTILITY}:post",
        env={"DATAFORSEO_PROMPTS_PROMPTS_FILE": str(prompts)},
    )

    assert "posted 6 tasks" in done.stdout + done.stderr
    loaded = rows(warehouse, f"select id, tag from {SCHEMA}.llm_responses")
    posted = dict(zip(emulator.task_ids(), emulator.tags(), strict=True))
    assert len(posted) == 6
    assert dict(loaded) == posted
    assert all(tag.startswith("dfsp/meltano/") for tag in posted.values())
