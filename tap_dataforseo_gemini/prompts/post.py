"""One run of ``post``: reconcile, plan, price, post in batches, summarize.

Never twice: a task's tag names the prompt set, prompt, LLM, model, period and
repeat, so the same task always has the same tag. The journal says which tags
are posted; a tag with an intent and no outcome (a crash or a lost answer) is
looked up by tag in its surface's ``id_list`` (``serp/id_list`` for AI Mode) and
is posted again only once that shows it absent after ``settle`` seconds. Without
``id_list`` it is never re-posted.

Never over budget: ``budget_usd`` caps a period, whatever the number of runs.
Every task is priced at its worst case from the price table (``prices``) before
anything is sent; the period's spend is what ``id_list`` shows settled plus the
estimate of everything not settled (``spend``); only what fits in the rest of the
budget, the account's balance and its daily cap is posted, in batches the room
left covers at the highest charge seen.

The probe: a model none of whose charges has settled (this period, or earlier,
as the journal keeps) gets one task posted, every such model's
together, and the run waits once (``probe_wait`` seconds at most) for ``id_list``
to show what they were charged in the end. A model's other tasks are held until
then; one not settled by the end of the wait leaves them to a later run, never
posted on the estimate: a wrong price overspends by one task a model at most.
"""

from __future__ import annotations

import difflib
import logging
import math
import time
import typing as t
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

from tap_dataforseo_gemini import envelope
from tap_dataforseo_gemini.errors import EndpointNotFoundError, UnknownOutcomeError
from tap_dataforseo_gemini.prompts import journal as jn
from tap_dataforseo_gemini.prompts import surfaces
from tap_dataforseo_gemini.prompts.client import TASK_CREATED, PromptsClient
from tap_dataforseo_gemini.prompts.plan import (
    TAG_PREFIX,
    Budget,
    Task,
    fit,
    sample_plan,
    tasks,
)
from tap_dataforseo_gemini.prompts.spend import CENT_FRACTION, Period
from tap_dataforseo_gemini.words import counted

if t.TYPE_CHECKING:
    from tap_dataforseo_gemini.prompts.prompt_set import PromptSet

LOGGER = logging.getLogger("dataforseo_prompts")
#: Ask id_list from this long before the oldest unresolved intent: intents carry
#: the machine's time, which may run ahead of the API's, and a task missed here
#: would be posted twice.
SKEW = timedelta(days=1)
#: Errors that mean "id_list could not answer".
LEDGER_ERRORS = (FatalAPIError, RetriableAPIError, requests.exceptions.RequestException)
#: task_post statuses that mean the account cannot pay: the run stops [D-ERR].
PAYMENT_REFUSALS = {
    40200: "DataForSEO refused tasks: payment required (40200); recharge the balance",
    40210: "DataForSEO refused tasks: insufficient funds (40210); the balance cannot "
    "cover them, recharge it",
}
#: ChatGPT's reasoning models take at least this many output tokens [D-TP].
REASONING_TOKENS = 1024
#: How long a run waits, by default, for the models' first tasks to settle (seconds).
PROBE_WAIT = 120.0
#: The longest wait ``--probe-seconds`` may ask for: an hour.
PROBE_MOST = 3600.0
#: How often ``id_list`` is asked meanwhile: it takes 10 calls a minute [D-IDL].
PROBE_POLL = 10.0
#: id_list statuses of tasks not finished (their cost is not the settled one).
RUNNING = frozenset({"40601", "40602"})


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
    #: Chosen tasks held for a later run: no charge of their model has settled.
    held: int = 0
    posted: int = 0
    refused: int = 0
    charged: float = 0.0
    worst_case: float = 0.0
    budget: float = 0.0
    #: The period's spend: settled charges plus the estimates of the rest.
    spent: float = 0.0
    stopped: str = ""
    ids: list[str] = field(default_factory=list)

    def line(self, *, dry_run: bool = False) -> str:
        """The one summary line."""
        if dry_run:
            head = (
                f"dry run: would post {counted(self.chosen, 'task')}, worst case "
                f"${self.worst_case:.4f}; the period has spent ${self.spent:.4f} of "
                f"the ${self.budget:.2f} budget"
            )
        else:
            head = (
                f"posted {counted(self.posted, 'task')}, charged "
                f"${self.charged:.4f} at posting; "
                f"the period has spent ${self.spent:.4f} of the ${self.budget:.2f} "
                "budget (settled charges and worst cases)"
            )
        return (
            f"{head}; {self.planned} planned this period, {self.already} already "
            f"posted, {self.unknown} unknown (not re-posted), {self.left_out} left "
            f"out by the budget, {self.held} held until a first charge settles, "
            f"{self.refused} refused"
        )


