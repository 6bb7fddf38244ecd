"""Paging ``id_list``, the API's ledger of every task ever posted, over HTTP.

``tasks_ready`` forgets a task once anyone collects it or after three days;
``id_list`` does not. What a run does with the entries (the watermark, the plan)
is :mod:`tap_dataforseo_gemini.delivery`'s.
"""

from __future__ import annotations

import math
import typing as t
from datetime import UTC, datetime

from tap_dataforseo_gemini import envelope
from tap_dataforseo_gemini.delivery import Entry
from tap_dataforseo_gemini.shape import Where, mapping, moment, scalar

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterator

#: ``id_list`` returns at most this many tasks a call.
PAGE_SIZE = 1000
#: Pages overlap by this many entries: the ledger is sorted by execution time, so
#: a task finishing between two calls shifts the entries after it.
PAGE_OVERLAP = 100


def to_api(when: datetime) -> str:
    """Format a time as the API writes it: ``2025-07-14 07:25:54 +00:00``."""
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S +00:00")


def read(
    send: Callable[[list[dict[str, t.Any]]], dict[str, t.Any]],
    llm: str,
    since: datetime,
    until: datetime,
) -> Iterator[Entry]:
    """Page through ``id_list`` for this LLM's ``llm_responses`` tasks in a window."""
    for page in read_pages(send, llm, since, until):
        yield from page


def read_pages(
    send: Callable[[list[dict[str, t.Any]]], dict[str, t.Any]],
    llm: str,
    since: datetime,
    until: datetime,
) -> Iterator[list[Entry]]:
    """The entries of each ``id_list`` page, for this LLM's ``llm_responses`` tasks.

    Only entries whose ``url`` ends in ``/{llm}/llm_responses/task_post`` count:
    the ledger lists every call of the account, Live calls and other APIs' too.
    """
    suffix = f"/{llm}/llm_responses/task_post"
    for page in pages(send, since, until, include_metadata=False):
        yield [entry for where, item in page if (entry := _entry(item, where, suffix))]


def pages(
    send: Callable[[list[dict[str, t.Any]]], dict[str, t.Any]],
    since: datetime,
    until: datetime,
    *,
    include_metadata: bool,
) -> Iterator[list[tuple[Where, t.Any]]]:
    """Every ``id_list`` item of a window once, page by page, with where it stands.

    The API sorts by execution time, so a task that finishes between two calls
    can move an item across a page boundary: pages overlap by
    :data:`PAGE_OVERLAP` items and items already seen (by ``id``) are dropped.
    """
    seen: set[object] = set()
    offset = 0
    while True:
        body = send(
            [
                {
                    "datetime_from": to_api(since),
                    "datetime_to": to_api(until),
                    "limit": PAGE_SIZE,
                    "offset": offset,
                    "sort": "asc",
                    "include_metadata": include_metadata,
                }
            ]
        )
        items = envelope.result_items(body, "id_list")
        page = []
        for position, item in enumerate(items):
            key = item.get("id") if isinstance(item, dict) else None
            if key is not None and key in seen:
                continue
            seen.add(key)
            page.append(
                (Where("id_list", f"tasks[0].result[{offset + position}]"), item)
            )
        yield page
        if len(items) < PAGE_SIZE:
            return
        offset += len(items) - PAGE_OVERLAP


def _entry(item: object, where: Where, suffix: str) -> Entry | None:
    item = mapping(item, where) or {}
    url = scalar(item.get("url"), str, where / "url") or ""
    if not url.split("?", 1)[0].rstrip("/").endswith(suffix):
        return None
    task_id = scalar(item.get("id"), str, where / "id")
    posted = moment(item.get("datetime_posted"), where / "datetime_posted")
    if not task_id or posted is None:
        raise where.fail("has no id or datetime_posted")
    status = item.get("status")
    cost = item.get("cost")
    return Entry(
        task_id,
        posted,
        moment(item.get("datetime_done"), where / "datetime_done"),
        str(status).strip() if isinstance(status, str | int) else "",
        float(cost) if _is_number(cost) else None,
    )


def _is_number(value: object) -> t.TypeGuard[float]:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )
