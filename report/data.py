"""The figures the report shows, read from the GEO marts in a DuckDB file."""

from __future__ import annotations

import dataclasses
import typing as t
from dataclasses import dataclass
from datetime import timedelta

import duckdb

from report.stats import newcombe, wilson

if t.TYPE_CHECKING:
    from datetime import date
    from pathlib import Path

#: Rows of a query, one dict a row (the form Altair's inline data takes).
Rows = list[dict[str, t.Any]]
#: How many cited domains the chart shows per LLM.
TOP_DOMAINS = 10
#: Groups with fewer answers are greyed: at a 50% rate their 95% interval is wider
#: than ±17 points.
SMALL_GROUP = 30
MARTS = (
    "geo_brand_visibility",
    "geo_brand_visibility_weekly",
    "geo_cited_domains",
    "geo_answer_brands",
    "geo_surface_visibility",
)


class ReportError(Exception):
    """The warehouse cannot give the report its data; the message says why."""


@dataclass(frozen=True)
class Headline:
    """One brand in the latest ISO week, every LLM and model together."""

    brand: str
    answers: int
    answers_mentioning: int
    mention_rate: float
    ci_low: float
    ci_high: float
    share_of_voice: float | None
    group_mentions: int
    avg_first_position: float | None
    #: Change of mention rate against the week before; None without that week.
    change: float | None
    change_ci: tuple[float, float] | None

    @property
    def change_is_significant(self) -> bool:
        """The change's 95% interval excludes 0."""
        return self.change_ci is not None and (
            self.change_ci[0] > 0 or self.change_ci[1] < 0
        )


@dataclass(frozen=True)
class Figures:
    """Everything the report draws."""

    answers: int
    first_day: str
    last_day: str
    #: The latest ISO week (e.g. 2025-W29) and the headline of each brand in it.
    week: str
    headline: list[Headline]
    #: day, se, brand, share_of_voice, share_of_voice_n (the brand's mentions).
    share_of_voice: Rows
    #: se, model_name, brand, answers, answers_mentioning, mention_rate, ci_low,
    #: ci_high, label, small: over all days.
    mention_rate: Rows
    #: se, domain, citations, source_type: the most cited sites of each LLM.
    top_domains: Rows
    #: se, source_type, citations, domains.
    source_types: Rows
    #: se (the series), brand and the columns of mention_rate, over the prompts
    #: every surface answered; empty with fewer than two surfaces.
    surfaces: Rows = dataclasses.field(default_factory=list)
    #: The surfaces loaded (api, app, ai_mode) and the prompts all of them answered.
    surface_names: tuple[str, ...] = ()
    shared_prompts: int = 0


