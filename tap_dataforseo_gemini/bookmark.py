"""The ``llm_responses`` bookmark: pending task ids and the ledger watermark.

Its size does not grow with the number of tasks ever collected: it holds the ids
listed but not yet delivered, two timestamps, and the LLM and API host it belongs
to (a state written for another LLM or host is refused, not consumed).
"""

from __future__ import annotations

import typing as t

from tap_dataforseo_gemini.errors import InvalidStateError

if t.TYPE_CHECKING:
    from collections.abc import Iterable


class Bookmark:
    """A view over the stream's state dict that the SDK writes in STATE messages."""

    def __init__(self, state: dict[str, t.Any], llm: str, api_host: str) -> None:
        """Wrap (and check) the stream state; nothing is copied.

        State without ``llm`` and ``api_host`` (written by an older version) is
        taken as this run's and gets them.
        """
        owner = mismatch(state, llm, api_host)
        if owner:
            raise InvalidStateError(
                f"invalid state: it belongs to {owner}, this run reads llm {llm} "
                f"at {api_host}: give this extractor its own state"
            )
        state.setdefault("llm", llm)
        state.setdefault("api_host", api_host)
        pending = state.setdefault("pending", [])
        if not isinstance(pending, list) or not all(
            isinstance(i, str) for i in pending
        ):
            raise InvalidStateError(
                "invalid state: bookmarks.llm_responses.pending must list task ids"
            )
        self._state = state
        self._pending = set(pending)

    @property
    def pending(self) -> list[str]:
        """Ids listed by an earlier run and not yet delivered, oldest first."""
        return list(self._state["pending"])

    def is_pending(self, task_id: str) -> bool:
        """Tell whether a task is waiting in the bookmark."""
        return task_id in self._pending

    def add(self, task_ids: Iterable[str]) -> None:
        """Mark tasks pending: they will be collected in a later run."""
        for task_id in task_ids:
            if task_id not in self._pending:
                self._pending.add(task_id)
                self._state["pending"].append(task_id)

    def deliver(self, task_id: str) -> None:
        """A task's record is out: it leaves the pending list."""
        if task_id in self._pending:
            self._pending.discard(task_id)
            self._state["pending"].remove(task_id)

    @property
    def ledger(self) -> object:
        """The saved ``id_list`` watermark, as stored."""
        return self._state.get("ledger")

    @ledger.setter
    def ledger(self, value: dict[str, str | None]) -> None:
        self._state["ledger"] = value


def mismatch(state: dict[str, t.Any], llm: str, api_host: str) -> str | None:
    """Name the LLM and host a state belongs to when they are not this run's."""
    saved_llm = state.get("llm", llm)
    saved_host = state.get("api_host", api_host)
    if (saved_llm, saved_host) == (llm, api_host):
        return None
    return f"llm {saved_llm} at {saved_host}"
