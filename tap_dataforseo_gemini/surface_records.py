"""Records of the consumer surfaces: LLM Scraper results and AI Mode results.

The result fields are the vendor's own (:mod:`tap_dataforseo_gemini.vendor`),
typed to the leaf; request parameters come from the task's ``data``. The child
rows (cited sources, references) carry the task, its ``se``, their position, the
cited site's ``domain`` and ``date_posted``.
"""

from __future__ import annotations

import re
import typing as t

from tap_dataforseo_gemini import vendor
from tap_dataforseo_gemini.records import (
    BOOLEAN,
    DATE_POSTED,
    INTEGER,
    SE,
    STRING,
    TASK,
    TASK_ID,
    _position,
    host,
    task_record,
)
from tap_dataforseo_gemini.shape import Field, Where

ANSWER_TEXT = Field(
    "answer_text",
    STRING,
    "The answer as plain text: its markdown without link targets, images or markup",
)
DOMAIN = Field(
    "domain",
    STRING,
    "The cited site, lower-case without www.: the vendor's domain, else the url's host",
)
_TAG = Field("tag", STRING, "The tag set at task_post")
_PRIORITY = Field("priority", INTEGER, "Priority asked for: 1 normal, 2 high")
_LOCATION = (
    Field("location_name", STRING, "Location asked for, by name"),
    Field("language_name", STRING, "Language asked for, by name"),
)

#: Request parameters of an LLM Scraper task (its ``data``).
SCRAPER_REQUEST = (
    _TAG,
    _PRIORITY,
    *_LOCATION,
    Field("location_coordinate", STRING, "Coordinates asked for (Gemini)"),
    Field("force_web_search", BOOLEAN, "Web search forced (ChatGPT)"),
)
#: The result of ChatGPT's and Gemini's ``task_get/advanced``, in one shape.
SCRAPER_RESULT = vendor.merged(
    "AiOptimizationChatGptLlmScraperTaskGetAdvancedResultInfo",
    "AiOptimizationGeminiLlmScraperTaskGetAdvancedResultInfo",
)
LLM_SCRAPER_RESULT = (
    TASK_ID,
    SE,
    DATE_POSTED,
    *TASK,
    *SCRAPER_REQUEST,
    *SCRAPER_RESULT,
    ANSWER_TEXT,
)

#: Request parameters of an AI Mode task (its ``data``).
AI_MODE_REQUEST = (
    _TAG,
    _PRIORITY,
    *_LOCATION,
    Field("location_coordinate", STRING, "Coordinates asked for"),
    Field("device", STRING, "Device asked for: desktop or mobile"),
    Field("os", STRING, "Operating system asked for"),
    Field(
        "calculate_rectangles", BOOLEAN, "Pixel rectangles asked for (twice the price)"
    ),
)
AI_MODE_FIELDS = vendor.fields("SerpGoogleAiModeTaskGetAdvancedResultInfo")
AI_MODE_RESULT = (
    TASK_ID,
    SE,
    DATE_POSTED,
    *TASK,
    *AI_MODE_REQUEST,
    *AI_MODE_FIELDS,
    ANSWER_TEXT,
)


#: An ``llm_scraper_sources`` row: a source the answer cites.
SCRAPER_SOURCE = (
    TASK_ID,
    SE,
    _position("source_index", "Position of the source in the result's sources"),
    DATE_POSTED,
    *vendor.fields("SourceInfo", skip=frozenset({"domain"})),
    DOMAIN,
)
#: An ``ai_mode_references`` row: a reference of an AI Mode item.
AI_MODE_REFERENCE = (
    TASK_ID,
    SE,
    _position("item_index", "Position of the item in the result"),
    _position("reference_index", "Position of the reference in its item"),
    DATE_POSTED,
    *vendor.fields("AiModeAiOverviewReferenceInfo", skip=frozenset({"domain"})),
    DOMAIN,
)


def result_record(
    task: dict[str, t.Any],
    se: str,
    where: Where,
    request: tuple[Field, ...],
    result: tuple[Field, ...],
) -> dict[str, t.Any]:
    """A ``task_get/advanced`` task as one record: status, request, result, text."""
    record = task_record(task, se, where, request, result)
    record["answer_text"] = plain(record.get("markdown") or _items_markdown(record))
    return record


def llm_scraper_result(
    task: dict[str, t.Any], se: str, where: Where
) -> dict[str, t.Any]:
    """An ``llm_scraper_results`` record."""
    return result_record(task, se, where, SCRAPER_REQUEST, SCRAPER_RESULT)


def ai_mode_result(task: dict[str, t.Any], se: str, where: Where) -> dict[str, t.Any]:
    """An ``ai_mode_results`` record (AI Mode has no top-level markdown)."""
    return result_record(task, se, where, AI_MODE_REQUEST, AI_MODE_FIELDS)


def _items_markdown(record: dict[str, t.Any]) -> str | None:
    texts = [item["markdown"] for item in record.get("items") or [] if item]
    return "\n\n".join(text for text in texts if text) or None


_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MARKUP = re.compile(r"(\*\*|__|`|^#{1,6}\s+)", re.MULTILINE)


def plain(markdown: str | None) -> str | None:
    """Markdown as text: images dropped, links as their text, emphasis removed."""
    if not markdown:
        return None
    text = _MARKUP.sub("", _LINK.sub(r"\1", _IMAGE.sub("", markdown)))
    return text.strip() or None


def _row(
    record: dict[str, t.Any], positions: dict[str, int], cited: dict[str, t.Any]
) -> dict[str, t.Any]:
    domain = (cited.get("domain") or "").strip().lower().removeprefix("www.")
    return {
        "id": record["id"],
        "se": record["se"],
        **positions,
        **cited,
        "domain": domain or host(cited.get("url")),
        "date_posted": record.get("date_posted"),
    }


def scraper_sources(record: dict[str, t.Any]) -> t.Iterator[dict[str, t.Any]]:
    """The ``llm_scraper_sources`` rows of a record: its cited sources.

    The result's ``sources``; when it has none, those of its items, each url once.
    """
    cited = record.get("sources")
    if not cited:
        seen: set[object] = set()
        cited = []
        for item in record.get("items") or []:
            for source in (item or {}).get("sources") or []:
                if source and source.get("url") not in seen:
                    seen.add(source.get("url"))
                    cited.append(source)
    for index, source in enumerate(cited):
        if source is not None:
            yield _row(record, {"source_index": index}, source)


def ai_mode_references(record: dict[str, t.Any]) -> t.Iterator[dict[str, t.Any]]:
    """The ``ai_mode_references`` rows of a record: each item's references."""
    for item_index, item in enumerate(record.get("items") or []):
        for index, reference in enumerate((item or {}).get("references") or []):
            if reference is not None:
                positions = {"item_index": item_index, "reference_index": index}
                yield _row(record, positions, reference)
