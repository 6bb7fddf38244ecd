"""Turn API answers into records: ISO 8601 dates, checked types, flat names.

Every function here raises :class:`MalformedAnswerError` naming the field when the
API sends something the schema cannot hold, so no record leaves the tap invalid
and no task is silently skipped.
"""

from __future__ import annotations

import json
import re
import typing as t
from datetime import datetime
from urllib.parse import urlsplit

from tap_dataforseo_gemini.errors import MalformedAnswerError

_API_DATETIME = "%Y-%m-%d %H:%M:%S %z"

#: Request parameters of ``task_post`` carried by ``task_get`` in the task's ``data``.
#: Where the result has a field of the same name, the request's is prefixed.
REQUEST_FIELDS: dict[str, tuple[str, type]] = {
    "user_prompt": ("user_prompt", str),
    "model_name": ("request_model_name", str),
    "system_message": ("system_message", str),
    "max_output_tokens": ("max_output_tokens", int),
    "temperature": ("temperature", float),
    "top_p": ("top_p", float),
    "web_search": ("request_web_search", bool),
    "force_web_search": ("force_web_search", bool),
    "web_search_country_iso_code": ("web_search_country_iso_code", str),
    "web_search_city": ("web_search_city", str),
    "use_reasoning": ("use_reasoning", bool),
    "tag": ("tag", str),
}

#: Result fields of ``task_get`` with scalar values.
RESULT_FIELDS: dict[str, type] = {
    "model_name": str,
    "input_tokens": int,
    "output_tokens": int,
    "reasoning_tokens": int,
    "web_search": bool,
    "money_spent": float,
}

ANNOTATION_FIELDS: dict[str, type] = {
    "title": str,
    "url": str,
    "direct_url": str,
    "start_index": int,
    "end_index": int,
    "text": str,
}


class Where:
    """The place in an answer being read, for error messages."""

    def __init__(self, endpoint: str, path: str = "") -> None:
        """Start at ``endpoint``; ``path`` grows as the reader goes deeper."""
        self.endpoint = endpoint
        self.path = path

    def __truediv__(self, key: str | int) -> Where:
        """Step into a key or index."""
        step = f"[{key}]" if isinstance(key, int) else f".{key}" if self.path else key
        return Where(self.endpoint, self.path + step)

    def fail(self, problem: str) -> MalformedAnswerError:
        """Build the error for a problem found here."""
        return MalformedAnswerError(
            f"malformed API answer from {self.endpoint}: {self.path} {problem}"
        )


def scalar(value: object, kind: type, where: Where) -> t.Any:
    """Check a nullable scalar against its schema type; integers pass as numbers."""
    if value is None:
        return None
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
        return value
    raise where.fail(f"is {value!r}, expected {kind.__name__} or null")


def mapping(value: object, where: Where) -> dict[str, t.Any] | None:
    """Check a nullable JSON object."""
    if value is None or isinstance(value, dict):
        return value
    raise where.fail(f"is {type(value).__name__}, expected an object or null")


def array(value: object, where: Where) -> list[t.Any] | None:
    """Check a nullable JSON array."""
    if value is None or isinstance(value, list):
        return value
    raise where.fail(f"is {type(value).__name__}, expected an array or null")


def moment(value: object, where: Where) -> datetime | None:
    """Parse the API's ``2025-07-14 07:25:54 +00:00`` (or ISO 8601 with an offset)."""
    text = scalar(value, str, where)
    if text is None:
        return None
    for parse in (
        lambda: datetime.strptime(text, _API_DATETIME),
        lambda: datetime.fromisoformat(text),
    ):
        try:
            parsed = parse()
        except ValueError:
            continue
        if parsed.tzinfo is not None:
            return parsed
    raise where.fail(f"is {text!r}, expected a date like 2025-07-14 07:25:54 +00:00")


def iso8601(value: object, where: Where) -> str | None:
    """Convert the API's ``2025-07-14 07:25:54 +00:00`` to ISO 8601."""
    parsed = moment(value, where)
    return None if parsed is None else parsed.isoformat()


