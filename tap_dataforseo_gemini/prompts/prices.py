"""What a task may cost: the providers' published prices, dated; a task's worst case.

DataForSEO charges a task its own base fee plus what the model provider charges
for it: tokens at the model's prices and, when the model searched the web, the
provider's web-search fee [D-LIVE-C; help-center "how the price ... is
calculated"]. ``task_post`` takes the base fee and a $0.01 advance; the task
settles later at base + ``money_spent`` (the advance is refunded, or the excess
debited) [D-TP]. The table below is what the worst case rests on: a price that
is wrong or out of date makes the estimate wrong, which is why the prompts file
may override it and why a settled charge above the estimate raises it.
"""

from __future__ import annotations

import re
import typing as t
from dataclasses import dataclass

#: When the providers' prices below were read from their pricing pages.
DATED = "2026-12-01"
#: The advance ``task_post`` takes for the model's cost [D-TP].
ADVANCE_USD = 0.01
#: DataForSEO's own fee a task, per LLM: $0.0002 is documented for Gemini's
#: ``task_post`` [UPD-GEM]; for the others the Live base fee, $0.0006, the higher.
BASE_USD = {"gemini": 0.0002, "chat_gpt": 0.0006, "claude": 0.0006}
#: ``max_output_tokens`` when the prompts file does not set it [D-TP].
DEFAULT_MAX_OUTPUT = 2048
#: Tokens a request adds to its texts (roles, the model's prompt template).
INPUT_OVERHEAD_TOKENS = 200
#: Web-search fees per search, not per prompt, are priced at this many searches
#: and this many tokens of search results a prompt (an assumption: see README).
SEARCHES = 5
SEARCH_RESULT_TOKENS = 20_000


@dataclass(frozen=True)
class Price:
    """A model's prices: USD per million tokens in and out, USD a web search."""

    input_per_million: float
    output_per_million: float
    #: What one prompt with web search adds, USD (0: the model cannot search).
    web_search_usd: float


def _per_search(usd: float, input_per_million: float) -> float:
    """A per-search fee as a per-prompt worst case (SEARCHES searches + results)."""
    return round(SEARCHES * usd + SEARCH_RESULT_TOKENS * input_per_million / 1e6, 6)


#: Published prices (Google AI for Developers, OpenAI and Anthropic pricing pages,
#: read on :data:`DATED`), per LLM and base model name. Gemini 2.x grounding is
#: $35 per 1,000 grounded prompts; Gemini 3 is $14 per 1,000 search queries;
#: OpenAI's search preview for non-reasoning models is $25 per 1,000 calls, its
#: web search for reasoning models $10 per 1,000 calls plus the results as input
#: tokens; Anthropic's is $10 per 1,000 searches plus the results as input tokens.
PRICES: dict[str, dict[str, Price]] = {
    "gemini": {
        "gemini-3-pro": Price(2.0, 12.0, _per_search(0.014, 0)),
        "gemini-3-flash": Price(0.50, 3.0, _per_search(0.014, 0)),
        "gemini-2.5-pro": Price(1.25, 10.0, 0.035),
        "gemini-2.5-flash": Price(0.30, 2.50, 0.035),
        "gemini-2.5-flash-lite": Price(0.10, 0.40, 0.035),
        "gemini-2.0-flash": Price(0.10, 0.40, 0.035),
        "gemini-2.0-flash-lite": Price(0.075, 0.30, 0.0),
        "gemini-1.5-pro": Price(1.25, 5.0, 0.035),
    },
    "chat_gpt": {
        "gpt-5": Price(1.25, 10.0, _per_search(0.01, 1.25)),
        "gpt-5-mini": Price(0.25, 2.0, _per_search(0.01, 0.25)),
        "gpt-5-nano": Price(0.05, 0.40, _per_search(0.01, 0.05)),
        "gpt-4.1": Price(2.0, 8.0, 0.025),
        "gpt-4.1-mini": Price(0.40, 1.60, 0.025),
        "gpt-4.1-nano": Price(0.10, 0.40, 0.025),
        "gpt-4o": Price(2.50, 10.0, 0.025),
        "gpt-4o-mini": Price(0.15, 0.60, 0.025),
        "o3": Price(2.0, 8.0, _per_search(0.01, 2.0)),
        "o3-mini": Price(1.10, 4.40, _per_search(0.01, 1.10)),
        "o4-mini": Price(1.10, 4.40, _per_search(0.01, 1.10)),
    },
    "claude": {
        "claude-opus-4": Price(15.0, 75.0, _per_search(0.01, 15.0)),
        "claude-opus-4-5": Price(5.0, 25.0, _per_search(0.01, 5.0)),
        "claude-sonnet-4": Price(3.0, 15.0, _per_search(0.01, 3.0)),
        "claude-haiku-4-5": Price(1.0, 5.0, _per_search(0.01, 1.0)),
        "claude-3-7-sonnet": Price(3.0, 15.0, _per_search(0.01, 3.0)),
        "claude-3-5-haiku": Price(0.80, 4.0, _per_search(0.01, 0.80)),
    },
}
#: A version suffix a base name may carry: a date, a number, preview, latest.
_VERSION = re.compile(r"(-(?:[0-9][0-9-]*|preview(?:-[0-9-]+)?|latest|exp))*")
#: Override fields of the prompts file's ``prices`` entries.
FIELDS = ("input_per_million", "output_per_million", "web_search_usd")


def price_of(
    llm: str, model: str, overrides: dict[str, dict[str, Price]] | None = None
) -> Price | None:
    """A model's price: the prompts file's, else the table's; None if unknown.

    A versioned name (``gpt-4.1-2025-04-14``, ``claude-sonnet-4-0``) takes its base
    name's price; another name (``o3-pro``, ``gpt-4o-mini-audio``) is unknown.
    """
    for table in ((overrides or {}).get(llm, {}), PRICES.get(llm, {})):
        matches = [
            base
            for base in table
            if model.startswith(base) and _VERSION.fullmatch(model[len(base) :])
        ]
        if matches:
            return table[max(matches, key=len)]
    return None


def input_tokens(body: dict[str, t.Any]) -> int:
    """At most how many tokens a task's texts make: one per UTF-8 byte, and more."""
    texts = [body.get("user_prompt"), body.get("system_message")]
    texts += [item.get("message") for item in body.get("message_chain") or []]
    size = sum(len(text.encode()) for text in texts if isinstance(text, str))
    return size + INPUT_OVERHEAD_TOKENS


def worst_case(llm: str, body: dict[str, t.Any], price: Price) -> float:
    """The most a task costs once settled, USD, if the price is right.

    Base fee + its input tokens at most + ``max_output_tokens`` at the output
    price + the web-search fee when asked.
    """
    output = body.get("max_output_tokens") or DEFAULT_MAX_OUTPUT
    cost = (
        BASE_USD[llm]
        + input_tokens(body) * price.input_per_million / 1e6
        + output * price.output_per_million / 1e6
    )
    if body.get("web_search"):
        cost += price.web_search_usd
    return round(cost, 6)


def posting_charge(llm: str) -> float:
    """What ``task_post`` takes for a task: the base fee and the advance."""
    return round(BASE_USD[llm] + ADVANCE_USD, 6)


def token_allowance(llm: str, body: dict[str, t.Any], price: Price) -> float:
    """The part of a task's worst case its tokens make."""
    return round(
        worst_case(llm, {**body, "web_search": False}, price) - BASE_USD[llm], 6
    )
