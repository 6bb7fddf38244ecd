"""The emulator's task store: tasks by id, by posting time, and ready queues.

Not thread-safe by itself: the emulator calls it while holding its one lock.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .payloads import API, FUNCTION, SES, task_id, task_rng

STATUSES = ("done", "failed", "queued", "handed")

#: Task-level status of each task state when task_get is called (done is 20000).
STATUS_ANSWERS = {
    "failed": (40501, "Invalid Field: 'model_name'."),
    "queued": (40602, "Task In Queue."),
    "handed": (40601, "Task Handed."),
}

#: id_list ``status`` of each task state: its status code, as a string.
ID_LIST_STATUS = {
    "done": "20000",
    **{state: str(answer[0]) for state, answer in STATUS_ANSWERS.items()},
}

_Key = tuple[datetime, int, str]


@dataclass(slots=True)
class Task:
    """One posted task and its life cycle."""

    seq: int
    id: str
    se: str
    params: dict[str, Any]
    posted_at: datetime
    status: str
    done_at: datetime | None
    postback: bool
    collected: bool = False
    listed: bool = False
    #: The id_list ``url`` of a call that is not this se's task_post (Live, SERP).
    call_url: str | None = None

    @property
    def url(self) -> str:
        """The call as id_list writes it: no host, no leading slash."""
        return self.call_url or f"v3/{API}/{self.se}/{FUNCTION}/task_post"

    @property
    def tag(self) -> str:
        """The user tag ("" when none was posted)."""
        tag = self.params.get("tag")
        return tag if isinstance(tag, str) else ""


class Ledger:
    """Tasks keyed by id, plus sorted indexes for id_list and tasks_ready."""

    def __init__(self, seed: int) -> None:
        """Start empty; ids are drawn from `seed` and the task's sequence number."""
        self.seed = seed
        self.tasks: dict[str, Task] = {}
        self.collected: set[str] = set()
        self._seq = 0
        self._posted: list[_Key] = []
        self._ready: dict[str, list[_Key]] = {se: [] for se in SES}
        self._dead: dict[str, int] = dict.fromkeys(SES, 0)
        #: id_list's ``status`` of a task still queued or handed; None: its
        #: task_get code (40602, 40601). The vendor documents neither: "20000" or
        #: "20100" with no ``datetime_done`` are as likely.
        self.running_status: str | None = None

    def next_seq(self) -> int:
        """Return the sequence number the next task will get."""
        return self._seq

    def create(
        self,
        se: str,
        params: dict[str, Any],
        posted_at: datetime,
        status: str,
        done_at: datetime | None,
        *,
        postback: bool,
        call_url: str | None = None,
    ) -> Task:
        """Store a new task and index it; done ones become ready unless postback.

        With ``call_url``, the entry is another call of the account (a Live call,
        another API's task): in id_list only.
        """
        seq = self._seq
        self._seq += 1
        rng = task_rng(self.seed, seq, "id")
        new_id = task_id(rng)
        while new_id in self.tasks:
            new_id = task_id(rng)
        task = Task(
            seq,
            new_id,
            se,
            params,
            posted_at,
            status,
            done_at,
            postback,
            call_url=call_url,
        )
        self.tasks[new_id] = task
        bisect.insort(self._posted, (posted_at, seq, new_id))
        if status == "done":
            self._list(task)
        return task

    def mark_done(self, task: Task, done_at: datetime) -> None:
        """Complete a queued or handed task."""
        task.status = "done"
        task.done_at = done_at
        self._list(task)

    def collect(self, task: Task) -> bool:
        """Mark a done task collected; True when it was not collected before."""
        if task.collected:
            return False
        task.collected = True
        self.collected.add(task.id)
        if task.listed:
            self._dead[task.se] += 1
        return True

    def ready(
        self, se: str, cutoff: datetime, now: datetime, limit: int | None
    ) -> list[Task]:
        """Tasks listable in tasks_ready, oldest completion first."""
        self._compact(se)
        queue = self._ready[se]
        found: list[Task] = []
        for done_at, _, tid in queue[bisect.bisect_left(queue, (cutoff,)) :]:
            if done_at > now or (limit is not None and len(found) >= limit):
                break
            task = self.tasks[tid]
            if not task.collected:
                found.append(task)
        return found

    def posted_between(
        self, start: datetime, end: datetime, offset: int, limit: int, *, desc: bool
    ) -> list[Task]:
        """One page of the tasks posted in [start, end], by execution time.

        Running tasks (no execution time yet) come last, by posting time.
        """
        lo = bisect.bisect_left(self._posted, start, key=lambda key: key[0])
        hi = bisect.bisect_right(self._posted, end, key=lambda key: key[0])
        tasks = sorted(
            (self.tasks[tid] for _, _, tid in self._posted[lo:hi]), key=_execution
        )
        if desc:
            tasks.reverse()
        return tasks[offset : offset + limit]

    def in_posting_order(self, se: str) -> list[Task]:
        """All tasks of one se, by posting time then creation order (no other calls)."""
        tasks = (self.tasks[tid] for _, _, tid in self._posted)
        return [task for task in tasks if task.se == se and not task.call_url]

    def id_list_status(self, task: Task) -> str:
        """The ``status`` id_list writes for a task."""
        if task.done_at is None and self.running_status is not None:
            return self.running_status
        return ID_LIST_STATUS[task.status]

    def _list(self, task: Task) -> None:
        if task.postback or task.collected or task.done_at is None or task.call_url:
            return
        bisect.insort(self._ready[task.se], (task.done_at, task.seq, task.id))
        task.listed = True

    def _compact(self, se: str) -> None:
        """Drop collected tasks from the ready queue once they pile up."""
        queue = self._ready[se]
        dead = self._dead[se]
        if dead < 1000 or dead * 4 < len(queue):
            return
        keep: list[_Key] = []
        for key in queue:
            task = self.tasks[key[2]]
            if task.collected:
                task.listed = False
            else:
                keep.append(key)
        self._ready[se] = keep
        self._dead[se] = 0


def _execution(task: Task) -> tuple[bool, datetime, datetime, int]:
    """Sort key of id_list: execution time, running tasks last."""
    running = task.done_at is None
    return running, task.done_at or task.posted_at, task.posted_at, task.seq
