"""The settings: their schema, and checks it cannot express (one line each)."""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
import typing as t
from datetime import datetime
from urllib.parse import urlsplit

from dotenv import find_dotenv, load_dotenv
from jsonschema import Draft7Validator
from singer_sdk import typing as th

from tap_dataforseo_gemini import redact, sources
from tap_dataforseo_gemini.errors import InvalidConfigError
from tap_dataforseo_gemini.shutdown import NAME

#: Environment variables of the settings start with this (as the SDK names them).
ENV_PREFIX = "TAP_DATAFORSEO_GEMINI_"

#: The tap's settings (``dataforseo-prompts`` reads the same file).
SCHEMA: dict[str, t.Any] = th.PropertiesList(
    th.Property(
        "login",
        th.StringType,
        required=True,
        title="API login",
        description="DataForSEO API login (the account's e-mail address)",
    ),
    th.Property(
        "password",
        th.StringType,
        required=True,
        secret=True,
        title="API password",
        description="DataForSEO API password (not the dashboard password)",
    ),
    th.Property(
        "api_url",
        th.StringType(pattern=r"^https?://[^/\s]+"),
        default="https://api.dataforseo.com",
        title="API URL",
        description="API host; https://sandbox.dataforseo.com for the free sandbox",
    ),
    th.Property(
        "llm",
        th.StringType,
        default="gemini",
        allowed_values=["gemini", "chat_gpt", "claude"],
        title="LLM",
        description=(
            "Whose task queue to read: gemini, chat_gpt or claude (llm_scraper: "
            "chat_gpt or gemini)"
        ),
    ),
    th.Property(
        "source",
        th.StringType,
        default="llm_responses",
        allowed_values=["llm_responses", "llm_scraper", "ai_mode"],
        title="Source",
        description=(
            "Which task queue to collect: llm_responses (the LLM's API answer), "
            "llm_scraper (what the ChatGPT or Gemini app shows; llm chat_gpt or "
            "gemini) or ai_mode (Google's AI Mode; llm is not read)"
        ),
    ),
    th.Property(
        "collection_mode",
        th.StringType,
        default="same_run",
        allowed_values=["same_run", "next_run"],
        title="Collection mode",
        description=(
            "same_run: collect tasks in the run that lists them, reconciled with "
            "id_list so a crash loses nothing; next_run: collect listed tasks in "
            "the next run, from committed state (no id_list needed)"
        ),
    ),
    th.Property(
        "start_date",
        th.DateTimeType,
        title="Start date",
        description=(
            "Earliest posting time a first run reconciles from with id_list "
            "(default: 30 days back, as long as task_get keeps results)"
        ),
    ),
    th.Property(
        "request_timeout",
        th.IntegerType(exclusive_minimum=0),
        default=60,
        title="Request timeout",
        description=(
            "Seconds one request may take, from connecting to the answer's last "
            "byte; a slower answer is retried"
        ),
    ),
    th.Property(
        "max_answer_bytes",
        th.IntegerType(minimum=1),
        default=64 * 1024 * 1024,
        title="Largest answer",
        description=(
            "Bytes an answer may have once decompressed (64 MiB: a task_get "
            "answer is a few kB); a larger task_get answer becomes a failure "
            "record, a larger listing answer ends the run"
        ),
    ),
    th.Property(
        "user_agent",
        th.StringType,
        default=f"{NAME}/0.1.0",
        title="User agent",
        description="User-Agent header sent with every request",
    ),
    th.Property(
        "max_concurrent_requests",
        th.IntegerType(minimum=1),
        default=64,
        title="Concurrent task_get requests",
        description=(
            "task_get requests in flight at once; 64 reaches 10,000 calls a "
            "minute at 300 ms an answer. Fewer after a 40209 answer"
        ),
    ),
    th.Property(
        "rate_limit_per_minute",
        th.IntegerType(minimum=1),
        default=10000,
        title="Account rate limit",
        description=(
            "Requests a minute for the whole account (all endpoints); "
            "DataForSEO's default since 2026-10-19. The tap paces lower when "
            "X-RateLimit-Limit or a 40202 answer shows the account allows less"
        ),
    ),
    th.Property(
        "tasks_ready_rate_limit_per_minute",
        th.IntegerType(minimum=1),
        default=20,
        title="tasks_ready rate limit",
        description="tasks_ready calls a minute",
    ),
    th.Property(
        "id_list_rate_limit_per_minute",
        th.IntegerType(minimum=1),
        default=10,
        title="id_list rate limit",
        description="id_list calls a minute",
    ),
    th.Property(
        "max_tries",
        th.IntegerType(minimum=1),
        default=8,
        title="Tries per request",
        description="Tries per request on transient errors before the run fails",
    ),
    th.Property(
        "max_retry_seconds",
        th.NumberType(exclusive_minimum=0),
        default=300.0,
        title="Retry time per request",
        description="Seconds one request may spend retrying before the run fails",
    ),
    th.Property(
        "progress_interval_seconds",
        th.NumberType(exclusive_minimum=0),
        default=30.0,
        title="Progress interval",
        description="Seconds between progress lines while collecting",
    ),
).to_dict()