def ready_task(item: object, where: Where) -> dict[str, t.Any]:
    """One ``tasks_ready`` result item as a ``ready_tasks`` record."""
    item = mapping(item, where)
    if item is None:
        raise where.fail("is null, expected a task")
    task_id = scalar(item.get("id"), str, where / "id")
    if not task_id:
        raise (where / "id").fail("is missing")
    # The API has sent this field as both `function` and `se_type`.
    function = item.get("function", item.get("se_type"))
    return {
        "id": task_id,
        "se": scalar(item.get("se"), str, where / "se"),
        "function": scalar(function, str, where / "function"),
        "date_posted": iso8601(item.get("date_posted"), where / "date_posted"),
        "tag": scalar(item.get("tag"), str, where / "tag"),
        "endpoint": scalar(item.get("endpoint"), str, where / "endpoint"),
    }


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
        "se": scalar(data.get("se"), str, where / "data" / "se") or se,
        "status_code": task["status_code"],
        "status_message": task["status_message"],
        "raw_answer": None,
        "cost": scalar(task.get("cost"), float, where / "cost"),
    }
    for name, (column, kind) in REQUEST_FIELDS.items():
        record[column] = scalar(data.get(name), kind, where / "data" / name)
    record["message_chain"] = _message_chain(data.get("message_chain"), where)
    result = _single_result(task, where)
    where = where / "result" / 0
    for name, kind in RESULT_FIELDS.items():
        record[name] = scalar(result.get(name), kind, where / name)
    record["datetime"] = iso8601(result.get("datetime"), where / "datetime")
    record["items"] = _items(result.get("items"), where / "items")
    record["fan_out_queries"] = _strings(
        result.get("fan_out_queries"), where / "fan_out_queries"
    )
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


def _message_chain(value: object, where: Where) -> list[dict[str, t.Any]] | None:
    where = where / "data" / "message_chain"
    chain = array(value, where)
    if chain is None:
        return None
    return [_message(message, where / index) for index, message in enumerate(chain)]


def _message(value: object, where: Where) -> dict[str, t.Any] | None:
    message = mapping(value, where)
    if message is None:
        return None
    return {
        "role": scalar(message.get("role"), str, where / "role"),
        "message": scalar(message.get("message"), str, where / "message"),
    }


def _strings(value: object, where: Where) -> list[str | None] | None:
    values = array(value, where)
    if values is None:
        return None
    return [scalar(item, str, where / index) for index, item in enumerate(values)]


def _items(value: object, where: Where) -> list[dict[str, t.Any]] | None:
    items = array(value, where)
    if items is None:
        return None
    return [_item(item, where / index) for index, item in enumerate(items)]


def _item(value: object, where: Where) -> dict[str, t.Any] | None:
    item = mapping(value, where)
    if item is None:
        return None
    return {
        "type": scalar(item.get("type"), str, where / "type"),
        "sections": _sections(item.get("sections"), where / "sections"),
    }


def _sections(value: object, where: Where) -> list[dict[str, t.Any]] | None:
    sections = array(value, where)
    if sections is None:
        return None
    return [_section(section, where / index) for index, section in enumerate(sections)]


def _section(value: object, where: Where) -> dict[str, t.Any] | None:
    section = mapping(value, where)
    if section is None:
        return None
    annotations = array(section.get("annotations"), where / "annotations")
    return {
        "type": scalar(section.get("type"), str, where / "type"),
        "text": scalar(section.get("text"), str, where / "text"),
        "annotations": None
        if annotations is None
        else [
            _annotation(annotation, where / "annotations" / position)
            for position, annotation in enumerate(annotations)
        ],
    }


def _annotation(value: object, where: Where) -> dict[str, t.Any] | None:
    annotation = mapping(value, where)
    if annotation is None:
        return None
    return {
        name: scalar(annotation.get(name), kind, where / name)
        for name, kind in ANNOTATION_FIELDS.items()
    }


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
    """One record per annotation of an ``llm_responses`` record, with its position."""
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
    item = mapping(item, where) or {}
    name = scalar(item.get("model_name"), str, where / "model_name")
    if not name:
        raise (where / "model_name").fail("is missing")
    return {
        "model_name": name,
        "web_search_supported": scalar(
            item.get("web_search_supported"), bool, where / "web_search_supported"
        ),
        "task_post_supported": scalar(
            item.get("task_post_supported"), bool, where / "task_post_supported"
        ),
        "reasoning": scalar(item.get("reasoning"), bool, where / "reasoning"),
    }
