"""Turn API answers into records: ISO 8601 dates, checked types, flat names.

Every function here raises :class:`MalformedAnswerError` naming the field when the
API sends something the schema cannot hold, so no record leaves the tap invalid
and no task is silently skipped.
"""

from __future__ import annotations

import json
import re
import typing as t
from urllib.parse import urlsplit

from tap_dataforseo_gemini.shape import (
    Array,
    DateTime,
    Field,
    Object,
    Scalar,
    Where,
    mapping,
    read,
)

STRING, INTEGER, NUMBER, BOOLEAN = Scalar(str), Scalar(int), Scalar(float), Scalar(bool)

TASK_ID = Field("id", STRING, "Task id", required=True)
SE = Field("se", STRING, "The LLM that answered: gemini, chat_gpt, claude")
#: From the ``tasks_ready`` listing or the ``id_list`` entry: task_get lacks it.
DATE_POSTED = Field("date_posted", DateTime(), "When the task was posted, ISO 8601")

#: A ``tasks_ready`` result item (the API has sent ``function`` as ``se_type`` too).
READY_TASK = (
    TASK_ID,
    SE,
    Field(
        "function",
        STRING,
        "The task's function, llm_responses (sent as se_type too)",
    ),
    DATE_POSTED,
    Field("tag", STRING, "The tag set at task_post"),
    Field("endpoint", STRING, "The task_get path of the task"),
)

#: A ``models`` result item.
MODEL = (
    Field("model_name", STRING, "Model name to give task_post", required=True),
    Field(
        "web_search_supported",
        BOOLEAN,
        "Whether task_post may ask this model for web search",
    ),
    Field(
        "task_post_supported",
        BOOLEAN,
        "Whether task_post (the task method) accepts this model",
    ),
    Field("reasoning", BOOLEAN, "A reasoning model (null if the API does not say)"),
)

#: An annotation (a cited source) of an answer's section.
ANNOTATION = (
    Field("title", STRING, "Domain or title of the source"),
    Field("url", STRING, "Link to the source (a redirect)"),
    Field("direct_url", STRING, "The source's own URL"),
    Field("start_index", INTEGER, "Where the cited span starts in the section's text"),
    Field("end_index", INTEGER, "Where the cited span ends in the section's text"),
    Field("text", STRING, "The cited span of the answer"),
)
SECTION = Object(
    (
        Field("type", STRING, "Kind of section, such as text"),
        Field("text", STRING, "Markdown text"),
        Field(
            "annotations",
            Array(Object(ANNOTATION)),
            "Sources; null unless web search ran, and may be empty then",
        ),
    )
)
ITEM = Object(
    (
        Field("type", STRING, "message or reasoning"),
        Field("sections", Array(SECTION), "The item's parts, in order"),
    )
)
MESSAGE = Object(
    (
        Field("role", STRING, "user or ai"),
        Field("message", STRING, "What that side said"),
    )
)

COST = Field(
    "cost", NUMBER, "What DataForSEO charged for the task (its id_list cost), USD"
)
#: The task's status and charge in a ``task_get`` answer.
TASK = (
    Field("status_code", INTEGER, "The task's status: 20000 is success"),
    Field("status_message", STRING, "The task's status in words"),
    Field(
        "raw_answer",
        STRING,
        "Set on a failure record only: the task's task_get answer as JSON text, for "
        "a task that failed or whose answer the tap could not read (status_message "
        "says why); null for a collected task",
    ),
    COST,
)
#: Request parameters of ``task_post`` carried by ``task_get`` in the task's ``data``.
#: Where the result has a field of the same name, the request's is prefixed.
REQUEST = (
    Field("user_prompt", STRING, "The prompt posted with task_post"),
    Field("request_model_name", STRING, "Model asked for", source="model_name"),
    Field("system_message", STRING, "Instructions given to the model with the prompt"),
    Field("max_output_tokens", INTEGER, "Most output tokens asked for"),
    Field("temperature", NUMBER, "Sampling temperature asked for"),
    Field("top_p", NUMBER, "Nucleus sampling (top_p) asked for"),
    Field("request_web_search", BOOLEAN, "Web search asked for", source="web_search"),
    Field("force_web_search", BOOLEAN, "Web search forced (ChatGPT, Claude)"),
    Field("web_search_country_iso_code", STRING, "Country web search was localised to"),
    Field("web_search_city", STRING, "City web search was localised to"),
    Field("use_reasoning", BOOLEAN, "Reasoning asked for"),
    Field("tag", STRING, "The tag set at task_post"),
    Field(
        "message_chain",
        Array(MESSAGE),
        "Earlier turns of the conversation sent with the prompt",
    ),
)
#: The fields of a ``task_get`` task's (single) result.
RESULT = (
    Field("model_name", STRING, "Model version that answered"),
    Field("input_tokens", INTEGER, "Tokens of the prompt"),
    Field("output_tokens", INTEGER, "Tokens of the answer"),
    Field("reasoning_tokens", INTEGER, "Tokens spent on reasoning"),
    Field("web_search", BOOLEAN, "Web search ran"),
    Field("money_spent", NUMBER, "The model provider's charge, USD"),
    Field("datetime", DateTime(), "When the answer was received, ISO 8601"),
    Field(
        "items",
        Array(ITEM),
        "The answer: message and reasoning items, in order",
    ),
    Field(
        "fan_out_queries",
        Array(STRING),
        "Related queries the model searched",
    ),
)
RESPONSE_TEXT = Field(
    "response_text", STRING, "The answer's message sections joined in order"
)
#: An ``llm_responses`` record.
LLM_RESPONSE = (TASK_ID, SE, DATE_POSTED, *TASK, *REQUEST, *RESULT, RESPONSE_TEXT)


