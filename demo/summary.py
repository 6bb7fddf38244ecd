"""What the demo loaded, in SQL over the DuckDB file."""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

import duckdb

from demo.errors import DemoError
from report.stats import wilson

if t.TYPE_CHECKING:
    from pathlib import Path

SCHEMA = "dataforseo"
#: Where dbt builds the GEO marts (the dbt-duckdb transformer's schema).
MARTS = "geo"


@dataclass(frozen=True)
class Summary:
    """Figures of one demo run, read back from DuckDB."""

    responses: int
    ready_tasks: int
    citations: int
    models: list[tuple[str, int]]
    input_tokens: int
    output_tokens: int
    money_spent: float
    cost: float
    domains: list[tuple[str, int]]
    #: Brand, answers mentioning it, all answers (geo_brand_visibility), ranked
    #: by mention rate.
    voice: list[tuple[str, int, int]]
    #: Prompt key (from the dataforseo-prompts tag), and its responses.
    prompts: list[tuple[str, int]]

    def lines(self) -> list[str]:
        """The summary as printable lines."""
        named = [*self.models, *self.domains, *self.prompts]
        width = max(len(str(name)) for name, _ in named)
        return [
            f"Tasks    {self.responses} (llm_responses), {self.ready_tasks} "
            f"(ready_tasks), {self.citations} citations",
            f"Tokens   {self.input_tokens:,} input, {self.output_tokens:,} output",
            f"Spend    ${self.money_spent:.4f} money_spent (model provider), "
            f"${self.cost:.4f} cost (DataForSEO, task_get)",
            "Models used",
            *(f"  {name:<{width}} {count:>5}" for name, count in self.models),
            "Responses by prompt posted by dataforseo-prompts (from the tag)",
            *(f"  {name:<{width}} {count:>5}" for name, count in self.prompts),
            "Top 5 cited domains",
            *(f"  {name:<{width}} {count:>5}" for name, count in self.domains),
            "Mention rate (answers that mention the brand, 95% Wilson interval, "
            "geo.geo_brand_visibility)",
            *(_rate_line(*voice) for voice in self.voice),
        ]


def _rate_line(brand: str, count: int, answers: int) -> str:
    """One brand's mention rate, its 95% Wilson interval and n."""
    low, high = wilson(count, answers) or (0.0, 0.0)
    return (
        f"  {brand:<12} {count / answers:6.1%}  [{low:.1%} to {high:.1%}]  "
        f"({count} of {answers})"
    )


def _row(
    db: duckdb.DuckDBPyConnection, sql: str, params: list[t.Any] | None = None
) -> tuple[t.Any, ...]:
    """The single row of a query."""
    row = db.execute(sql, params).fetchone()
    if row is None:
        raise DemoError(f"no row from: {sql}")
    return row


def summarize(warehouse: Path, expected_tasks: int) -> Summary:
    """Read the figures; fail unless every one of the emulator's tasks is there once.

    Raises:
        DemoError: DuckDB holds a different number of tasks than the emulator.
    """
    responses_table = f"{SCHEMA}.llm_responses"
    with duckdb.connect(str(warehouse), read_only=True) as db:
        responses, distinct = _row(
            db, f"select count(*), count(distinct id) from {responses_table}"
        )
        (ready,) = _row(db, f"select count(*) from {SCHEMA}.ready_tasks")
        if not responses == distinct == ready == expected_tasks:
            raise DemoError(
                f"the emulator has {expected_tasks} tasks but DuckDB holds "
                f"{responses} responses ({distinct} distinct) and {ready} ready tasks"
            )
        (citations,) = _row(db, f"select count(*) from {SCHEMA}.llm_response_citations")
        models = db.execute(
            f"select model_name, count(*) from {responses_table} "
            "group by model_name order by count(*) desc, model_name"
        ).fetchall()
        input_tokens, output_tokens, money_spent, cost = _row(
            db,
            "select sum(input_tokens), sum(output_tokens), sum(money_spent), "
            f"sum(cost) from {responses_table}",
        )
        domains = db.execute(
            f"select domain, count(*) from {SCHEMA}.llm_response_citations "
            "where domain is not null "
            "group by domain order by count(*) desc, domain limit 5"
        ).fetchall()
        prompts = db.execute(
            f"select split_part(tag, '/', 3), count(*) from {responses_table} "
            "where tag like 'dfsp/%' group by 1 order by 1"
        ).fetchall()
        voice = db.execute(
            "select brand, sum(answers_mentioning)::bigint, sum(answers)::bigint "
            f"from {MARTS}.geo_brand_visibility group by brand "
            "order by sum(answers_mentioning) / sum(answers) desc, brand"
        ).fetchall()
    return Summary(
        responses=responses,
        ready_tasks=ready,
        citations=citations,
        models=models,
        input_tokens=int(input_tokens or 0),
        output_tokens=int(output_tokens or 0),
        money_spent=float(money_spent or 0),
        cost=float(cost or 0),
        domains=domains,
        voice=voice,
        prompts=prompts,
    )
