"""Streams: ``ready_tasks``, its child (a source's results) and theirs, ``models``.

The collection (:class:`TaskResultsStream`) and the rows derived from each record
(:class:`TaskRowsStream`) are the same for every source; a source's streams say
only how a task becomes a record (``llm_responses`` here, the consumer surfaces'
in :mod:`~tap_dataforseo_gemini.surface_streams`).
"""

from __future__ import annotations

import json
import logging
import typing as t
from datetime import UTC, datetime
from urllib.parse import urlsplit

from singer_sdk import Stream, metrics
from singer_sdk.exceptions import RetriableAPIError
from singer_sdk.singerlib.catalog import REPLICATION_INCREMENTAL
from typing_extensions import override

from tap_dataforseo_gemini import (
    collect,
    delivery,
    envelope,
    ledger,
    records,
    shape,
    sources,
)
from tap_dataforseo_gemini.client import DataForSEOStream
from tap_dataforseo_gemini.concurrency import ReadAhead, ordered_map
from tap_dataforseo_gemini.errors import (
    APIError,
    MalformedAnswerError,
)
from tap_dataforseo_gemini.progress import Progress, every, waiting

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from singer_sdk.helpers.types import Context

#: ``tasks_ready`` lists at most this many tasks a call, and has no paging.
TASKS_READY_LIMIT = 1000
#: Where the per-task metrics of the citations stream go: nowhere, below WARNING.
QUIET_METRICS = logging.getLogger("tap_dataforseo_gemini.per_task_metrics")
QUIET_METRICS.setLevel(logging.WARNING)
QUIET_METRICS.propagate = False
#: A STATE message is written after this many ``llm_responses`` records.
CHECKPOINT_EVERY = 100
#: DataForSEO's sandbox: its task_get answers this dummy task whatever id is asked.
SANDBOX_HOSTS = frozenset({"sandbox.dataforseo.com"})
SANDBOX_TASK_ID = "00000000-0000-0000-0000-000000000000"
#: This many ``task_get`` calls giving up in a row (plan order) mean the API is
#: down, not one task stuck: the run stops, none of them counted. Small, as each
#: has spent its retries; more than one, so one stuck task never stops a run.
API_DOWN = 3


def posted(record: dict[str, t.Any]) -> datetime:
    """A listed task's ``date_posted``; the earliest time when the API sent none."""
    value = record["date_posted"]
    return datetime.fromisoformat(value) if value else datetime.min.replace(tzinfo=UTC)


class ReadyTasksStream(DataForSEOStream):
    """Completed tasks waiting in ``tasks_ready``; listing them collects nothing.

    The API lists in no documented order; the listing (one call) is written in
    ``date_posted`` order, so the bookmark is the newest task listed. A queue lists
    older tasks than an earlier run's newest too: they are never skipped.
    """

    name = "ready_tasks"
    primary_keys = ("id",)
    replication_key = "date_posted"
    is_sorted = True
    #: A later run may list a task posted before the previous run's newest.
    check_sorted = False
    schema = shape.schema(*records.READY_TASK)

    @property
    def endpoint(self) -> str:  # type: ignore[override]
        """The source's ``tasks_ready``."""
        return sources.of(self.config).tasks_ready

    def record_from(self, item: object, where: records.Where) -> dict[str, t.Any]:
        """A ``tasks_ready`` result item as a record."""
        return records.ready_task(item, where)

    def generate_child_contexts(
        self, record: dict, context: Context | None
    ) -> Iterable[Context | None]:
        """None per record: collection runs once, after the listing."""
        return ()

    def get_records(self, context: Context | None) -> Iterator[dict[str, t.Any]]:
        """List ``tasks_ready``, then hand the listing to the source's results.

        A dry run (``--test``) lists but never collects. Every
        ``progress_interval_seconds`` until the collection ends, a line says how
        it goes, or which rate-limit window the run waits for.
        """
        interval = float(self.config["progress_interval_seconds"])
        with every(interval, self._heartbeat):
            listed = sorted(super().get_records(context), key=posted)
            yield from listed
            collector = self._collector
            if self.ABORT_AT_RECORD_COUNT is not None or collector is None:
                return
            if len(listed) >= TASKS_READY_LIMIT:
                self.logger.warning(
                    "tasks_ready returned %d tasks, its maximum a call: more may be "
                    "waiting.%s",
                    len(listed),
                    collector.full_listing_advice,
                )
            collector.plan(listed)
            # Public: what the SDK's child sync does; meltano/sdk#2809 asks for a
            # child stream that runs once after its parent's records.
            collector.sync()

    def _heartbeat(self) -> None:
        """Log the collection's progress, else the rate-limit wait holding the run.

        The collection counts from its first task (pending, or of a ledger page).
        """
        collector = self._collector
        progress = collector.progress if collector is not None else None
        if progress is not None and progress.total:
            progress.log("progress")
        elif wait := waiting(self.rate_limits.held()):
            self.logger.info("%s: %s", self.name, wait)

    @property
    def _collector(self) -> TaskResultsStream | None:
        for child in self.child_streams:
            if isinstance(child, TaskResultsStream) and (
                child.selected or child.has_selected_descendents
            ):
                return child
        return None


