"""Streams: ``ready_tasks``, its child ``llm_responses`` and citations, ``models``."""

from __future__ import annotations

import json
import logging
import time
import typing as t
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from singer_sdk import Stream, metrics
from singer_sdk.exceptions import RetriableAPIError
from singer_sdk.singerlib.catalog import REPLICATION_INCREMENTAL
from singer_sdk.streams.rest import HTTPRequest, PageContext

from tap_dataforseo_gemini import envelope, ledger, records, shape
from tap_dataforseo_gemini.bookmark import Bookmark
from tap_dataforseo_gemini.client import DataForSEOStream
from tap_dataforseo_gemini.concurrency import ordered_map
from tap_dataforseo_gemini.errors import (
    AnswerTooLargeError,
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
#: A STATE message is written after this many collected tasks.
CHECKPOINT_EVERY = 100


@dataclass
class Plan:
    """One run's collection: pending tasks first, then the reconciled ones."""

    bookmark: Bookmark
    pending: list[str]
    reconciliation: ledger.Reconciliation | None

    @property
    def ids(self) -> list[str]:
        """The task ids to collect, in order."""
        reconciled = self.reconciliation.tasks if self.reconciliation else []
        return self.pending + [task.id for task in reconciled]


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
    endpoint = "tasks_ready"
    primary_keys = ("id",)
    replication_key = "date_posted"
    is_sorted = True
    #: A later run may list a task posted before the previous run's newest.
    check_sorted = False
    schema = shape.schema(*records.READY_TASK)

    def record_from(self, item: object, where: records.Where) -> dict[str, t.Any]:
        """A ``tasks_ready`` result item as a record."""
        return records.ready_task(item, where)

    def generate_child_contexts(
        self, record: dict, context: Context | None
    ) -> Iterable[Context | None]:
        """None per record: collection runs once, after the listing."""
        return ()

    def get_records(self, context: Context | None) -> Iterator[dict[str, t.Any]]:
        """List ``tasks_ready``, then hand the listing to ``llm_responses``.

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
            self._sync_children({})

    def _heartbeat(self) -> None:
        """Log the collection's progress, else the rate-limit wait holding the run."""
        collector = self._collector
        if collector is not None and collector.progress is not None:
            collector.progress.log("progress")
        elif wait := waiting(self.rate_limits.held()):
            self.logger.info("%s: %s", self.name, wait)

    @property
    def _collector(self) -> LlmResponsesStream | None:
        for child in self.child_streams:
            if isinstance(child, LlmResponsesStream) and (
                child.selected or child.has_selected_descendents
            ):
                return child
        return None


class TaskBookmarked(Stream):
    """Incremental by the ``llm_responses`` bookmark, which has no replication key.

    The bookmark (pending ids and the ``id_list`` watermark, see ``Plan``) moves
    only after a task's records are written, so each run writes only tasks not yet
    delivered: INCREMENTAL, which the SDK would call FULL_TABLE for want of a key.
    """

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Declare the stream INCREMENTAL in the catalog and the logs."""
        super().__init__(*args, **kwargs)
        self.forced_replication_method = REPLICATION_INCREMENTAL

    def _increment_stream_state(
        self, latest_record: dict[str, t.Any], *, context: Context | None = None
    ) -> None:
        """Leave the bookmark alone: it moves after delivery, not per record."""


class LlmResponsesStream(TaskBookmarked, DataForSEOStream):
    """One record per task from ``task_get``: request, answer, tokens and cost.

    Request parameters that share a name with a result field are prefixed:
    ``request_model_name`` is the model asked for, ``model_name`` the version that
    answered; ``request_web_search`` was asked for, ``web_search`` says if it ran.
    """

    name = "llm_responses"
    endpoint = "task_get/{id}"
    parent_stream_type = ReadyTasksStream
    primary_keys = ("id",)
    #: One bookmark for the stream, not one partition per task id.
    state_partitioning_keys = ()
    schema = shape.schema(*records.LLM_RESPONSE)

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Start with nothing planned."""
        super().__init__(*args, **kwargs)
        self._plan: Plan | None = None
        self._told_id_mismatch = False
        self.current_record: dict[str, t.Any] | None = None
        #: The collection under way, for the progress timer; None between runs.
        self.progress: Progress | None = None

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

    def get_child_context(self, record: dict, context: Context | None) -> Context:
        """Citations of the record being written."""
        return {"id": record["id"]}

    def plan(self, listed: list[dict[str, t.Any]]) -> None:
        """Decide this run's tasks: pending ones, then (same run) what is covered.

        ``next_run``: listed tasks become pending and are collected next run, from
        state the target has committed. ``same_run``: every task the ``id_list``
        ledger shows done since the watermark is collected now; a crash before the
        target commits loses nothing, as the watermark has not moved. A listed task
        the ledger does not show so becomes pending, as in ``next_run``; without
        ``id_list`` at all, every listed task does.
        """
        api_host = (urlsplit(self.url_base).hostname or "").lower()
        bookmark = Bookmark(self.stream_state, self.llm, api_host)
        pending = bookmark.pending
        reconciliation = self._reconcile(listed, bookmark) if self.same_run else None
        if reconciliation is None:
            bookmark.add(record["id"] for record in listed)
        else:
            reconciliation.drop(bookmark.is_pending)
        self._plan = Plan(bookmark, pending, reconciliation)

    def _reconcile(
        self, listed: list[dict[str, t.Any]], bookmark: Bookmark
    ) -> ledger.Reconciliation | None:
        """Read the ledger since the watermark; None if ``id_list`` fails.

        Times are the API's (its ``Date`` header), never the machine's.
        """
        queried_at = self.api_clock.now().replace(microsecond=0)
        watermark = self._watermark(bookmark, queried_at)
        since = watermark.window_start(queried_at)
        if since > watermark.posted_from:
            self.logger.warning(
                "Reconciling from %s, not %s: task_get answers for %d days only",
                since.isoformat(),
                watermark.posted_from.isoformat(),
                ledger.RESULTS_KEPT.days,
            )
        try:
            entries = list(ledger.read(self.id_list, self.llm, since, queried_at))
        except (APIError, RetriableAPIError) as exc:
            self.logger.warning(
                "id_list failed (%s): tasks listed now are collected in the next "
                "run, as in collection_mode next_run",
                exc,
            )
            return None
        reconciliation = ledger.reconcile(entries, watermark, queried_at)
        if reconciliation.moves_back:
            self.logger.warning(
                "The ledger watermark moves back from %s to %s (DataForSEO's clock "
                "is behind the last run's): tasks done since are collected again",
                watermark.done_after,
                reconciliation.settled.isoformat(),
            )
        planned = {task.id for task in reconciliation.tasks}
        # Listed tasks the watermark does not protect wait for the next run.
        bookmark.add(record["id"] for record in listed if record["id"] not in planned)
        return reconciliation

    def _watermark(self, bookmark: Bookmark, now: datetime) -> ledger.Watermark:
        """The saved watermark; one in the API's future is clamped, with a warning."""
        watermark = ledger.Watermark.from_state(bookmark.ledger, self.first_start(now))
        if not watermark.in_future(now):
            return watermark
        clamped = watermark.clamped(now)
        self.logger.warning(
            "The state's ledger watermark %s lies after DataForSEO's now (%s): "
            "reconciling from %s instead, so no task is skipped",
            watermark.to_state(),
            now.isoformat(),
            clamped.posted_from.isoformat(),
        )
        return clamped

    def first_start(self, now: datetime) -> datetime:
        """Where a first run reconciles from: ``start_date``, else 30 days back."""
        start = self.config.get("start_date")
        if not start:
            return now - ledger.RESULTS_KEPT
        return datetime.fromisoformat(start).astimezone(now.tzinfo)

    def id_list(self, body: list[dict[str, t.Any]]) -> dict[str, t.Any]:
        """POST one page of ``id_list``."""
        return self.send(
            HTTPRequest(
                url=f"{self.url_base}/v3/ai_optimization/id_list",
                method="POST",
                headers=self.http_headers,
                data=body,
            )
        )

    def task_get(self, task_id: str) -> object:
        """Collect one task: its answer's task, or the answer's task list if not one.

        A task-level error is asked again a few times, quickly; the last answer
        stands (request-level trouble is retried by ``send``). An answer past
        ``max_answer_bytes`` is returned as its error: the task's problem, not the
        run's.
        """
        request = self.get_http_request(
            page=PageContext(stream_context={"id": task_id}, next_page_token=None)
        )
        for wait in (*envelope.TASK_RETRY_WAITS, None):
            try:
                tasks = self.send(request, {"id": task_id})["tasks"]
            except AnswerTooLargeError as exc:
                return exc
            if len(tasks) != 1:
                return tasks
            if wait is None or not envelope.retries_task(tasks[0]["status_code"]):
                return tasks[0]
            time.sleep(wait)
        raise AssertionError  # pragma: no cover - the loop always returns

    def get_records(self, context: Context | None) -> Iterator[dict[str, t.Any]]:
        """Collect the planned tasks concurrently; emit them in plan order.

        Pending tasks come first, then the ledger's in posting order. A task leaves
        the pending list, and the watermark moves past it, only after its record
        has been written: the generator resumes after the SDK writes it.
        """
        plan, self._plan = self._plan, None
        if plan is None or self.ABORT_AT_RECORD_COUNT is not None:
            return
        ids = plan.ids
        progress = Progress(self.logger, self.name, len(ids), self.rate_limits.held)
        self.progress = progress
        workers = self.config["max_concurrent_requests"]
        tasks = ordered_map(self.task_get, ids, workers=workers, window=2 * workers)
        try:
            for position, (task_id, answer) in enumerate(tasks, start=1):
                outcome = yield from self._deliver(task_id, answer, plan.bookmark)
                progress.count(outcome)
                if position % CHECKPOINT_EVERY == 0:
                    self._checkpoint(plan, position)
        finally:
            self.progress = None
        self.current_record = None
        if ids:
            progress.log("done")
        self._checkpoint(plan, len(ids))

    def _deliver(
        self, task_id: str, answer: object, bookmark: Bookmark
    ) -> t.Generator[dict[str, t.Any], None, str]:
        """Yield a task's record (a failure record if it failed or is unreadable).

        A task not done yet stays pending instead.
        """
        if isinstance(answer, dict) and answer["status_code"] in envelope.NOT_READY:
            bookmark.add([task_id])
            return "not ready"
        record = self._record(task_id, answer)
        self.current_record = record
        yield record
        bookmark.deliver(task_id)
        if record["raw_answer"] is None and record["status_code"] == envelope.OK:
            return "collected"
        return "failed"

    def _record(self, task_id: str, answer: object) -> dict[str, t.Any]:
        """The record of one ``task_get`` answer, keyed by the id asked for."""
        if isinstance(answer, AnswerTooLargeError):
            record = self._failure(task_id, None, str(answer), None)
            # Nothing of the answer was kept: raw_answer stays null.
            return {**record, "raw_answer": None}
        if not isinstance(answer, dict):
            problem = "the answer does not hold exactly one task"
            return self._failure(task_id, None, problem, answer)
        if answer["id"] != task_id:
            self._tell_id_mismatch(task_id, answer["id"])
            answer = {**answer, "id": task_id}
        status = answer["status_code"]
        try:
            record = records.llm_response(
                answer, self.llm, records.Where("task_get", "tasks[0]")
            )
        except MalformedAnswerError as exc:
            return self._failure(task_id, status, str(exc), answer)
        if status != envelope.OK:
            self.logger.warning(
                "Task %s failed with status %d %s: kept as a failure record",
                task_id,
                status,
                answer["status_message"],
            )
            record["raw_answer"] = json.dumps(answer, ensure_ascii=False)
        return record

    def _failure(
        self, task_id: str, status: int | None, problem: str, answer: object
    ) -> dict[str, t.Any]:
        """A failure record for an answer that cannot be read, logged once."""
        self.logger.warning("Task %s: %s: kept as a failure record", task_id, problem)
        return records.failure(task_id, self.llm, status, problem, answer)

    def _tell_id_mismatch(self, asked: str, answered: str) -> None:
        """Log once a run that task_get answers other ids than asked (the sandbox)."""
        if not self._told_id_mismatch:
            self._told_id_mismatch = True
            self.logger.warning(
                "task_get answered task %s when asked for %s (the sandbox does): "
                "records are keyed by the id asked for",
                answered,
                asked,
            )

    def _checkpoint(self, plan: Plan, handled: int) -> None:
        """Write a STATE message: pending as it stands, the watermark so far."""
        if plan.reconciliation is not None:
            reconciled = max(0, handled - len(plan.pending))
            watermark = plan.reconciliation.watermark_after(reconciled)
            plan.bookmark.ledger = watermark.to_state()
        self.state_manager.is_flushed = False
        self._write_state_message()


class LlmResponseCitationsStream(TaskBookmarked):
    """One row per annotation (cited source) of an ``llm_responses`` record."""

    name = "llm_response_citations"
    parent_stream_type = LlmResponsesStream
    primary_keys = ("id", "item_index", "section_index", "annotation_index")
    state_partitioning_keys = ()
    schema = shape.schema(*records.CITATION)

    def get_records(self, context: Context | None) -> Iterator[dict[str, t.Any]]:
        """The citations of the ``llm_responses`` record being written."""
        parent = self._tap.streams[LlmResponsesStream.name]
        record = t.cast("LlmResponsesStream", parent).current_record
        if record is not None and context is not None and record["id"] == context["id"]:
            yield from records.citations(record)

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Start a run with no SCHEMA message written."""
        super().__init__(*args, **kwargs)
        self._schema_written = False

    def _write_schema_message(self) -> None:
        """Write the SCHEMA once a run.

        The SDK writes one each time a child syncs, i.e. per task here, and some
        loaders (target-duckdb) flush every buffer on each SCHEMA message.
        """
        if not self._schema_written:
            super()._write_schema_message()
            self._schema_written = True

    def log(
        self, message: str, *args: t.Any, level: int = logging.INFO, **kwargs: t.Any
    ) -> None:
        """Log warnings and errors only: the SDK's INFO lines come once per task."""
        if level > logging.INFO:
            super().log(message, *args, level=level, **kwargs)

    def get_record_counter(self, **kwargs: t.Any) -> metrics.Counter:
        """A counter that stays quiet: one METRIC line per task would flood the log."""
        counter = super().get_record_counter(**kwargs)
        counter.logger = QUIET_METRICS
        return counter

    def get_sync_timer(self) -> metrics.Timer:
        """A timer that stays quiet, like the counter."""
        timer = super().get_sync_timer()
        timer.logger = QUIET_METRICS
        return timer

    def _write_state_message(self) -> None:
        """Write nothing: citations have no bookmark; llm_responses' STATE covers them.

        The SDK would otherwise write the whole state once per task.
        """
        self.state_manager.is_flushed = True


class ModelsStream(DataForSEOStream):
    """The models the LLM's ``task_post`` accepts."""

    name = "models"
    endpoint = "models"
    primary_keys = ("se", "model_name")
    schema = shape.schema(records.SE, *records.MODEL)

    def record_from(self, item: object, where: records.Where) -> dict[str, t.Any]:
        """A ``models`` result item as a record, with the LLM it belongs to."""
        return {"se": self.llm, **records.model(item, where)}
