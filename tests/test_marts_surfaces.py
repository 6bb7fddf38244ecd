"""The surfaces compared prompt by prompt: the API, the apps (LLM Scraper), AI Mode.

A fixture of two prompts answered on three surfaces: Gemini's and Claude's API,
the ChatGPT and Gemini apps, Google's AI Mode, with failed tasks on each, the
ChatGPT app's ``brand_entities`` (one listing a brand its text does not name, one
empty) and cited sources of each kind. The marts are built on DuckDB and on
PostgreSQL and must equal the metrics recomputed in plain Python (tests/marts.py).
"""

from __future__ import annotations

import json
import typing as t
from datetime import datetime
from pathlib import Path

import pytest

from report import data
from report.__main__ import write as write_report
from tests.marts import (
    MARTS,
    Brands,
    Query,
    Tables,
    assert_surface_marts_match,
    duckdb_query,
    duckdb_warehouse,
    postgres_marts,
)

if t.TYPE_CHECKING:
    from collections.abc import Iterator

BRANDS = Brands(
    aliases=[("Acme", ""), ("Globex", "Globex Corp")],
    domains=[("Acme", "acme.com")],
)
CRM, EMAIL = "best crm for startups", "crm with email built in"
AT = datetime(2025, 7, 14, 10)
ACME_AND_GLOBEX = "Acme first, then Globex."
GLOBEX = "Only Globex Corp here."
NONE = "No brand at all."


def entities(*titles: str) -> str:
    """The ChatGPT app's brand_entities, as JSON."""
    return json.dumps([{"type": "brand_entity", "title": t} for t in titles])


def api(rid: str, prompt: str, text: str | None, **more: t.Any) -> dict[str, t.Any]:
    """An llm_responses row of Gemini's API."""
    return {"id": rid, "se": "gemini", "status_code": 20000, "user_prompt": prompt,
            "model_name": "gemini-2.5-flash", "datetime": AT, "response_text": text,
            **more}  # fmt: skip


def scraped(
    rid: str, se: str, prompt: str, text: str | None, **more: t.Any
) -> dict[str, t.Any]:
    """An llm_scraper_results row (the ChatGPT or Gemini app)."""
    return {"id": rid, "se": se, "status_code": 20000, "keyword": prompt,
            "model": "app", "datetime": AT, "answer_text": text, **more}  # fmt: skip


def ai_mode(rid: str, prompt: str, text: str | None, **more: t.Any) -> dict[str, t.Any]:
    """An ai_mode_results row."""
    return {"id": rid, "se": "google", "status_code": 20000, "keyword": prompt,
            "datetime": AT, "answer_text": text, **more}  # fmt: skip