def _position(name: str, description: str) -> Field:
    return Field(name, INTEGER, description, required=True)


#: An ``llm_response_citations`` record: the annotation, where it is, its site.
CITATION = (
    TASK_ID,
    SE,
    _position("item_index", "Position of the item"),
    _position("section_index", "Position of the section in its item"),
    _position("annotation_index", "Position of the annotation in its section"),
    DATE_POSTED,
    *ANNOTATION,
    Field(
        "domain",
        STRING,
        "The cited site without www.: host of direct_url, else a domain-like title, "
        "else host of url unless it only redirects",
    ),
)


def ready_task(item: object, where: Where) -> dict[str, t.Any]:
    """One ``tasks_ready`` result item as a ``ready_tasks`` record."""
    item = mapping(item, where)
    if item is None:
        raise where.fail("is null, expected a task")
    # The API has sent this field as both `function` and `se_type`.
    function = item.get("function", item.get("se_type"))
    record = read(READY_TASK, {**item, "function": function}, where)
    if not record["id"]:
        raise (where / "id").fail("is missing")
    return record


def llm_response(task: dict[str, t.Any], se: str, where: Where) -> dict[str, t.Any]:
    """A ``task_get`` task as one ``llm_responses`` record.

    Task envelope fields keep their names; request parameters come from ``data``
    (``request_model_name`` and ``request_web_search`` where the result has the same
    name); the result's fields keep theirs. A task without a result (a final task
    error) gives a record with its status and null result fields.
    """
    data = mapping(task.get("data"), where / "data") or {}
    record: dict[str, t.Any] = {
        "id": task["id"],
        "se": SE.read(data, where / "data") or se,
        "status_code": task["status_code"],
        "status_message": task["status_message"],
        "raw_answer": None,
        "cost": COST.read(task, where),
        **read(REQUEST, data, where / "data"),
        **read(RESULT, _single_result(task, where), where / "result" / 0),
    }
    record["response_text"] = response_text(record["items"])
    return record


def failure(
    task_id: str, se: str, status_code: int | None, status_message: str, answer: object
) -> dict[str, t.Any]:
    """A record for a task that failed or could not be read: its status and answer.

    ``raw_answer`` keeps the task's ``task_get`` answer as JSON text, so nothing
    the API sent is lost; every other field is null.
    """
    return {
        "id": task_id,
        "se": se,
        "status_code": status_code,
        "status_message": status_message,
        "raw_answer": json.dumps(answer, ensure_ascii=False, default=repr),
    }


def _single_result(task: dict[str, t.Any], where: Where) -> dict[str, t.Any]:
    results = task.get("result") or []
    if len(results) > 1:
        raise (where / "result").fail(f"has {len(results)} results, expected one")
    if not results:
        return {}
    return mapping(results[0], where / "result" / 0) or {}


def response_text(items: list[dict[str, t.Any]] | None) -> str | None:
    """The answer's message text, sections joined in order by blank lines."""
    texts = [
        section["text"]
        for item in items or []
        if item and item["type"] == "message"
        for section in item["sections"] or []
        if section and section["text"]
    ]
    return "\n\n".join(texts) if texts else None


def citations(response: dict[str, t.Any]) -> t.Iterator[dict[str, t.Any]]:
    """The ``llm_response_citations`` records of an ``llm_responses`` record.

    One per annotation, with its position, the cited domain and the record's
    task, LLM and ``date_posted``.
    """
    for item_index, item in enumerate(response.get("items") or []):
        for section_index, section in enumerate((item or {}).get("sections") or []):
            annotations = (section or {}).get("annotations") or []
            for position, annotation in enumerate(annotations):
                if annotation is None:
                    continue
                yield {
                    "id": response["id"],
                    "se": response["se"],
                    "item_index": item_index,
                    "section_index": section_index,
                    "annotation_index": position,
                    **annotation,
                    "domain": cited_domain(annotation),
                    "date_posted": response.get("date_posted"),
                }


#: Hosts that only redirect to the source (Gemini's ``url`` is one of these).
REDIRECT_HOSTS = frozenset({"vertexaisearch.cloud.google.com"})


def cited_domain(annotation: dict[str, t.Any]) -> str | None:
    """The cited site, without ``www.``.

    The host of ``direct_url``; else ``title`` when it is a domain (Gemini's are);
    else the host of ``url``, unless that host only redirects.
    """
    title = (annotation["title"] or "").strip().lower()
    candidates = (
        host(annotation["direct_url"]),
        title.removeprefix("www.") if _DOMAIN.fullmatch(title) else None,
        host(annotation["url"]),
    )
    return next((c for c in candidates if c and c not in REDIRECT_HOSTS), None)


_DOMAIN = re.compile(r"(?:[a-z0-9-]+\.)+[a-z]{2,}")


def host(url: str | None) -> str | None:
    """The host of a URL, lower-cased, without a leading ``www.``."""
    if not url:
        return None
    try:
        name = (urlsplit(url).hostname or "").lower()
    except ValueError:  # e.g. an unclosed IPv6 bracket: https://[acme.com/p
        return None
    return name.removeprefix("www.") or None


def model(item: object, where: Where) -> dict[str, t.Any]:
    """One ``models`` result item as a record."""
    record = read(MODEL, mapping(item, where) or {}, where)
    if not record["model_name"]:
        raise (where / "model_name").fail("is missing")
    return record
