"""What the demo loaded, in SQL over the DuckDB file."""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

import duckdb

from demo.errors import DemoError
from report.stats import wilson
from tap_dataforseo_gemini.words import counted

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
    #: Surface, brand, answers mentioning it, all answers (geo_brand_visibility),
    #: ranked by mention rate within each surface: api and ai_mode apart.
    voice: list[tuple[str, str, int, int]]
    #: Prompt key (from the dataforseo-prompts tag), and its responses.
    prompts: list[tuple[str, int]]
    #: Google AI Mode: answers (ai_mode_results) and their references.
    ai_mode: tuple[int, int] = (0, 0)

    def lines(self) -> list[str]:
        """The summary as printable lines."""
        named = [*self.models, *self.domains, *self.prompts]
        width = max(len(str(name)) for name, _ in named)
        return [
            f"Tasks    {self.responses} (llm_responses), {self.ready_tasks} "
            f"(ready_tasks), {counted(self.citations, 'citation')}",
            f"Tokens   {self.input_tokens:,} input, {self.output_tokens:,} output",
            f"Spend    ${self.money_spent:.4f} money_spent (model provider), "
            f"${self.cost:.4f} cost (DataForSEO, task_get)",
            "Models used",
            *(f"  {name:<{width}} {count:>5}" for name, count in self.models),
            "Responses by prompt posted by dataforseo-prompts (from the tag)",
            *(f"  {name:<{width}} {count:>5}" for name, count in self.prompts),
            "Top 5 cited domains",
            *(f"  {name:<{width}} {count:>5}" for name, count in self.domains),
            f"AI Mode  {counted(self.ai_mode[0], 'answer')} (ai_mode_results), "
            f"{counted(self.ai_mode[1], 'reference')}",
            "Mention rate (answers that mention the brand, 95% Wilson interval, "
            "geo.geo_brand_visibility; api: the LLMs' API, ai_mode: Google AI Mode)",
            *(_rate_line(*voice) for voice in self.voice),
        ]


def _rate_line(surface: str, brand: str, count: int, answers: int) -> str:
    """One brand's mention rate on one surface, its 95% Wilson interval and n."""
    low, high = wilson(count, answers) or (0.0, 0.0)
    return (
        f"  {surface:<8} {brand:<12} {count / answers:6.1%}  "
        f"[{low:.1%} to {high:.1%}]  ({count} of {answers})"
    )


def _row(
    db: duckdb.DuckDBPyConnection, sql: str, params: list[t.Any] | None = None
) -> tuple[t.Any, ...]:
    """The single row of a query."""
    row = db.execute(sql, params).fetchone()
    if row is None:
        raise DemoError(f"no row from: {sql}")
    return row


def summarize(
    warehouse: Path, expected_tasks: int, expected_ai_mode: int = 0
) -> Summary:
    """Read the figures; fail unless every one of the emulator's tasks is there once.

    ``expected_tasks``: LLM Responses tasks; ``expected_ai_mode``: AI Mode tasks.

    Raises:
        DemoError: DuckDB holds a different number of tasks than the emulator.
    """
    responses_table = f"{SCHEMA}.llm_responses"
    with duckdb.connect(str(warehouse), read_only=True) as db:
        responses, distinct = _row(
            db, f"select count(*), count(distinct id) from {responses_table}"
        )
        (ready,) = _row(db, f"select count(*) from {SCHEMA}.ready_tasks")
        ai_mode = _ai_mode(db) if expected_ai_mode else (0, 0)
        if not (
            responses == distinct == expected_tasks
            and ai_mode[0] == expected_ai_mode
            and ready == expected_tasks + expected_ai_mode
        ):
            raise DemoError(
                f"the emulator has {counted(expected_tasks, 'LLM task')} and "
                f"{counted(expected_ai_mode, 'AI Mode task')} but DuckDB holds "
                f"{counted(responses, 'response')} ({distinct} distinct), "
                f"{counted(ai_mode[0], 'AI Mode answer')} and "
                f"{counted(ready, 'ready task')}"
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
            "select surface, brand, sum(answers_mentioning)::bigint, "
            f"sum(answers)::bigint from {MARTS}.geo_brand_visibility "
            "group by surface, brand order by surface = 'ai_mode', surface, "
            "sum(answers_mentioning) / sum(answers) desc, brand"
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
        ai_mode=ai_mode,
    )


def _ai_mode(db: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """AI Mode's distinct answers and their references."""
    answers, references = _row(
        db,
        f"select (select count(distinct id) from {SCHEMA}.ai_mode_results), "
        f"(select count(*) from {SCHEMA}.ai_mode_references)",
    )
    return answers, references
