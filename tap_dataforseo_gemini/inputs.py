"""The files named on the command line, checked before the SDK reads them."""

from __future__ import annotations

import json
import typing as t

from singer_sdk.singerlib import Catalog

from tap_dataforseo_gemini.errors import InvalidInputError, InvalidStateError

#: Command-line options that name a JSON file.
FILE_OPTIONS = ("--config", "--state", "--catalog")


def check_files(args: t.Sequence[str]) -> None:
    """Refuse a missing, unreadable or malformed config, state or catalog file."""
    for option, path in _files(args):
        try:
            with open(path, encoding="utf-8") as file:
                value = json.load(file)
        except FileNotFoundError:
            raise InvalidInputError(f"{option} file {path} does not exist") from None
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or type(exc).__name__
            raise InvalidInputError(
                f"{option} file {path} cannot be read: {reason}"
            ) from None
        except json.JSONDecodeError as exc:
            raise InvalidInputError(
                f"{option} file {path} is not JSON: {exc.msg} at line {exc.lineno} "
                f"column {exc.colno}"
            ) from None
        if not isinstance(value, dict):
            raise InvalidInputError(f"{option} file {path} must hold a JSON object")


def check_state(state: dict[str, t.Any]) -> None:
    """Refuse state whose ``bookmarks`` is not an object of objects."""
    bookmarks = state.get("bookmarks", {})
    if not isinstance(bookmarks, dict):
        raise InvalidStateError("invalid state: bookmarks must be a JSON object")
    for stream, bookmark in bookmarks.items():
        if not isinstance(bookmark, dict):
            raise InvalidStateError(
                f"invalid state: bookmarks.{stream} must be a JSON object"
            )


def check_catalog(catalog: dict[str, t.Any]) -> None:
    """Refuse a catalog the SDK cannot read as one (a traceback otherwise)."""
    streams = catalog.get("streams")
    if not isinstance(streams, list) or not all(
        isinstance(stream, dict)
        and isinstance(stream.get("tap_stream_id"), str)
        and isinstance(stream.get("schema", {}), dict)
        and isinstance(stream.get("metadata", []), list)
        for stream in streams
    ):
        raise InvalidInputError(
            "invalid catalog: streams must list objects, each with a tap_stream_id, "
            "a schema object and a metadata list"
        )
    try:
        Catalog.from_dict(catalog)  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidInputError(
            f"invalid catalog: {type(exc).__name__} {exc}"
        ) from None


def _files(args: t.Sequence[str]) -> t.Iterator[tuple[str, str]]:
    """``(option, path)`` for each file option, as ``--opt path`` or ``--opt=path``."""
    for index, arg in enumerate(args):
        option, equals, value = arg.partition("=")
        if option not in FILE_OPTIONS:
            continue
        path = value if equals else (args[index + 1] if index + 1 < len(args) else "")
        if path and not (option == "--config" and path == "ENV"):
            yield option, path
