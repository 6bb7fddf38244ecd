"""Where a run's tasks come from: ``llm_responses``, ``llm_scraper`` or ``ai_mode``.

A source is its endpoints (names in the endpoint table), its ledger filter and
its streams: the same delivery protocol collects each. LLM Responses is the API's
answer; the LLM Scraper (ChatGPT, Gemini) and Google AI Mode are what consumers
see in the apps and in Search.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from tap_dataforseo_gemini.errors import InvalidConfigError


@dataclass(frozen=True)
class Source:
    """One task queue and the streams it feeds."""

    #: The setting's value.
    name: str
    #: The ``llm`` values it takes; empty: none (its ``se`` is fixed).
    llms: tuple[str, ...]
    #: The endpoint names of its queue.
    tasks_ready: str
    task_get: str
    task_post: str
    id_list: str
    #: The ``id_list`` url ending of its tasks, with ``{se}``.
    ledger_suffix: str
    #: Its ``task_get`` stream and that stream's child, by name.
    results: str
    rows: str
    #: The ``se`` of its tasks when ``llms`` is empty.
    fixed_se: str = ""

    def se(self, config: t.Mapping[str, t.Any]) -> str:
        """Whose tasks a run reads: the ``llm`` setting, or the source's own se."""
        return self.fixed_se or config["llm"]

    def suffix(self, config: t.Mapping[str, t.Any]) -> str:
        """The ``id_list`` url ending of this run's tasks."""
        return self.ledger_suffix.format(se=self.se(config))


SOURCES: dict[str, Source] = {
    source.name: source
    for source in (
        Source(
            "llm_responses",
            ("gemini", "chat_gpt", "claude"),
            "tasks_ready",
            "task_get",
            "task_post",
            "id_list",
            "/{se}/llm_responses/task_post",
            "llm_responses",
            "llm_response_citations",
        ),
        Source(
            "llm_scraper",
            ("chat_gpt", "gemini"),
            "llm_scraper/tasks_ready",
            "llm_scraper/task_get",
            "llm_scraper/task_post",
            "id_list",
            "/{se}/llm_scraper/task_post",
            "llm_scraper_results",
            "llm_scraper_sources",
        ),
        Source(
            "ai_mode",
            (),
            "ai_mode/tasks_ready",
            "ai_mode/task_get",
            "ai_mode/task_post",
            "serp/id_list",
            "/serp/{se}/ai_mode/task_post",
            "ai_mode_results",
            "ai_mode_references",
            fixed_se="google",
        ),
    )
}

#: The streams of every source, by name: a stream not of the run's is not discovered.
COLLECTING = frozenset(source.results for source in SOURCES.values())


def of(config: t.Mapping[str, t.Any]) -> Source:
    """The run's source."""
    return SOURCES[config.get("source") or "llm_responses"]


def check(config: t.Mapping[str, t.Any]) -> None:
    """Refuse an ``llm`` the source does not have, in one line.

    Without an ``llm`` the default (gemini) is taken, which every source has.
    """
    source = of(config)
    llm = config.get("llm")
    if llm is not None and source.llms and llm not in source.llms:
        raise InvalidConfigError(
            f"invalid settings: source {source.name} has no llm {llm}: "
            f"use llm {' or '.join(source.llms)}"
        )
