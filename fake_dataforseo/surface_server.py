"""The emulator's surface endpoints: tasks_ready, task_get/advanced, task_post.

A mixin of :class:`~fake_dataforseo.server.Emulator`: it works on the emulator's
ledger under its lock, as the LLM Responses endpoints do.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from . import payloads as p
from . import surfaces as s
from .ledger import STATUS_ANSWERS, Ledger, Task

if TYPE_CHECKING:
    from collections.abc import Callable

READY_WINDOW = timedelta(days=3)
STORAGE_WINDOW = timedelta(days=30)
READY_PAGE = 1000
MAX_POST_TASKS = 100
MSG_TOO_MANY_TASKS = "You can set no more than 100 tasks at a time."
MSG_NO_FUNDS = "Insufficient funds: the balance cannot cover this task."
MSG_COST_LIMIT = (
    "The cost limit has been exceeded. You can modify your cost limit in the user "
    "panel."
)


class SurfaceEndpoints:
    """Serve the LLM Scraper and AI Mode queues from the emulator's ledger."""

    # The emulator's, set in its __init__.
    seed: int
    charged: float
    cost_limit: float | None
    deposit: float
    _paid: list[str]
    _spent: Callable[[], float]
    _lock: threading.Lock
    _ledger: Ledger
    _answers: dict[str, bytes]
    _get_counts: dict[str, int]
    now: Callable[[], datetime]
    _create: Callable[..., Task]

    #: The shape of surface ``tasks_ready`` entries (``s.READY_VARIANTS``); None:
    #: each surface's own (``function`` for the scraper, ``se_type`` for AI Mode).
    ready_variant: str | None = None

    def surface_payload(self, name: str, key: str, arg: str, body: bytes) -> bytes:
        """The answer of a surface endpoint, serialized."""
        surface = s.SURFACES[key]
        started = time.monotonic()
        if name == "tasks_ready":
            payload = self._surface_tasks_ready(surface)
        elif name == "task_post":
            payload = self._surface_task_post(surface, body)
        else:
            answer = self._surface_task_get(surface, arg)
            if isinstance(answer, bytes):
                return answer
            payload = answer
        payload["time"] = p.time_text(time.monotonic() - started)
        return p.dumps(payload)

    def _surface_tasks_ready(self, surface: s.Surface) -> dict[str, Any]:
        variant = self.ready_variant or surface.ready_variant
        with self._lock:
            now = self.now()
            tasks = self._ledger.ready(surface.key, now - READY_WINDOW, now, READY_PAGE)
            items = [
                s.ready_item(surface, task.id, task.posted_at, task.tag, variant)
                for task in tasks
            ]
        task_obj = p.task_object(
            p.request_id(now),
            20000,
            "Ok.",
            path=[*surface.base.split("/"), "tasks_ready"],
            data={"api": surface.api, "function": "tasks_ready", "se": surface.se},
            result=items,
        )
        return p.envelope(20000, "Ok.", [task_obj])

    def _surface_task_get(self, surface: s.Surface, tid: str) -> dict[str, Any] | bytes:
        path = [*surface.base.split("/"), "task_get", "advanced", tid]
        with self._lock:
            now = self.now()
            task = self._ledger.tasks.get(tid)
            if task is None or task.se != surface.key or task.call_url:
                code, message, data = 40400, "Task Not Found.", {}
            elif now - task.posted_at > STORAGE_WINDOW:
                code, message, data = 40403, "Results Expired.", {}
            elif task.status != "done":
                code, message = STATUS_ANSWERS[task.status]
                data = s.task_data(surface, task.params)
            else:
                self._ledger.collect(task)
                self._get_counts[tid] = self._get_counts.get(tid, 0) + 1
                answer = self._answers.get(tid)
                if answer is not None:
                    return answer
                assert task.done_at is not None
                rng = p.task_rng(self.seed, task.seq, "answer")
                done = s.task_get_task(surface, tid, task.params, task.done_at, rng)
                return p.envelope(20000, "Ok.", [done])
        failed = p.task_object(tid, code, message, path=path, data=data, result=None)
        return p.envelope(20000, "Ok.", [failed])

    def _surface_task_post(self, surface: s.Surface, body: bytes) -> dict[str, Any]:
        try:
            items = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            items = None
        if not isinstance(items, list) or not items:
            return p.envelope(40503, "POST Data Is Invalid.", [])
        path = [*surface.base.split("/"), "task_post"]
        out: list[dict[str, Any]] = []
        total = 0.0
        with self._lock:
            now = self.now().replace(microsecond=0)
            spent = self._spent()
            for position, item in enumerate(items):
                params = item if isinstance(item, dict) else {}
                data = s.task_data(surface, params)
                refusal = self._surface_refusal(surface, item, position, spent)
                if refusal is not None:
                    code, message = refusal
                    refused = {"path": path, "data": data, "result": None}
                    out.append(
                        p.task_object(p.request_id(now), code, message, **refused)
                    )
                    continue
                price = s.cost(surface, params)
                task = self._create(
                    se=surface.key,
                    params=dict(params),
                    posted_at=now,
                    status="done",
                    postback=bool(params.get("postback_url")),
                    now=now,
                )
                self._paid.append(task.id)
                spent += price
                self.charged = round(self.charged + price, 6)
                total += price
                created = {"path": path, "data": data, "result": None, "cost": price}
                out.append(p.task_object(task.id, 20100, "Task Created.", **created))
        return p.envelope(20000, "Ok.", out, cost=round(total, 6))

    def _surface_refusal(
        self, surface: s.Surface, item: Any, position: int, spent: float
    ) -> tuple[int, str] | None:
        if position >= MAX_POST_TASKS:
            return 40006, MSG_TOO_MANY_TASKS
        field = s.invalid_field(surface, item)
        if field is not None:
            return 40501, f"Invalid Field: '{field}'."
        price = s.cost(surface, item)
        limit = self.cost_limit
        if limit is not None and self.charged + price > limit + 1e-9:
            return 40203, MSG_COST_LIMIT
        if self.deposit - spent < price - 1e-9:
            return 40210, MSG_NO_FUNDS
        return None
