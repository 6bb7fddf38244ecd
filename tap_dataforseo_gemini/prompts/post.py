"""One run of ``post``: reconcile, plan, price, post in batches, summarize.

Never twice: a task's tag names the prompt set, prompt, LLM, model, period and
repeat, so the same task always has the same tag. The journal says which tags
are posted; a tag with an intent and no outcome (a crash or a lost answer) is
looked up in ``id_list`` by tag and is posted again only once ``id_list`` shows
it absent after ``settle`` seconds. Without ``id_list`` it is never re-posted.

Never over budget: every task is priced at the worst case before anything is
sent, only what fits is posted, and a charge above that price stops the run.
"""

from __future__ import annotations

import logging
import typing as t
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

from tap_dataforseo_gemini.prompts import journal as jn
from tap_dataforseo_gemini.prompts.client import (
    COST_LIMIT,
    MAX_TASKS,
    TASK_CREATED,
    TaskPostStream,
    UnknownOutcomeError,
)
from tap_dataforseo_gemini.prompts.plan import TAG_PREFIX, Budget, Task, fit, tasks

if t.TYPE_CHECKING:
    from tap_dataforseo_gemini.prompts.prompt_set import PromptSet

LOGGER = logging.getLogger("dataforseo_prompts")
#: Ask id_list from this long before the oldest unresolved intent: intents carry
#: the machine's time, which may run ahead of the API's, and a task missed here
#: would be posted twice.
SKEW = timedelta(days=1)
#: Errors that mean "id_list could not answer".
LEDGER_ERRORS = (FatalAPIError, RetriableAPIError, requests.exceptions.RequestException)


class PostingStoppedError(RuntimeError):
    """The run stopped posting early; its summary says what was posted."""

    def __init__(self, message: str, summary: Summary) -> None:
        """Keep the run's summary with the reason."""
        super().__init__(message)
        self.summary = summary


@dataclass
class Summary:
    """What one run did, for the summary line."""

    planned: int = 0
    chosen: int = 0
    already: int = 0
    unknown: int = 0
    left_out: int = 0
    posted: int = 0
    refused: int = 0
    charged: float = 0.0
    worst_case: float = 0.0
    budget: float = 0.0
    stopped: str = ""
    ids: list[str] = field(default_factory=list)

    def line(self, *, dry_run: bool = False) -> str:
        """The one summary line."""
        if dry_run:
            head = (
                f"dry run: would post {self.chosen} tasks, worst case "
                f"${self.worst_case:.4f} of the ${self.budget:.2f} budget"
            )
        else:
            head = (
                f"posted {self.posted} tasks, charged ${self.charged:.4f} "
                f"(worst case ${self.worst_case:.4f} of the ${self.budget:.2f} budget)"
            )
        return (
            f"{head}; {self.planned} planned this period, {self.already} already "
            f"posted, {self.unknown} unknown (not re-posted), {self.left_out} left "
            f"out by the budget, {self.refused} refused"
        )


def run(
    prompt_set: PromptSet,
    client: TaskPostStream | None,
    *,
    settle: float,
    now: datetime | None = None,
) -> Summary:
    """Post what the period still lacks, within budget; ``client`` None: dry run.

    Raises:
        PostingStoppedError: the run stopped early (cost limit, lost answer...).
    """
    now = now or datetime.now(UTC)
    with jn.Journal(prompt_set.journal) as journal:
        if client is not None:
            reconcile(journal, client, settle)
        planned = tasks(prompt_set, now)
        summary = Summary(planned=len(planned), budget=prompt_set.budget_usd)
        open_tasks = []
        for task in planned:
            entry = journal.entries.get(task.tag)
            if entry is None or entry.outcome == jn.NOT_POSTED:
                open_tasks.append(task)
            elif entry.outcome == jn.POSTED:
                summary.already += 1
            else:
                summary.unknown += 1
        if summary.unknown:
            LOGGER.warning(
                "%d tasks of this period were sent without a recorded answer and "
                "id_list does not show them: they are not posted again now (never "
                "twice beats complete); a later run checks them again",
                summary.unknown,
            )
        budget = fit(
            open_tasks, prompt_set.budget_usd, prompt_set.max_cost_per_task_usd
        )
        summary.left_out = len(budget.left_out)
        summary.worst_case = budget.worst_case_usd
        summary.chosen = len(budget.chosen)
        _say_left_out(budget, prompt_set.budget_usd)
        if client is None:
            for task in budget.chosen:
                LOGGER.info("would post %s", task.tag)
            return summary
        _post_all(budget, client, journal, summary)
    return summary


def model_problems(prompt_set: PromptSet, client: TaskPostStream) -> list[str]:
    """What the LLMs' ``models`` lists say against the prompt set, one line each."""
    problems = []
    for llm, models in prompt_set.llms.items():
        listed = {
            item.get("model_name"): item
            for item in client.models(llm)
            if isinstance(item, dict)
        }
        for model in models:
            item = listed.get(model)
            if item is None:
                problems.append(f"llms: {llm} has no model '{model}'")
            elif item.get("task_post_supported") is False:
                problems.append(f"llms: {llm} model '{model}' cannot take task_post")
            elif (
                prompt_set.options.get("web_search")
                and item.get("web_search_supported") is False
            ):
                problems.append(
                    f"llms: {llm} model '{model}' does not support web_search"
                )
    return problems