class TaskBookmarked(Stream):
    """Incremental by the results stream's bookmark, which has no replication key.

    The bookmark (pending ids and the ``id_list`` watermark, see ``delivery``)
    moves only after a task's records are written, so each run writes only tasks
    not yet delivered: INCREMENTAL, which the SDK would call FULL_TABLE for want
    of a key. Never FULL_TABLE, whatever a catalog says: with the SDK's
    ``emit_activate_version_messages`` a FULL_TABLE stream writes ACTIVATE_VERSION,
    which lets a target delete the rows of earlier runs.
    """

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Declare the stream INCREMENTAL in the catalog and the logs."""
        super().__init__(*args, **kwargs)
        self.forced_replication_method = REPLICATION_INCREMENTAL

    @property
    @override
    def replication_method(self) -> str:
        """INCREMENTAL, always (no ACTIVATE_VERSION, see the class)."""
        return REPLICATION_INCREMENTAL

    # Private SDK hook: the SDK has no public one for an INCREMENTAL stream kept by
    # its own bookmark; its default raises for want of a replication key.
    # tests/test_sdk_hooks.py fails if the SDK renames it.
    @override
    def _increment_stream_state(
        self, latest_record: dict[str, t.Any], *, context: Context | None = None
    ) -> None:
        """Leave the bookmark alone: it moves after delivery, not per record."""


class TaskResultsStream(TaskBookmarked, DataForSEOStream):
    """One record per task from the source's ``task_get``, delivered loss-free.

    Subclasses say how a task becomes a record (:meth:`record`).
    """

    parent_stream_type = ReadyTasksStream
    primary_keys = ("id",)
    #: One bookmark for the stream, not one partition per task id.
    state_partitioning_keys = ()

    #: The SDK writes the bookmark, current after every delivered task, in a STATE
    #: message after every this many records (before the stream resumes).
    STATE_MSG_FREQUENCY = CHECKPOINT_EVERY

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Start with nothing planned."""
        super().__init__(*args, **kwargs)
        self._plan: delivery.Plan | None = None
        #: Where this run reads the ledger (since, until); None: no reconciliation.
        self._ledger: tuple[datetime, datetime] | None = None
        self._told_id_mismatch = False
        #: The collection under way, for the progress timer; None between runs.
        self.progress: Progress | None = None

    @property
    def endpoint(self) -> str:  # type: ignore[override]
        """The source's ``task_get``."""
        return self.source.task_get

    @property
    def source(self) -> sources.Source:
        """The run's source."""
        return sources.of(self.config)

    @property
    def se(self) -> str:
        """Whose tasks: the LLM, or the source's own se (``google``)."""
        return self.source.se(self.config)

    def record(self, task: dict[str, t.Any], where: records.Where) -> dict[str, t.Any]:
        """A ``task_get`` task as a record."""
        raise NotImplementedError

    @property
    def same_run(self) -> bool:
        """Whether tasks are collected in the run that lists them."""
        return self.config["collection_mode"] == "same_run"

    @property
    def full_listing_advice(self) -> str:
        """What to do about a full ``tasks_ready`` listing in this mode."""
        if self.same_run:
            return " id_list reconciliation collects the rest in this run."
        return " Schedule runs more often: each run lists at most 1000 new tasks."

    @override
    def get_child_context(self, record: dict, context: Context | None) -> Context:
        """The record itself: its citations are derived from it."""
        return record

    def plan(self, listed: list[dict[str, t.Any]]) -> None:
        """Decide this run's tasks: pending ones, then (same run) what is covered.

        ``next_run``: listed tasks become pending and are collected next run, from
        state the target has committed. ``same_run``: every task the ``id_list``
        ledger shows done since the watermark is collected now, page by page as
        the ledger is read (:meth:`get_records`); a crash before the target
        commits loses nothing, as the watermark has not moved. A listed task the
        ledger does not show so becomes pending, as in ``next_run``; without
        ``id_list`` at all, every listed task does.

        Times are the API's (its ``Date`` header), never the machine's.
        """
        api_host = (urlsplit(self.url_base).hostname or "").lower()
        bookmark = delivery.Bookmark(
            self.stream_state, self.se, api_host, source=self.source.name
        )
        tasks = [delivery.Task(task["id"], task["date_posted"]) for task in listed]
        self._ledger = None
        if not self.same_run:
            self._plan = delivery.Plan(bookmark, tasks)
            return
        queried_at = self.api_clock.now().replace(microsecond=0)
        start = delivery.Start.of(
            bookmark.ledger, self.config.get("start_date"), queried_at
        )
        for warning in start.warnings(queried_at):
            self.logger.warning(warning)
        reconciliation = delivery.Reconciliation(start.watermark, queried_at)
        for warning in reconciliation.warnings():
            self.logger.warning(warning)
        self._plan = delivery.Plan(bookmark, tasks, reconciliation)
        self._ledger = (start.since, queried_at)

    def _to_collect(
        self, plan: delivery.Plan, progress: Progress
    ) -> Iterator[delivery.Task]:
        """The plan's tasks: pending ones, then each ledger page's as it comes.

        The ledger is read on a thread of its own, ahead of the collection.
        """
        if self._ledger is None:
            yield from list(plan.tasks)
            return
        since, until = self._ledger
        pages = ReadAhead(
            ledger.read_pages(
                self.id_list, self.source.suffix(self.config), since, until
            ),
            name="id_list",
        )
        try:
            yield from list(plan.tasks)
            for entries in pages:
                tasks = plan.add(entries)
                progress.total = len(plan.tasks)
                yield from tasks
        except (APIError, RetriableAPIError) as exc:
            self.logger.warning(
                "id_list failed (%s): tasks listed now and not collected yet are "
                "collected in the next run, as in collection_mode next_run",
                exc,
            )
            plan.ledger_failed()
            return
        finally:
            pages.close()
        plan.ledger_read()

    def id_list(self, body: list[dict[str, t.Any]]) -> dict[str, t.Any]:
        """POST one page of the source's ``id_list``."""
        return self.client.send(self.source.id_list, body)

    def task_get(self, task_id: str) -> collect.Answer:
        """Collect one task: what its ``task_get`` answer comes to."""
        return collect.task_get(self.client, task_id, self.endpoint)

    def get_records(self, context: Context | None) -> Iterator[dict[str, t.Any]]:
        """Collect the planned tasks concurrently; emit them in plan order.

        Pending tasks come first, then the ledger's in posting order. A task's
        transition (``delivery.Plan``) is recorded only when the generator resumes,
        after the SDK has written its record (and its citations).
        """
        plan, self._plan = self._plan, None
        if plan is None or self.ABORT_AT_RECORD_COUNT is not None:
            return
        progress = Progress(
            self.logger, self.name, len(plan.tasks), self.rate_limits.held
        )
        self.progress = progress
        workers = self.config["max_concurrent_requests"]
        answers = ordered_map(
            self._task_get,
            self._to_collect(plan, progress),
            workers=workers,
            window=2 * workers,
        )
        stuck: list[tuple[delivery.Task, collect.Stuck]] = []
        answered = False
        try:
            for task, answer in answers:
                if isinstance(answer, collect.Stuck):
                    stuck.append((task, answer))
                    if len(stuck) >= API_DOWN:
                        raise stuck[0][1].error
                    continue
                answered = True
                yield from self._unstick(stuck, plan, progress, answered)
                progress.count((yield from self._deliver(task, answer, plan)))
            yield from self._unstick(stuck, plan, progress, answered)
        finally:
            # Now, not when the error is done with: task_get calls still running
            # finish (and log) before the run's last line.
            answers.close()
            self.progress = None
        if not plan.tasks:
            self.logger.info("%s: %s", self.name, plan.nothing_new())
            return
        progress.log("done")
        if redelivery := plan.redelivery():
            self.logger.info("%s: %s", self.name, redelivery)

    def _task_get(self, task: delivery.Task) -> collect.Answer:
        return self.task_get(task.id)

    def _unstick(
        self,
        stuck: list[tuple[delivery.Task, collect.Stuck]],
        plan: delivery.Plan,
        progress: Progress,
        answered: bool,
    ) -> Iterator[dict[str, t.Any]]:
        """Handle stuck tasks, the API having answered since (or the plan ended).

        Each stays pending for a later run, or is a failure record once
        ``plan.gives_up`` on it; the list is emptied. A run in which no
        ``task_get`` answered proves nothing against a task: it counts no try.
        """
        now = self.api_clock.now()
        for task, answer in stuck:
            if plan.gives_up(task, now, counted=answered):
                progress.count((yield from self._deliver(task, answer, plan)))
                continue
            self.logger.warning(
                "Task %s: task_get gave up (%s): kept pending for the next run%s",
                task.id,
                answer.error,
                "" if answered else " (no task_get answered this run: not counted)",
            )
            if answered:
                plan.stuck(task)
            else:
                plan.not_ready(task)
            progress.count("stuck")
        stuck.clear()

    def _deliver(
        self, task: delivery.Task, answer: collect.Answer, plan: delivery.Plan
    ) -> t.Generator[dict[str, t.Any], None, str]:
        """Yield a task's record (a failure record: it failed, is unreadable or stuck).

        A task not done yet stays pending instead.
        """
        if isinstance(answer, collect.NotReady):
            plan.not_ready(task)
            return "not ready"
        record = self._record(task.id, answer)
        record["date_posted"] = task.date_posted
        record["cost"] = task.cost
        yield record
        plan.delivered(task)
        if record["raw_answer"] is None and record["status_code"] == envelope.OK:
            return "collected"
        return "failed"

    def _record(
        self, task_id: str, answer: collect.Final | collect.Stuck
    ) -> dict[str, t.Any]:
        """The record of one ``task_get`` answer, keyed by the id asked for."""
        match answer:
            case collect.Stuck(error):
                problem = f"task_get gave up: {error}"
                # A malformed envelope keeps what was answered; others, the error.
                answered = getattr(error, "answer", None)
                kept = {"error": str(error)} if answered is None else answered
                return self._failure(task_id, None, problem, kept)
            case collect.Unreadable(problem, raw_answer):
                record = self._failure(task_id, None, problem, None)
                # Kept as safe JSON text (escaped, base64), or not at all (too large).
                return {**record, "raw_answer": raw_answer}
            case collect.Malformed(problem, malformed):
                return self._failure(task_id, None, problem, malformed)
        task = answer.task
        if task["id"] != task_id:
            if not self._is_sandbox_dummy(task["id"]):
                # Its status is another task's: the record's stays null.
                problem = f"task_get answered task {task['id']!r}, not {task_id!r}"
                return self._failure(task_id, None, problem, task)
            self._tell_id_mismatch(task_id, task["id"])
            task = {**task, "id": task_id}
        status = task["status_code"]
        try:
            record = self.record(task, records.Where(self.endpoint, "tasks[0]"))
        except MalformedAnswerError as exc:
            return self._failure(task_id, status, str(exc), task)
        if isinstance(answer, collect.Failed):
            self.logger.warning(
                "Task %s failed with status %d %s: kept as a failure record",
                task_id,
                status,
                task["status_message"],
            )
            record["raw_answer"] = json.dumps(task, ensure_ascii=False)
        return record

    def _failure(
        self, task_id: str, status: int | None, problem: str, answer: object
    ) -> dict[str, t.Any]:
        """A failure record for an answer that cannot be read, logged once."""
        self.logger.warning("Task %s: %s: kept as a failure record", task_id, problem)
        return records.failure(task_id, self.se, status, problem, answer)

    def _is_sandbox_dummy(self, answered: str) -> bool:
        """Tell whether an answer for another id is the sandbox's dummy task."""
        host = (urlsplit(self.url_base).hostname or "").lower()
        return host in SANDBOX_HOSTS and answered == SANDBOX_TASK_ID

    def _tell_id_mismatch(self, asked: str, answered: str) -> None:
        """Log once a run that the sandbox answers its dummy task for other ids."""
        if not self._told_id_mismatch:
            self._told_id_mismatch = True
            self.logger.warning(
                "task_get answered task %s when asked for %s (the sandbox does): "
                "records are keyed by the id asked for",
                answered,
                asked,
            )


