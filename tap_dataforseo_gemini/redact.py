"""Keep a secret out of every log line, whatever logs it."""

from __future__ import annotations

import logging

MASK = "********"


class SecretFilter(logging.Filter):
    """Replace a secret in a log record's message with a mask."""

    def __init__(self, secret: str) -> None:
        """Mask ``secret`` (ignored when empty)."""
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record if its message holds the secret; never drop it."""
        if self.secret:
            message = record.getMessage()
            if self.secret in message:
                record.msg = message.replace(self.secret, MASK)
                record.args = None
        return True


def install(secret: str) -> None:
    """Mask the secret on every handler of the root logger and of named loggers."""
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    for logger in loggers:
        for handler in logger.handlers:
            if not any(
                isinstance(f, SecretFilter) and f.secret == secret
                for f in handler.filters
            ):
                handler.addFilter(SecretFilter(secret))
