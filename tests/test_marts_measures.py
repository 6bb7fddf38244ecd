"""Intervals, week-on-week significance, thirds, source types, stability, fan-out.

A generated fixture of four ISO weeks: Acme jumps from 8 of 40 answers to 30 of
40 (beyond noise) and then holds (within noise); the cited sites change from
week to week around a stable core (reddit.com); one brand is written with a
decomposed accent. The marts are built on DuckDB and on PostgreSQL and must
equal the metrics recomputed in plain Python (tests/marts.py, with the interval
formulas of report/stats.py, themselves checked against Newcombe's tables).
"""

from __future__ import annotations

import json
import re
import typing as t
import unicodedata
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import psycopg2
import psycopg2.extras
import pytest

from report import charts, data, page
from report.__main__ import write as write_report
from report.stats import wilson
from tests import postgres
from tests.marts import (
    MARTS,
    Brands,
    Query,
    assert_marts_match,
    copy_project,
    dbt_build,
    duckdb_query,
)

if t.TYPE_CHECKING:
    from collections.abc import Iterator

CAFE = "Ünïcødé Café"
BRANDS = Brands(
    aliases=[("Acme", ""), ("Globex", ""), (CAFE, "Unicode Cafe")],
    domains=[("Acme", "acme.com")],
)
WEEKS = [date(2025, 6, 30), date(2025, 7, 7), date(2025, 7, 14), date(2025, 7, 21)]
#: Answers of gemini-2.5-pro mentioning Acme, per week, out of ANSWERS.
ACME = [8, 30, 28, 27]
ANSWERS = 40
#: The sites cited each week (round robin over the week's answers).
SITES = [
    ["acme.com", "reddit.com", "en.wikipedia.org"],
    ["acme.com", "reddit.com", "g2.com", "bbc.co.uk"],
    ["blog.acme.com", "reddit.com", "g2.com", "unknown-blog.net"],
    ["reddit.com", "g2.com", "bbc.co.uk"],
]
SEGMENT = "Some neutral words fill this third of it. "
#: The decomposed form: "e" + U+0301 and so on.
DECOMPOSED_CAFE = unicodedata.normalize("NFD", CAFE)
PRO, FLASH = "gemini-2.5-pro", "gemini-2.5-flash"
DDL = """
create schema dataforseo;
create table dataforseo.llm_responses (
    id varchar, se varchar, status_code bigint, tag varchar, user_prompt varchar,
    request_model_name varchar, model_name varchar, datetime timestamp,
    response_text varchar, fan_out_queries {json}, raw_answer varchar,
    money_spent double precision, cost double precision
);
create table dataforseo.llm_response_citations (
    id varchar, se varchar, item_index bigint, section_index bigint,
    annotation_index bigint, title varchar, url varchar, direct_url varchar,
    domain varchar
);
"""


def segment(words: str) -> str:
    """words padded to a third of an answer (counted in NFC characters)."""
    return words + " " * (len(SEGMENT) - len(unicodedata.normalize("NFC", words)))


def answer(index: int, mentions_acme: bool) -> str:
    """Three equal thirds; Acme opens third index % 3, Globex the next one."""
    segments = [SEGMENT, SEGMENT, SEGMENT]
    if mentions_acme:
        segments[index % 3] = segment("Acme is named here.")
    if index % 4 == 0:
        segments[(index + 1) % 3] = segment("So is Globex.")
    if index % 5 == 0:
        segments[(index + 2) % 3] = segment(f"And {DECOMPOSED_CAFE} too.")
    return "".join(segments)


def fixture_rows() -> tuple[list[tuple[t.Any, ...]], list[tuple[t.Any, ...]]]:
    """(responses, citations) of the four weeks, deterministic."""
    responses, citations = [], []
    for week, (monday, acme) in enumerate(zip(WEEKS, ACME, strict=True)):
        for index in range(ANSWERS):
            rid = f"w{week}-{index}"
            at = datetime.combine(
                monday + timedelta(days=index % 5), datetime.min.time()
            )
            queries = None
            if index % 3 == 0:
                queries = json.dumps(["acme vs globex", f"best crm week {week}", " "])
            responses.append(
                (rid, "gemini", 20000, PRO, at + timedelta(hours=9),
                 answer(index, index < acme), queries)
            )  # fmt: skip
            sites = SITES[week]
            citations.append((rid, 0, sites[index % len(sites)]))
        # A small group (under 30 answers) on another model and LLM.
        for index in range(3):
            rid = f"w{week}-small-{index}"
            at = datetime.combine(monday, datetime.min.time()) + timedelta(hours=12)
            responses.append(
                (rid, "chat_gpt", 20000, FLASH, at, answer(index, True), None)
            )
    responses.append(("failed", "gemini", 40501, None, None, None, None))
    return responses, citations


