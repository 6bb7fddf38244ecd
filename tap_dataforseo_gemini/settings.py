"""The settings: their schema, and checks it cannot express (one line each)."""

from __future__ import annotations

import decimal
import difflib
import ipaddress
import os
import re
import typing as t
from datetime import datetime
from urllib.parse import urlsplit

from dotenv import find_dotenv, load_dotenv
from jsonschema import Draft7Validator
from requests.exceptions import InvalidHeader
from requests.utils import check_header_validity
from singer_sdk import typing as th
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from tap_dataforseo_gemini import redact, sources
from tap_dataforseo_gemini.errors import InvalidConfigError, InvalidInputError
from tap_dataforseo_gemini.inputs import parse_json
from tap_dataforseo_gemini.shutdown import NAME

#: The longest wait a setting may ask for, in seconds (a day): Python's timers
#: overflow on far longer ones.
LONGEST_WAIT = 86400
#: What an integer setting given as an environment variable must look like.
INTEGER = re.compile(r"[+-]?\d+")
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
        th.IntegerType(exclusive_minimum=0, maximum=LONGEST_WAIT),
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
        description=(
            "Tries per request on transient errors before it gives up (a "
            "task_get that gives up leaves its task pending; other requests "
            "stop the run)"
        ),
    ),
    th.Property(
        "max_retry_seconds",
        th.NumberType(exclusive_minimum=0),
        default=300.0,
        title="Retry time per request",
        description=(
            "Seconds one request may spend retrying before it gives up (see max_tries)"
        ),
    ),
    th.Property(
        "progress_interval_seconds",
        th.NumberType(exclusive_minimum=0, maximum=LONGEST_WAIT),
        default=30.0,
        title="Progress interval",
        description="Seconds between progress lines while collecting",
    ),
).to_dict()

#: Endpoint rate windows tighter than the account's, each with its setting
#: ``<window>_rate_limit_per_minute``.
WINDOWS = ("tasks_ready", "id_list")


def check_environment(schema: dict[str, t.Any], prefix: str) -> None:
    """Refuse a setting's environment variable the SDK would misread.

    The SDK ends in a traceback on an integer that is not a whole number and on
    an object or array that is not JSON.
    """
    for name, spec in schema["properties"].items():
        variable = prefix + name.upper().replace("-", "_")
        value = os.environ.get(variable)
        if value is None:
            continue
        types = _types(spec)
        if "integer" in types and not INTEGER.fullmatch(value.strip()):
            raise InvalidConfigError(
                f"invalid settings: {variable} must be a whole number, not {value!r}"
            )
        if "number" in types and _number(value) is None:
            raise InvalidConfigError(
                f"invalid settings: {variable} must be a number, not {value!r}"
            )
        if "object" in types or ("array" in types and value.lstrip().startswith("[")):
            try:
                parse_json(value, variable)
            except InvalidInputError as exc:
                raise InvalidConfigError(f"invalid settings: {exc}") from None


def environment_hint(
    schema: dict[str, t.Any], prefix: str, config: dict[str, t.Any]
) -> str:
    """How to read the settings ``config`` lacks that are environment variables.

    Outside Meltano the tap reads them only with ``--config ENV`` (a Singer tap's
    convention); ``dataforseo-prompts`` reads them unasked. Meltano hands every
    variable it knows over in the config file, so under it this says nothing.
    """
    found = [
        prefix + name.upper()
        for name in schema["properties"]
        if name not in config and prefix + name.upper() in os.environ
    ]
    if not found:
        return ""
    return (
        f" ({found[0]}{' and others' if len(found) > 1 else ''} set in the "
        "environment: the tap reads them only with --config ENV, as in "
        "tap-dataforseo-gemini --config ENV)"
    )


def typed_environment(config: dict[str, t.Any], schema: dict[str, t.Any]) -> None:
    """Turn number settings the SDK read from the environment (as text) into numbers."""
    for name, value in config.items():
        spec = schema["properties"].get(name, {})
        if isinstance(value, str) and "number" in _types(spec):
            config[name] = _number(value)


def _number(text: str) -> decimal.Decimal | None:
    """A finite number written in decimal, as a JSON file gives it; else None."""
    try:
        number = decimal.Decimal(text.strip())
    except decimal.InvalidOperation:
        return None
    return number if number.is_finite() else None


def load(config: dict[str, t.Any]) -> dict[str, t.Any]:
    """Settings outside the tap (``dataforseo-prompts``), checked as the tap checks.

    The file's settings, then the environment's (``TAP_DATAFORSEO_GEMINI_*``,
    a ``.env`` file's too), then the defaults; errors never echo a secret.
    """
    load_dotenv(find_dotenv(usecwd=True))
    check_environment(SCHEMA, ENV_PREFIX)
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
    _check_user_agent(config.get("user_agent") or "")
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
    """Refuse an ``api_url`` requests might read otherwise than this check does.

    The host is the one urllib3 (which requests uses) connects to, and
    ``urlsplit`` must read the same scheme, host and port: a URL the two parsers
    read differently could pass the loopback check and send the password
    elsewhere.
    """
    if "@" in url:
        raise InvalidConfigError(
            "invalid settings: api_url must not hold a login or password "
            "(user@host); give them as the login and password settings"
        )
    if "\\" in url or any(c.isspace() or not c.isprintable() for c in url):
        raise InvalidConfigError(
            f"invalid settings: api_url {url!r} has a backslash, a space or a "
            "control character"
        )
    if "?" in url or "#" in url:
        raise InvalidConfigError(
            f"invalid settings: api_url {url!r} must have no query string (?) "
            "or fragment (#)"
        )
    try:
        connects = parse_url(url)
        split = urlsplit(url)
        port = split.port
    except (LocationParseError, ValueError):
        raise InvalidConfigError(
            f"invalid settings: api_url {url!r} is not a URL"
        ) from None
    host = (connects.host or "").lower()
    if (connects.scheme, host.strip("[]"), connects.port) != (
        split.scheme,
        split.hostname or "",
        port,
    ):
        raise InvalidConfigError(
            f"invalid settings: api_url {url!r} is ambiguous (URL parsers read "
            "its host differently)"
        )
    if split.scheme == "http" and not _is_loopback(split.hostname or ""):
        raise InvalidConfigError(
            f"invalid settings: api_url http://{host} would send the password in "
            "clear text; use https://"
        )


def _check_user_agent(value: str) -> None:
    """Refuse a User-Agent requests or http.client would fail to send."""
    try:
        check_header_validity(("User-Agent", value))
        value.encode("latin-1")
    except (InvalidHeader, UnicodeEncodeError):
        raise InvalidConfigError(
            "invalid settings: user_agent must be one line of Latin-1 text with no "
            "leading space"
        ) from None


def api_host(url: str) -> str:
    """The host of a checked ``api_url``, lower case, IPv6 without brackets."""
    return (urlsplit(url).hostname or "").lower()


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
