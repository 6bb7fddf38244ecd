"""The write-ahead journal: an intent before each ``task_post``, its outcome after.

One JSON object a line, appended and flushed to disk before the next step, so a
crash at any point leaves either no intent (nothing was sent), an intent alone
(the outcome is unknown: ask ``id_list``), or an intent and its outcome. The file
is locked while a run uses it: two runs of one prompt set never post at once.
"""

from __future__ import annotations

import fcntl
import json
import os
import stat
import typing as t
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from tap_dataforseo_gemini import redact
from tap_dataforseo_gemini.delivery import SETTLE

if t.TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from types import TracebackType

#: An intent was written and no outcome yet: the task may or may not exist.
UNKNOWN = "unknown"
#: The API created the task (or ``id_list`` shows it): never post it again.
POSTED = "posted"
#: The API refused it, or ``id_list`` shows it was never created: it may be posted.
NOT_POSTED = "not_posted"
#: The least time ``id_list`` must miss an intent's task before it counts as never
#: created. DataForSEO documents no delay for ``id_list`` to list a new task (only
#: that ``tasks_ready`` follows "with a small delay" and that one call may run for
#: up to 120 s), and a ``task_post`` of a killed run may still be carried out: so
#: the tap's own trust in ``id_list``, five minutes (``delivery.SETTLE``).
SETTLE_FLOOR = SETTLE


def absent_before(settle_seconds: float, now: datetime) -> datetime:
    """Intents before this, their tasks not in ``id_list``, were never created.

    ``settle_seconds`` ago, and never less than :data:`SETTLE_FLOOR` ago.
    """
    return now - max(timedelta(seconds=settle_seconds), SETTLE_FLOOR)


#: ``id_list`` shows a posted task finished and what it was charged in the end.
SETTLED = "settled"


class JournalLockedError(RuntimeError):
    """Another run holds the journal."""


class CorruptJournalError(ValueError):
    """A journal line is not one this program wrote."""


class UnusableJournalError(OSError):
    """The journal's path is not a file this program can keep a journal in."""


@dataclass
class Entry:
    """What the journal knows of one tag."""

    outcome: str
    intended_at: datetime
    id: str | None = None
    #: What ``task_post`` charged the task, USD (None: unknown).
    cost: float | None = None
    #: What it was charged in the end, once ``id_list`` shows it finished, USD.
    settled: float | None = None


