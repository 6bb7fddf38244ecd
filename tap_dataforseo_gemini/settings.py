"""Checks on settings the settings schema cannot express, each failing with one line."""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
import typing as t
from datetime import datetime
from urllib.parse import urlsplit

from tap_dataforseo_gemini.errors import InvalidConfigError

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


def check_secrets(config: dict[str, t.Any], schema: dict[str, t.Any]) -> None:
    """Refuse a secret setting that is not text, without echoing its value."""
    for name, spec in schema["properties"].items():
        if spec.get("secret") and name in config and not isinstance(config[name], str):
            raise InvalidConfigError(
                f"invalid settings: {name} must be a string "
                "(quote it in JSON or YAML; its value is not shown)"
            )


def check_values(config: dict[str, t.Any]) -> None:
    """Check the API URL's scheme, the start date, and the login for Basic auth."""
    _check_api_url(config.get("api_url") or "")
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
