"""The demo's summary ranks brands by mention rate and gives each its interval and n."""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

from demo.summary import summarize
from report.stats import wilson

if TYPE_CHECKING:
    from pathlib import Path

#: (brand, answers mentioning it, answers): alphabetical order is not rate order.
VISIBILITY = [("Acme", 5, 40), ("Globex", 30, 40), ("Initech", 12, 40)]


def warehouse_with(folder: Path) -> Path:
    """The tables the summary reads, two answers, and geo_brand_visibility rows."""
    path = folder / "demo.duckdb"
    with duckdb.connect(str(path)) as db:
        db.execute(
            "create schema dataforseo; create schema geo;"
            "create table dataforseo.llm_responses (id varchar, model_name varchar,"
            " input_tokens bigint, output_tokens bigint, money_spent double,"
            " cost double, tag varchar);"
            "create table dataforseo.ready_tasks (id varchar);"
            "create table dataforseo.llm_response_citations (id varchar,"
            " domain varchar);"
            "create table geo.geo_brand_visibility (brand varchar,"
            " answers_mentioning bigint, answers bigint);"
            "insert into dataforseo.llm_responses values"
            " ('a', 'm', 1, 2, 0.1, 0, ''), ('b', 'm', 1, 2, 0.1, 0, '');"
            "insert into dataforseo.ready_tasks values ('a'), ('b');"
        )
        db.executemany(
            "insert into geo.geo_brand_visibility values (?, ?, ?)", VISIBILITY
        )
    return path


def test_the_summary_ranks_brands_by_mention_rate_with_interval_and_n(
    tmp_path: Path,
) -> None:
    summary = summarize(warehouse_with(tmp_path), expected_tasks=2)

    assert [brand for brand, _, _ in summary.voice] == ["Globex", "Initech", "Acme"]
    low, high = wilson(30, 40) or (0, 0)
    assert f"  Globex        75.0%  [{low:.1%} to {high:.1%}]  (30 of 40)" in (
        summary.lines()
    )
