"""What each LLM's ``task_post`` refuses in a task, as the vendor documents it.

Per LLM [D-TP of each; the fact sheet's LLM Responses request fields]: the
fields it takes, ``max_output_tokens`` 1-4096 (ChatGPT at least 16, 1024 for its
reasoning models; with ``use_reasoning`` Gemini at least 1024, Claude 1025),
``temperature`` 0-2 (Claude 0-1; not for ChatGPT's reasoning models), ``top_p``
0-1, not both for ChatGPT and Claude, none of them with Claude's reasoning,
``web_search`` only for models that support it, ``force_web_search`` (ChatGPT:
with ``web_search``; Claude: not with reasoning), a two-letter country code, a
``message_chain`` of at most 10 user/ai messages of 500 characters.

A bad value answers 40501 "Invalid Field: '<field>'."; a field the LLM does not
take answers 40506 "Unknown Fields in POST Data." (the vendor's code for it; which
of the two it sends here is not documented).
"""

from __future__ import annotations

import re
from typing import Any

from . import payloads as p

#: Longest ``tag`` task_post accepts [D-TP].
MAX_TAG = 255
#: Most messages in a ``message_chain`` [D-TP].
MAX_CHAIN = 10
#: Fields every LLM's task_post takes.
COMMON = frozenset(
    {
        "user_prompt",
        "model_name",
        "max_output_tokens",
        "temperature",
        "top_p",
        "web_search",
        "system_message",
        "message_chain",
        "tag",
        "postback_url",
        "pingback_url",
    }
)
LOCALISED = frozenset(
    {"force_web_search", "web_search_country_iso_code", "web_search_city"}
)
#: The fields each LLM takes beyond the common ones.
EXTRA = {
    "gemini": frozenset({"use_reasoning"}),
    "chat_gpt": LOCALISED,
    "claude": LOCALISED | {"use_reasoning"},
}
#: The highest ``temperature`` each LLM takes.
TEMPERATURE = {"gemini": 2, "chat_gpt": 2, "claude": 1}
COUNTRY = re.compile(r"^[A-Z]{2}$")
INVALID = 40501
UNKNOWN_FIELDS = 40506
MSG_UNKNOWN_FIELDS = "Unknown Fields in POST Data."


def refusal(se: str, item: Any) -> tuple[int, str] | None:
    """(status, message) of a task ``task_post`` refuses, or None if it is valid."""
    if isinstance(item, dict) and set(item) - COMMON - EXTRA.get(se, frozenset()):
        return UNKNOWN_FIELDS, MSG_UNKNOWN_FIELDS
    field = invalid_field(se, item)
    return None if field is None else (INVALID, f"Invalid Field: '{field}'.")


def invalid_field(se: str, item: Any) -> str | None:  # noqa: PLR0911 - one a rule
    """Name the first invalid field of a task_post item, or None."""
    if not isinstance(item, dict):
        return "user_prompt"
    if not _text(item.get("user_prompt"), p.MAX_TEXT, required=True):
        return "user_prompt"
    model = _model(se, item.get("model_name"))
    if model is None:
        return "model_name"
    if not _text(item.get("system_message"), p.MAX_TEXT):
        return "system_message"
    tag = item.get("tag")
    if tag is not None and (not isinstance(tag, str) or len(tag) > MAX_TAG):
        return "tag"
    if not _chain(item.get("message_chain")):
        return "message_chain"
    flags = ("web_search", "force_web_search", "use_reasoning")
    for flag in flags:
        if item.get(flag) is not None and not isinstance(item[flag], bool):
            return flag
    _, _, web_search, _, reasoning_model = model
    if item.get("web_search") and not web_search:
        return "web_search"
    return _sampling(se, item, reasoning_model) or _localised(se, item)


def _sampling(  # noqa: PLR0911 - one return a rule
    se: str, item: dict[str, Any], reasoning_model: bool
) -> str | None:
    """max_output_tokens, temperature and top_p."""
    reasoning = item.get("use_reasoning") is True
    least = {"chat_gpt": 1024 if reasoning_model else 16}.get(se, 1)
    if reasoning:
        least = {"gemini": 1024, "claude": 1025}.get(se, least)
    if not _number(item.get("max_output_tokens"), least, 4096, whole=True):
        return "max_output_tokens"
    temperature, top_p = item.get("temperature"), item.get("top_p")
    if temperature is not None and (
        (se == "chat_gpt" and reasoning_model) or (se == "claude" and reasoning)
    ):
        return "temperature"
    if not _number(temperature, 0, TEMPERATURE.get(se, 2)):
        return "temperature"
    if top_p is not None and se == "claude" and reasoning:
        return "top_p"
    if not _number(top_p, 0, 1):
        return "top_p"
    if se in ("chat_gpt", "claude") and temperature is not None and top_p is not None:
        return "top_p"
    return None


def _localised(se: str, item: dict[str, Any]) -> str | None:
    """force_web_search, web_search_country_iso_code, web_search_city."""
    force = item.get("force_web_search") is True
    if force and se == "chat_gpt" and item.get("web_search") is not True:
        return "force_web_search"
    if force and se == "claude" and item.get("use_reasoning") is True:
        return "force_web_search"
    country = item.get("web_search_country_iso_code")
    if country is not None and not (
        isinstance(country, str) and COUNTRY.match(country)
    ):
        return "web_search_country_iso_code"
    city = item.get("web_search_city")
    if city is not None and not (isinstance(city, str) and city.strip()):
        return "web_search_city"
    return None


def _model(se: str, name: object) -> tuple[str, str, bool, bool, bool] | None:
    """The emulator's model of that name task_post takes, or None."""
    for model in p.MODELS.get(se, ()):
        if model[0] == name and model[3]:
            return model
    return None


def _text(value: object, longest: int, *, required: bool = False) -> bool:
    """Text of at most ``longest`` characters (not blank when required), or None."""
    if value is None:
        return not required
    if not isinstance(value, str) or len(value) > longest:
        return False
    return bool(value.strip()) or not required


def _number(value: object, low: float, high: float, *, whole: bool = False) -> bool:
    if value is None:
        return True
    kinds = int if whole else int | float
    return (
        isinstance(value, kinds)
        and not isinstance(value, bool)
        and (low <= value <= high)
    )


def _chain(value: object) -> bool:
    if value is None:
        return True
    return (
        isinstance(value, list)
        and len(value) <= MAX_CHAIN
        and all(
            isinstance(message, dict)
            and message.get("role") in ("user", "ai")
            and _text(message.get("message"), p.MAX_TEXT, required=True)
            for message in value
        )
    )