def run(
    prompt_set: PromptSet,
    client: PromptsClient | None,
    *,
    settle: float,
    now: datetime | None = None,
    probe_wait: float = PROBE_WAIT,
) -> Summary:
    """Post what the period still lacks, within budget; ``client`` None: dry run.

    Raises:
        PostingStoppedError: the run stopped early (cost limit, lost answer...).
    """
    now = now or datetime.now(UTC)
    with jn.Journal(prompt_set.journal) as journal:
        planned = tasks(prompt_set, now)
        period = Period(prompt_set, planned, journal, now, probe_wait=probe_wait)
        if pruned := journal.prune(period.needs):
            LOGGER.info("journal: %s of earlier periods pruned", counted(pruned, "tag"))
        if client is not None:
            reconcile(journal, client, settle, since=period.start)
            period.learn()
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
                "%s of this period sent without a recorded answer and not shown "
                "by id_list: not posted again now (never twice beats complete); a "
                "later run checks again",
                counted(summary.unknown, "task"),
            )
        summary.spent = period.spent()
        account = _money(client) if client is not None else {}
        room = min(period.room(), _day_room(account))
        budget = fit(open_tasks, room, period.estimate)
        summary.left_out = len(budget.left_out)
        summary.worst_case = budget.worst_case_usd
        summary.chosen = len(budget.chosen)
        _say_left_out(budget, period)
        if client is None:
            for task in budget.chosen:
                LOGGER.info("would post %s", task.tag)
            done = set(journal.tags_in(jn.POSTED))
            posted = [tag for tag in period.tags() if tag in done]
            chosen = [task.tag for task in budget.chosen]
            for line in sample_plan(prompt_set.period, posted + chosen):
                LOGGER.info("samples: %s", line)
            return summary
        balance = account.get("balance")
        if _is_usd(balance) and budget.worst_case_usd > balance + CENT_FRACTION:
            raise PostingStoppedError(
                f"the plan's worst case ${budget.worst_case_usd:.4f} "
                f"({counted(len(budget.chosen), 'task')}) exceeds the account balance "
                f"${balance:.4f}: recharge it or lower budget_usd",
                summary,
            )
        _post_all(budget, client, journal, summary, period)
    return summary


def _money(client: PromptsClient) -> dict[str, t.Any]:
    """The account's ``money`` from ``user_data``; {} if the API has none."""
    try:
        money = client.user_data().get("money")
    except EndpointNotFoundError as exc:
        LOGGER.warning("user_data is not available (%s): balance not checked", exc)
        return {}
    return money if isinstance(money, dict) else {}


def _day_room(money: dict[str, t.Any]) -> float:
    """What the account's daily spending cap leaves today, USD (inf: no cap)."""
    limit = _path(money, "limits", "day", "total")
    if not _is_usd(limit) or limit <= 0:
        return math.inf
    spent = _path(money, "statistics", "day", "total")
    room = limit - (spent if _is_usd(spent) else 0.0)
    LOGGER.info(
        "the account's daily spending cap $%.2f leaves $%.4f today", limit, room
    )
    return max(room, 0.0)