TABLES: Tables = {
    "llm_responses": [
        api("api-1", CRM, ACME_AND_GLOBEX),
        api("api-2", CRM, ACME_AND_GLOBEX),
        api("api-3", CRM, GLOBEX),
        api("api-4", EMAIL, ACME_AND_GLOBEX),
        api("claude-1", CRM, NONE, se="claude", model_name="claude-sonnet-4-0"),
        api("api-failed", CRM, None, status_code=40501, datetime=None),
    ],
    "llm_response_citations": [
        {"id": "api-1", "annotation_index": 0, "domain": "acme.com"},
        {"id": "api-1", "annotation_index": 1, "domain": "reddit.com"},
        {"id": "api-2", "annotation_index": 0, "domain": "reddit.com"},
        {"id": "api-failed", "annotation_index": 0, "domain": "reddit.com"},
    ],
    "llm_scraper_results": [
        # The app lists Acme among its brands though its text names Globex only.
        scraped(
            "chat-1",
            "chat_gpt",
            CRM,
            GLOBEX,
            brand_entities=entities("Acme Inc.", "Globex"),
        ),
        scraped("chat-2", "chat_gpt", CRM, NONE, brand_entities=entities()),
        scraped("gem-1", "gemini", CRM, ACME_AND_GLOBEX),
        # A failure record: the answer could not be read.
        scraped(
            "chat-bad",
            "chat_gpt",
            CRM,
            "Acme",
            raw_answer='{"bad": 1}',
            brand_entities=entities("Acme"),
        ),
    ],
    "llm_scraper_sources": [
        {"id": "chat-1", "source_index": 0, "domain": "reddit.com"},
        {"id": "chat-1", "source_index": 1, "domain": "g2.com"},
        {"id": "chat-2", "source_index": 0, "domain": "reddit.com"},
        {"id": "chat-bad", "source_index": 0, "domain": "acme.com"},
    ],
    "ai_mode_results": [
        ai_mode("mode-1", CRM, ACME_AND_GLOBEX),
        ai_mode("mode-2", CRM, NONE),
        ai_mode("mode-3", EMAIL, GLOBEX),
        ai_mode("mode-failed", EMAIL, None, status_code=40102, datetime=None),
    ],
    "ai_mode_references": [
        {
            "id": "mode-1",
            "item_index": 0,
            "reference_index": 0,
            "domain": "blog.acme.com",
        },
        {
            "id": "mode-1",
            "item_index": 0,
            "reference_index": 1,
            "domain": "en.wikipedia.org",
        },
        {"id": "mode-3", "item_index": 0, "reference_index": 0, "domain": "reddit.com"},
    ],
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture in DuckDB, dbt build run on it."""
    return duckdb_warehouse(tmp_path_factory.mktemp("surfaces"), TABLES, BRANDS)


@pytest.fixture(scope="module")
def marts(warehouse: Path) -> Query:
    """Queries on the built warehouse."""
    return duckdb_query(warehouse)


@pytest.fixture(scope="module")
def pg_marts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Query]:
    """The fixture in PostgreSQL, dbt build run on it."""
    with postgres_marts(
        tmp_path_factory.mktemp("surfaces-pg"), TABLES, BRANDS
    ) as query:
        yield query


def visibility(marts: Query, prompt: str, brand: str) -> dict[tuple[str, str], t.Any]:
    """geo_surface_visibility's rows of a prompt and brand by (surface, se)."""
    rows = marts(
        f"select * from {MARTS}.geo_surface_visibility "
        f"where user_prompt = '{prompt}' and brand = '{brand}'"
    )
    return {(row["surface"], row["se"]): row for row in rows}


def test_every_surface_column_equals_python_on_duckdb(marts: Query) -> None:
    assert_surface_marts_match(marts, BRANDS)


def test_every_surface_column_equals_python_on_postgresql(pg_marts: Query) -> None:
    assert_surface_marts_match(pg_marts, BRANDS)


def test_each_surface_answering_a_prompt_is_its_own_group_with_its_n(
    marts: Query,
) -> None:
    acme = visibility(marts, CRM, "Acme")
    counts = {
        key: (row["answers"], row["answers_mentioning"]) for key, row in acme.items()
    }

    assert counts == {
        ("api", "gemini"): (3, 2),
        ("api", "claude"): (1, 0),
        ("app", "chat_gpt"): (2, 0),
        ("app", "gemini"): (1, 1),
        ("ai_mode", "google"): (2, 1),
    }  # fmt: skip
    api = acme["api", "gemini"]
    assert api["mention_rate"] == pytest.approx(2 / 3)
    assert api["mention_rate_ci_low"] < 2 / 3 < api["mention_rate_ci_high"]


def test_surfaces_answering_counts_the_surfaces_that_answered_the_prompt(
    marts: Query,
) -> None:
    rows = marts(
        f"select distinct user_prompt, surfaces_answering "
        f"from {MARTS}.geo_surface_visibility order by user_prompt"
    )

    assert rows == [
        {"user_prompt": CRM, "surfaces_answering": 3},
        {"user_prompt": EMAIL, "surfaces_answering": 2},
    ]


def test_the_apps_brand_entities_count_beside_the_alias_matching(
    marts: Query,
) -> None:
    (fact,) = marts(
        f"select is_mentioned, is_brand_entity from {MARTS}.geo_answer_brands "
        "where response_id = 'chat-1' and brand = 'Acme'"
    )
    chat_gpt = visibility(marts, CRM, "Acme")["app", "chat_gpt"]

    assert fact == {"is_mentioned": False, "is_brand_entity": True}
    assert chat_gpt["answers_with_brand_entities"] == 2
    assert chat_gpt["answers_listing_brand"] == 1


def test_an_answer_without_brand_entities_has_no_entity_verdict(marts: Query) -> None:
    rows = marts(
        f"select response_id, is_brand_entity from {MARTS}.geo_answer_brands "
        "where brand = 'Globex' and response_id in ('api-1', 'gem-1', 'mode-1', "
        "'chat-2') order by response_id"
    )

    assert rows == [
        {"response_id": "api-1", "is_brand_entity": None},
        {"response_id": "chat-2", "is_brand_entity": False},
        {"response_id": "gem-1", "is_brand_entity": None},
        {"response_id": "mode-1", "is_brand_entity": None},
    ]


def test_a_site_is_compared_across_surfaces_with_the_share_of_answers_citing_it(
    marts: Query,
) -> None:
    rows = marts(
        f"select surface, se, answers_citing, answers, citing_rate, source_type "
        f"from {MARTS}.geo_surface_cited_domains "
        f"where user_prompt = '{CRM}' and domain = 'reddit.com' order by surface"
    )

    assert rows == [
        {"surface": "api", "se": "gemini", "answers_citing": 2, "answers": 3,
         "citing_rate": pytest.approx(2 / 3), "source_type": "ugc"},
        {"surface": "app", "se": "chat_gpt", "answers_citing": 2, "answers": 2,
         "citing_rate": 1.0, "source_type": "ugc"},
    ]  # fmt: skip


def test_failed_and_unreadable_surface_tasks_count_nowhere(marts: Query) -> None:
    ids = {
        row["response_id"]
        for row in marts(f"select response_id from {MARTS}.geo_answer_brands")
    }
    owned = marts(
        f"select surface, domain from {MARTS}.geo_surface_cited_domains "
        "where source_type = 'owned' order by surface"
    )

    assert not ids & {"api-failed", "chat-bad", "mode-failed"}
    assert owned == [
        {"surface": "ai_mode", "domain": "blog.acme.com"},
        {"surface": "api", "domain": "acme.com"},
    ]


def test_the_report_compares_each_brands_mention_rate_per_surface_with_its_n(
    warehouse: Path,
) -> None:
    figures = data.read(warehouse, MARTS)
    acme = {
        row["se"]: (row["label"], row["small"])
        for row in figures.surfaces
        if row["brand"] == "Acme"
    }

    # Only the CRM prompt was answered on all three surfaces.
    assert figures.shared_prompts == 1
    assert acme == {
        "claude": ("0% (n=1)", True),
        "gemini": ("67% (n=3)", True),
        "chat_gpt (app)": ("0% (n=2)", True),
        "gemini (app)": ("100% (n=1)", True),
        "google (ai_mode)": ("50% (n=2)", True),
    }


def test_the_report_page_has_the_surfaces_chart_with_intervals_and_n(
    warehouse: Path, tmp_path: Path
) -> None:
    page = write_report(warehouse, tmp_path / "report.html").read_text()
    section = page[page.index('<section id="surfaces">') :]
    section = section[: section.index("</section>")]

    assert "the 1 prompt answered on every surface" in section
    assert "ai_mode (Google&#x27;s AI Mode)" in section
    assert "google (ai_mode)" in section
    assert "67% (n=3)" in section


def test_a_surface_without_model_names_is_charted_under_its_series_name(
    warehouse: Path,
) -> None:
    figures = data.read(warehouse, MARTS)
    ai_mode = {
        row["model_name"] for row in figures.mention_rate if "ai_mode" in row["se"]
    }

    assert ai_mode == {"google (ai_mode)"}
