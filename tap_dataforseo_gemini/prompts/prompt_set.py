"""The prompts file: what to ask, of which models, how often, for how much."""

from __future__ import annotations

import hashlib
import math
import re
import typing as t
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML, YAMLError

from tap_dataforseo_gemini.prompts import prices

#: The LLMs with a ``task_post`` endpoint, in the API's words.
LLMS = ("gemini", "chat_gpt", "claude")
#: ``task_post`` refuses a longer ``user_prompt`` or ``system_message``.
MAX_TEXT = 500
#: The most ``budget_usd`` (and ``max_cost_per_task_usd``) may say, USD.
MAX_USD = 1_000_000
PERIODS = ("hour", "day", "week")
#: task_post fields only some LLMs take [D-TP of each LLM]: sent only to those.
ONLY = {
    "force_web_search": ("chat_gpt", "claude"),
    "web_search_country_iso_code": ("chat_gpt", "claude"),
    "web_search_city": ("chat_gpt", "claude"),
    "use_reasoning": ("gemini", "claude"),
}
#: The fewest output tokens ChatGPT's task_post takes [D-TP].
CHAT_GPT_MIN_TOKENS = 16
#: An ISO 3166-1 alpha-2 country code.
COUNTRY = re.compile(r"^[A-Z]{2}$")
#: Prompt keys and set names go into task tags: short, and no separator in them.
KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
FIELDS = frozenset(
    {
        "name",
        "budget_usd",
        "max_cost_per_task_usd",
        "prompts",
        "llms",
        "web_search",
        "system_message",
        "max_output_tokens",
        "temperature",
        "top_p",
        "repeats",
        "period",
        "journal",
        "prices",
        *ONLY,
    }
)


class InvalidPromptsError(ValueError):
    """The prompts file has problems: one line each."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        """Keep every problem found in ``path``."""
        self.problems = problems
        super().__init__("\n".join(f"{path}: {problem}" for problem in problems))


@dataclass(frozen=True)
class Prompt:
    """One prompt and the key its tasks are tagged with."""

    key: str
    text: str


@dataclass(frozen=True)
class PromptSet:
    """A checked prompts file."""

    name: str
    #: The most one period may spend, whatever the number of runs.
    budget_usd: float
    #: A task whose worst case is above this is refused (None: no such cap).
    max_cost_per_task_usd: float | None
    prompts: tuple[Prompt, ...]
    llms: dict[str, tuple[str, ...]]
    period: str
    repeats: int
    journal: Path
    #: Optional task_post fields sent with every task (web_search, ...).
    options: dict[str, t.Any]
    #: Prices the file gives, per LLM and model, over the shipped table's.
    prices: dict[str, dict[str, prices.Price]]

    def options_for(self, llm: str) -> dict[str, t.Any]:
        """The optional fields sent to one LLM: those it takes."""
        return {
            key: value
            for key, value in self.options.items()
            if llm in ONLY.get(key, (llm,))
        }

    def price(self, llm: str, model: str) -> prices.Price | None:
        """A model's price: the file's, else the shipped table's; None if unknown."""
        return prices.price_of(llm, model, self.prices)

    def price_problems(self) -> list[str]:
        """Models without a price, and tasks dearer than max_cost_per_task_usd."""
        problems = []
        for llm, models in self.llms.items():
            for model in models:
                price = self.price(llm, model)
                if price is None:
                    problems.append(
                        f"prices: no price for {llm} model '{model}' in the table of "
                        f"{prices.DATED}: give it under prices.{llm}.{model} "
                        f"({', '.join(prices.FIELDS)})"
                    )
                    continue
                worst = prices.worst_case(
                    llm, {"model_name": model, **self.options_for(llm)}, price
                )
                cap = self.max_cost_per_task_usd
                if cap is not None and worst > cap + 1e-9:
                    problems.append(
                        f"max_cost_per_task_usd: a {llm} {model} task may cost "
                        f"${worst:.4f} (worst case), above the ${cap:.4f} allowed"
                    )
        return problems


def load(path: Path) -> PromptSet:
    """Read and check a prompts file.

    Raises:
        InvalidPromptsError: every problem found, one line each.
    """
    try:
        raw = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidPromptsError(path, [f"cannot read it ({exc.strerror})"]) from None
    except YAMLError as exc:
        raise InvalidPromptsError(path, [_yaml_problem(exc)]) from None
    if not isinstance(raw, dict):
        raise InvalidPromptsError(path, ["expected a mapping of settings"])
    checker = _Checker(raw)
    prompt_set = checker.prompt_set(path)
    checker.request_problems(prompt_set)
    if checker.problems:
        raise InvalidPromptsError(path, checker.problems)
    return prompt_set


