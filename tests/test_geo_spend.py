"""The geo_spend mart: what the monitoring costs, per day, LLM and model."""

from __future__ import annotations

import typing as t
from datetime import date, datetime

import duckdb
import pytest

from tests.marts import MARTS, copy_project, dbt_build, duckdb_query
from tests.test_marts import DDL

if t.TYPE_CHECKING:
    from pathlib import Path

    from tests.marts import Query

FLASH, PRO = "gemini-2.5-flash", "gemini-2.5-pro"
#: (id, se, status_code, model_name, datetime, money_spent, cost)
RESPONSES = [
    ("a", "gemini", 20000, FLASH, datetime(2025, 7, 14, 10), 0.038, 0.0382),
    ("b", "gemini", 20000, FLASH, datetime(2025, 7, 14, 23), 0.036, 0.0362),
    ("c", "gemini", 20000, FLASH, datetime(2025, 7, 14, 12), 0.004, None),
    ("d", "gemini", 20000, PRO, datetime(2025, 7, 14, 11), 0.02, 0.0202),
    ("e", "gemini", 20000, FLASH, datetime(2025, 7, 15, 0, 1), 0.037, 0.0372),
    ("f", "gemini", 40501, None, None, None, 0.0),
]


@pytest.fixture(scope="module")
def marts(tmp_path_factory: pytest.TempPathFactory) -> Query:
    """The rows above loaded into DuckDB and ``dbt build`` run on them."""
    folder: Path = tmp_path_factory.mktemp("spend")
    warehouse = folder / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as db:
        db.execute(DDL)
        db.executemany(
            "insert into dataforseo.llm_responses (id, se, status_code, model_name, "
            "datetime, money_spent, cost) values (?, ?, ?, ?, ?, ?, ?)",
            RESPONSES,
        )
    dbt_build(copy_project(folder), "duckdb", {"DBT_DUCKDB_PATH": str(warehouse)})
    return duckdb_query(warehouse)


def spend(marts: Query) -> dict[tuple[date, str], dict[str, t.Any]]:
    """geo_spend's rows by (day, model_name)."""
    rows = marts(f"select * from {MARTS}.geo_spend")
    return {(row["day"], row["model_name"]): row for row in rows}


def test_spend_sums_charges_per_utc_day_and_model(marts: Query) -> None:
    flash = spend(marts)[date(2025, 7, 14), FLASH]

    assert flash["tasks"] == 3
    assert flash["money_spent"] == pytest.approx(0.078)
    assert flash["cost"] == pytest.approx(0.0744)


def test_spend_says_how_many_tasks_its_cost_covers(marts: Query) -> None:
    rows = spend(marts)

    assert rows[date(2025, 7, 14), FLASH]["tasks_costed"] == 2
    assert rows[date(2025, 7, 15), FLASH]["tasks_costed"] == 1


def test_spend_leaves_out_failed_tasks(marts: Query) -> None:
    assert set(spend(marts)) == {
        (date(2025, 7, 14), FLASH),
        (date(2025, 7, 14), PRO),
        (date(2025, 7, 15), FLASH),
    }
