"""Reconciliation with ``id_list``, the API's ledger of every task ever posted.

``tasks_ready`` forgets a task once anyone collects it or after three days;
``id_list`` does not, and ``task_get`` answers for 30 days. A run asks the ledger
for the tasks posted since ``posted_from`` and collects those done after
``done_after``; the watermark moves only in a STATE message written after those
tasks' records, and never past a task that is still running. The bookmark is
two timestamps, whatever the volume.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tap_dataforseo_gemini import envelope
from tap_dataforseo_gemini.errors import APIError, EndpointNotFoundError
from tap_dataforseo_gemini.records import Where, mapping, moment, scalar

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

#: Only tasks done this long before a query are trusted to be listed by then.
SETTLE = timedelta(minutes=5)
#: ``id_list`` returns at most this many tasks a call.
PAGE_SIZE = 1000


def to_api(when: datetime) -> str:
    """Format a time as the API writes it: ``2025-07-14 07:25:54 +00:00``."""
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S +00:00")


@dataclass(frozen=True)
class Watermark:
    """Where the next reconciliation starts."""

    posted_from: datetime
    done_after: datetime | None = None

    def to_state(self) -> dict[str, str | None]:
        """The watermark as it is kept in the bookmark."""
        return {
            "posted_from": self.posted_from.isoformat(),
            "done_after": self.done_after.isoformat() if self.done_after else None,
        }

    @classmethod
    def from_state(cls, value: object, first_start: datetime) -> Watermark:
        """Read the bookmark's watermark, or start at ``first_start`` on a first run."""
        where = Where("state", "bookmarks.llm_responses.ledger")
        saved = mapping(value, where)
        if not saved:
            return cls(first_start)
        posted_from = moment(saved.get("posted_from"), where / "posted_from")
        if posted_from is None:
            return cls(first_start)
        return cls(posted_from, moment(saved.get("done_after"), where / "done_after"))


@dataclass(frozen=True)
class Entry:
    """One task in the ledger."""

    id: str
    posted: datetime
    done: datetime | None


@dataclass(frozen=True)
class Planned:
    """A task to collect, with the moment it was posted."""

    id: str
    posted: datetime


@dataclass
class Reconciliation:
    """The tasks a run collects from the ledger, and how far the watermark may move."""

    tasks: list[Planned]
    previous: Watermark
    floor: datetime
    settled: datetime

    def drop(self, skip: Callable[[str], bool]) -> None:
        """Leave out tasks collected another way (those already pending)."""
        self.tasks = [task for task in self.tasks if not skip(task.id)]

    def watermark_after(self, delivered: int) -> Watermark:
        """The watermark once the first ``delivered`` tasks' records are out."""
        if delivered >= len(self.tasks):
            return Watermark(self.floor, self.settled)
        posted_from = min(self.floor, self.tasks[delivered].posted)
        return Watermark(posted_from, self.previous.done_after)


def reconcile(
    entries: Iterable[Entry], previous: Watermark, queried_at: datetime
) -> Reconciliation:
    """Plan a run: the ledger's tasks done since the watermark, in posting order.

    The floor is the oldest task still running, or the query time less
    :data:`SETTLE` when none is.
    """
    settled = queried_at - SETTLE
    floor = settled
    plan: dict[str, Planned] = {}
    for entry in entries:
        if entry.done is None:
            floor = min(floor, entry.posted)
        elif previous.done_after is None or entry.done > previous.done_after:
            plan[entry.id] = Planned(entry.id, entry.posted)
    tasks = sorted(plan.values(), key=lambda task: (task.posted, task.id))
    return Reconciliation(tasks, previous, max(floor, previous.posted_from), settled)


def read(
    send: Callable[[list[dict[str, t.Any]]], dict[str, t.Any]],
    llm: str,
    since: datetime,
    until: datetime,
) -> Iterator[Entry]:
    """Page through ``id_list`` for this LLM's ``llm_responses`` tasks in a window."""
    marker = f"/ai_optimization/{llm}/llm_responses/"
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
                    "include_metadata": False,
                }
            ]
        )
        items = _page(body)
        for position, item in enumerate(items):
            where = Where("id_list", f"tasks[0].result[{offset + position}]")
            entry = _entry(item, where, marker)
            if entry:
                yield entry
        if len(items) < PAGE_SIZE:
            return
        offset += len(items)


def _page(body: dict[str, t.Any]) -> list[t.Any]:
    tasks = body["tasks"]
    if len(tasks) != 1:
        raise Where("id_list", "tasks").fail(f"has {len(tasks)} tasks, expected one")
    task = tasks[0]
    if task["status_code"] != envelope.OK:
        problem = f"id_list: status {task['status_code']} {task['status_message']}"
        if task["status_code"] == envelope.NOT_FOUND:
            raise EndpointNotFoundError(problem)
        raise APIError(problem)
    return task["result"] or []


def _entry(item: object, where: Where, marker: str) -> Entry | None:
    item = mapping(item, where) or {}
    url = scalar(item.get("url"), str, where / "url") or ""
    if marker not in url:
        return None
    task_id = scalar(item.get("id"), str, where / "id")
    posted = moment(item.get("datetime_posted"), where / "datetime_posted")
    if not task_id or posted is None:
        raise where.fail("has no id or datetime_posted")
    return Entry(
        task_id, posted, moment(item.get("datetime_done"), where / "datetime_done")
    )