RESPONSES, CITATIONS = fixture_rows()
INSERT_RESPONSE = (
    "insert into dataforseo.llm_responses (id, se, status_code, model_name, "
    "datetime, response_text, fan_out_queries) values ({})"
)
INSERT_CITATION = (
    "insert into dataforseo.llm_response_citations (id, se, item_index, "
    "section_index, annotation_index, domain) values ({}, 'gemini', 0, 0, {}, {})"
)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture in DuckDB (fan_out_queries as JSON), dbt build run on it."""
    folder = tmp_path_factory.mktemp("measures")
    warehouse = folder / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as db:
        db.execute(DDL.format(json="json"))
        db.executemany(INSERT_RESPONSE.format(", ".join("?" * 7)), RESPONSES)
        db.executemany(INSERT_CITATION.format("?", "?", "?"), CITATIONS)
    dbt_build(
        copy_project(folder, BRANDS), "duckdb", {"DBT_DUCKDB_PATH": str(warehouse)}
    )
    return warehouse


@pytest.fixture(scope="module")
def duckdb_marts(warehouse: Path) -> Query:
    """Queries on the built DuckDB warehouse."""
    return duckdb_query(warehouse)


@pytest.fixture(scope="module")
def report_page(warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The report of the fixture, as HTML."""
    output = tmp_path_factory.mktemp("report") / "report.html"
    return write_report(warehouse, output).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def postgres_marts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Query]:
    """The fixture in PostgreSQL (fan_out_queries as jsonb), dbt build run on it."""
    with postgres.running_or_skip() as server:
        login = {"host": server.host, "port": server.port, "user": server.user,
                 "dbname": server.database}  # fmt: skip
        with psycopg2.connect(**login) as db, db.cursor() as cursor:
            cursor.execute(DDL.format(json="jsonb"))
            cursor.executemany(INSERT_RESPONSE.format(", ".join(["%s"] * 7)), RESPONSES)
            cursor.executemany(INSERT_CITATION.format("%s", "%s", "%s"), CITATIONS)
        env = {f"DBT_POSTGRES_{k.upper()}": str(v) for k, v in login.items()}
        dbt_build(copy_project(tmp_path_factory.mktemp("pg"), BRANDS), "postgres", env)
        with psycopg2.connect(**login) as db:

            def query(sql: str) -> list[dict[str, t.Any]]:
                with db.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
                    cur.execute(sql)
                    return [dict(row) for row in cur.fetchall()]

            yield query


def test_every_column_equals_python_on_duckdb(duckdb_marts: Query) -> None:
    assert_marts_match(duckdb_marts, BRANDS)


def test_every_column_equals_python_on_postgresql(postgres_marts: Query) -> None:
    assert_marts_match(postgres_marts, BRANDS)


def weekly(marts: Query, week: date) -> dict[str, t.Any]:
    """Acme's gemini-2.5-pro row of geo_brand_visibility_weekly in a week."""
    (row,) = marts(
        f"select * from {MARTS}.geo_brand_visibility_weekly where week = '{week}' "
        f"and model_name = '{PRO}' and brand = 'Acme'"
    )
    return row


def test_a_jump_beyond_noise_is_significant_and_a_steady_week_is_not(
    duckdb_marts: Query,
) -> None:
    first, jump, steady = (weekly(duckdb_marts, week) for week in WEEKS[:3])
    assert first["change_is_significant"] is None
    assert jump["mention_rate_change"] == pytest.approx((30 - 8) / 40)
    assert jump["change_is_significant"] is True
    assert steady["change_is_significant"] is False
    assert (
        steady["mention_rate_change_ci_low"] < 0 < steady["mention_rate_change_ci_high"]
    )


def test_the_mention_rate_interval_is_wilsons(duckdb_marts: Query) -> None:
    row = weekly(duckdb_marts, WEEKS[0])
    # 8 of 40, by the centre and half-width form: 0.22629 ± 0.12129.
    assert (row["mention_rate_ci_low"], row["mention_rate_ci_high"]) == pytest.approx(
        (0.1050, 0.3476), abs=5e-5
    )
    assert row["iso_week"] == "2025-W27"


def test_a_decomposed_accent_matches_the_composed_brand(duckdb_marts: Query) -> None:
    (row,) = duckdb_marts(
        f"select is_mentioned from {MARTS}.geo_answer_brands "
        f"where response_id = 'w0-0' and brand = '{CAFE}'"
    )
    assert row["is_mentioned"] is True


def test_the_first_mention_falls_in_its_third(duckdb_marts: Query) -> None:
    thirds = {
        row["response_id"]: row["first_mention_third"]
        for row in duckdb_marts(
            f"select response_id, first_mention_third from {MARTS}.geo_answer_brands "
            "where brand = 'Acme' and response_id in ('w1-0', 'w1-1', 'w1-2', 'w1-39')"
        )
    }
    assert thirds == {"w1-0": "top", "w1-1": "middle", "w1-2": "bottom", "w1-39": None}


def test_each_cited_site_gets_its_source_type(duckdb_marts: Query) -> None:
    types = {
        row["domain"]: row["source_type"]
        for row in duckdb_marts(
            f"select distinct domain, source_type from {MARTS}.geo_cited_domains"
        )
    }
    assert types == {
        "acme.com": "owned",
        "blog.acme.com": "owned",
        "reddit.com": "ugc",
        "en.wikipedia.org": "reference",
        "g2.com": "review",
        "bbc.co.uk": "news",
        "unknown-blog.net": "earned",
    }


def test_the_jaccard_index_compares_a_week_with_the_one_before(
    duckdb_marts: Query,
) -> None:
    rows = duckdb_marts(
        f"select week, domain, jaccard_index, weeks_cited_last_4 "
        f"from {MARTS}.geo_citation_stability where se = 'gemini'"
    )
    jaccard = {row["week"]: row["jaccard_index"] for row in rows}
    # {acme, reddit, g2, bbc} against {acme, reddit, wikipedia}: 2 of 5.
    assert jaccard[WEEKS[1]] == pytest.approx(2 / 5)
    assert jaccard[WEEKS[0]] is None
    core = {
        row["domain"]
        for row in rows
        if row["week"] == WEEKS[3] and row["weeks_cited_last_4"] == 4
    }
    assert core == {"reddit.com"}


def test_fan_out_queries_count_the_answers_that_ran_them(duckdb_marts: Query) -> None:
    rows = duckdb_marts(
        f"select query, sum(answers) as answers from {MARTS}.geo_fan_out_queries "
        "group by query"
    )
    counts = {row["query"]: row["answers"] for row in rows}
    # Every third of the 40 answers of each of four weeks; blank queries dropped.
    assert counts["acme vs globex"] == 4 * 14
    assert counts["best crm week 2"] == 14
    assert " " not in counts


def test_the_report_opens_with_each_brands_rate_interval_and_n(
    report_page: str,
) -> None:
    table = report_page[report_page.index("<table") : report_page.index("</table>")]
    assert report_page.index("</table>") < report_page.index("<svg")
    brands = re.findall(r"<tr[^>]*><td>([^<]+)</td>", table)
    assert sorted(brands) == sorted(["Acme", "Globex", CAFE])
    # The last week: 27 of 40 gemini answers and 3 of 3 chat_gpt ones name Acme.
    low, high = wilson(30, 43)
    acme = table[table.index("<td>Acme</td>") :].split("</tr>")[0]
    assert f"<td>{30 / 43:.0%} ({low:.0%}&ndash;{high:.0%})</td><td>43</td>" in acme
    assert "▲" not in table
    assert "▼" not in table


def week(monday: date, mentioning: int, brand: str = "Acme") -> dict[str, t.Any]:
    """A geo_brand_visibility_weekly row as the report reads it: 40 answers."""
    return {"week": monday, "iso_week": "w", "brand": brand, "answers": 40,
            "answers_mentioning": mentioning, "group_mentions": mentioning,
            "avg_first_position": 1.0}  # fmt: skip


def test_the_headline_ranks_brands_by_mention_rate() -> None:
    rows = [week(WEEKS[0], 5, "Alpha"), week(WEEKS[0], 30, "Zed"),
            week(WEEKS[0], 12, "Mid")]  # fmt: skip
    _, lines = data.headline(rows)
    assert [line.brand for line in lines] == ["Zed", "Mid", "Alpha"]


def test_a_change_is_marked_only_when_it_is_significant() -> None:
    _, (jump,) = data.headline([week(WEEKS[0], 8), week(WEEKS[1], 30)])
    _, (steady,) = data.headline([week(WEEKS[1], 30), week(WEEKS[2], 28)])

    assert jump.change_is_significant
    assert "▲ +55 pts" in page.change(jump)
    assert not steady.change_is_significant
    assert page.change(steady) == "-5 pts"


def test_every_bar_shows_its_n_and_groups_under_30_answers_are_grey(
    report_page: str,
) -> None:
    mention_rate = re.findall(r"<svg.*?</svg>", report_page, re.DOTALL)[0]
    # Per model: 160 gemini-2.5-pro answers and 12 small chat_gpt ones.
    assert mention_rate.count("(n=160)</text>") == 3
    assert mention_rate.count("(n=12)</text>") == 3
    assert mention_rate.count(f'fill="{charts.GREY}"') == 3


def test_captions_state_the_true_counts_and_no_machine_path(
    report_page: str, warehouse: Path
) -> None:
    answered = sum(1 for row in RESPONSES if row[2] == 20000)
    assert f"{answered:,} answers from 2025-06-30 to 2025-07-25" in report_page
    assert f"All {len(CITATIONS):,} citations with a domain" in report_page
    assert str(warehouse.parent) not in report_page
    assert "/tmp" not in report_page
