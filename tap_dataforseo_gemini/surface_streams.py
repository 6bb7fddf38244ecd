"""The consumer surfaces' streams: LLM Scraper and Google AI Mode results and rows.

Collected as ``llm_responses`` is (:class:`~tap_dataforseo_gemini.streams.
TaskResultsStream`): the same delivery protocol, the source's own endpoints.
"""

from __future__ import annotations

import typing as t

from tap_dataforseo_gemini import shape
from tap_dataforseo_gemini import surface_records as sr
from tap_dataforseo_gemini.streams import TaskResultsStream, TaskRowsStream

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from tap_dataforseo_gemini.shape import Where


class LlmScraperResultsStream(TaskResultsStream):
    """One record per LLM Scraper task: what the ChatGPT or Gemini app answered."""

    name = "llm_scraper_results"
    schema = shape.schema(*sr.LLM_SCRAPER_RESULT)

    def record(self, task: dict[str, t.Any], where: Where) -> dict[str, t.Any]:
        """An ``llm_scraper_results`` record."""
        return sr.llm_scraper_result(task, self.se, where)


class LlmScraperSourcesStream(TaskRowsStream):
    """One row per source an LLM Scraper answer cites, with its domain."""

    name = "llm_scraper_sources"
    parent_stream_type = LlmScraperResultsStream
    primary_keys = ("id", "source_index")
    schema = shape.schema(*sr.SCRAPER_SOURCE)

    def rows(self, record: dict[str, t.Any]) -> Iterator[dict[str, t.Any]]:
        """The record's cited sources."""
        return sr.scraper_sources(record)


class AiModeResultsStream(TaskResultsStream):
    """One record per Google AI Mode task: the AI Mode answer for the keyword."""

    name = "ai_mode_results"
    schema = shape.schema(*sr.AI_MODE_RESULT)

    def record(self, task: dict[str, t.Any], where: Where) -> dict[str, t.Any]:
        """An ``ai_mode_results`` record."""
        return sr.ai_mode_result(task, self.se, where)


class AiModeReferencesStream(TaskRowsStream):
    """One row per reference of an AI Mode answer, with its domain."""

    name = "ai_mode_references"
    parent_stream_type = AiModeResultsStream
    primary_keys = ("id", "item_index", "reference_index")
    schema = shape.schema(*sr.AI_MODE_REFERENCE)

    def rows(self, record: dict[str, t.Any]) -> Iterator[dict[str, t.Any]]:
        """The record's references."""
        return sr.ai_mode_references(record)
