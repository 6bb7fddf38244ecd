"""The GEO marts (transform/) on a hand-written DuckDB warehouse, against Python.

One dbt build over a small fixture: answers with a Unicode brand in another case,
an alias, a brand inside a longer word, an alias with a regex metacharacter, an
answer naming three brands in a known order, a failed task, and citations of
owned sites and their subdomains. The marts must equal the metrics computed in
plain Python (tests/marts.py), and the cases above are checked one by one.
"""

from __future__ import annotations

import re
import subprocess
import sys
import typing as t
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from report import data, page
from report.__main__ import write as write_report
from tests.marts import (
    MARTS,
    Brands,
    Query,
    assert_marts_match,
    copy_project,
    dbt_build,
    duckdb_query,
)

CAFE = "Ünïcødé Café"
BRANDS = Brands(
    aliases=[
        ("Acme", "Acme"),
        ("Globex", ""),  # no alias: the name alone counts
        ("Initech", "Init.Tech"),  # "." must match only a dot
        (CAFE, "Unicode Cafe"),
        ("Umbrella", "Umbrella Corp"),
    ],
    domains=[
        ("Acme", "acme.com"),
        ("Initech", "initech.io"),
        (CAFE, "unicode-cafe.com"),
    ],
)
DAY1, DAY2 = date(2025, 7, 14), date(2025, 7, 15)
THREE_BRANDS = "Globex leads, then Acme; ÜNÏCØDÉ CAFÉ trails. Acme again."
LONGER_WORD = "Acmeville and Acmeño folks use initech daily."
ALIASES = "Avoid InitXTech; try Unicode Cafe first, or Init.Tech instead."
UMBRELLAS = "Umbrellas help. UMBRELLA CORP wins."
PRO, FLASH = "gemini-2.5-pro", "gemini-2.5-flash"
#: (id, se, status_code, tag, model_name, datetime, response_text)
RESPONSES = [
    ("r1", "gemini", 20000, "crm", PRO, datetime(2025, 7, 14, 10), THREE_BRANDS),
    ("r2", "gemini", 20000, "crm", PRO, datetime(2025, 7, 14, 23, 59), LONGER_WORD),
    ("r3", "gemini", 20000, "crm", FLASH, datetime(2025, 7, 15, 0, 1), ALIASES),
    ("r4", "gemini", 40501, "crm", None, None, None),
    ("r5", "chat_gpt", 20000, "shoes", "gpt-4.1", datetime(2025, 7, 15, 8), UMBRELLAS),
    ("r6", "gemini", 20000, "shoes", PRO, datetime(2025, 7, 14, 12), "Nothing here."),
    ("r7", "gemini", 20000, "shoes", PRO, datetime(2025, 7, 14, 13), None),
]
#: A failure record of a task that answered 20000 but could not be read: it names
#: Acme in its raw answer's place, and must not count as an answer.
UNREADABLE = ("r8", "gemini", 20000, "crm", PRO, datetime(2025, 7, 14, 11), "Acme")
#: (id, annotation_index, domain)
CITATIONS = [
    ("r1", 0, "acme.com"),
    ("r1", 1, "blog.acme.com"),
    ("r1", 2, "reddit.com"),
    ("r1", 3, None),
    ("r2", 0, "reddit.com"),
    ("r2", 1, "reddit.com"),
    ("r2", 2, "initech.io"),
    ("r3", 0, "unicode-cafe.com"),
    ("r4", 0, "acme.com"),
    ("r5", 0, "en.wikipedia.org"),
]
#: The columns and types target-duckdb gives the tap's tables (read from a load).
DDL = """
create schema dataforseo;
create table dataforseo.llm_responses (
    id varchar, se varchar, status_code hugeint, tag varchar, user_prompt varchar,
    request_model_name varchar, model_name varchar, datetime timestamp,
    response_text varchar, fan_out_queries json, raw_answer varchar,
    money_spent double, cost double
);
create table dataforseo.llm_response_citations (
    id varchar, se varchar, item_index hugeint, section_index hugeint,
    annotation_index hugeint, title varchar, url varchar, direct_url varchar,
    domain varchar
);
"""


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture loaded into DuckDB and ``dbt build`` run on it once."""
    folder = tmp_path_factory.mktemp("marts")
    warehouse = folder / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as db:
        db.execute(DDL)
        db.executemany(
            "insert into dataforseo.llm_responses (id, se, status_code, tag, "
            "model_name, datetime, response_text) values (?, ?, ?, ?, ?, ?, ?)",
            RESPONSES,
        )
        db.execute(
            "insert into dataforseo.llm_responses (id, se, status_code, tag, "
            "model_name, datetime, response_text, raw_answer) "
            "values (?, ?, ?, ?, ?, ?, ?, '{\"unreadable\": true}')",
            UNREADABLE,
        )
        db.executemany(
            "insert into dataforseo.llm_response_citations (id, se, item_index, "
            "section_index, annotation_index, domain) values (?, 'gemini', 0, 0, ?, ?)",
            CITATIONS,
        )
    project = copy_project(folder, BRANDS)
    dbt_build(project, "duckdb", {"DBT_DUCKDB_PATH": str(warehouse)})
    return warehouse


@pytest.fixture(scope="module")
def marts(warehouse: Path) -> Query:
    """Queries on the built warehouse."""
    return duckdb_query(warehouse)


def fact(marts: Query, response_id: str, brand: str) -> dict[str, t.Any]:
    """The geo_answer_brands row of one answer and brand."""
    (row,) = marts(
        f"select * from {MARTS}.geo_answer_brands "
        f"where response_id = '{response_id}' and brand = '{brand}'"
    )
    return row


def test_the_marts_equal_the_metrics_computed_in_python(marts: Query) -> None:
    assert_marts_match(marts, BRANDS)


def test_three_brands_rank_in_the_order_of_their_first_mention(marts: Query) -> None:
    ranks = {
        brand: fact(marts, "r1", brand)["mention_rank"]
        for brand in ("Globex", "Acme", CAFE)
    }
    assert ranks == {"Globex": 1, "Acme": 2, CAFE: 3}
    assert fact(marts, "r1", "Acme")["first_offset"] == THREE_BRANDS.index("Acme")
    assert fact(marts, "r1", "Umbrella")["mention_rank"] is None


def test_a_unicode_brand_matches_in_another_case(marts: Query) -> None:
    row = fact(marts, "r1", CAFE)
    assert row["is_mentioned"]
    assert row["first_offset"] == THREE_BRANDS.index("ÜNÏCØDÉ CAFÉ")


def test_an_alias_counts_as_its_brand(marts: Query) -> None:
    row = fact(marts, "r3", CAFE)
    assert row["is_mentioned"]
    assert row["first_offset"] == ALIASES.index("Unicode Cafe")
    assert row["mention_rank"] == 1


def test_a_brand_inside_a_longer_word_is_no_mention(marts: Query) -> None:
    assert not fact(marts, "r2", "Acme")["is_mentioned"]
    assert fact(marts, "r2", "Initech")["mention_rank"] == 1
    umbrella = fact(marts, "r5", "Umbrella")
    assert umbrella["first_offset"] == UMBRELLAS.index("UMBRELLA")


def test_aliases_match_literally_not_as_regular_expressions(marts: Query) -> None:
    row = fact(marts, "r3", "Initech")
    assert row["first_offset"] == ALIASES.index("Init.Tech")
    assert row["mention_rank"] == 2


def test_failed_tasks_count_nowhere(marts: Query) -> None:
    failed = f"select * from {MARTS}.geo_answer_brands where response_id = 'r4'"
    assert marts(failed) == []
    (acme,) = marts(
        f"select day, citations from {MARTS}.geo_cited_domains "
        "where domain = 'acme.com'"
    )
    assert acme == {"day": DAY1, "citations": 1}


def test_a_failure_record_of_an_unreadable_answer_counts_nowhere(
    marts: Query,
) -> None:
    unreadable = f"select * from {MARTS}.geo_answer_brands where response_id = 'r8'"
    assert marts(unreadable) == []


def test_answers_count_every_answer_of_the_group(marts: Query) -> None:
    (row,) = marts(
        f"select * from {MARTS}.geo_brand_visibility where day = '{DAY1}' "
        "and model_name = 'gemini-2.5-pro' and brand = 'Acme'"
    )
    # r1, r2, r6 and r7 (no text at all) are the group's answers; only r1 names Acme.
    assert (row["answers"], row["answers_mentioning"]) == (4, 1)
    assert row["mention_rate"] == 0.25
    # r1 names Globex, Acme and the café, r2 Initech: Acme has 1 of 4 mentions.
    assert row["share_of_voice"] == 0.25
    assert row["avg_first_position"] == 2


def test_day_is_the_utc_date_of_the_answer(marts: Query) -> None:
    days = {
        r["response_id"]: r["day"]
        for r in marts(
            f"select distinct response_id, day from {MARTS}.geo_answer_brands"
        )
    }
    assert (days["r2"], days["r3"]) == (DAY1, DAY2)


def test_subdomains_of_owned_sites_are_owned(marts: Query) -> None:
    owners = {
        r["domain"]: r["brand"]
        for r in marts(f"select domain, brand from {MARTS}.geo_cited_domains")
    }
    assert owners["blog.acme.com"] == "Acme"
    assert owners["reddit.com"] is None
    assert fact(marts, "r1", "Acme")["owned_citations"] == 2
    assert fact(marts, "r2", "Initech")["cites_owned_domain"]
    assert not fact(marts, "r2", "Acme")["cites_owned_domain"]


def test_the_report_is_one_offline_page_with_the_four_charts(
    warehouse: Path, tmp_path: Path
) -> None:
    html = write_report(warehouse, tmp_path / "out" / "report.html").read_text()

    charts = re.findall(r"<svg.*?</svg>", html, re.DOTALL)
    assert len(charts) == len(page.SECTIONS) == 4
    for _, title, _, _ in page.SECTIONS:
        assert f"<h2>{title}</h2>" in html
    assert "<script" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert set(re.findall(r"https?://[^\s\"'<>]+", html)) <= {
        "http://www.w3.org/2000/svg",
        "http://www.w3.org/1999/xlink",
    }
    mention_rate, share_of_voice, top_domains, source_types = charts
    assert all(brand in share_of_voice for brand in ("Acme", "Globex", CAFE))
    assert "gemini-2.5-flash" in mention_rate
    assert "blog.acme.com" in top_domains
    assert all(kind in source_types for kind in ("owned", "ugc", "reference"))


def test_the_report_shows_share_of_voice_per_day_and_llm(warehouse: Path) -> None:
    figures = data.read(warehouse, MARTS)
    day1 = {
        row["brand"]: row["share_of_voice"]
        for row in figures.share_of_voice
        if row["day"] == str(DAY1) and row["se"] == "gemini"
    }
    # r1 names Globex, Acme and the café, r2 Initech, r6 and r7 no brand.
    assert day1 == {"Acme": 0.25, "Globex": 0.25, "Initech": 0.25, CAFE: 0.25,
                    "Umbrella": 0}  # fmt: skip
    kinds = {(r["se"], r["source_type"]): r["citations"] for r in figures.source_types}
    # acme.com, blog.acme.com, initech.io, unicode-cafe.com; reddit.com three times.
    assert kinds["gemini", "owned"] == 4
    assert kinds["gemini", "ugc"] == 3


def test_the_report_names_a_missing_warehouse_in_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "none.duckdb"
    done = subprocess.run(
        [sys.executable, "-m", "report", "--warehouse", str(missing), "--output",
         str(tmp_path / "report.html")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert f"no warehouse at {missing}" in done.stderr
    assert not (tmp_path / "report.html").exists()
