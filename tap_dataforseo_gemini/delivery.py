"""The delivery protocol: which tasks a run collects, and when state moves past them.

Pure: no I/O. The streams list ``tasks_ready``, page ``id_list``, call
``task_get`` and write records; this module decides everything in between.

The state (``bookmarks.llm_responses``) is one flat object whatever the volume::

    {
      "source": "llm_responses",        # which queue: llm_responses, llm_scraper,
                                        # ai_mode (absent: llm_responses)
      "llm": "gemini",                  # whose queue it belongs to (ai_mode: google)
      "api_host": "api.dataforseo.com", # and where: another's state is refused
      "pending": ["<task id>", ...],    # listed, not yet delivered, oldest first
      "date_posted": {"<task id>": "<ISO 8601>" | null},  # of each pending id
      "tries": {"<task id>": n},        # runs whose task_get gave up on a pending
                                        # id (absent when none did)
      "ledger": {"posted_from": "<ISO 8601>", "done_after": "<ISO 8601>" | null}
    }

``ledger`` is the ``id_list`` watermark: the next query starts at ``posted_from``
and collects tasks done after ``done_after``. A state from an older version,
without ``llm``, ``api_host`` or ``date_posted``, is read and gets them.

A run's :class:`Plan` is the pending tasks first, then (``same_run``) the tasks
:func:`reconcile` finds, in posting order. Each task then takes one transition:
*delivered* (its record, or its failure record, is written: it leaves pending),
*not ready* (it becomes pending) or *stuck* (its ``task_get`` gave up while the
API answered others: it stays pending, its ``tries`` counted, until it answers or
:data:`STUCK_RUNS` runs have tried it). After either, the bookmark holds the
checkpoint value: pending as it stands, and the watermark after the tasks handled
so far. The stream records a transition only once the SDK has written the
task's record, so a STATE message never vouches for a record not yet written.
"""

from __future__ import annotations

import bisect
import re
import typing as t
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tap_dataforseo_gemini import envelope
from tap_dataforseo_gemini.errors import InvalidStateError
from tap_dataforseo_gemini.shape import Where, mapping, moment
from tap_dataforseo_gemini.words import counted

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable

#: Only tasks done this long before a query are trusted to be listed by then.
SETTLE = timedelta(minutes=5)
#: A task finishes or fails within this long of its posting.
TASK_LIFETIME = timedelta(hours=72)
#: How far back the watermark may stay: a task's lifetime plus a margin.
REACH = TASK_LIFETIME + timedelta(days=1)
#: ``task_get`` answers for this long after a task is posted.
RESULTS_KEPT = timedelta(days=30)
#: ``id_list`` refuses a ``datetime_from`` older than this (six months).
LEDGER_KEPT = timedelta(days=180)
#: The source of a state that names none (states before issue 20).
DEFAULT_SOURCE = "llm_responses"
#: ``id_list`` statuses of tasks not finished yet (``status`` is a code string).
RUNNING = frozenset(str(code) for code in envelope.NOT_READY)
#: A task whose ``task_get`` gives up in this many runs is a failure record: its
#: trouble is its own (the API answered other calls), and retrying it forever
#: would keep it pending, and the state growing, for good.
STUCK_RUNS = 3
#: The lowest error code: 2xxxx (``20000`` Ok., ``20100`` Task Created.) are not.
FIRST_ERROR = 40000


@dataclass(frozen=True)
class Task:
    """A task to collect, with its posting time (ISO 8601) when known."""

    id: str
    date_posted: str | None = None
    #: What DataForSEO charged for it, from its ``id_list`` entry (None: unknown).
    cost: float | None = field(default=None, compare=False)


