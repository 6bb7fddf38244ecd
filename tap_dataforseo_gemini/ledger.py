"""Reconciliation with ``id_list``, the API's ledger of every task ever posted.

``tasks_ready`` forgets a task once anyone collects it or after three days;
``id_list`` does not, and ``task_get`` answers for 30 days. A run asks the ledger
for the tasks posted since ``posted_from`` and collects those done after
``done_after``; the watermark moves only in a STATE message written after those
tasks' records, and never past a task that is still running. The bookmark is
two timestamps, whatever the volume.
"""

from __future__ import annotations

import re
import typing as t
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tap_dataforseo_gemini import envelope
from tap_dataforseo_gemini.errors import APIError, EndpointNotFoundError
from tap_dataforseo_gemini.shape import Where, mapping, moment, scalar

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

#: Only tasks done this long before a query are trusted to be listed by then.
SETTLE = timedelta(minutes=5)
#: ``id_list`` returns at most this many tasks a call.
PAGE_SIZE = 1000
#: Pages overlap by this many entries: the ledger is sorted by execution time, so
#: a task finishing between two calls shifts the entries after it.
PAGE_OVERLAP = 100
#: A task finishes or fails within this long of its posting.
TASK_LIFETIME = timedelta(hours=72)
#: How far back the watermark may stay: a task's lifetime plus a margin.
REACH = TASK_LIFETIME + timedelta(days=1)
#: ``task_get`` answers for this long after a task is posted.
RESULTS_KEPT = timedelta(days=30)
#: ``id_list`` refuses a ``datetime_from`` older than this (six months).
LEDGER_KEPT = timedelta(days=180)
#: ``id_list`` statuses of tasks not finished yet (``status`` is a code string).
RUNNING = frozenset(str(code) for code in envelope.NOT_READY)


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

    def in_future(self, now: datetime) -> bool:
        """Tell whether the watermark lies past the API's now (a skewed clock)."""
        return self.posted_from > now or (
            self.done_after is not None and self.done_after > now
        )

    def clamped(self, now: datetime) -> Watermark:
        """A watermark past ``now`` moved back as far as a task may still change.

        Tasks done since then are collected again rather than skipped.
        """
        return Watermark(min(self.posted_from, now - REACH))

    def window_start(self, now: datetime) -> datetime:
        """Where the ``id_list`` query starts: never before ``task_get`` forgets."""
        return max(self.posted_from, now - min(RESULTS_KEPT, LEDGER_KEPT))


_STATUS_CODE = re.compile(r"[0-9]{5}")


@dataclass(frozen=True)
class Entry:
    """One task in the ledger; ``status`` is its code as a string (``"20000"``)."""

    id: str
    posted: datetime
    done: datetime | None
    status: str = ""

    def finished(self, settled: datetime) -> datetime | None:
        """When the task finished, as far as the ledger tells; None while it runs.

        A task without ``datetime_done`` has finished when its status is a final
        code (refused at posting: at its posting time), or once it is older than
        a task may run; any other status (40601, 40602, text) means running.
        """
        if self.done is not None:
            return self.done
        if _STATUS_CODE.fullmatch(self.status) and self.status not in RUNNING:
            return self.posted
        if self.posted < settled - REACH:
            return self.posted + REACH
        return None


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

    @property
    def moves_back(self) -> bool:
        """Whether the watermark goes back in time (the API's clock went back)."""
        done_after = self.previous.done_after
        return done_after is not None and self.settled < done_after

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
    :data:`SETTLE` when none is; a task running longer than :data:`REACH` does not
    hold it (tasks end within :data:`TASK_LIFETIME`).
    """
    settled = queried_at - SETTLE
    floor = settled
    plan: dict[str, Planned] = {}
    for entry in entries:
        done = entry.finished(settled)
        if done is None:
            floor = min(floor, entry.posted)
        elif previous.done_after is None or done > previous.done_after:
            plan[entry.id] = Planned(entry.id, entry.posted)
    tasks = sorted(plan.values(), key=lambda task: (task.posted, task.id))
    return Reconciliation(tasks, previous, max(floor, previous.posted_from), settled)


def read(
    send: Callable[[list[dict[str, t.Any]]], dict[str, t.Any]],
    llm: str,
    since: datetime,
    until: datetime,
) -> Iterator[Entry]:
    """Page through ``id_list`` for this LLM's ``llm_responses`` tasks in a window.

    Only entries whose ``url`` ends in ``/{llm}/llm_responses/task_post`` count:
    the ledger lists every call of the account, Live calls and other APIs' too.
    """
    suffix = f"/{llm}/llm_responses/task_post"
    for where, item in pages(send, since, until, include_metadata=False):
        entry = _entry(item, where, suffix)
        if entry:
            yield entry


def pages(
    send: Callable[[list[dict[str, t.Any]]], dict[str, t.Any]],
    since: datetime,
    until: datetime,
    *,
    include_metadata: bool,
) -> Iterator[tuple[Where, t.Any]]:
    """Every ``id_list`` item of a window once, with where it stands in its page.

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
        items = result_items(body)
        for position, item in enumerate(items):
            key = item.get("id") if isinstance(item, dict) else None
            if key is not None and key in seen:
                continue
            seen.add(key)
            yield Where("id_list", f"tasks[0].result[{offset + position}]"), item
        if len(items) < PAGE_SIZE:
            return
        offset += len(items) - PAGE_OVERLAP


def result_items(body: dict[str, t.Any], endpoint: str = "id_list") -> list[t.Any]:
    """The result items of an answer's one task; a failed task is an error."""
    tasks = body["tasks"]
    if len(tasks) != 1:
        raise Where(endpoint, "tasks").fail(f"has {len(tasks)} tasks, expected one")
    task = tasks[0]
    if task["status_code"] != envelope.OK:
        problem = f"{endpoint}: status {task['status_code']} {task['status_message']}"
        if task["status_code"] == envelope.NOT_FOUND:
            raise EndpointNotFoundError(problem)
        raise APIError(problem)
    return task["result"] or []


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
    return Entry(
        task_id,
        posted,
        moment(item.get("datetime_done"), where / "datetime_done"),
        str(status).strip() if isinstance(status, str | int) else "",
    )
