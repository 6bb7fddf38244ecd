"""Keep the password, in every form it travels in, out of every line printed."""

from __future__ import annotations

import base64
import io
import json
import logging
import typing as t
from urllib.parse import quote, quote_plus

MASK = "********"
MASK_BYTES = MASK.encode()


def forms(login: str, password: str) -> list[str]:
    """The password as sent and printed: raw, Basic-auth base64, URL- and JSON-encoded.

    Longest first, so a form that holds another is masked whole.
    """
    if not password:
        return []
    basic = f"{login}:{password}".encode("latin-1", "replace")
    found = {
        password,
        base64.b64encode(basic).decode(),
        quote(password, safe=""),
        quote_plus(password),
        json.dumps(password)[1:-1],
    }
    return sorted(found, key=len, reverse=True)


def in_json(text: str) -> list[bytes]:
    """``text`` as written inside a JSON string: escaped once, and twice.

    Twice: JSON text kept in a string, as ``raw_answer`` is. Non-ASCII written
    as UTF-8 and as escapes.
    """
    found = set()
    for ensure_ascii in (True, False):
        once = json.dumps(text, ensure_ascii=ensure_ascii)[1:-1]
        twice = json.dumps(once, ensure_ascii=ensure_ascii)[1:-1]
        found |= {once.encode(), twice.encode()}
    return sorted(found, key=len, reverse=True)


class Mask:
    """Replace each secret form in a text, or in a line of JSON, with ``MASK``."""

    def __init__(self, secrets: list[str]) -> None:
        """Mask these texts (empty ones are ignored)."""
        self.secrets = [secret for secret in secrets if secret]
        in_lines = {form for secret in self.secrets for form in in_json(secret)}
        #: The secrets as a line of JSON holds them: only inside its strings.
        self.in_lines = sorted(in_lines, key=len, reverse=True)
        raw_forms = in_lines | {secret.encode() for secret in self.secrets}
        self.raw_forms = sorted(raw_forms, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        """The text with every secret masked."""
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def raw(self, data: bytes) -> bytes:
        """Bytes with every secret masked, as UTF-8 and in its JSON escapes.

        For an answer kept whole (base64) because it is not text: encoded, the
        secrets in it would pass every later mask unseen.
        """
        for secret in self.raw_forms:
            if secret in data:
                data = data.replace(secret, MASK_BYTES)
        return data

    def line(self, data: bytes) -> bytes:
        """A line of JSON with every secret in its strings masked.

        For Singer messages and journal entries: a secret can only be inside a
        JSON string, escaped, so only its escaped forms are searched.
        The line stays valid JSON. Cheap when no secret is in it: one substring
        search per form.
        """
        for secret in self.in_lines:
            if secret in data:
                data = data.replace(secret, MASK_BYTES)
        return data


class SecretFilter(logging.Filter):
    """Mask secrets in a log record's message and in its traceback."""

    def __init__(self, mask: Mask) -> None:
        """Mask log records with ``mask``."""
        super().__init__()
        self.mask = mask

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record with its secrets masked; never drop it."""
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
            record.exc_text = None
        if record.stack_info:
            message += "\n" + record.stack_info
            record.stack_info = None
        record.msg = self.mask(message)
        record.args = None
        return True


#: The run's mask; every line the tap writes passes through it: Singer
#: messages (``shutdown.Writer``), stderr (``MaskedStream``) and log records.
current = Mask([])


def mask_text(text: str) -> str:
    """A text with the run's secrets masked: for any file or line a command writes."""
    return current(text)


def mask_json_line(data: bytes) -> bytes:
    """A line of JSON with the run's secrets masked inside its strings."""
    return current.line(data)


class MaskedStream(io.TextIOBase):
    """A text stream (stderr) that masks the run's secrets in all it writes.

    It catches what bypasses logging: a thread's traceback, a warning, a print.
    """

    def __init__(self, stream: t.TextIO) -> None:
        """Write to ``stream``."""
        super().__init__()
        self.stream = stream

    def write(self, text: str) -> int:
        """Write the text masked; the count is of the text given."""
        self.stream.write(current(text))
        return len(text)

    def flush(self) -> None:
        """Flush the stream."""
        self.stream.flush()

    def fileno(self) -> int:
        """The stream's file descriptor."""
        return self.stream.fileno()

    def isatty(self) -> bool:
        """Whether the stream is a terminal."""
        return self.stream.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        """The stream's encoding."""
        return getattr(self.stream, "encoding", "utf-8")


def install(login: str, password: str) -> Mask:
    """Mask the password's forms on every handler of every logger, and in main()."""
    global current  # noqa: PLW0603 - one mask for the process, as for its loggers
    current = Mask(current.secrets + forms(login, password))
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    for logger in loggers:
        for handler in logger.handlers:
            handler.filters = [
                f for f in handler.filters if not isinstance(f, SecretFilter)
            ]
            handler.addFilter(SecretFilter(current))
    return current