class Bookmark:
    """A view over the stream's state dict that the SDK writes in STATE messages."""

    def __init__(
        self,
        state: dict[str, t.Any],
        llm: str,
        api_host: str,
        *,
        source: str = DEFAULT_SOURCE,
    ) -> None:
        """Wrap (and check) the stream state; nothing is copied."""
        owner = mismatch(state, llm, api_host, source)
        if owner:
            reads = "" if source == DEFAULT_SOURCE else f"source {source}, "
            raise InvalidStateError(
                f"invalid state: it belongs to {owner}, this run reads {reads}llm "
                f"{llm} at {api_host}: give this extractor its own state"
            )
        if source != DEFAULT_SOURCE:
            state.setdefault("source", source)
        state.setdefault("llm", llm)
        state.setdefault("api_host", api_host)
        pending = state.setdefault("pending", [])
        if not isinstance(pending, list) or not all(
            isinstance(i, str) for i in pending
        ):
            raise InvalidStateError(
                "invalid state: bookmarks.llm_responses.pending must list task ids"
            )
        posted = state.setdefault("date_posted", {})
        if not isinstance(posted, dict) or not all(
            isinstance(v, str | None) for v in posted.values()
        ):
            raise InvalidStateError(
                "invalid state: bookmarks.llm_responses.date_posted must map task "
                "ids to dates"
            )
        tries = state.get("tries", {})
        if not isinstance(tries, dict) or not all(
            type(n) is int for n in tries.values()
        ):
            raise InvalidStateError(
                "invalid state: bookmarks.llm_responses.tries must map task ids to "
                "counts of runs"
            )
        self._state = state
        self._pending = set(pending)

    @property
    def pending(self) -> list[Task]:
        """Tasks listed by an earlier run and not yet delivered, oldest first."""
        posted = self._state["date_posted"]
        return [Task(i, posted.get(i)) for i in self._state["pending"]]

    def is_pending(self, task_id: str) -> bool:
        """Tell whether a task is waiting in the bookmark."""
        return task_id in self._pending

    def add(self, tasks: Iterable[Task]) -> None:
        """Mark tasks pending: they will be collected in a later run."""
        for task in tasks:
            if task.id not in self._pending:
                self._pending.add(task.id)
                self._state["pending"].append(task.id)
                self._state["date_posted"][task.id] = task.date_posted

    def deliver(self, task_id: str) -> None:
        """A task's record is out: it leaves the pending list."""
        if task_id in self._pending:
            self._pending.discard(task_id)
            self._state["pending"].remove(task_id)
        self._state["date_posted"].pop(task_id, None)
        self._forget_tries(task_id)

    def tries(self, task_id: str) -> int:
        """How many runs have given up on a pending task's ``task_get``."""
        return self._state.get("tries", {}).get(task_id, 0)

    def tried(self, task_id: str) -> None:
        """One more run gave up on a pending task's ``task_get``."""
        self._state.setdefault("tries", {})[task_id] = self.tries(task_id) + 1

    def _forget_tries(self, task_id: str) -> None:
        tries = self._state.get("tries")
        if tries is not None:
            tries.pop(task_id, None)
            if not tries:
                del self._state["tries"]

    @property
    def ledger(self) -> object:
        """The saved ``id_list`` watermark, as stored."""
        return self._state.get("ledger")

    @ledger.setter
    def ledger(self, value: dict[str, str | None]) -> None:
        self._state["ledger"] = value


def mismatch(
    state: dict[str, t.Any], llm: str, api_host: str, source: str = DEFAULT_SOURCE
) -> str | None:
    """Name the source, LLM and host a state belongs to when not this run's."""
    saved = (
        state.get("source", source),
        state.get("llm", llm),
        state.get("api_host", api_host),
    )
    if saved == (source, llm, api_host):
        return None
    return owner(state, source, llm, api_host)


def owner(state: dict[str, t.Any], run_source: str, llm: str, api_host: str) -> str:
    """Whose a state is: ``[source S, ]llm L at H`` (the source if not the run's).

    A state without ``llm`` or ``api_host`` is taken for the run's.
    """
    source = state.get("source", DEFAULT_SOURCE)
    said = "" if source == run_source else f"source {source}, "
    return f"{said}llm {state.get('llm', llm)} at {state.get('api_host', api_host)}"


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


