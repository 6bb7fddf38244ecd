"""The API's clock: "now" as DataForSEO sees it, from its answers' ``Date`` header.

``id_list`` refuses a ``datetime_to`` later than the API's now, and the ledger's
times are the API's; comparing them with the machine's clock loses tasks when the
two disagree by minutes.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

#: A skew larger than this is worth one log line.
NOTABLE_SKEW = timedelta(minutes=1)


def parse_date(header: str | None) -> datetime | None:
    """The time of an HTTP ``Date`` header, or None when absent or unreadable."""
    if not header:
        return None
    try:
        parsed = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed


class ApiClock:
    """The API's time, as the machine's clock plus the skew its answers showed.

    The ``Date`` header has whole seconds and is written before the answer
    travels, so the estimate is never later than the API's own clock.
    """

    def __init__(self) -> None:
        """Start with no answer seen: the machine's clock until one comes."""
        self._skew: timedelta | None = None
        self._told = False
        self._lock = threading.Lock()

    def observe(self, header: str | None, received: datetime | None = None) -> bool:
        """Take the skew from an answer's ``Date``; True the first time it is large."""
        sent = parse_date(header)
        if sent is None:
            return False
        skew = sent - (received or datetime.now(UTC))
        with self._lock:
            self._skew = skew
            tell = not self._told and abs(skew) > NOTABLE_SKEW
            self._told = self._told or tell
        return tell

    @property
    def skew(self) -> timedelta | None:
        """The API's clock less the machine's; None until an answer had a ``Date``."""
        return self._skew

    def now(self) -> datetime:
        """The API's current time (the machine's when no ``Date`` was seen)."""
        return datetime.now(UTC) + (self._skew or timedelta(0))