def _path(tree: object, *keys: str) -> object:
    for key in keys:
        tree = tree.get(key) if isinstance(tree, dict) else None
    return tree


def _is_usd(value: object) -> t.TypeGuard[float]:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def model_problems(prompt_set: PromptSet, client: PromptsClient) -> list[str]:
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
                names = [name for name in listed if isinstance(name, str)]
                close = difflib.get_close_matches(model, names, n=1, cutoff=0.8)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                problems.append(f"llms: {llm} has no model '{model}'{hint}")
            elif item.get("task_post_supported") is False:
                problems.append(f"llms: {llm} model '{model}' cannot take task_post")
            elif (
                prompt_set.options.get("web_search")
                and item.get("web_search_supported") is False
            ):
                problems.append(
                    f"llms: {llm} model '{model}' does not support web_search"
                )
            elif (
                llm == "chat_gpt"
                and item.get("reasoning") is True
                and prompt_set.options.get("max_output_tokens", REASONING_TOKENS)
                < REASONING_TOKENS
            ):
                problems.append(
                    f"llms: chat_gpt model '{model}' reasons: max_output_tokens must "
                    f"be at least {REASONING_TOKENS}"
                )
            elif (
                llm == "chat_gpt"
                and item.get("reasoning") is True
                and "temperature" in prompt_set.options
            ):
                problems.append(
                    f"llms: chat_gpt model '{model}' reasons: it takes no temperature"
                )
    return problems


def reconcile(
    journal: jn.Journal,
    client: PromptsClient,
    settle: float | None,
    *,
    since: datetime | None = None,
) -> bool:
    """Settle unknown tags with ``id_list``: posted if listed, else absent if old.

    A tag not listed ``settle`` seconds after its intent was never created (None:
    not decided now). Without ``id_list`` nothing is settled: those tasks are not
    posted again. With ``since``, the final charges of tasks posted since then
    that ``id_list`` shows finished are journaled too. False: ``id_list`` failed.
    """
    unknown = journal.tags_in(jn.UNKNOWN)
    unsettled = []
    if since is not None:
        unsettled = [
            tag
            for tag, entry in journal.entries.items()
            if entry.outcome == jn.POSTED
            and entry.settled is None
            and entry.intended_at >= since - SKEW
        ]
    if not unknown and not unsettled:
        return True
    starts = [journal.entries[tag].intended_at for tag in unknown + unsettled]
    since = min(starts) - SKEW
    listed, unread = _ledgers(client, since, unknown, unsettled)
    settled_before = None
    if settle is not None:
        settled_before = jn.absent_before(settle, datetime.now(UTC))
    for tag in unknown:
        if tag in unread:
            continue
        item = listed.get(tag)
        if item is not None:
            done = _settled_cost(item)
            posting = None if done is not None else _cost(item.get("cost"))
            journal.posted(tag, str(item.get("id")), posting)
            LOGGER.info("id_list shows %s posted as %s", tag, item.get("id"))
            if done is not None:
                journal.settled(tag, done)
        elif settled_before and journal.entries[tag].intended_at < settled_before:
            journal.not_posted(tag, "id_list does not list it")
            LOGGER.info("id_list shows %s was never created: it may be posted", tag)
    for tag in unsettled:
        done = _settled_cost(listed.get(tag))
        if done is not None:
            journal.settled(tag, done)
    return not unread