class _Checker:
    """Collect every problem of a prompts file, not just the first."""

    def __init__(self, raw: dict[str, t.Any]) -> None:
        self.raw = raw
        self.problems: list[str] = []

    def prompt_set(self, path: Path) -> PromptSet:
        self.problems += [
            f"unknown setting '{key}'" for key in self.raw if key not in FIELDS
        ]
        name = self.raw.get("name", "default")
        if not isinstance(name, str) or not KEY.match(name):
            self.problems.append("name must be 1-64 letters, digits, '.', '_' or '-'")
        journal = self.raw.get("journal", f".dataforseo-prompts/{name}.jsonl")
        if not isinstance(journal, str) or not journal:
            self.problems.append("journal must be a file path")
            journal = "journal.jsonl"
        return PromptSet(
            name=str(name),
            budget_usd=self.money("budget_usd", required=True),
            max_cost_per_task_usd=self.money("max_cost_per_task_usd"),
            prompts=self.prompts(),
            llms=self.llms(),
            period=self.choice("period", PERIODS, "day"),
            repeats=self.integer("repeats", 1, 1, 100),
            journal=path.parent / journal,
            options=self.options(),
            prices=self.prices(),
        )

    @t.overload
    def money(self, key: str, *, required: t.Literal[True]) -> float: ...
    @t.overload
    def money(self, key: str) -> float | None: ...
    def money(self, key: str, *, required: bool = False) -> float | None:
        value = self.raw.get(key)
        if value is None:
            if required:
                self.problems.append(
                    f"{key} is missing: set the most one period may spend"
                )
                return 0.0
            return None
        if not _is_number(value) or not 0 < value <= MAX_USD:
            self.problems.append(
                f"{key} must be a positive number of US dollars, at most {MAX_USD:,}"
            )
            return 0.0 if required else None
        return float(value)

    def prices(self) -> dict[str, dict[str, prices.Price]]:
        """The file's ``prices``: llm -> model -> the three prices."""
        value = self.raw.get("prices", {})
        found: dict[str, dict[str, prices.Price]] = {}
        if not isinstance(value, dict):
            self.problems.append("prices must map an llm to its models' prices")
            return found
        for llm, models in value.items():
            if llm not in LLMS or not isinstance(models, dict):
                self.problems.append(
                    f"prices: expected one of {', '.join(LLMS)} mapping model names "
                    "to prices"
                )
                continue
            for model, given in models.items():
                price = self.price(llm, model, given)
                if price is not None:
                    found.setdefault(llm, {})[str(model)] = price
        return found

    def price(self, llm: str, model: object, given: object) -> prices.Price | None:
        where = f"prices.{llm}.{model}"
        if not isinstance(given, dict) or set(given) != set(prices.FIELDS):
            self.problems.append(f"{where}: give exactly {', '.join(prices.FIELDS)}")
            return None
        values = [given[name] for name in prices.FIELDS]
        if not all(_is_number(v) and 0 <= v <= MAX_USD for v in values):
            self.problems.append(f"{where}: prices must be numbers of US dollars >= 0")
            return None
        return prices.Price(*(float(v) for v in values))

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value = self.raw.get(key, default)
        if type(value) is not int or not low <= value <= high:
            self.problems.append(f"{key} must be a whole number from {low} to {high}")
            return default
        return value

    def choice(self, key: str, allowed: tuple[str, ...], default: str) -> str:
        value = self.raw.get(key, default)
        if value not in allowed:
            self.problems.append(f"{key} must be one of {', '.join(allowed)}")
            return default
        return value

    def prompts(self) -> tuple[Prompt, ...]:
        items = self.raw.get("prompts")
        if not isinstance(items, list) or not items:
            self.problems.append("prompts is missing: list at least one prompt")
            return ()
        found: list[Prompt] = []
        keys: set[str] = set()
        for index, item in enumerate(items, start=1):
            prompt = self.prompt(index, item)
            if prompt is None:
                continue
            if prompt.key in keys:
                self.problems.append(
                    f"prompt {index}: tag '{prompt.key}' is used twice "
                    "(each prompt needs its own tag)"
                )
            keys.add(prompt.key)
            found.append(prompt)
        return tuple(found)

    def prompt(self, index: int, item: object) -> Prompt | None:
        tag = None
        if isinstance(item, dict):
            unknown = set(item) - {"text", "tag"}
            if unknown:
                self.problems.append(
                    f"prompt {index}: unknown key(s) {', '.join(sorted(unknown))}"
                )
            text, tag = item.get("text"), item.get("tag")
        else:
            text = item
        if not isinstance(text, str) or not text.strip():
            self.problems.append(f"prompt {index}: the text is missing or not text")
            return None
        if len(text) > MAX_TEXT:
            self.problems.append(
                f"prompt {index}: {len(text)} characters, over the API's {MAX_TEXT}"
            )
        if tag is None:
            return Prompt(_digest(text), text)
        if not isinstance(tag, str) or not KEY.match(tag):
            self.problems.append(
                f"prompt {index}: tag must be 1-64 letters, digits, '.', '_' or '-'"
            )
            return None
        return Prompt(tag, text)

    def llms(self) -> dict[str, tuple[str, ...]]:
        value = self.raw.get("llms")
        if not isinstance(value, dict) or not value:
            self.problems.append(
                f"llms is missing: map an LLM ({', '.join(LLMS)}) to its models"
            )
            return {}
        found: dict[str, tuple[str, ...]] = {}
        for llm, listed in value.items():
            models = [listed] if isinstance(listed, str) else listed
            if llm not in LLMS:
                self.problems.append(
                    f"llms: unknown llm '{llm}' (expected one of {', '.join(LLMS)})"
                )
                continue
            if (
                not isinstance(models, list)
                or not models
                or not all(isinstance(m, str) and KEY.match(m) for m in models)
            ):
                self.problems.append(f"llms: {llm} needs a list of model names")
                continue
            found[llm] = tuple(dict.fromkeys(models))
        return found

    def options(self) -> dict[str, t.Any]:
        options: dict[str, t.Any] = {}
        if self.flag("web_search"):
            options["web_search"] = True
        for key in ("force_web_search", "use_reasoning"):
            value = self.flag(key)
            if value is not None:
                options[key] = value
        system = self.text("system_message")
        if system is not None and len(system) > MAX_TEXT:
            self.problems.append(
                f"system_message: {len(system)} characters, over the API's {MAX_TEXT}"
            )
        elif system is not None:
            options["system_message"] = system
        country = self.text("web_search_country_iso_code")
        if country is not None and not COUNTRY.match(country):
            self.problems.append(
                "web_search_country_iso_code must be a two-letter ISO country code "
                "in capitals (US, FR...)"
            )
        elif country is not None:
            options["web_search_country_iso_code"] = country
        city = self.text("web_search_city")
        if city is not None:
            options["web_search_city"] = city
        return {**options, **self.sampling()}

    def sampling(self) -> dict[str, t.Any]:
        """max_output_tokens, temperature and top_p, those given."""
        options: dict[str, t.Any] = {}
        if "max_output_tokens" in self.raw:
            options["max_output_tokens"] = self.integer("max_output_tokens", 0, 1, 4096)
        for key, high in (("temperature", 2), ("top_p", 1)):
            value = self.raw.get(key)
            if value is None:
                continue
            if not _is_number(value) or not 0 <= value <= high:
                self.problems.append(f"{key} must be a number from 0 to {high}")
            else:
                options[key] = value
        return options

    def flag(self, key: str) -> bool | None:
        """A true/false setting, None when absent or wrong."""
        value = self.raw.get(key)
        if value is None or isinstance(value, bool):
            return value
        self.problems.append(f"{key} must be true or false")
        return None

    def text(self, key: str) -> str | None:
        """A text setting, None when absent or wrong."""
        value = self.raw.get(key)
        if value is None or (isinstance(value, str) and value.strip()):
            return value
        self.problems.append(f"{key} must be text")
        return None

    def request_problems(self, prompt_set: PromptSet) -> None:
        """What each LLM's task_post would refuse in the set's options [D-TP]."""
        llms, options = set(prompt_set.llms), prompt_set.options
        for key, takers in ONLY.items():
            if key in options and llms and not llms & set(takers):
                self.problems.append(
                    f"{key}: only {' and '.join(takers)} take it, not "
                    f"{', '.join(sorted(llms))}"
                )
        tokens = options.get("max_output_tokens")
        reasoning = options.get("use_reasoning")
        if "chat_gpt" in llms and tokens is not None and tokens < CHAT_GPT_MIN_TOKENS:
            self.problems.append(
                "max_output_tokens: chat_gpt takes at least 16 (1024 for its "
                "reasoning models)"
            )
        if reasoning and tokens is not None:
            for llm, least in (("gemini", 1024), ("claude", 1025)):
                if llm in llms and tokens < least:
                    self.problems.append(
                        f"max_output_tokens: {llm} takes at least {least} with "
                        "use_reasoning"
                    )
        pair = "temperature" in options and "top_p" in options
        both = sorted(llms & {"chat_gpt", "claude"})
        if pair and both:
            self.problems.append(
                f"temperature and top_p: {' and '.join(both)} take one or the "
                "other, not both"
            )
        if "claude" in llms and options.get("temperature", 0) > 1:
            self.problems.append("temperature: claude takes 0 to 1")


def _yaml_problem(exc: YAMLError) -> str:
    """Say where the YAML breaks."""
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}" if mark else ""
    problem = getattr(exc, "problem", None) or "unreadable"
    return f"not valid YAML{where}: {problem}"


def _is_number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def _digest(text: str) -> str:
    """A stable key for an untagged prompt: a hash of its text."""
    return "p-" + hashlib.sha256(text.encode()).hexdigest()[:12]