@dataclass(frozen=True)
class Start:
    """Where a run reads the ledger from, and what the state's watermark said."""

    #: The watermark as saved (or the first start), before any clamping.
    saved: Watermark
    #: The watermark the run reconciles from.
    watermark: Watermark
    #: Where the ``id_list`` query starts.
    since: datetime

    @classmethod
    def of(cls, ledger: object, start_date: str | None, now: datetime) -> Start:
        """Start from the state's watermark, else ``start_date``, else 30 days back.

        A watermark in the API's future is clamped (:meth:`Watermark.clamped`);
        the query never starts before ``task_get`` forgets.
        """
        first_start = (
            datetime.fromisoformat(start_date).astimezone(now.tzinfo)
            if start_date
            else now - RESULTS_KEPT
        )
        saved = Watermark.from_state(ledger, first_start)
        watermark = saved.clamped(now) if saved.in_future(now) else saved
        return cls(saved, watermark, watermark.window_start(now))

    @property
    def clamped(self) -> bool:
        """Whether the saved watermark lay in the API's future."""
        return self.watermark != self.saved

    @property
    def shortened(self) -> bool:
        """Whether the query starts later than the watermark (results expired)."""
        return self.since > self.watermark.posted_from

    def warnings(self, now: datetime) -> list[str]:
        """What the run must warn about: a clamped watermark, a shortened query."""
        said = []
        if self.clamped:
            said.append(
                f"The state's ledger watermark {self.saved.to_state()} lies after "
                f"DataForSEO's now ({now.isoformat()}): reconciling from "
                f"{self.watermark.posted_from.isoformat()} instead, so no task is "
                "skipped"
            )
        if self.shortened:
            said.append(
                f"Reconciling from {self.since.isoformat()}, not "
                f"{self.watermark.posted_from.isoformat()}: task_get answers for "
                f"{RESULTS_KEPT.days} days only"
            )
        return said


_STATUS_CODE = re.compile(r"[0-9]{5}")


@dataclass(frozen=True)
class Entry:
    """One task in the ledger; ``status`` is its code as a string (``"20000"``)."""

    id: str
    posted: datetime
    done: datetime | None
    status: str = ""
    #: The entry's ``cost``, USD, when it is a number.
    cost: float | None = None

    @property
    def refused(self) -> bool:
        """Whether ``status`` is an error code other than 40601 / 40602 (running).

        ``20000`` and ``20100`` say the call was taken, not that the task is done:
        the ledger writes them for tasks still running too.
        """
        return (
            _STATUS_CODE.fullmatch(self.status) is not None
            and int(self.status) >= FIRST_ERROR
            and self.status not in RUNNING
        )

    def finished(self, settled: datetime) -> datetime | None:
        """When the task finished, as far as the ledger tells; None while it runs.

        A task without ``datetime_done`` has finished when its status is an error
        (refused at posting: at its posting time), or once it is older than a
        task may run (at posting plus :data:`REACH`); any other status (20000,
        20100, 40601, 40602, text) means running.
        """
        if self.done is not None:
            return self.done
        if self.refused:
            return self.posted
        if self.posted < settled - REACH:
            return self.posted + REACH
        return None


@dataclass(frozen=True)
class Planned:
    """A task to collect from the ledger: when it was posted and finished."""

    id: str
    posted: datetime
    done: datetime
    cost: float | None = None