class Journal:
    """The journal of one prompt set, open and locked for one run."""

    def __init__(self, path: Path) -> None:
        """Open (creating it and its folder if need be) and lock the journal.

        Raises:
            UnusableJournalError: the path is a folder, a device, unwritable...
            JournalLockedError: another run has it open.
            CorruptJournalError: a line other than a torn last one is unreadable.
        """
        self.path = path
        self._file = _locked(path)
        while not _same_file(self._file, path):
            # A run pruning the journal renamed a new file over the one opened.
            self._file.close()
            self._file = _locked(path)
        try:
            self.entries = self._read()
        except CorruptJournalError:
            self._file.close()
            raise

    def _read(self) -> dict[str, Entry]:
        self._file.seek(0)
        try:
            text = self._file.read()
        except UnicodeDecodeError:
            raise CorruptJournalError(f"{self.path} is not UTF-8 text") from None
        *lines, last = text.split("\n")
        entries: dict[str, Entry] = {}
        for number, line in enumerate(lines, start=1):
            try:
                _apply(entries, json.loads(line))
            except (ValueError, KeyError, TypeError):
                raise CorruptJournalError(
                    f"{self.path}, line {number}: not a journal entry"
                ) from None
        if last:
            self._mend(entries, last)
        return entries

    def _mend(self, entries: dict[str, Entry], last: str) -> None:
        """End a last line a crash left without its newline.

        A whole event is kept; a torn one never happened and is cut off.
        """
        try:
            _apply(entries, json.loads(last))
        except (ValueError, KeyError, TypeError):
            size = os.fstat(self._file.fileno()).st_size
            self._file.truncate(size - len(last.encode()))
        else:
            self._file.write("\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def tags_in(self, outcome: str) -> list[str]:
        """The tags whose latest outcome is ``outcome``."""
        return [tag for tag, entry in self.entries.items() if entry.outcome == outcome]

    def intend(self, tags: list[str]) -> None:
        """Record that these tasks are about to be posted (durably, before sending)."""
        now = datetime.now(UTC).isoformat()
        self._write([{"event": "intent", "tag": tag, "at": now} for tag in tags])

    def posted(self, tag: str, task_id: str, cost: float | None) -> None:
        """Record that the API created a task."""
        self._write([{"event": POSTED, "tag": tag, "id": task_id, "cost": cost}])

    def settled(self, tag: str, cost: float) -> None:
        """Record what a posted task was charged once it finished."""
        self._write([{"event": SETTLED, "tag": tag, "cost": cost}])

    def not_posted(self, tag: str, reason: str) -> None:
        """Record that a task was certainly not created."""
        self._write([{"event": NOT_POSTED, "tag": tag, "reason": reason}])

    def _write(self, events: list[dict[str, t.Any]]) -> None:
        """Append events durably; the API's words in them (reason, id) are masked.

        The tag is this program's own and the key of never twice: it is kept.
        """
        if not events:
            return
        events = [
            {
                key: redact.current(value)
                if key in _FROM_THE_API and isinstance(value, str)
                else value
                for key, value in event.items()
            }
            for event in events
        ]
        text = "".join(json.dumps(event, sort_keys=True) + "\n" for event in events)
        self._file.seek(0, os.SEEK_END)
        self._file.write(text)
        self._file.flush()
        os.fsync(self._file.fileno())
        for event in events:
            _apply(self.entries, event)

    def prune(self, keep: Callable[[str], bool]) -> int:
        """Keep only the tags ``keep`` accepts; how many tags went.

        The kept entries are written to a new file beside the journal, synced and
        locked, then renamed over it: a crash leaves the old journal or the new
        one, each whole.
        """
        gone = [tag for tag in self.entries if not keep(tag)]
        if not gone:
            return 0
        kept = {tag: e for tag, e in self.entries.items() if keep(tag)}
        spare = self.path.with_name(self.path.name + ".pruned")
        text = "".join(
            json.dumps(event, sort_keys=True) + "\n"
            for tag, entry in kept.items()
            for event in _events(tag, entry)
        )
        spare.write_text(text, encoding="utf-8")
        new = _locked(spare)
        os.fsync(new.fileno())
        spare.replace(self.path)
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        self._file.close()
        self._file = new
        self.entries = kept
        return len(gone)

    def close(self) -> None:
        """Unlock and close the journal."""
        self._file.close()

    def __enter__(self) -> Journal:
        """Use the journal in a ``with`` block."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the journal."""
        self.close()


#: Event fields whose text comes from the API's answers (a server may echo a secret).
_FROM_THE_API = frozenset({"id", "reason"})


def _open(path: Path) -> t.TextIO:
    """Open (creating it and its folder) a regular file for the journal.

    Anything else (a folder, ``/dev/null``, a FIFO) would lose what is written,
    and a journal that forgets posts twice.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        journal = path.open("a+", encoding="utf-8")
    except OSError as exc:
        raise UnusableJournalError(
            f"cannot use {path} as the journal ({exc.strerror or exc})"
        ) from None
    if not stat.S_ISREG(os.fstat(journal.fileno()).st_mode):
        journal.close()
        raise UnusableJournalError(
            f"cannot use {path} as the journal: it is not a regular file"
        )
    return journal


def _apply(entries: dict[str, Entry], event: dict[str, t.Any]) -> None:
    """Fold one event into what is known of its tag."""
    tag, kind = event["tag"], event["event"]
    if not isinstance(tag, str):
        raise TypeError(tag)
    if kind == "intent":
        entries[tag] = Entry(UNKNOWN, datetime.fromisoformat(event["at"]))
    elif kind == POSTED:
        cost = event.get("cost")
        entries[tag] = Entry(POSTED, _known(entries, tag), event["id"], _usd(cost))
    elif kind == SETTLED:
        entries[tag] = replace(entries[tag], settled=_usd(event["cost"]))
    elif kind == NOT_POSTED:
        entries[tag] = Entry(NOT_POSTED, _known(entries, tag))
    else:
        raise KeyError(kind)


def _locked(path: Path) -> t.IO[str]:
    """Open a journal file for appending and lock it, or say who holds it."""
    file = _open(path)
    try:
        fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        file.close()
        raise JournalLockedError(
            f"another dataforseo-prompts run is using {path}"
        ) from None
    return file


def _same_file(file: t.IO[str], path: Path) -> bool:
    """Whether an open file is still the one at ``path``."""
    try:
        return os.path.samestat(os.fstat(file.fileno()), os.stat(path))
    except FileNotFoundError:
        return False


def _events(tag: str, entry: Entry) -> list[dict[str, t.Any]]:
    """The events that make an entry again."""
    events: list[dict[str, t.Any]] = [
        {"event": "intent", "tag": tag, "at": entry.intended_at.isoformat()}
    ]
    if entry.outcome == POSTED:
        events.append({"event": POSTED, "tag": tag, "id": entry.id, "cost": entry.cost})
    if entry.settled is not None:
        events.append({"event": SETTLED, "tag": tag, "cost": entry.settled})
    if entry.outcome == NOT_POSTED:
        events.append({"event": NOT_POSTED, "tag": tag, "reason": "kept by pruning"})
    return events


def _usd(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if value is None:
        return None
    raise TypeError(value)


def _known(entries: dict[str, Entry], tag: str) -> datetime:
    entry = entries.get(tag)
    return entry.intended_at if entry else datetime.now(UTC)
