"""The geo_spend mart: what the monitoring costs, per day, LLM and model."""

from __future__ import annotations

import typing as t
from datetime import date, datetime

import pytest

from tests.marts import MARTS, duckdb_query, duckdb_warehouse

if t.TYPE_CHECKING:
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
    columns = ("id", "se", "status_code", "model_name", "datetime", "money_spent",
               "cost")  # fmt: skip
    rows = [dict(zip(columns, row, strict=True)) for row in RESPONSES]
    folder = tmp_path_factory.mktemp("spend")
    return duckdb_query(duckdb_warehouse(folder, {"llm_responses": rows}))


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