#: A series of the charts: the LLM, and where its answer was seen unless the API
#: (``chat_gpt``, ``chat_gpt (app)``, ``google (ai_mode)``): surfaces side by side.
SERIES = "case when surface = 'api' then se else se || ' (' || surface || ')' end"
_WEEKS = """
select week, iso_week, brand, sum(answers) as answers,
    sum(answers_mentioning) as answers_mentioning,
    sum(group_mentions) as group_mentions,
    sum(avg_first_position * answers_mentioning)
        / nullif(sum(case when avg_first_position is not null
                     then answers_mentioning end), 0) as avg_first_position
from {schema}.geo_brand_visibility_weekly
group by week, iso_week, brand
order by week, brand
"""
_SHARE_OF_VOICE = """
select strftime(day, '%Y-%m-%d') as day, {series} as se, brand,
    sum(answers_mentioning) / nullif(sum(group_mentions), 0) as share_of_voice,
    sum(answers_mentioning) as share_of_voice_n
from {schema}.geo_brand_visibility
group by day, 2, brand
order by day, 2, brand
"""
_MENTION_RATE = """
select {series} as se, coalesce(model_name, {series}) as model_name, brand,
    sum(answers) as answers, sum(answers_mentioning) as answers_mentioning
from {schema}.geo_brand_visibility
group by 1, model_name, brand
order by 1, model_name, brand
"""
_TOP_DOMAINS = """
select {series} as se, domain, sum(citations) as citations,
    min(source_type) as source_type
from {schema}.geo_cited_domains
group by 1, domain
qualify row_number() over (partition by {series} order by sum(citations) desc, domain)
    <= {limit}
order by 1, citations desc, domain
"""
_SOURCE_TYPES = """
select {series} as se, source_type, sum(citations) as citations,
    count(distinct domain) as domains
from {schema}.geo_cited_domains
group by 1, source_type
order by 1, citations desc, source_type
"""
#: Each surface's answers to the prompts every surface answered (the only fair
#: comparison: the same questions), per brand.
_SURFACES = """
select {series} as se, brand,
    sum(answers) as answers, sum(answers_mentioning) as answers_mentioning
from {schema}.geo_surface_visibility
where surfaces_answering = {surfaces}
group by 1, brand
order by brand, 1
"""
_SURFACE_NAMES = """
select surface, count(distinct user_prompt) filter (where surfaces_answering = (
    select count(distinct surface) from {schema}.geo_surface_visibility))
from {schema}.geo_surface_visibility
group by surface
order by case surface when 'api' then 1 when 'app' then 2 else 3 end, surface
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


def _with_intervals(rows: Rows) -> Rows:
    """Mention rate, its Wilson 95% interval, an "x% (n=…)" label, small groups."""
    for row in rows:
        answers, mentioning = int(row["answers"]), int(row["answers_mentioning"])
        row["answers"], row["answers_mentioning"] = answers, mentioning
        row["mention_rate"] = mentioning / answers
        row["ci_low"], row["ci_high"] = wilson(mentioning, answers) or (0.0, 0.0)
        row["label"] = f"{row['mention_rate']:.0%} (n={answers})"
        row["small"] = answers < SMALL_GROUP
    return rows


def headline(weeks: Rows) -> tuple[str, list[Headline]]:
    """The latest ISO week and each brand's figures in it, against the week before."""
    latest: date = max(row["week"] for row in weeks)
    before = {
        row["brand"]: row for row in weeks if row["week"] == latest - timedelta(days=7)
    }
    lines, label = [], ""
    for row in weeks:
        if row["week"] != latest:
            continue
        label = row["iso_week"]
        answers, mentioning = int(row["answers"]), int(row["answers_mentioning"])
        mentions = int(row["group_mentions"])
        low, high = wilson(mentioning, answers) or (0.0, 0.0)
        previous = before.get(row["brand"])
        change = change_ci = None
        if previous is not None:
            earlier = int(previous["answers_mentioning"]), int(previous["answers"])
            change = mentioning / answers - earlier[0] / earlier[1]
            change_ci = newcombe(mentioning, answers, *earlier)
        lines.append(
            Headline(
                brand=row["brand"],
                answers=answers,
                answers_mentioning=mentioning,
                mention_rate=mentioning / answers,
                ci_low=low,
                ci_high=high,
                share_of_voice=mentioning / mentions if mentions else None,
                group_mentions=mentions,
                avg_first_position=row["avg_first_position"],
                change=change,
                change_ci=change_ci,
            )
        )
    lines.sort(key=lambda line: (-line.mention_rate, line.brand))
    return label, lines


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
            return Figures(0, "", "", "", [], [], [], [], [])
        week, lines = headline(_rows(db, _WEEKS.format(schema=schema)))
        surfaces = db.execute(_SURFACE_NAMES.format(schema=schema)).fetchall()
        compared = (
            _rows(
                db,
                _SURFACES.format(schema=schema, series=SERIES, surfaces=len(surfaces)),
            )
            if len(surfaces) > 1
            else []
        )
        return Figures(
            answers=answers,
            first_day=first_day,
            last_day=last_day,
            week=week,
            headline=lines,
            share_of_voice=_rows(
                db, _SHARE_OF_VOICE.format(schema=schema, series=SERIES)
            ),
            mention_rate=_with_intervals(
                _rows(db, _MENTION_RATE.format(schema=schema, series=SERIES))
            ),
            top_domains=_rows(
                db, _TOP_DOMAINS.format(schema=schema, limit=TOP_DOMAINS, series=SERIES)
            ),
            source_types=_rows(db, _SOURCE_TYPES.format(schema=schema, series=SERIES)),
            surfaces=_with_intervals(compared),
            surface_names=tuple(name for name, _ in surfaces),
            shared_prompts=max((shared for _, shared in surfaces), default=0),
        )