class Reconciliation:
    """The tasks a run collects from the ledger, and how far the watermark may move.

    The ledger comes page by page (:meth:`add`); each page's tasks are collected
    in posting order while later pages are read. Until the last page is in
    (:meth:`finish`) the watermark stays where the run found it: a later page may
    hold an older task, done or running.
    """

    def __init__(self, previous: Watermark, queried_at: datetime) -> None:
        """Reconcile from ``previous``, the ledger queried at ``queried_at``."""
        self.previous = previous
        self.settled = queried_at - SETTLE
        #: The tasks to collect, page after page, each page in posting order.
        self.tasks: list[Planned] = []
        self.complete = False
        self._running = self.settled
        self._covered: set[str] = set()
        self._starts: list[int] = []
        self._later: list[datetime] = []

    @property
    def floor(self) -> datetime:
        """The oldest running task's posting, else the settled time (or later)."""
        return max(self._running, self.previous.posted_from)

    @property
    def covered(self) -> set[str]:
        """Ids of every task the ledger read so far plans, pending ones too."""
        return self._covered

    @property
    def moves_back(self) -> bool:
        """Whether the watermark goes back in time (the API's clock went back)."""
        done_after = self.previous.done_after
        return done_after is not None and self.settled < done_after

    def warnings(self) -> list[str]:
        """What the run must warn about: a watermark moving back in time."""
        if not self.moves_back:
            return []
        return [
            f"The ledger watermark moves back from {self.previous.done_after} to "
            f"{self.settled.isoformat()} (DataForSEO's clock is behind the last "
            "run's): tasks done since are collected again"
        ]

    @property
    def redelivered(self) -> int:
        """Tasks the previous run collected too: done in its settle window."""
        done_after = self.previous.done_after
        if done_after is None:
            return 0
        return sum(task.done <= done_after + SETTLE for task in self.tasks)

    def add(
        self, entries: Iterable[Entry], skip: Callable[[str], bool] = lambda _: False
    ) -> list[Planned]:
        """Take one page: its tasks done since the watermark, in posting order.

        A task running holds the floor at its posting time; a task running longer
        than :data:`REACH` does not (tasks end within :data:`TASK_LIFETIME`).
        Tasks ``skip`` names (collected another way) are covered, not collected.
        """
        page: dict[str, Planned] = {}
        for entry in entries:
            done = entry.finished(self.settled)
            if done is None:
                self._running = min(self._running, entry.posted)
            elif self.previous.done_after is None or done > self.previous.done_after:
                page[entry.id] = Planned(entry.id, entry.posted, done, entry.cost)
        fresh = [task for task in page.values() if task.id not in self._covered]
        self._covered.update(task.id for task in fresh)
        kept = [task for task in fresh if not skip(task.id)]
        kept.sort(key=lambda task: (task.posted, task.id))
        self._append(kept)
        return kept

    def finish(self) -> None:
        """The last page is in: the watermark may move."""
        self.complete = True

    def drop(self, skip: Callable[[str], bool]) -> None:
        """Leave out tasks collected another way (those already pending)."""
        ends = [*self._starts[1:], len(self.tasks)]
        pages = [self.tasks[a:b] for a, b in zip(self._starts, ends, strict=False)]
        self.tasks, self._starts, self._later = [], [], []
        for page in pages:
            self._append([task for task in page if not skip(task.id)])

    def _append(self, page: list[Planned]) -> None:
        """Add a sorted page; keep, for each page, the oldest task of those after it."""
        if not page:
            return
        self._starts.append(len(self.tasks))
        self.tasks += page
        self._later.append(datetime.max.replace(tzinfo=page[0].posted.tzinfo))
        for index in range(len(self._later) - 2, -1, -1):
            following = self.tasks[self._starts[index + 1]].posted
            self._later[index] = min(self._later[index + 1], following)

    def watermark_after(self, delivered: int) -> Watermark:
        """The watermark once the first ``delivered`` tasks' records are out.

        It never passes a task not delivered (the oldest left: the next of its
        page, or the first of a later page) nor a task still running.
        """
        if not self.complete:
            return self.previous
        if delivered >= len(self.tasks):
            return Watermark(self.floor, self.settled)
        page = bisect.bisect_right(self._starts, delivered) - 1
        oldest = min(self.tasks[delivered].posted, self._later[page])
        return Watermark(min(self.floor, oldest), self.previous.done_after)


def reconcile(
    entries: Iterable[Entry], previous: Watermark, queried_at: datetime
) -> Reconciliation:
    """The whole ledger at once (one page): its tasks done since the watermark."""
    reconciliation = Reconciliation(previous, queried_at)
    reconciliation.add(entries)
    reconciliation.finish()
    return reconciliation


def _tasks(planned: Iterable[Planned]) -> list[Task]:
    return [Task(task.id, task.posted.isoformat(), task.cost) for task in planned]


class PlanOrderError(RuntimeError):
    """A task took a transition out of plan order (a bug: the state would lie)."""