def _ledgers(
    client: PromptsClient, since: datetime, unknown: list[str], unsettled: list[str]
) -> tuple[dict[str, dict[str, t.Any]], set[str]]:
    """Each tag's item in its surface's ledger, and the tags whose ledger failed.

    An item listed under another task_post ``url`` than its tag's surface still
    counts (never twice): the url's form is not documented.
    """
    by_ledger: dict[str, list[str]] = {}
    for tag in unknown + unsettled:
        by_ledger.setdefault(surfaces.of_tag(tag)[0].id_list, []).append(tag)
    listed: dict[str, dict[str, t.Any]] = {}
    unread: set[str] = set()
    for ledger, tags in by_ledger.items():
        try:
            found = client.posted_tags(since, TAG_PREFIX, ledger)
        except LEDGER_ERRORS as exc:
            unread.update(tags)
            _unread(ledger, exc, [tag for tag in tags if tag in unknown], len(tags))
            continue
        for tag in tags:
            item = found.get(tag)
            surface, llm = surfaces.of_tag(tag)
            if item is not None and not surface.lists(item.get("url"), llm):
                LOGGER.warning(
                    "%s lists %s under url %r, not %s's: counted as posted",
                    ledger,
                    tag,
                    item.get("url"),
                    surface.post_path(llm),
                )
            if item is not None:
                listed[tag] = item
    return listed, unread


def _unread(ledger: str, exc: BaseException, unknown: list[str], tags: int) -> None:
    """Say that a ledger could not be read, and what that leaves undecided."""
    if unknown:
        LOGGER.error(
            "%s could not be read (%s): %s whose posting was not confirmed, NOT "
            "posted again; unknown until %s answers",
            ledger,
            _one_line(exc),
            counted(len(unknown), "task"),
            ledger,
        )
    else:
        LOGGER.warning(
            "%s could not be read (%s): %s not settled yet, each counted at its "
            "estimate",
            ledger,
            _one_line(exc),
            counted(tags, "task"),
        )


def _settled_cost(item: object) -> float | None:
    """The final charge of an id_list item of a finished task; None while it runs."""
    if not isinstance(item, dict) or not item.get("datetime_done"):
        return None
    if str(item.get("status", "")).strip() in RUNNING:
        return None
    cost = _cost(item.get("cost"))
    return cost if cost is not None and math.isfinite(cost) and cost >= 0 else None


def _post_all(
    budget: Budget,
    client: PromptsClient,
    journal: jn.Journal,
    summary: Summary,
    period: Period,
) -> None:
    """Post the chosen tasks: the probes and known models' tasks, then the held.

    A model not charged this period sends one task first, all models' together;
    the tasks of models with no settled charge are held through one wait, then go
    if one of their model's charges has settled, else are left to a later run.
    """
    first: list[Task] = []
    rest: list[Task] = []
    probed: set[tuple[str, str]] = set()
    for task in budget.chosen:
        if period.seen(task) or (task.llm, task.model) in probed:
            rest.append(task)
        else:
            probed.add((task.llm, task.model))
            first.append(task)
    _post_queue(first, client, journal, summary, period)
    _post_queue([t for t in rest if period.known(t)], client, journal, summary, period)
    held = [task for task in rest if not period.known(task)]
    if not held:
        return
    _await_settlement(held, journal, client, period)
    _post_queue([t for t in held if period.known(t)], client, journal, summary, period)
    _hold([task for task in held if not period.known(task)], summary, period)


def _post_queue(
    tasks: list[Task],
    client: PromptsClient,
    journal: jn.Journal,
    summary: Summary,
    period: Period,
) -> None:
    """Post tasks one LLM and surface a call, in batches the room left covers."""
    by_llm: dict[tuple[str, str], list[Task]] = {}
    for task in tasks:
        by_llm.setdefault((task.surface, task.llm), []).append(task)
    for same_llm in by_llm.values():
        queue = same_llm
        while queue:
            batch = period.batch(queue)
            if not batch:
                summary.chosen -= len(queue)
                summary.left_out += len(queue)
                LOGGER.warning(
                    "charges above the estimates leave no room for %s: "
                    "left out by the budget",
                    counted(len(queue), "more task"),
                )
                break
            _post_batch(batch, client, journal, summary, period)
            queue = queue[len(batch) :]
            period.learn()
            summary.spent = period.spent()
            if summary.stopped:
                raise PostingStoppedError(summary.stopped, summary)


