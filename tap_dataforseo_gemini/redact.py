"""Keep the password, in every form it travels in, out of every line printed."""

from __future__ import annotations

import base64
import json
import logging
from urllib.parse import quote, quote_plus

MASK = "********"


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


class Mask:
    """Replace each secret form in a text with ``MASK``."""

    def __init__(self, secrets: list[str]) -> None:
        """Mask these texts (empty ones are ignored)."""
        self.secrets = [secret for secret in secrets if secret]

    def __call__(self, text: str) -> str:
        """The text with every secret masked."""
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text


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


#: The run's mask; main() passes every line it prints through it.
current = Mask([])


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