class LlmResponsesStream(TaskResultsStream):
    """One record per task from ``task_get``: request, answer, tokens and cost.

    Request parameters that share a name with a result field are prefixed:
    ``request_model_name`` is the model asked for, ``model_name`` the version that
    answered; ``request_web_search`` was asked for, ``web_search`` says if it ran.
    """

    name = "llm_responses"
    schema = shape.schema(*records.LLM_RESPONSE)

    def record(self, task: dict[str, t.Any], where: records.Where) -> dict[str, t.Any]:
        """An ``llm_responses`` record."""
        return records.llm_response(task, self.llm, where)


class TaskRowsStream(TaskBookmarked):
    """Rows derived from each record of a results stream, its parent (no requests).

    Subclasses say which rows (:meth:`rows`).
    """

    state_partitioning_keys = ()
    #: Read like the other streams' records (see ``DataForSEOStream``).
    TYPE_CONFORMANCE_LEVEL = DataForSEOStream.TYPE_CONFORMANCE_LEVEL

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Start a run with no SCHEMA message written."""
        super().__init__(*args, **kwargs)
        self._schema_written = False

    def rows(self, record: dict[str, t.Any]) -> Iterator[dict[str, t.Any]]:
        """The rows of one parent record."""
        raise NotImplementedError

    def get_records(self, context: Context | None) -> Iterator[dict[str, t.Any]]:
        """The rows of one parent record, its child context."""
        if context is not None:
            yield from self.rows(context)

    @override
    def log(
        self, message: str, *args: t.Any, level: int = logging.INFO, **kwargs: t.Any
    ) -> None:
        """Log warnings and errors only: the SDK's INFO lines come once per task."""
        if level > logging.INFO:
            super().log(message, *args, level=level, **kwargs)

    @override
    def get_record_counter(self, **kwargs: t.Any) -> metrics.Counter:
        """A counter that stays quiet: one METRIC line per task would flood the log."""
        counter = super().get_record_counter(**kwargs)
        counter.logger = QUIET_METRICS
        return counter

    @override
    def get_sync_timer(self) -> metrics.Timer:
        """A timer that stays quiet, like the counter."""
        timer = super().get_sync_timer()
        timer.logger = QUIET_METRICS
        return timer

    # Private SDK hooks: the SDK syncs a child stream once per parent record and
    # has no public way to write its SCHEMA once a run (meltano/sdk#1061,
    # meltano/sdk#1025) or to write no STATE per child sync. They are overridden
    # here only; tests/test_sdk_hooks.py fails if the SDK renames them.

    @override
    def _write_schema_message(self) -> None:
        """Write the SCHEMA once a run.

        The SDK writes one each time a child syncs, i.e. per task here, and some
        loaders (target-duckdb) flush every buffer on each SCHEMA message.
        """
        if not self._schema_written:
            super()._write_schema_message()
            self._schema_written = True

    @override
    def _write_state_message(self) -> None:
        """Write nothing: rows have no bookmark; their parent's STATE covers them.

        The SDK would otherwise write the whole state once per task.
        """


class LlmResponseCitationsStream(TaskRowsStream):
    """One row per annotation (cited source) of an ``llm_responses`` record."""

    name = "llm_response_citations"
    parent_stream_type = LlmResponsesStream
    primary_keys = ("id", "item_index", "section_index", "annotation_index")
    schema = shape.schema(*records.CITATION)

    def rows(self, record: dict[str, t.Any]) -> Iterator[dict[str, t.Any]]:
        """The record's citations."""
        return records.citations(record)


class ModelsStream(DataForSEOStream):
    """The models the LLM's ``task_post`` accepts."""

    name = "models"
    endpoint = "models"
    primary_keys = ("se", "model_name")
    schema = shape.schema(records.SE, *records.MODEL)

    def record_from(self, item: object, where: records.Where) -> dict[str, t.Any]:
        """A ``models`` result item as a record, with the LLM it belongs to."""
        return {"se": self.llm, **records.model(item, where)}
