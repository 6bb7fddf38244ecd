"""A prompt set as tagged tasks for one period, and what fits in the budget."""

from __future__ import annotations

import math
import typing as t
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

if t.TYPE_CHECKING:
    from collections.abc import Callable

    from tap_dataforseo_gemini.prompts.prompt_set import PromptSet

#: Tags start with this, so ``id_list`` entries of other tasks are told apart.
TAG_PREFIX = "dfsp"
#: How many periods make a week.
PER_WEEK = {"hour": 168, "day": 7, "week": 1}
#: The normal quantile of a two-sided 95% interval.
Z95 = 1.96


@dataclass(frozen=True)
class Task:
    """One task to post: its tag is its identity within the period."""

    tag: str
    llm: str
    body: dict[str, t.Any]

    @property
    def model(self) -> str:
        """The model asked for."""
        return str(self.body["model_name"])


@dataclass(frozen=True)
class Budget:
    """The tasks a run may post, the ones left out, and what the chosen cost at most."""

    chosen: list[Task]
    left_out: list[Task]
    worst_case_usd: float


def period_key(period: str, now: datetime) -> str:
    """Name the UTC period ``now`` falls in: ``2026-11-25``, ``2026-11-25T13``..."""
    now = now.astimezone(UTC)
    if period == "hour":
        return now.strftime("%Y-%m-%dT%H")
    if period == "week":
        year, week, _ = now.isocalendar()
        return f"{year}-W{week:02d}"
    return now.strftime("%Y-%m-%d")


def period_start(period: str, now: datetime) -> datetime:
    """When the UTC period ``now`` falls in began."""
    now = now.astimezone(UTC)
    if period == "hour":
        return now.replace(minute=0, second=0, microsecond=0)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        return day - timedelta(days=day.weekday())
    return day


def period_of(task_tag: str) -> str | None:
    """The period key a tag names, or None if it is not a tag of ours."""
    parts = task_tag.split("/")
    return parts[5] if len(parts) == 7 and parts[0] == TAG_PREFIX else None


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
                        **prompt_set.options_for(llm),
                        "tag": task_tag,
                    }
                    planned.append(Task(task_tag, llm, body))
    return planned


def fit(planned: list[Task], room: float, estimate: Callable[[Task], float]) -> Budget:
    """Take tasks in order while their worst-case total stays within ``room``."""
    total = 0.0
    for index, task in enumerate(planned):
        cost = estimate(task)
        if total + cost > room + 1e-9:
            return Budget(planned[:index], planned[index:], round(total, 6))
        total += cost
    return Budget(planned, [], round(total, 6))


def margin(samples: int) -> float:
    """The worst-case 95% margin of a rate over ``samples``, in points (p = 0.5)."""
    return 100 * Z95 * math.sqrt(0.25 / samples) if samples else math.inf


def sample_plan(period: str, tags: list[str]) -> list[str]:
    """Per prompt, LLM and model: its samples a period and a week, and their margins.

    ``tags`` are the period's tasks that are posted or will be; a week is taken
    to repeat this period.
    """
    counts = Counter(tuple(tag.split("/")[2:5]) for tag in tags)
    lines = []
    for (prompt, llm, model), samples in counts.items():
        week = samples * PER_WEEK[period]
        lines.append(
            f"{prompt} {llm} {model}: {samples} a {period} "
            f"(mention rate ±{margin(samples):.1f} points), {week} a week "
            f"(±{margin(week):.1f}), 95% worst case"
        )
    return lines
