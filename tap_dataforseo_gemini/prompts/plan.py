"""A prompt set as tagged tasks for one period, and what fits in the budget."""

from __future__ import annotations

import typing as t
from dataclasses import dataclass
from datetime import UTC, datetime

if t.TYPE_CHECKING:
    from tap_dataforseo_gemini.prompts.prompt_set import PromptSet

#: Tags start with this, so ``id_list`` entries of other tasks are told apart.
TAG_PREFIX = "dfsp"


@dataclass(frozen=True)
class Task:
    """One task to post: its tag is its identity within the period."""

    tag: str
    llm: str
    body: dict[str, t.Any]


@dataclass(frozen=True)
class Budget:
    """The tasks a run may post, the ones left out, and their worst-case price."""

    chosen: list[Task]
    left_out: list[Task]
    price: float

    @property
    def worst_case_usd(self) -> float:
        """What the chosen tasks cost at most."""
        return round(len(self.chosen) * self.price, 6)


def period_key(period: str, now: datetime) -> str:
    """Name the UTC period ``now`` falls in: ``2026-11-25``, ``2026-11-25T13``..."""
    now = now.astimezone(UTC)
    if period == "hour":
        return now.strftime("%Y-%m-%dT%H")
    if period == "week":
        year, week, _ = now.isocalendar()
        return f"{year}-W{week:02d}"
    return now.strftime("%Y-%m-%d")


def tag(*parts: str | int) -> str:
    """The tag of a task: prompt set, prompt, LLM, model, period, repeat.

    The same task always gets the same tag; the warehouse splits it on ``/``.
    """
    return "/".join(str(part) for part in (TAG_PREFIX, *parts))


def tasks(prompt_set: PromptSet, now: datetime) -> list[Task]:
    """Every task of the set for the period ``now`` falls in, in a stable order.

    Order: repeat, then prompt, then LLM and model, so a budget that cannot
    take them all asks every prompt of every model once before repeating any.
    """
    period = period_key(prompt_set.period, now)
    planned = []
    for repeat in range(1, prompt_set.repeats + 1):
        for prompt in prompt_set.prompts:
            for llm, models in prompt_set.llms.items():
                for model in models:
                    task_tag = tag(
                        prompt_set.name, prompt.key, llm, model, period, repeat
                    )
                    body = {
                        "user_prompt": prompt.text,
                        "model_name": model,
                        **prompt_set.options,
                        "tag": task_tag,
                    }
                    planned.append(Task(task_tag, llm, body))
    return planned


def fit(planned: list[Task], budget_usd: float, price: float) -> Budget:
    """Take tasks in order while their worst-case total stays within the budget."""
    room = int((budget_usd + 1e-9) // price) if price > 0 else len(planned)
    return Budget(planned[:room], planned[room:], price)
