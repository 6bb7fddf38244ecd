"""The figures the report shows, read from the GEO marts in a DuckDB file."""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

import duckdb

if t.TYPE_CHECKING:
    from pathlib import Path

#: Rows of a query, one dict a row (the form Altair's inline data takes).
Rows = list[dict[str, t.Any]]
#: How many cited domains the top-domains chart shows.
TOP_DOMAINS = 15
#: The owner shown for cited sites that no tracked brand owns.
THIRD_PARTY = "third-party"
MARTS = ("geo_brand_visibility", "geo_cited_domains", "geo_answer_brands")


class ReportError(Exception):
    """The warehouse cannot give the report its data; the message says why."""


@dataclass(frozen=True)
class Figures:
    """Everything the report draws."""

    answers: int
    first_day: str
    last_day: str
    #: day, se, brand, share_of_voice: per UTC day and LLM, over its models.
    share_of_voice: Rows
    #: se, model_name, brand, mention_rate, answers: over all days.
    mention_rate: Rows
    #: domain, citations, owner ("third-party" or the owning brand).
    top_domains: Rows
    #: day, owner, citations.
    owned_citations: Rows


_SHARE_OF_VOICE = """
select strftime(day, '%Y-%m-%d') as day, se, brand,
    sum(answers_mentioning) / nullif(sum(sum(answers_mentioning))
        over (partition by day, se), 0) as share_of_voice
from {schema}.geo_brand_visibility
group by day, se, brand
order by day, se, brand
"""
_MENTION_RATE = """
select se, coalesce(model_name, '(unknown)') as model_name, brand,
    sum(answers_mentioning) / sum(answers) as mention_rate,
    sum(answers) as answers
from {schema}.geo_brand_visibility
group by se, model_name, brand
order by se, model_name, brand
"""
_TOP_DOMAINS = """
select domain, sum(citations) as citations,
    coalesce(max(brand), '{third_party}') as owner
from {schema}.geo_cited_domains
group by domain
order by citations desc, domain
limit {limit}
"""
_OWNED_CITATIONS = """
select strftime(day, '%Y-%m-%d') as day,
    coalesce(brand, '{third_party}') as owner, sum(citations) as citations
from {schema}.geo_cited_domains
group by day, owner
order by day, owner
"""
_ANSWERS = """
select count(distinct response_id), strftime(min(day), '%Y-%m-%d'),
    strftime(max(day), '%Y-%m-%d')
from {schema}.geo_answer_brands
"""


def _rows(db: duckdb.DuckDBPyConnection, sql: str) -> Rows:
    """Run a query; its rows as dicts."""
    cursor = db.execute(sql)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def read(warehouse: Path, schema: str) -> Figures:
    """Read the figures from the marts (built by ``dbt build``) in ``schema``.

    Raises:
        ReportError: no such file, or the marts are not there.
    """
    if not warehouse.is_file():
        raise ReportError(
            f"no warehouse at {warehouse}: load it first (meltano run "
            "tap-dataforseo-gemini target-duckdb dbt-duckdb:run), or give the "
            "demo's: make report WAREHOUSE=output/demo.duckdb"
        )
    try:
        db = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as exc:
        raise ReportError(f"cannot open {warehouse}: {exc}") from None
    with db:
        found = {
            name
            for (name,) in db.execute(
                "select table_name from information_schema.tables "
                "where table_schema = ?",
                [schema],
            ).fetchall()
        }
        missing = [mart for mart in MARTS if mart not in found]
        if missing:
            raise ReportError(
                f"{warehouse} has no {schema}.{missing[0]}: build the marts first "
                "(meltano run dbt-duckdb:run)"
            )
        answers, first_day, last_day = db.execute(
            _ANSWERS.format(schema=schema)
        ).fetchone() or (0, None, None)
        if not answers:
            return Figures(0, "", "", [], [], [], [])
        return Figures(
            answers=answers,
            first_day=first_day,
            last_day=last_day,
            share_of_voice=_rows(db, _SHARE_OF_VOICE.format(schema=schema)),
            mention_rate=_rows(db, _MENTION_RATE.format(schema=schema)),
            top_domains=_rows(
                db,
                _TOP_DOMAINS.format(
                    schema=schema, limit=TOP_DOMAINS, third_party=THIRD_PARTY
                ),
            ),
            owned_citations=_rows(
                db, _OWNED_CITATIONS.format(schema=schema, third_party=THIRD_PARTY)
            ),
        )
