"""End to end through Meltano: ``meltano run tap-dataforseo-gemini target-duckdb``.

A throw-away Meltano project gets this repository's ``meltano.yml`` (the extractor
installed editable from here) and the real ``target-duckdb`` loader; every test
runs Meltano as a subprocess against an in-process emulator and reads the DuckDB
file it leaves.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import typing as t
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import requests

from tests.harness import LOGIN, PASSWORD, config_for, tap_args, write_json

if t.TYPE_CHECKING:
    from collections.abc import Callable

    from fake_dataforseo import Emulator

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
MELTANO = Path(sys.executable).parent / "meltano"
EXTRACTOR = "tap-dataforseo-gemini"
LOADER = "target-duckdb"
#: ``default_target_schema`` in meltano.yml: target-duckdb creates the tables there.
SCHEMA = "dataforseo"
TABLES = ("ready_tasks", "llm_responses", "llm_response_citations", "models")
#: Variables of the calling shell that would change what a run does.
FOREIGN_PREFIXES = ("TAP_DATAFORSEO_", "TARGET_DUCKDB_", "MELTANO_", "DATAFORSEO_")
#: The utility that posts prompt sets, from this checkout too.
UTILITY = "dataforseo-prompts"
API = "v3/ai_optimization/gemini/llm_responses"


@dataclass(frozen=True)
class MeltanoProject:
    """A Meltano project in a temporary folder, with both plugins installed."""

    root: Path

    def run(
        self,
        emulator: Emulator,
        warehouse: Path,
        *args: str,
        env: dict[str, str] | None = None,
        meltano_args: t.Sequence[str] = (),
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """``meltano run`` the extractor into ``warehouse``, settings from env vars."""
        settings = {
            "TAP_DATAFORSEO_GEMINI_LOGIN": LOGIN,
            "TAP_DATAFORSEO_GEMINI_PASSWORD": PASSWORD,
            "TAP_DATAFORSEO_GEMINI_API_URL": emulator.url,
            "TARGET_DUCKDB_FILEPATH": str(warehouse),
            **(env or {}),
        }
        done = meltano(
            self.root, *meltano_args, "run", *args, EXTRACTOR, LOADER, env=settings
        )
        if check:
            assert done.returncode == 0, f"meltano run failed:\n{done.stderr[-6000:]}"
        return done


def meltano(
    root: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the ``meltano`` next to this Python in ``root``, with a clean environment."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN_PREFIXES)}
    return subprocess.run(
        [str(MELTANO), *args],
        cwd=root,
        env={
            **base,
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "MELTANO_DISABLE_TRACKING": "true",
            **(env or {}),
        },
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def write_meltano_yml(root: Path) -> None:
    """This repository's meltano.yml in ``root``, the ``-e .`` plugins from here."""
    text = (REPO / "meltano.yml").read_text()
    text, count = re.subn(
        r"^(\s*pip_url:\s*)-e \.\s*$", rf"\g<1>-e {REPO}", text, flags=re.MULTILINE
    )
    assert count == 2, "meltano.yml should install extractor and utility with `-e .`"
    (root / "meltano.yml").write_text(text)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> MeltanoProject:
    """Copy meltano.yml, extractor and utility installed from here; install once."""
    root = tmp_path_factory.mktemp("meltano-project")
    write_meltano_yml(root)
    done = meltano(root, "install", EXTRACTOR, LOADER, UTILITY)
    assert done.returncode == 0, f"meltano install failed:\n{done.stderr[-6000:]}"
    return MeltanoProject(root)


def rows(warehouse: Path, sql: str) -> list[tuple[t.Any, ...]]:
    """Run one query on the DuckDB file, read-only, and close it again."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def column_types(warehouse: Path, table: str) -> dict[str, str]:
    """Column name to DuckDB type of one loaded table."""
    found = rows(
        warehouse,
        "select column_name, data_type from information_schema.columns "
        f"where table_schema = '{SCHEMA}' and table_name = '{table}'",
    )
    return dict(found)


def ids(warehouse: Path, table: str) -> list[str]:
    """The ``id`` column of a table, one entry per row (duplicates kept)."""
    return [row[0] for row in rows(warehouse, f"select id from {SCHEMA}.{table}")]


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