class Plan:
    """One run's collection: pending tasks first, then the reconciled ones.

    ``listed`` are the tasks ``tasks_ready`` listed. Without a reconciliation
    (``next_run``, or ``id_list`` failed) they all become pending; with one, those
    the ledger does not cover do, and reconciled tasks already pending are
    collected once, as pending.
    """

    def __init__(
        self,
        bookmark: Bookmark,
        listed: Iterable[Task],
        reconciliation: Reconciliation | None = None,
    ) -> None:
        """Plan the run and set the bookmark to its starting checkpoint value."""
        self.bookmark = bookmark
        self.reconciliation = reconciliation
        pending = bookmark.pending
        self._pending_ids = {task.id for task in pending}
        self._listed = list(listed)
        self._pending_count = len(pending)
        #: The tasks to collect, in order; ledger pages add to them.
        self.tasks = pending
        self.handled = 0
        if reconciliation is None:
            bookmark.add(self._listed)
        else:
            reconciliation.drop(self._pending_ids.__contains__)
            self.tasks += _tasks(reconciliation.tasks)
            if reconciliation.complete:
                self._listed_uncovered()
        self._move_watermark()

    def add(self, entries: Iterable[Entry]) -> list[Task]:
        """Take one ledger page: its tasks to collect, now last in the plan."""
        if self.reconciliation is None:
            raise ValueError("a plan without reconciliation takes no ledger page")
        planned = self.reconciliation.add(entries, self._pending_ids.__contains__)
        tasks = _tasks(planned)
        self.tasks += tasks
        return tasks

    def ledger_read(self) -> None:
        """The ledger is read whole: listed tasks it does not cover become pending.

        The watermark may move from now on.
        """
        if self.reconciliation is not None:
            self.reconciliation.finish()
            self._listed_uncovered()
            self._move_watermark()

    def ledger_failed(self) -> None:
        """``id_list`` failed part-way: listed tasks not planned become pending.

        The watermark stays where the run found it.
        """
        planned = {task.id for task in self.tasks}
        self.bookmark.add(task for task in self._listed if task.id not in planned)

    def _listed_uncovered(self) -> None:
        covered = self.reconciliation.covered if self.reconciliation else set()
        self.bookmark.add(task for task in self._listed if task.id not in covered)

    @property
    def redelivered(self) -> int:
        """Planned tasks the previous run delivered too (its settle window)."""
        return self.reconciliation.redelivered if self.reconciliation else 0

    def nothing_new(self) -> str:
        """The one line of a run with nothing to collect."""
        return (
            f"nothing new to collect ({counted(len(self.bookmark.pending), 'task')} "
            "pending for a later run)"
        )

    def redelivery(self) -> str | None:
        """A line counting the tasks the previous run delivered too, if any."""
        if not self.redelivered:
            return None
        return (
            f"{counted(self.redelivered, 'task')} of these were delivered by the "
            f"last run too (done in the {SETTLE.seconds // 60} minutes before its "
            "id_list query): a target that upserts on id keeps one row of each, "
            "one that appends (target-jsonl) two"
        )

    def delivered(self, task: Task) -> None:
        """The task's record is written: it leaves pending; the watermark may pass."""
        self._check_next(task)
        self.bookmark.deliver(task.id)
        self._handle()

    def not_ready(self, task: Task) -> None:
        """The task is not done yet: it stays (or becomes) pending."""
        self._check_next(task)
        self.bookmark.add([task])
        self._handle()

    def stuck(self, task: Task) -> None:
        """The task's ``task_get`` gave up: it stays pending, one more run counted."""
        self._check_next(task)
        self.bookmark.add([task])
        self.bookmark.tried(task.id)
        self._handle()

    def gives_up(self, task: Task, now: datetime, *, counted: bool = True) -> bool:
        """Whether a stuck task is now a failure record rather than pending again.

        It is once :data:`STUCK_RUNS` runs have tried it (this one too, when
        ``counted``), or once ``task_get`` no longer keeps it (posted over
        :data:`RESULTS_KEPT` ago).
        """
        if counted and self.bookmark.tries(task.id) + 1 >= STUCK_RUNS:
            return True
        try:
            posted = datetime.fromisoformat(task.date_posted or "")
        except ValueError:  # unknown, or not a date: the count decides
            return False
        return posted.tzinfo is not None and posted < now - RESULTS_KEPT

    def _check_next(self, task: Task) -> None:
        """Refuse a transition for any task but the next one in plan order.

        The watermark counts the tasks handled: one handled out of order would
        let it pass a task not delivered.
        """
        following = self.tasks[self.handled] if self.handled < len(self.tasks) else None
        if following is None or following.id != task.id:
            expected = f"task {following.id}" if following else "no task (all handled)"
            raise PlanOrderError(
                f"task {task.id} was handled out of plan order: the next one is "
                f"{expected}"
            )

    def _handle(self) -> None:
        self.handled += 1
        self._move_watermark()

    def _move_watermark(self) -> None:
        """The watermark after the reconciled tasks handled so far."""
        if self.reconciliation is not None:
            reconciled = max(0, self.handled - self._pending_count)
            watermark = self.reconciliation.watermark_after(reconciled)
            self.bookmark.ledger = watermark.to_state()
