"""The first day: a run that loaded nothing still builds every mart, empty.

target-duckdb and target-postgres create a table with its first record, so
after a run that found no finished task the tap's tables do not exist. ``dbt
build`` must still succeed, on DuckDB and PostgreSQL, with every mart empty,
and ``make report`` must write a page that says there is no data yet.
"""

from __future__ import annotations

import typing as t
from pathlib import Path

import duckdb
import psycopg2
import pytest

from report.__main__ import write as write_report
from tests import postgres
from tests.marts import MARTS, TRANSFORM, copy_project, dbt_build, duckdb_query

if t.TYPE_CHECKING:
    from collections.abc import Iterator

#: Every mart of the project, whoever added it.
MART_NAMES = sorted(
    path.stem for path in (TRANSFORM / "models" / "marts").glob("*.sql")
)


@pytest.fixture(scope="module")
def empty_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DuckDB file with no table of the tap, and ``dbt build`` run on it."""
    folder = tmp_path_factory.mktemp("first-day")
    warehouse = folder / "warehouse.duckdb"
    duckdb.connect(str(warehouse)).close()
    dbt_build(copy_project(folder), "duckdb", {"DBT_DUCKDB_PATH": str(warehouse)})
    return warehouse


@pytest.fixture(scope="module")
def server() -> Iterator[postgres.Server]:
    """A PostgreSQL server on loopback for this module."""
    with postgres.running_or_skip() as running:
        yield running


def test_every_mart_builds_empty_on_duckdb_without_the_taps_tables(
    empty_warehouse: Path,
) -> None:
    query = duckdb_query(empty_warehouse)
    counts = {
        mart: query(f"select count(*) as n from {MARTS}.{mart}")[0]["n"]
        for mart in MART_NAMES
    }
    assert counts == dict.fromkeys(MART_NAMES, 0)


def test_every_mart_builds_empty_on_postgresql_without_the_taps_tables(
    server: postgres.Server, tmp_path: Path
) -> None:
    env = {
        "DBT_POSTGRES_HOST": server.host,
        "DBT_POSTGRES_PORT": str(server.port),
        "DBT_POSTGRES_USER": server.user,
        "DBT_POSTGRES_DBNAME": server.database,
    }
    dbt_build(copy_project(tmp_path), "postgres", env)
    with (
        psycopg2.connect(
            host=server.host, port=server.port, user=server.user, dbname=server.database
        ) as db,
        db.cursor() as cursor,
    ):
        counts = {}
        for mart in MART_NAMES:
            cursor.execute(f"select count(*) from {MARTS}.{mart}")
            counts[mart] = cursor.fetchone()[0]
    assert counts == dict.fromkeys(MART_NAMES, 0)


def test_the_report_of_empty_marts_says_there_is_no_data_yet(
    empty_warehouse: Path, tmp_path: Path
) -> None:
    html = write_report(empty_warehouse, tmp_path / "report.html").read_text()

    assert "No data yet" in html
    assert "<svg" not in html