#: Endpoint rate windows tighter than the account's, each with its setting
#: ``<window>_rate_limit_per_minute``.
WINDOWS = ("tasks_ready", "id_list")

#: What an integer setting given as an environment variable must look like.
INTEGER = re.compile(r"[+-]?\d+")


def check_env_integers(schema: dict[str, t.Any], prefix: str) -> None:
    """Refuse an integer setting's environment variable that is not a whole number.

    The SDK would end in a traceback from ``int()``.
    """
    for name, spec in schema["properties"].items():
        variable = prefix + name.upper().replace("-", "_")
        value = os.environ.get(variable)
        if (
            value is not None
            and "integer" in _types(spec)
            and not INTEGER.fullmatch(value.strip())
        ):
            raise InvalidConfigError(
                f"invalid settings: {variable} must be a whole number, not {value!r}"
            )


def load(config: dict[str, t.Any]) -> dict[str, t.Any]:
    """Settings outside the tap (``dataforseo-prompts``), checked as the tap checks.

    The file's settings, then the environment's (``TAP_DATAFORSEO_GEMINI_*``,
    a ``.env`` file's too), then the defaults; errors never echo a secret.
    """
    load_dotenv(find_dotenv(usecwd=True))
    check_env_integers(SCHEMA, ENV_PREFIX)
    config = {**config, **_from_env(SCHEMA, ENV_PREFIX)}
    check_secrets(config, SCHEMA)
    defaults = {
        name: spec["default"]
        for name, spec in SCHEMA["properties"].items()
        if "default" in spec
    }
    config = {**defaults, **config}
    errors = sorted(
        (error.message for error in Draft7Validator(SCHEMA).iter_errors(config)),
    )
    if errors:
        mask = redact.Mask(
            redact.forms(config.get("login") or "", config.get("password") or "")
        )
        raise InvalidConfigError("invalid settings: " + mask("; ".join(errors)))
    check_values(config)
    return config


def _from_env(schema: dict[str, t.Any], prefix: str) -> dict[str, t.Any]:
    """Settings from environment variables, typed by the schema."""
    found: dict[str, t.Any] = {}
    for name, spec in schema["properties"].items():
        value = os.environ.get(prefix + name.upper().replace("-", "_"))
        if value is None:
            continue
        types = _types(spec)
        if "integer" in types:
            found[name] = int(value)
        elif "number" in types:
            found[name] = float(value)
        elif "boolean" in types:
            found[name] = value.strip().lower() in {"1", "true", "t", "y", "yes"}
        else:
            found[name] = value
    return found


def check_secrets(config: dict[str, t.Any], schema: dict[str, t.Any]) -> None:
    """Refuse a secret setting that is not text, without echoing its value."""
    for name, spec in schema["properties"].items():
        if spec.get("secret") and name in config and not isinstance(config[name], str):
            raise InvalidConfigError(
                f"invalid settings: {name} must be a string "
                "(quote it in JSON or YAML; its value is not shown)"
            )


def check_values(config: dict[str, t.Any]) -> None:
    """Check the API URL's scheme, the source's llm, the start date, the login."""
    _check_api_url(config.get("api_url") or "")
    sources.check(config)
    start = config.get("start_date")
    if start:
        try:
            datetime.fromisoformat(start)
        except ValueError:
            raise InvalidConfigError(
                f"invalid settings: start_date {start!r} is not an ISO 8601 "
                "date-time such as 2026-01-31T00:00:00Z"
            ) from None
    for name in ("login", "password"):
        try:
            config[name].encode("latin-1")
        except UnicodeEncodeError:
            raise InvalidConfigError(
                f"invalid settings: the {name} has characters HTTP Basic auth cannot "
                "send (only Latin-1 ones); use the API password from the "
                "DataForSEO dashboard"
            ) from None


def unknown(config: dict[str, t.Any], schema: dict[str, t.Any]) -> list[str]:
    """A warning for each setting the tap does not know, with the closest known name."""
    known = list(schema["properties"])
    warnings = []
    for name in sorted(set(config) - set(known)):
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        warnings.append(f"Unknown setting {name!r} is ignored{hint}")
    return warnings


def _check_api_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "http" and not _is_loopback(parts.hostname or ""):
        raise InvalidConfigError(
            f"invalid settings: api_url {parts.scheme}://{parts.hostname} would send "
            "the password in clear text; use https://"
        )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _types(spec: dict[str, t.Any]) -> list[str]:
    kind = spec.get("type", [])
    return [kind] if isinstance(kind, str) else list(kind)