def _await_settlement(
    held: list[Task],
    journal: jn.Journal,
    client: PromptsClient,
    period: Period,
) -> None:
    """Read ``id_list`` until a charge of each held task's model has settled.

    Stops early when no held model has a task left to settle, or ``id_list``
    cannot be read; at most ``period.probe_wait`` seconds.
    """
    deadline = time.monotonic() + period.probe_wait
    while True:
        read = reconcile(journal, client, None, since=period.start)
        period.learn()
        pending = period.pending()
        waiting = [t for t in held if (t.llm, t.model) in pending]
        left = deadline - time.monotonic()
        if not waiting or not read or left <= 0:
            return
        time.sleep(min(PROBE_POLL, left))


def _hold(held: list[Task], summary: Summary, period: Period) -> None:
    """Leave tasks whose model has no settled charge to a later run, in one line."""
    if not held:
        return
    summary.chosen -= len(held)
    summary.held += len(held)
    models = sorted({f"{task.llm} {task.model}" for task in held})
    LOGGER.warning(
        "%s left for a later run: no charge of %s has settled in id_list "
        "within %g s; a task is never posted on the price table's estimate",
        counted(len(held), "task"),
        ", ".join(models),
        period.probe_wait,
    )


def _post_batch(
    batch: list[Task],
    client: PromptsClient,
    journal: jn.Journal,
    summary: Summary,
    period: Period,
) -> None:
    """Post one batch: intents first, then each task's outcome."""
    # A batch is one LLM's tasks: they share the set's options, web search too.
    web_search = bool(batch[0].body.get("web_search"))
    journal.intend([task.tag for task in batch], web_search=web_search)
    try:
        endpoint = surfaces.SURFACES[batch[0].surface].task_post
        bodies = [task.body for task in batch]
        answer = client.task_post(batch[0].llm, bodies, endpoint)
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
        # id_list's cost may be missing or settled: count at least the estimate.
        found_cost = sum(
            period.estimate(task)
            for task in batch
            if journal.entries[task.tag].outcome == jn.POSTED
        )
        summary.charged = round(summary.charged + found_cost, 6)
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
    _record(batch, answer["tasks"], journal, summary, period)


def _record(
    batch: list[Task],
    answered: list[dict[str, t.Any]],
    journal: jn.Journal,
    summary: Summary,
    period: Period,
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
            estimate = period.estimate(task)
            charge = estimate if cost is None else cost
            summary.charged = round(summary.charged + charge, 6)
            LOGGER.info("posted %s tag=%s cost=%s", answer["id"], task.tag, cost)
            if cost is not None and cost > estimate + CENT_FRACTION:
                LOGGER.warning(
                    "task_post charged $%.4f for %s, above its estimate $%.4f: the "
                    "rest of the period is priced at that",
                    cost,
                    task.tag,
                    estimate,
                )
            continue
        journal.not_posted(task.tag, f"{status} {answer['status_message']}")
        if status == envelope.COST_LIMIT:
            summary.stopped = (
                "DataForSEO refused tasks: the account's cost limit is reached "
                "(40203); raise it in the user panel"
            )
            continue
        if status in PAYMENT_REFUSALS:
            summary.stopped = PAYMENT_REFUSALS[status]
            continue
        summary.refused += 1
        LOGGER.warning(
            "task_post refused %s: %s %s", task.tag, status, answer["status_message"]
        )


def _say_left_out(budget: Budget, period: Period) -> None:
    if not budget.left_out:
        return
    shown = ", ".join(task.tag for task in budget.left_out[:5])
    more = f" and {len(budget.left_out) - 5} more" if len(budget.left_out) > 5 else ""
    LOGGER.warning(
        "budget $%.2f of period %s: $%.4f spent or committed, room for %s "
        "(worst case $%.4f): %d left out: %s%s",
        period.budget,
        period.key,
        period.spent(),
        counted(len(budget.chosen), "more task"),
        budget.worst_case_usd,
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
