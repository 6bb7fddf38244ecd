"""What a period has spent, what its tasks may still cost, and how big a batch may be.

Spend = the settled charges of the period's tasks (``id_list``'s ``cost`` once a
task is done, kept in the journal) + the estimate of every task not settled yet
(posted, or maybe posted). A task's estimate is its worst case from the price
table, and never less than what ``task_post`` takes (the base fee and the $0.01
advance) nor than the highest posting charge seen for its model this period. When
a settled charge goes above its task's worst case, the table is wrong for that
model: its tasks are estimated, for the rest of the period, at the highest settled
charge seen plus their own token allowance (as if the excess were all fees).
"""

from __future__ import annotations

import logging
import typing as t
from datetime import timedelta

from tap_dataforseo_gemini.prompts import journal as jn
from tap_dataforseo_gemini.prompts import prices
from tap_dataforseo_gemini.prompts.client import MAX_TASKS
from tap_dataforseo_gemini.prompts.plan import (
    TAG_PREFIX,
    period_key,
    period_of,
    period_start,
)

if t.TYPE_CHECKING:
    from datetime import datetime

    from tap_dataforseo_gemini.prompts.plan import Task
    from tap_dataforseo_gemini.prompts.prompt_set import PromptSet

LOGGER = logging.getLogger("dataforseo_prompts")
#: Money is compared to this precision, USD.
CENT_FRACTION = 1e-9


class Period:
    """The budget of the period ``now`` falls in, across runs, from the journal."""

    def __init__(
        self,
        prompt_set: PromptSet,
        planned: list[Task],
        journal: jn.Journal,
        now: datetime,
        *,
        probe_wait: float = 0.0,
    ) -> None:
        """Price every planned task and learn what the journal knows."""
        #: How long a run waits for a model's first task to settle, seconds.
        self.probe_wait = probe_wait
        self.key = period_key(prompt_set.period, now)
        self.start = period_start(prompt_set.period, now)
        #: The key of the period before this one.
        self.previous = period_key(prompt_set.period, self.start - timedelta(seconds=1))
        self.budget = prompt_set.budget_usd
        self._journal = journal
        self._prefix = f"{TAG_PREFIX}/{prompt_set.name}/"
        self._tasks = {task.tag: task for task in planned}
        self._worst: dict[str, float] = {}
        self._allowance: dict[str, float] = {}
        for task in planned:
            price = prompt_set.price(task.llm, task.model)
            if price is None:
                raise ValueError(f"no price for {task.llm} model {task.model}")
            self._worst[task.tag] = prices.worst_case(task.llm, task.body, price)
            self._allowance[task.tag] = prices.token_allowance(
                task.llm, task.body, price
            )
        #: Per (llm, model): the highest settled charge above a worst case.
        self._raised: dict[tuple[str, str], float] = {}
        #: Per (llm, model): the highest charge ``task_post`` took.
        self._posting: dict[tuple[str, str], float] = {}
        #: The (llm, model) pairs with a charge known this period.
        self._charged: set[tuple[str, str]] = set()
        self._warned: set[tuple[str, str]] = set()
        self.learn()

    def tags(self) -> list[str]:
        """The journal's tags of this prompt set and period."""
        return [
            tag
            for tag in self._journal.entries
            if tag.startswith(self._prefix) and period_of(tag) == self.key
        ]

    def needs(self, tag: str) -> bool:
        """Whether the journal must keep a tag: of this period or the previous one.

        A tag not of ours, or of a later period (a clock that went back), is kept.
        """
        key = period_of(tag)
        if key is None or len(key) != len(self.previous):
            return key is None
        return key >= self.previous

    def learn(self) -> None:
        """Raise estimates from the charges the journal holds for this period."""
        for tag in self.tags():
            entry = self._journal.entries[tag]
            if entry.outcome != jn.POSTED:
                continue
            key = _model_of(tag)
            if entry.cost is not None or entry.settled is not None:
                self._charged.add(key)
            if entry.cost is not None:
                self._posting[key] = max(self._posting.get(key, 0.0), entry.cost)
            worst = self._worst.get(tag)
            if entry.settled is None or worst is None:
                continue
            if entry.settled > worst + CENT_FRACTION:
                self._raised[key] = max(self._raised.get(key, 0.0), entry.settled)
                self._warn(key, entry.settled, worst)

    def _warn(self, key: tuple[str, str], charge: float, worst: float) -> None:
        if key in self._warned:
            return
        self._warned.add(key)
        LOGGER.warning(
            "%s %s: a task settled at $%.4f, above its worst case $%.4f from the "
            "price table of %s: its tasks are estimated higher for the rest of the "
            "period; check the model's price (prices in the prompts file)",
            *key,
            charge,
            worst,
            prices.DATED,
        )

    def seen(self, task: Task) -> bool:
        """Whether a task of this model was charged this period (so it is known)."""
        return (task.llm, task.model) in self._charged

    def estimate(self, task: Task) -> float:
        """The most a task is expected to cost, USD."""
        key = (task.llm, task.model)
        cost = max(
            self._worst[task.tag],
            prices.posting_charge(task.llm),
            self._posting.get(key, 0.0),
        )
        if key in self._raised:
            cost = max(cost, self._raised[key] + self._allowance[task.tag])
        return round(cost, 6)

    def _estimate_of(self, tag: str) -> float:
        """The estimate of a journal tag, planned now or not (a removed prompt)."""
        task = self._tasks.get(tag)
        if task is not None:
            return self.estimate(task)
        key = _model_of(tag)
        same = [
            self.estimate(t) for t in self._tasks.values() if _model_of(t.tag) == key
        ]
        known = same or [self.estimate(t) for t in self._tasks.values()]
        return max(known or [prices.posting_charge("chat_gpt")])

    def spent(self) -> float:
        """Settled charges plus the estimates of tasks not settled, USD."""
        total = 0.0
        for tag in self.tags():
            entry = self._journal.entries[tag]
            if entry.outcome == jn.POSTED and entry.settled is not None:
                total += entry.settled
            elif entry.outcome == jn.POSTED:
                total += max(entry.cost or 0.0, self._estimate_of(tag))
            elif entry.outcome == jn.UNKNOWN:
                total += self._estimate_of(tag)
        return round(total, 6)

    def room(self) -> float:
        """What the period may still spend, USD."""
        return round(self.budget - self.spent(), 6)

    def batch(self, queue: list[Task]) -> list[Task]:
        """The next tasks to post: as many as the room covers at their estimates.

        A model not charged yet this period goes alone, one task: a price table
        or a setting that is wrong then overspends by one task at most.
        """
        room = self.room()
        batch: list[Task] = []
        total = 0.0
        for task in queue[:MAX_TASKS]:
            first = not self.seen(task)
            if first and batch:
                break
            cost = self.estimate(task)
            if total + cost > room + CENT_FRACTION:
                break
            batch.append(task)
            total += cost
            if first:
                break
        return batch


def _model_of(tag: str) -> tuple[str, str]:
    """(llm, model) of a tag: ``dfsp/<set>/<prompt>/<llm>/<model>/<period>/<n>``."""
    parts = tag.split("/")
    return parts[3], parts[4]
