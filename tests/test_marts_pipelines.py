"""The GEO marts through Meltano, on DuckDB and on PostgreSQL, from emulator data.

A throw-away Meltano project gets this repository's ``meltano.yml`` and
``transform/``; each test runs the tap, a real loader and ``dbt build`` (the
transformer's ``run`` command) in one ``meltano run``, then computes every metric
in Python from the rows the loader wrote and compares with the marts. The seeds
are the shipped ones, which name the brands the emulator writes.
"""

from __future__ import annotations

import typing as t
from datetime import timedelta
from pathlib import Path

import psycopg2
import psycopg2.extras
import pytest

from fake_dataforseo.payloads import BRANDS, SPELLINGS
from tests import postgres
from tests.harness import LOGIN, PASSWORD
from tests.marts import (
    MARTS,
    TRANSFORM,
    Brands,
    assert_marts_match,
    copy_project,
    duckdb_query,
)
from tests.meltano_project import EXTRACTOR, meltano, write_meltano_yml

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from fake_dataforseo import Emulator

pytestmark = pytest.mark.slow

PLUGINS = ("target-duckdb", "dbt-duckdb", "target-postgres", "dbt-postgres")
SEEDS = Brands.read(TRANSFORM / "seeds")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """meltano.yml (the extractor from this checkout) and transform/, installed."""
    root = tmp_path_factory.mktemp("geo-project")
    write_meltano_yml(root)
    copy_project(root)
    done = meltano(root, "install", EXTRACTOR, *PLUGINS)
    assert done.returncode == 0, f"meltano install failed:\n{done.stderr[-6000:]}"
    return root


@pytest.fixture(scope="module")
def server() -> Iterator[postgres.Server]:
    """A PostgreSQL server on loopback for this module."""
    with postgres.running_or_skip() as running:
        yield running


def three_days_of_tasks(make_emulator: Callable[..., Emulator]) -> Emulator:
    """An emulator with answers from three UTC days and two failed tasks."""
    emulator = make_emulator(seed=21)
    for day in range(3):
        emulator.add_tasks(12, age=timedelta(days=day, hours=1))
    emulator.add_tasks(2, status="failed")
    return emulator


def run(project: Path, *pipeline: str, env: dict[str, str]) -> None:
    """``meltano run`` a pipeline from the emulator; fail with its output."""
    done = meltano(project, "run", "--full-refresh", EXTRACTOR, *pipeline, env=env)
    assert done.returncode == 0, f"meltano run failed:\n{done.stderr[-8000:]}"
    assert "Completed successfully" in done.stderr + done.stdout, "dbt did not run"


def duckdb_env(emulator: Emulator, warehouse: Path) -> dict[str, str]:
    """The extractor's settings, and target-duckdb and dbt-duckdb on one file."""
    return {
        **tap_env(emulator),
        "TARGET_DUCKDB_FILEPATH": str(warehouse),
        "DBT_DUCKDB_PATH": str(warehouse),
    }


def tap_env(emulator: Emulator) -> dict[str, str]:
    """The extractor's settings for the emulator."""
    return {
        "TAP_DATAFORSEO_GEMINI_LOGIN": LOGIN,
        "TAP_DATAFORSEO_GEMINI_PASSWORD": PASSWORD,
        "TAP_DATAFORSEO_GEMINI_API_URL": emulator.url,
    }


def test_the_shipped_seeds_name_every_brand_the_emulator_writes() -> None:
    aliases = SEEDS.by_brand()
    assert set(aliases) == set(BRANDS)
    for brand, spellings in SPELLINGS.items():
        assert {s.casefold() for s in spellings} <= {
            a.casefold() for a in aliases[brand]
        }
    assert any(not alias.isascii() for alias in aliases["Ünïcødé Café"])


def test_meltano_builds_the_marts_in_the_duckdb_file_it_loads(
    project: Path, make_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    emulator = three_days_of_tasks(make_emulator)
    warehouse = tmp_path / "warehouse.duckdb"
    run(project, "target-duckdb", "dbt-duckdb:run", env=duckdb_env(emulator, warehouse))

    query = duckdb_query(warehouse)
    assert_marts_match(query, SEEDS)
    days = query(
        f"select count(distinct day) as days from {MARTS}.geo_brand_visibility"
    )
    assert days == [{"days": 3}]
    mentioned = query(
        f"select brand, sum(answers_mentioning) as answers "
        f"from {MARTS}.geo_brand_visibility group by brand"
    )
    assert {row["brand"] for row in mentioned if row["answers"]} == set(BRANDS)


def test_the_same_models_build_on_postgresql(
    project: Path,
    server: postgres.Server,
    make_emulator: Callable[..., Emulator],
) -> None:
    emulator = three_days_of_tasks(make_emulator)
    connection = {
        "HOST": server.host,
        "PORT": str(server.port),
        "USER": server.user,
        "PASSWORD": "",
    }
    env = {
        **tap_env(emulator),
        **{f"TARGET_POSTGRES_{k}": v for k, v in connection.items()},
        "TARGET_POSTGRES_DATABASE": server.database,
        **{f"DBT_POSTGRES_{k}": v for k, v in connection.items()},
        "DBT_POSTGRES_DBNAME": server.database,
    }

    run(project, "target-postgres", "dbt-postgres:run", env=env)

    with psycopg2.connect(
        host=server.host, port=server.port, user=server.user, dbname=server.database
    ) as db:

        def query(sql: str) -> list[dict[str, t.Any]]:
            with db.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cursor:
                cursor.execute(sql)
                return [dict(row) for row in cursor.fetchall()]

        assert_marts_match(query, SEEDS)
        (answers,) = query(f"select count(*) as n from {MARTS}.geo_answer_brands")
        assert answers["n"] == 36 * len(BRANDS)


def test_a_first_run_with_no_finished_task_builds_every_mart_empty(
    project: Path, make_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    emulator = make_emulator(seed=22)
    emulator.add_tasks(3, status="queued")
    warehouse = tmp_path / "first-day.duckdb"
    run(project, "target-duckdb", "dbt-duckdb:run", env=duckdb_env(emulator, warehouse))

    query = duckdb_query(warehouse)
    tables = {
        row["table_name"]
        for row in query(
            "select table_name from information_schema.tables "
            "where table_schema = 'dataforseo'"
        )
    }
    # target-duckdb made no citations table: the case dbt used to fail on.
    assert "llm_response_citations" not in tables
    if "llm_responses" in tables:
        assert query("select count(*) as n from dataforseo.llm_responses") == [{"n": 0}]
    marts = sorted(p.stem for p in (TRANSFORM / "models" / "marts").glob("*.sql"))
    counts = {
        mart: query(f"select count(*) as n from {MARTS}.{mart}")[0]["n"]
        for mart in marts
    }
    assert counts == dict.fromkeys(marts, 0)
