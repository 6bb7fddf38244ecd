"""The files named on the command line, each read once and checked before use.

Read once, so pipes, process substitution (``<(...)``) and FIFOs work: the SDK
would read each file a second time and find a pipe empty.
"""

from __future__ import annotations

import decimal
import io
import json
import sys
import typing as t

import click
from singer_sdk.plugin_base import _ConfigInput
from singer_sdk.singerlib import Catalog

from tap_dataforseo_gemini.errors import InvalidInputError, InvalidStateError

#: Command-line options that name a JSON file.
FILE_OPTIONS = ("--config", "--state", "--catalog")
#: JSON nested deeper than this is refused: no setting, state or catalog needs
#: it, and parsers and validators end in ``RecursionError`` on deep enough JSON.
MAX_DEPTH = 64

#: The text of each file of this command line, by path, as read by ``check_files``.
_texts: dict[str, str] = {}


def check_files(args: t.Sequence[str]) -> None:
    """Read and check the config, state and catalog files, each once.

    A missing, unreadable or malformed file ends the run with one line.
    """
    _texts.clear()
    for option, path in _files(args):
        if path not in _texts:
            _texts[path] = _read(option, path)
        value = parse_json(_texts[path], f"{option} file {path}")
        if not isinstance(value, dict):
            raise InvalidInputError(f"{option} file {path} must hold a JSON object")


def load(option: str, path: str) -> dict[str, t.Any]:
    """A file's JSON object: the text ``check_files`` read, else the file read now."""
    text = _texts[path] if path in _texts else _read(option, path)
    value = parse_json(text, f"{option} file {path}")
    if not isinstance(value, dict):
        raise InvalidInputError(f"{option} file {path} must hold a JSON object")
    return value


def config_files(
    ctx: click.Context, param: click.Parameter, value: t.Sequence[str]
) -> _ConfigInput:
    """The ``--config`` files merged in order, each read once.

    ``ENV`` adds the environment's settings. The SDK's callback would read each
    file a second time.
    """
    config: dict[str, t.Any] = {}
    for path in value:
        if path != "ENV":
            config |= load("--config", path)
    return _ConfigInput(config=config, parse_env="ENV" in value)


class ReadOnce(click.ParamType):
    """A file option's value as the text read once, for the SDK to parse."""

    name = "filename"

    def convert(
        self, value: t.Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> io.StringIO:
        """The file's text; the SDK reads it with ``.read()`` as an open file."""
        if isinstance(value, io.StringIO):
            return value
        option = f"--{param.name}" if param is not None else "file"
        text = _texts[value] if value in _texts else _read(option, value)
        return io.StringIO(text)


def parse_json(text: str, what: str) -> t.Any:
    """JSON text as the SDK reads it (fractions as ``Decimal``), nested at most 64 deep.

    ``what`` names the text in the error line.
    """
    too_deep = InvalidInputError(f"{what} is nested more than {MAX_DEPTH} levels deep")
    try:
        value = json.loads(
            text, parse_float=decimal.Decimal, parse_constant=_no_constant
        )
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"{what} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise too_deep from None
    if _deeper_than(value, MAX_DEPTH):
        raise too_deep
    return value


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


def _read(option: str, path: str) -> str:
    """A file's whole text, read once (``-`` is stdin)."""
    try:
        if path == "-":
            return sys.stdin.read()
        with open(path, encoding="utf-8") as file:
            return file.read()
    except FileNotFoundError:
        raise InvalidInputError(f"{option} file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise InvalidInputError(
            f"{option} file {path} cannot be read: {reason}"
        ) from None


def _no_constant(name: str) -> t.NoReturn:
    """Refuse NaN and Infinity, which JSON does not have."""
    raise json.JSONDecodeError(f"{name} is not a JSON number", name, 0)


def _deeper_than(value: object, limit: int) -> bool:
    """Whether JSON containers nest more than ``limit`` deep (no recursion)."""
    level = [value]
    for _ in range(limit):
        level = [
            child
            for item in level
            if isinstance(item, dict | list)
            for child in (item.values() if isinstance(item, dict) else item)
        ]
        if not level:
            return False
    return any(isinstance(item, dict | list) for item in level)


def _files(args: t.Sequence[str]) -> t.Iterator[tuple[str, str]]:
    """``(option, path)`` for each file option, as ``--opt path`` or ``--opt=path``."""
    for index, arg in enumerate(args):
        option, equals, value = arg.partition("=")
        if option not in FILE_OPTIONS:
            continue
        path = value if equals else (args[index + 1] if index + 1 < len(args) else "")
        if path and not (option == "--config" and path == "ENV"):
            yield option, path
