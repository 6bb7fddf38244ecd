"""``task_post``, ``id_list`` and ``models`` for ``dataforseo-prompts``.

Auth, pacing, envelope checks and retries are the API client's
(:class:`~tap_dataforseo_gemini.api.client.Client`); ``task_post`` is an
at-most-once endpoint there: retried only when the API refused it whole (rate
limit 40202) or it never left this machine. An answer lost any other way
(timeout, reset, 5xx, 50000, a garbled body) may hide created tasks: it raises
:class:`~tap_dataforseo_gemini.errors.UnknownOutcomeError` and the caller
asks ``id_list``.
"""

from __future__ import annotations

import typing as t
from datetime import datetime, timedelta
from functools import partial

from tap_dataforseo_gemini import envelope
from tap_dataforseo_gemini.ledger import pages

if t.TYPE_CHECKING:
    from tap_dataforseo_gemini.api.client import Client

#: Created: the only task_post status that means a task exists.
TASK_CREATED = 20100
#: task_post accepts at most this many tasks a call; extras get 40006.
MAX_TASKS = 100
#: How far back ``id_list`` answers with ``include_metadata`` (a month), less a
#: margin for rounding and clock estimates.
METADATA_REACH = timedelta(days=30) - timedelta(hours=1)


class PromptsClient:
    """What ``dataforseo-prompts`` asks the API, over the run's API client."""

    def __init__(self, client: Client) -> None:
        """Ask through ``client``."""
        self.client = client

    def task_post(self, llm: str, tasks: list[dict[str, t.Any]]) -> dict[str, t.Any]:
        """Post up to 100 tasks to one LLM; the checked envelope of the answer."""
        if not 1 <= len(tasks) <= MAX_TASKS:
            raise ValueError(f"task_post takes 1 to {MAX_TASKS} tasks a call")
        return self.client.send("task_post", tasks, llm=llm)

    def models(self, llm: str) -> list[dict[str, t.Any]]:
        """The models list of one LLM."""
        return envelope.result_items(self.client.send("models", llm=llm), "models")

    def user_data(self) -> dict[str, t.Any]:
        """The account's ``user_data`` result (its ``money``...); {} if it has none."""
        items = envelope.result_items(self.client.send("user_data"), "user_data")
        return items[0] if items and isinstance(items[0], dict) else {}

    def posted_tags(self, since: datetime, prefix: str) -> dict[str, dict[str, t.Any]]:
        """``id_list`` since ``since``: id_list items by their ``tag``, if it starts so.

        Times are the API's (its ``Date`` headers); the window starts a little
        inside the month ``id_list`` allows with ``include_metadata``.

        Raises:
            EndpointNotFoundError: the API has no ``id_list``.
        """
        until = self.client.shared.api_clock.now()
        since = max(since, until - METADATA_REACH)
        found: dict[str, dict[str, t.Any]] = {}
        send = partial(self.client.send, "id_list")
        for page in pages(send, since, until, include_metadata=True):
            for _, item in page:
                metadata = item.get("metadata") if isinstance(item, dict) else None
                tag = metadata.get("tag") if isinstance(metadata, dict) else None
                if isinstance(tag, str) and tag.startswith(prefix):
                    found[tag] = item
        return found