def reconcile(
    journal: jn.Journal, client: TaskPostStream, settle: float | None
) -> None:
    """Settle unknown tags with ``id_list``: posted if listed, else absent if old.

    A tag not listed ``settle`` seconds after its intent was never created (None:
    not decided now). Without ``id_list`` nothing is settled: those tasks are not
    posted again.
    """
    unknown = journal.tags_in(jn.UNKNOWN)
    if not unknown:
        return
    since = min(journal.entries[tag].intended_at for tag in unknown) - SKEW
    try:
        listed = client.posted_tags(since, TAG_PREFIX)
    except LEDGER_ERRORS as exc:
        LOGGER.error(  # noqa: TRY400 - one line, no traceback
            "id_list could not be read (%s): %d tasks whose posting was not "
            "confirmed are NOT posted again; they stay unknown until id_list answers",
            _one_line(exc),
            len(unknown),
        )
        return
    settled_before = None
    if settle is not None:
        settled_before = jn.absent_before(settle, datetime.now(UTC))
    for tag in unknown:
        item = listed.get(tag)
        if item is not None:
            journal.posted(tag, str(item.get("id")), _cost(item.get("cost")))
            LOGGER.info("id_list shows %s posted as %s", tag, item.get("id"))
        elif settled_before and journal.entries[tag].intended_at < settled_before:
            journal.not_posted(tag, "id_list does not list it")
            LOGGER.info("id_list shows %s was never created: it may be posted", tag)


def _post_all(
    budget: Budget, client: TaskPostStream, journal: jn.Journal, summary: Summary
) -> None:
    """Post the chosen tasks, at most 100 a call, one LLM a call."""
    by_llm: dict[str, list[Task]] = {}
    for task in budget.chosen:
        by_llm.setdefault(task.llm, []).append(task)
    for same_llm in by_llm.values():
        for start in range(0, len(same_llm), MAX_TASKS):
            batch = same_llm[start : start + MAX_TASKS]
            if summary.charged + len(batch) * budget.price > summary.budget + 1e-9:
                summary.stopped = "the next batch could go over the budget"
            else:
                _post_batch(batch, client, journal, summary, budget.price)
            if summary.stopped:
                raise PostingStoppedError(summary.stopped, summary)


def _post_batch(
    batch: list[Task],
    client: TaskPostStream,
    journal: jn.Journal,
    summary: Summary,
    price: float,
) -> None:
    """Post one batch: intents first, then each task's outcome."""
    journal.intend([task.tag for task in batch])
    try:
        answer = client.task_post(batch[0].llm, [task.body for task in batch])
    except UnknownOutcomeError as exc:
        LOGGER.warning("%s: looking its tasks up in id_list", exc)
        reconcile(journal, client, settle=None)
        found = [
            entry
            for entry in (journal.entries[task.tag] for task in batch)
            if entry.outcome == jn.POSTED
        ]
        summary.posted += len(found)
        summary.ids += [entry.id for entry in found if entry.id]
        # id_list's cost may be missing: count the worst case against the budget.
        summary.charged = round(summary.charged + len(found) * price, 6)
        unknown = len(batch) - len(found)
        if unknown:
            summary.unknown += unknown
            summary.stopped = (
                f"{exc}; {unknown} of its tasks are not in id_list (yet): stopped "
                "posting so as never to post twice"
            )
        return
    except FatalAPIError as exc:
        # The whole call was refused: none of the batch exists.
        for task in batch:
            journal.not_posted(task.tag, str(exc))
        summary.stopped = str(exc)
        return
    _record(batch, answer["tasks"], journal, summary, price)


def _record(
    batch: list[Task],
    answered: list[dict[str, t.Any]],
    journal: jn.Journal,
    summary: Summary,
    price: float,
) -> None:
    """Journal each task's outcome, matched by its echoed tag."""
    by_tag = {
        (task.get("data") or {}).get("tag"): task
        for task in answered
        if isinstance(task.get("data"), dict)
    }
    for task in batch:
        answer = by_tag.get(task.tag)
        if answer is None:
            LOGGER.warning("task_post did not answer for %s: left unknown", task.tag)
            summary.unknown += 1
            continue
        status = answer["status_code"]
        if status == TASK_CREATED:
            cost = _cost(answer.get("cost"))
            journal.posted(task.tag, answer["id"], cost)
            summary.posted += 1
            summary.ids.append(answer["id"])
            charge = price if cost is None else cost
            summary.charged = round(summary.charged + charge, 6)
            LOGGER.info("posted %s tag=%s cost=%s", answer["id"], task.tag, cost)
            if cost is not None and cost > price + 1e-9:
                summary.stopped = (
                    f"task_post charged ${cost} for a task, above the "
                    f"max_cost_per_task_usd ${price}: stopping"
                )
            continue
        journal.not_posted(task.tag, f"{status} {answer['status_message']}")
        if status == COST_LIMIT:
            summary.stopped = (
                "DataForSEO refused tasks: the account's cost limit is reached "
                "(40203); raise it in the user panel"
            )
            continue
        summary.refused += 1
        LOGGER.warning(
            "task_post refused %s: %s %s", task.tag, status, answer["status_message"]
        )


def _say_left_out(budget: Budget, budget_usd: float) -> None:
    if not budget.left_out:
        return
    shown = ", ".join(task.tag for task in budget.left_out[:5])
    more = f" and {len(budget.left_out) - 5} more" if len(budget.left_out) > 5 else ""
    LOGGER.warning(
        "budget $%.2f covers %d tasks at $%.4f each (worst case): %d left out: %s%s",
        budget_usd,
        len(budget.chosen),
        budget.price,
        len(budget.left_out),
        shown,
        more,
    )


def _cost(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _one_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
