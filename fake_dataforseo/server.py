"""HTTP server and in-process control API of the DataForSEO emulator."""

from __future__ import annotations

import base64
import binascii
import contextlib
import email.utils
import gzip
import heapq
import hmac
import json
import random
import socket
import socketserver
import sys
import threading
import time
import traceback
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, NamedTuple, Self
from urllib.parse import unquote

from . import payloads as p
from . import post_rules, surfaces
from .faults import SPOILING, Fault, gzip_bomb, spoil
from .ledger import STATUS_ANSWERS, STATUSES, Ledger, Task
from .surface_server import SurfaceEndpoints

READY_WINDOW = timedelta(days=3)
STORAGE_WINDOW = timedelta(days=30)
#: id_list refuses a datetime_from older than this (without metadata).
ID_LIST_WINDOW = timedelta(days=180)
#: The task id the sandbox answers task_get with, whatever id is asked for.
SANDBOX_TASK_ID = "00000000-0000-0000-0000-000000000000"
MSG_NO_DATA = "No Prepared Data Found. Please Contact Our Support Team."
READY_PAGE = 1000
MAX_POST_TASKS = 100
ID_LIST_MAX_LIMIT = 1000

MSG_UNAUTHORIZED = (
    "You are not authorized to access this resource. "
    "Please check your login and password."
)
MSG_RATE_LIMIT = "Rate-limit per minute exceeded."
MSG_TOO_MANY_IN_FLIGHT = "Too many simultaneous requests."
MSG_TOO_MANY_TASKS = "You can set no more than 100 tasks at a time."
MSG_BAD_POST = "POST Data Is Invalid."
MSG_NO_FUNDS = "Insufficient funds: the balance cannot cover this task."
MSG_COST_LIMIT = (
    "The cost limit has been exceeded. You can modify your cost limit in the user "
    "panel."
)

_BASE = {"api": p.API, "function": p.FUNCTION}
#: Fault -> (HTTP status, body status_code, status_message, tasks).
_FAULT_ENVELOPES: dict[Fault, tuple[int, int, str, list[Any] | None]] = {
    Fault.HTTP_500: (500, 50000, "Internal Error.", None),
    Fault.INTERNAL_50000: (200, 50000, "Internal Error.", []),
    Fault.RATE_LIMIT_40202: (200, 40202, MSG_RATE_LIMIT, []),
    Fault.HTTP_402: (402, 40200, "Payment Required.", None),
    Fault.ACCOUNT_BLOCKED_40201: (
        200,
        40201,
        "Our algorithms found suspicious activity in your DataForSEO account. "
        "It has been temporarily blocked.",
        [],
    ),
    Fault.COST_LIMIT_40203: (200, 40203, MSG_COST_LIMIT, []),
    Fault.IP_NOT_WHITELISTED_40207: (
        200,
        40207,
        "Access denied. Your IP is not whitelisted.",
        [],
    ),
    Fault.TOO_MANY_IN_FLIGHT_40209: (200, 40209, MSG_TOO_MANY_IN_FLIGHT, []),
    Fault.NOT_IMPLEMENTED_50100: (200, 50100, "Not Implemented.", []),
    Fault.INVALID_PATH_40402: (200, 40402, "Invalid Path.", []),
    Fault.NO_DATA_40404: (200, 40404, MSG_NO_DATA, []),
    Fault.WRONG_SHAPE: (200, 20000, "Ok.", None),
}


class RequestRecord(NamedTuple):
    """One handled request, as kept in `Emulator.requests`."""

    start: float
    end: float
    method: str
    path: str
    status_code: int | None


class _Reply(NamedTuple):
    http_status: int
    body: bytes
    status_code: int | None
    limit: int | str
    remaining: int | str
    content_type: str = "application/json"
    cache: list[bytes | None] | None = None
    headers: tuple[tuple[str, str], ...] = ()


class Emulator(SurfaceEndpoints):
    """A local DataForSEO AI Optimization API with a task ledger and faults."""

    def __init__(  # noqa: PLR0915, PLR0917 - one documented attribute per knob
        self,
        seed: int = 0,
        login: str = "login",
        password: str = "secret-pass",
        latency: float = 0.0,
        latency_jitter: float = 0.0,
        answer_bytes: int = 2000,
        rate_limit_per_minute: int = 10000,
        tasks_ready_limit_per_minute: int = 20,
        id_list_limit_per_minute: int = 10,
        rate_window_seconds: float = 60.0,
        id_list_enabled: bool = True,
        port: int = 0,
        clock_offset: timedelta = timedelta(0),
        sandbox: bool = False,
        *,
        rate_limit_headers: bool = True,
        max_concurrent: int = 0,
    ) -> None:
        """Configure the emulator; `start()` opens the socket on 127.0.0.1.

        `clock_offset` sets the virtual clock ahead of (or behind) the real one;
        answers carry it in their `Date` header. `sandbox` answers as the vendor's
        sandbox: dummy data for task id 0000…, other ids answered with that one,
        id_list 40404.
        """
        self.seed = seed
        self.login = login
        self.password = password
        self.latency = latency
        self.latency_jitter = latency_jitter
        self.answer_bytes = answer_bytes
        self.rate_limit_per_minute = rate_limit_per_minute
        self.tasks_ready_limit_per_minute = tasks_ready_limit_per_minute
        self.id_list_limit_per_minute = id_list_limit_per_minute
        self.rate_window_seconds = rate_window_seconds
        self.id_list_enabled = id_list_enabled
        #: Send X-RateLimit-Limit and -Remaining (the API may not, on every call).
        self.rate_limit_headers = rate_limit_headers
        #: Requests handled at once before more are answered 40209 (0: no cap).
        self.max_concurrent = max_concurrent
        #: The Retry-After header of Fault.HTTP_429: seconds or an HTTP date.
        self.retry_after = "1"
        self.sandbox = sandbox
        #: Status of tasks created by HTTP task_post: done, queued, handed, failed.
        self.post_status = "done"
        #: Seconds a task posted "done" waits in the queue (40602) before it is done.
        self.post_delay_seconds = 0.0
        #: Or, when set, that wait drawn per task from its sequence number.
        self.post_delays: Callable[[int], float] | None = None
        #: What task_post charges a created task, USD (base fee plus advance).
        self.post_cost = p.POST_COST
        #: A cost limit user_data does not show, USD: tasks past it get 40203.
        self.cost_limit: float | None = None
        #: The daily spending cap user_data shows, USD: tasks past it get 40203.
        self.day_limit: float | None = None
        #: Everything task_post has charged since start (the advances), USD.
        self.charged = 0.0
        #: id_list writes a call's ``url`` with the API host (else path only).
        self.id_list_url_host = False
        #: The money deposited, USD: user_data's money.total; a task_post item
        #: the balance cannot cover gets 40210.
        self.deposit = 1000.0
        #: The providers' prices the emulator bills tasks at (see payloads.PRICES).
        self.prices = dict(p.PRICES)
        #: How long Fault.SLOW waits before the normal answer.
        self.slow_seconds = 5.0
        #: Fault.DRIP's pause between two bytes.
        self.drip_seconds = 0.1
        #: Fault.HUGE's body size, and how many of its bytes went out.
        self.huge_bytes = 100 * 1024 * 1024
        self.huge_bytes_sent = 0
        #: Fault.GZIP_BOMB's inflated size, and how many gzip bytes of it went out.
        self.bomb_bytes = 1 << 30
        self.bomb_bytes_sent = 0
        #: Memory budget of the task_get answer cache (raw plus gzip bytes).
        self.cache_bytes = 64 * 1024 * 1024
        #: Tracebacks of unexpected errors while handling requests (should stay []).
        self.errors: list[str] = []
        self._port = port
        self._lock = threading.Lock()
        self._ledger = Ledger(seed)
        self._offset = clock_offset
        self._answers: dict[str, bytes] = {}
        self._faults: list[list[Any]] = []
        self._windows: dict[str, deque[float]] = {
            "all": deque(),
            "tasks_ready": deque(),
            "id_list": deque(),
        }
        self._requests: list[RequestRecord] = []
        self._in_flight = 0
        self._max_in_flight = 0
        self._get_counts: dict[str, int] = {}
        self._cache: OrderedDict[tuple[str, int], list[bytes | None]] = OrderedDict()
        self._cache_used = 0
        self._jitter = random.Random(seed)
        self._due: list[tuple[datetime, int, str]] = []
        #: Ids of the tasks created by HTTP task_post: the ones the account pays.
        self._paid: list[str] = []
        #: Settled charges of done tasks, by id (a done task's charge is final).
        self._settled: dict[str, float] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> Self:
        """Bind 127.0.0.1 and serve from a daemon thread."""
        if self._server is not None:
            raise RuntimeError("the emulator is already started")
        self._server = _Server(("127.0.0.1", self._port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="dataforseo-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the listening socket and open connections."""
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.close_connections()
        if thread is not None:
            thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        """Start the server."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the server."""
        self.stop()

    @property
    def port(self) -> int:
        """The bound TCP port (after start)."""
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Base URL, e.g. "http://127.0.0.1:8765"."""
        return f"http://127.0.0.1:{self.port}"

    # --------------------------------------------------------------------- clock
    def now(self) -> datetime:
        """Return the virtual clock: real UTC now plus the advanced offset."""
        return datetime.now(UTC) + self._offset

    def advance_clock(self, delta: timedelta) -> None:
        """Move the virtual clock forward by `delta`; tasks due by then are done."""
        with self._lock:
            self._offset += delta
        self._complete_due()

    # --------------------------------------------------------------------- tasks
    def add_tasks(
        self,
        n: int,
        *,
        se: str = "gemini",
        status: str = "done",
        postback: bool = False,
        age: timedelta = timedelta(0),
        web_search: bool = True,
        tag: str = "",
    ) -> list[str]:
        """Create `n` tasks posted `age` ago; return their ids.

        `se` is an LLM (LLM Responses) or a surface key (`surfaces.SURFACES`).
        """
        if se not in (*p.SES, *surfaces.SURFACES):
            raise ValueError(f"unknown se {se!r}; expected one of {p.SES}")
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}; expected one of {STATUSES}")
        if n < 0:
            raise ValueError("n must be >= 0")
        ids: list[str] = []
        with self._lock:
            now = self._now_s()
            posted_at = (now - age).replace(microsecond=0)
            for _ in range(n):
                rng = p.task_rng(self.seed, self._ledger.next_seq(), "params")
                params = (
                    surfaces.make_params(se, rng, tag=tag, postback=postback)
                    if se in surfaces.SURFACES
                    else p.make_params(
                        rng, se, web_search=web_search, tag=tag, postback=postback
                    )
                )
                task = self._create(
                    se=se,
                    params=params,
                    posted_at=posted_at,
                    status=status,
                    postback=postback,
                    now=now,
                )
                ids.append(task.id)
        return ids

    def complete(self, ids: Iterable[str]) -> None:
        """Mark queued or handed tasks done now (others are left as they are)."""
        with self._lock:
            now = self._now_s()
            for tid in ids:
                task = self._task(tid)
                if task.status in ("queued", "handed"):
                    self._ledger.mark_done(task, max(now, task.posted_at))

    @property
    def id_list_running_status(self) -> str | None:
        """id_list's ``status`` of tasks not done yet (None: 40602 / 40601)."""
        return self._ledger.running_status

    @id_list_running_status.setter
    def id_list_running_status(self, status: str | None) -> None:
        with self._lock:
            self._ledger.running_status = status

    def add_calls(
        self, n: int, url: str, *, age: timedelta = timedelta(0)
    ) -> list[str]:
        """Record `n` other calls of the account in id_list, e.g. Live calls.

        `url` as id_list writes it (`v3/ai_optimization/gemini/llm_responses/live`);
        they never reach tasks_ready and task_get does not find them.
        """
        with self._lock:
            now = self._now_s()
            posted_at = (now - age).replace(microsecond=0)
            return [
                self._ledger.create(
                    p.SES[0],
                    {},
                    posted_at,
                    "done",
                    posted_at,
                    postback=False,
                    call_url=url,
                ).id
                for _ in range(n)
            ]

    def set_answer(self, tid: str, body: dict[str, Any]) -> None:
        """Answer task_get for a done task with `body` (e.g. an unreadable one)."""
        with self._lock:
            self._task(tid)
            self._answers[tid] = p.dumps(body)

    def collect_by_other_client(self, ids: Iterable[str]) -> None:
        """Collect done tasks as another client's task_get would."""
        with self._lock:
            now = self.now()
            for tid in ids:
                task = self._task(tid)
                if task.status == "done" and now - task.posted_at <= STORAGE_WINDOW:
                    self._ledger.collect(task)

    def task_ids(self, se: str = "gemini") -> list[str]:
        """All task ids of one se, in posting order."""
        with self._lock:
            return [task.id for task in self._ledger.in_posting_order(se)]

    def tags(self, se: str = "gemini") -> list[str]:
        """The tags of all tasks of one se, in posting order ("" when none)."""
        with self._lock:
            return [task.tag for task in self._ledger.in_posting_order(se)]

    def task_params(self, se: str = "gemini") -> list[dict[str, Any]]:
        """The posted fields of all tasks of one se, in posting order."""
        with self._lock:
            return [dict(task.params) for task in self._ledger.in_posting_order(se)]

    def collected_ids(self) -> set[str]:
        """Ids collected by any client (HTTP task_get or collect_by_other_client)."""
        with self._lock:
            return set(self._ledger.collected)

    def ready_ids(self, se: str = "gemini") -> list[str]:
        """Ids tasks_ready would list now, in listing order (no 1000 cap)."""
        with self._lock:
            now = self.now()
            return [t.id for t in self._ledger.ready(se, now - READY_WINDOW, now, None)]

    def due_times(self) -> list[datetime]:
        """When the posted tasks still queued will be done, soonest first."""
        with self._lock:
            return sorted(due for due, _, _ in self._due)

    def running(self, se: str = "gemini") -> dict[str, datetime]:
        """The tasks not done yet (queued or handed), with their posting times."""
        with self._lock:
            return {
                task.id: task.posted_at
                for task in self._ledger.in_posting_order(se)
                if task.status in ("queued", "handed")
            }

    def task_get_counts(self) -> dict[str, int]:
        """Successful HTTP task_get calls per task id."""
        with self._lock:
            return dict(self._get_counts)

    # -------------------------------------------------------------------- faults
    def inject(self, fault: Fault, times: int = 1, path_contains: str = "") -> None:
        """Answer the next `times` requests whose path has the text with `fault`."""
        if not isinstance(fault, Fault):
            raise TypeError(f"expected a Fault, got {fault!r}")
        if times < 1:
            raise ValueError("times must be >= 1")
        if fault is Fault.GZIP_BOMB:
            gzip_bomb(self.bomb_bytes)  # made once now, not by each request
        with self._lock:
            self._faults.append([fault, times, path_contains])

    def clear_faults(self) -> None:
        """Forget every pending injected fault."""
        with self._lock:
            self._faults.clear()

    # ------------------------------------------------------------ observability
    @property
    def requests(self) -> list[RequestRecord]:
        """(monotonic_start, monotonic_end, method, path, status_code_in_body).

        The status code is the HTTP one (429) for an answer without an envelope.
        """
        with self._lock:
            return list(self._requests)

    @property
    def settled(self) -> float:
        """What the tasks posted over HTTP cost now, USD.

        A done task costs its settled charge (base fee plus the model's cost), a
        failed one nothing (refunded), a running one what task_post took.
        """
        with self._lock:
            return self._spent()

    @property
    def balance(self) -> float:
        """The money left, USD: the deposit less every task's current cost."""
        with self._lock:
            return round(self.deposit - self._spent(), 6)

    def task_cost(self, tid: str) -> float:
        """One task's current cost, USD, as id_list shows it."""
        with self._lock:
            return self._cost(self._task(tid))

    @property
    def max_in_flight(self) -> int:
        """Most requests handled at once since start or the last reset_stats()."""
        return self._max_in_flight

    @property
    def in_flight(self) -> int:
        """Requests being handled right now."""
        return self._in_flight

    def reset_stats(self) -> None:
        """Clear the request log, max_in_flight and task_get counts."""
        with self._lock:
            self._requests.clear()
            self._max_in_flight = self._in_flight
            self._get_counts.clear()

    def reset_rate_limits(self) -> None:
        """Empty every rate-limit window."""
        with self._lock:
            for window in self._windows.values():
                window.clear()

    # ---------------------------------------------------------------- internals
    def _now_s(self) -> datetime:
        return self.now().replace(microsecond=0)

    def _task(self, tid: str) -> Task:
        task = self._ledger.tasks.get(tid)
        if task is None:
            raise KeyError(f"unknown task id {tid!r}")
        return task

    def _spent(self) -> float:
        return round(sum(self._cost(self._ledger.tasks[tid]) for tid in self._paid), 6)

    def _cost(self, task: Task) -> float:
        """A task's cost now: settled when done, refunded when failed."""
        if task.call_url:
            return p.TASK_COST
        if task.status == "failed":
            return 0.0
        if surface := surfaces.SURFACES.get(task.se):
            return surfaces.cost(surface, task.params)
        if task.status != "done":
            return self.post_cost
        if task.id in self._settled:
            return self._settled[task.id]
        billed = p.usage(
            p.task_rng(self.seed, task.seq, "usage"), task.params, self.prices
        )
        cost = self._settled[task.id] = p.settled_cost(billed["money_spent"])
        return cost

    def _create(
        self,
        *,
        se: str,
        params: dict[str, Any],
        posted_at: datetime,
        status: str,
        postback: bool,
        now: datetime,
    ) -> Task:
        done_at = None
        if status in ("done", "failed"):
            seq = self._ledger.next_seq()
            delay = timedelta(seconds=p.task_rng(self.seed, seq, "done").randint(2, 30))
            done_at = min(posted_at + delay, max(now, posted_at))
        return self._ledger.create(
            se, params, posted_at, status, done_at, postback=postback
        )

    def _serve(self, handler: _Handler, method: str) -> None:
        """Handle one request: count it, log it, never let an error escape."""
        start = time.monotonic()
        with self._lock:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
            crowded = 0 < self.max_concurrent < self._in_flight
        code: int | None = None
        try:
            code = self._serve_one(handler, method, start, crowded=crowded)
        except Exception:  # recorded for tests; the connection is closed
            self.errors.append(traceback.format_exc())
            handler.close_connection = True
        finally:
            end = time.monotonic()
            with self._lock:
                self._in_flight -= 1
                self._requests.append(
                    RequestRecord(start, end, method, handler.path, code)
                )

    def _serve_one(
        self, handler: _Handler, method: str, start: float, *, crowded: bool
    ) -> int | None:
        """Answer one request; ``crowded``: it came over the concurrency cap."""
        body = _read_body(handler)
        path = handler.path.partition("?")[0]
        fault = self._take_fault(handler.path)
        if crowded and fault is None:
            fault = Fault.TOO_MANY_IN_FLIGHT_40209
        self._delay()
        if fault is Fault.SLOW:
            time.sleep(self.slow_seconds)
            fault = None
        if fault is Fault.DROP_CONNECTION:
            handler.close_connection = True
            return None
        if fault in (Fault.HUGE, Fault.GZIP_BOMB):
            self._send_flood(handler, fault)
            return 200
        if fault in (Fault.ECHO_HEADERS, Fault.TASK_ECHO_HEADERS):
            reply = self._echo_headers(
                handler, path, in_task=fault is Fault.TASK_ECHO_HEADERS
            )
        elif fault not in (
            None,
            Fault.DRIP,
            Fault.LOST_ANSWER,
            Fault.MALFORMED_RATE_HEADERS,
            *SPOILING,
        ):
            reply = self._fault_reply(fault, path)
        else:
            reply = self._dispatch(handler, method, path, body, start)
        if fault in SPOILING:
            task_id = unquote(path.rstrip("/").rsplit("/", 1)[-1])
            reply = reply._replace(body=spoil(fault, reply.body, task_id), cache=None)
        if fault is Fault.LOST_ANSWER:
            handler.close_connection = True
            return None
        if fault is Fault.MALFORMED_RATE_HEADERS:
            reply = reply._replace(limit="\u00b2", remaining="\u00b2")
        if fault is Fault.DRIP:
            _drip(handler, reply, self.drip_seconds)
        else:
            _send(handler, reply, rate_limit_headers=self.rate_limit_headers)
        return reply.status_code

    def _delay(self) -> None:
        """Sleep the configured latency, plus its jitter."""
        delay = self.latency
        if self.latency_jitter > 0:
            delay += self._jitter.uniform(0.0, self.latency_jitter)
        if delay > 0:
            time.sleep(delay)

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for index, entry in enumerate(self._faults):
                fault, times, needle = entry
                if needle in path:
                    if times <= 1:
                        del self._faults[index]
                    else:
                        entry[1] = times - 1
                    return fault
        return None

    def _authorized(self, header: str | None) -> bool:
        if not header:
            return False
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(value.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        expected = f"{self.login}:{self.password}".encode()
        return hmac.compare_digest(decoded, expected)

    def _window_states(self, kind: str) -> list[tuple[int, int, deque[float]]]:
        """(remaining, limit, hits) of each window a request kind counts in."""
        now = time.monotonic()
        horizon = now - self.rate_window_seconds
        limits = [("all", self.rate_limit_per_minute)]
        if kind == "tasks_ready":
            limits.append((kind, self.tasks_ready_limit_per_minute))
        elif kind == "id_list":
            limits.append((kind, self.id_list_limit_per_minute))
        states = []
        for name, limit in limits:
            hits = self._windows[name]
            while hits and hits[0] <= horizon:
                hits.popleft()
            states.append((limit - len(hits), limit, hits))
        return states

    def _peek(self, kind: str) -> tuple[int, int]:
        """(limit, remaining) of the tightest window, without counting."""
        with self._lock:
            remaining, limit, _ = min(self._window_states(kind), key=_tightness)
        return limit, max(remaining, 0)

    def _admit(self, kind: str) -> tuple[bool, int, int]:
        """Count a request if every window has room: (admitted, limit, remaining)."""
        with self._lock:
            states = self._window_states(kind)
            full = [state for state in states if state[0] <= 0]
            if full:
                return False, min(full, key=_tightness)[1], 0
            now = time.monotonic()
            for _, _, hits in states:
                hits.append(now)
            remaining, limit, _ = min(states, key=_tightness)
        return True, limit, remaining - 1

    def _dispatch(  # noqa: PLR0911 - one return per kind of answer
        self, handler: _Handler, method: str, path: str, body: bytes, start: float
    ) -> _Reply:
        if not self._authorized(handler.headers.get("Authorization")):
            limit, remaining = self._peek("all")
            payload = p.envelope(40100, MSG_UNAUTHORIZED, None, elapsed=_since(start))
            return _Reply(401, p.dumps(payload), 40100, limit, remaining)
        route = _route(method, path, id_list_enabled=self.id_list_enabled)
        if route is None:
            limit, remaining = self._peek("all")
            payload = p.envelope(40400, "Not Found.", None, elapsed=_since(start))
            return _Reply(404, p.dumps(payload), 40400, limit, remaining)
        name, se, arg = route
        self._complete_due()
        admitted, limit, remaining = self._admit(name)
        if not admitted:
            payload = p.envelope(40202, MSG_RATE_LIMIT, [], elapsed=_since(start))
            return _Reply(200, p.dumps(payload), 40202, limit, remaining)
        if se in surfaces.SURFACES:
            raw = self.surface_payload(name, se, arg, body)
            return _Reply(200, raw, json.loads(raw)["status_code"], limit, remaining)
        if name == "task_get" and self.sandbox:
            return self._sandbox_task_get(se, start, limit, remaining)
        if name == "task_get":
            return self._task_get(se, arg, start, limit, remaining)
        if name == "tasks_ready" and self.sandbox:
            payload = self._sandbox_tasks_ready(se, start)
        elif name == "tasks_ready":
            payload = self._tasks_ready(se, start)
        elif name == "task_post":
            payload = self._task_post(se, body, start)
        elif name == "models":
            payload = self._models(se, start)
        elif name == "user_data":
            payload = self._user_data(start)
        else:
            payload = self._id_list(body, start, api=se or p.API)
        return _Reply(200, p.dumps(payload), payload["status_code"], limit, remaining)

    def _tasks_ready(self, se: str, start: float) -> dict[str, Any]:
        with self._lock:
            now = self.now()
            tasks = self._ledger.ready(se, now - READY_WINDOW, now, READY_PAGE)
            items = [
                {
                    "id": task.id,
                    "se": se,
                    "function": p.FUNCTION,
                    "date_posted": p.fmt_dt(task.posted_at),
                    "tag": task.tag,
                    "endpoint": f"/v3/{p.API}/{se}/{p.FUNCTION}/task_get/{task.id}",
                }
                for task in tasks
            ]
        task_obj = p.task_object(
            p.request_id(now),
            20000,
            "Ok.",
            path=["v3", p.API, se, p.FUNCTION, "tasks_ready"],
            data={**_BASE, "se": se},
            result=items,
            elapsed=_since(start),
        )
        return p.envelope(20000, "Ok.", [task_obj], elapsed=_since(start))

    def _sandbox_tasks_ready(self, se: str, start: float) -> dict[str, Any]:
        """The sandbox's listing: its one dummy task, never collected."""
        now = self._now_s()
        item = {
            "id": SANDBOX_TASK_ID,
            "se": se,
            "function": p.FUNCTION,
            "date_posted": p.fmt_dt(now),
            "tag": "",
            "endpoint": f"/v3/{p.API}/{se}/{p.FUNCTION}/task_get/{SANDBOX_TASK_ID}",
        }
        task_obj = p.task_object(
            p.request_id(now),
            20000,
            "Ok.",
            path=["v3", p.API, se, p.FUNCTION, "tasks_ready"],
            data={**_BASE, "se": se},
            result=[item],
            elapsed=_since(start),
        )
        return p.envelope(20000, "Ok.", [task_obj], elapsed=_since(start))

    def _sandbox_task_get(
        self, se: str, start: float, limit: int, remaining: int
    ) -> _Reply:
        """Dummy data under the sandbox's task id, whatever id was asked for."""
        params = p.make_params(
            p.task_rng(self.seed, 0, "params"),
            se,
            web_search=True,
            tag="",
            postback=False,
        )
        raw = p.render_task_get(
            seed=self.seed,
            seq=0,
            task_id_=SANDBOX_TASK_ID,
            se=se,
            params=params,
            done_at=self._now_s(),
            answer_bytes=self.answer_bytes,
        )
        return _Reply(200, raw, 20000, limit, remaining)

    def _task_get(
        self, se: str, tid: str, start: float, limit: int, remaining: int
    ) -> _Reply:
        key = (tid, self.answer_bytes)
        entry: list[bytes | None] | None = None
        snapshot: tuple[int, dict[str, Any], datetime | None] | None = None
        answer: bytes | None = None
        with self._lock:
            now = self.now()
            task = self._ledger.tasks.get(tid)
            if (
                task is None
                or task.se != se
                or task.call_url
                or now - task.posted_at > STORAGE_WINDOW
            ):
                code, message, data = 40400, "Task Not Found.", {**_BASE, "se": se}
            elif task.status != "done":
                code, message = STATUS_ANSWERS[task.status]
                data = p.task_data(se, task.params)
            else:
                code, message, data = 20000, "Ok.", {}
                self._ledger.collect(task)
                self._get_counts[tid] = self._get_counts.get(tid, 0) + 1
                entry = self._cache.get(key)
                if entry is not None:
                    self._cache.move_to_end(key)
                snapshot = (task.seq, task.params, task.done_at)
                answer = self._answers.get(tid)
        if code == 20000 and answer is not None:
            return _Reply(200, answer, 20000, limit, remaining)
        if code != 20000:
            task_obj = p.task_object(
                tid,
                code,
                message,
                path=["v3", p.API, se, p.FUNCTION, "task_get", tid],
                data=data,
                result=None,
                elapsed=_since(start),
            )
            payload = p.envelope(20000, "Ok.", [task_obj], elapsed=_since(start))
            return _Reply(200, p.dumps(payload), 20000, limit, remaining)
        if entry is None:
            assert snapshot is not None
            seq, params, done_at = snapshot
            assert done_at is not None
            raw = p.render_task_get(
                seed=self.seed,
                seq=seq,
                task_id_=tid,
                se=se,
                params=params,
                done_at=done_at,
                answer_bytes=self.answer_bytes,
                prices=self.prices,
            )
            entry = [raw, None]
            with self._lock:
                self._cache_put(key, entry)
        raw = entry[0]
        assert raw is not None
        return _Reply(200, raw, 20000, limit, remaining, cache=entry)

    def _cache_put(self, key: tuple[str, int], entry: list[bytes | None]) -> None:
        if key in self._cache:
            return
        self._cache[key] = entry
        self._cache_used += 2 * len(entry[0] or b"")
        while self._cache_used > self.cache_bytes and len(self._cache) > 1:
            _, old = self._cache.popitem(last=False)
            self._cache_used -= 2 * len(old[0] or b"")

    def _complete_due(self) -> None:
        """Complete the posted tasks whose queueing delay is over."""
        with self._lock:
            now = self.now()
            while self._due and self._due[0][0] <= now:
                due_at, _, tid = heapq.heappop(self._due)
                task = self._ledger.tasks[tid]
                if task.status == "queued":
                    self._ledger.mark_done(task, due_at.replace(microsecond=0))

    def _task_post(self, se: str, body: bytes, start: float) -> dict[str, Any]:
        items = _json_list(body)
        if not items:
            return p.envelope(40503, MSG_BAD_POST, [], elapsed=_since(start))
        path = ["v3", p.API, se, p.FUNCTION, "task_post"]
        out: list[dict[str, Any]] = []
        cost = 0.0
        with self._lock:
            now = self._now_s()
            spent = self._spent()
            for position, item in enumerate(items):
                refusal = self._post_refusal(se, item, position, spent)
                if refusal is not None:
                    data = p.task_data(se, item if isinstance(item, dict) else {})
                    out.append(
                        p.task_object(
                            p.request_id(now),
                            *refusal,
                            path=path,
                            data=data,
                            result=None,
                        )
                    )
                    continue
                task = self._post_one(se, dict(item), now)
                self._paid.append(task.id)
                spent += self.post_cost
                self.charged = round(self.charged + self.post_cost, 6)
                cost += self.post_cost
                out.append(
                    p.task_object(
                        task.id,
                        20100,
                        "Task Created.",
                        path=path,
                        data=p.task_data(se, task.params),
                        result=None,
                        cost=self.post_cost,
                        elapsed=_since(start),
                    )
                )
        return p.envelope(20000, "Ok.", out, cost=round(cost, 6), elapsed=_since(start))

    def _post_refusal(
        self, se: str, item: Any, position: int, spent: float
    ) -> tuple[int, str] | None:
        """(status, message) of a task_post item that creates no task, or None."""
        if position >= MAX_POST_TASKS:
            return 40006, MSG_TOO_MANY_TASKS
        refused = post_rules.refusal(se, item)
        if refused is not None:
            return refused
        limit = self.cost_limit
        if limit is not None and self.charged + self.post_cost > limit + 1e-9:
            return 40203, MSG_COST_LIMIT
        day = self.day_limit
        if day is not None and spent + self.post_cost > day + 1e-9:
            return 40203, MSG_COST_LIMIT
        if self.deposit - spent < self.post_cost - 1e-9:
            return 40210, MSG_NO_FUNDS
        return None

    def _post_one(self, se: str, params: dict[str, Any], now: datetime) -> Task:
        """Create one posted task; with a delay, done ones wait in the queue first."""
        status = self.post_status
        seq = self._ledger.next_seq()
        wait = self.post_delays(seq) if self.post_delays else self.post_delay_seconds
        delayed = status == "done" and wait > 0
        task = self._create(
            se=se,
            params=params,
            posted_at=now,
            status="queued" if delayed else status,
            postback=bool(params.get("postback_url")),
            now=now,
        )
        if delayed:
            due = self.now() + timedelta(seconds=wait)
            heapq.heappush(self._due, (due, task.seq, task.id))
        return task

    def _models(self, se: str, start: float) -> dict[str, Any]:
        task_obj = p.task_object(
            p.request_id(self.now()),
            20000,
            "Ok.",
            path=["v3", p.API, se, p.FUNCTION, "models"],
            data={**_BASE, "se": se},
            result=p.models_result(se),
            elapsed=_since(start),
        )
        return p.envelope(20000, "Ok.", [task_obj], elapsed=_since(start))

    def _id_list(self, body: bytes, start: float, api: str) -> dict[str, Any]:
        """One API's ledger (ai_optimization or serp), other calls included."""
        items = _json_list(body)
        if not items:
            return p.envelope(40503, MSG_BAD_POST, [], elapsed=_since(start))
        if len(items) > MAX_POST_TASKS:
            return p.envelope(40006, MSG_TOO_MANY_TASKS, [], elapsed=_since(start))
        path = ["v3", api, "id_list"]
        out: list[dict[str, Any]] = []
        with self._lock:
            now = self.now()
            for item in items:
                data = {"api": api, "function": "id_list"}
                if isinstance(item, dict):
                    data.update(item)
                if self.sandbox:
                    out.append(
                        p.task_object(
                            p.request_id(now),
                            40404,
                            MSG_NO_DATA,
                            path=path,
                            data=data,
                            result=None,
                        )
                    )
                    continue
                query = _id_list_query(item, now)
                if isinstance(query, str):
                    out.append(
                        p.task_object(
                            p.request_id(now),
                            40501,
                            f"Invalid Field: '{query}'.",
                            path=path,
                            data=data,
                            result=None,
                        )
                    )
                    continue
                start_dt, end_dt, limit, offset, desc, metadata = query
                tasks = self._ledger.posted_between(
                    start_dt, end_dt, offset, limit, desc=desc
                )
                result = [
                    self._id_list_item(task, now, metadata)
                    for task in tasks
                    if task.call_url or surfaces.api_of(task.se) == api
                ]
                out.append(
                    p.task_object(
                        p.request_id(now),
                        20000,
                        "Ok.",
                        path=path,
                        data=data,
                        result=result,
                        elapsed=_since(start),
                    )
                )
        return p.envelope(20000, "Ok.", out, elapsed=_since(start))

    def _user_data(self, start: float) -> dict[str, Any]:
        """The account: its money, drawn down by every task's current cost."""
        with self._lock:
            now = self.now()
            spent = self._spent()
        money = {
            "total": self.deposit,
            "balance": round(self.deposit - spent, 6),
            "limits": {
                "day": {"total": self.day_limit or 0},
                "minute": {"total": 0},
            },
            "statistics": {
                "day": {"value": now.strftime("%Y-%m-%d"), "total": spent},
                "minute": {"value": now.strftime("%Y-%m-%d %H:%M"), "total": 0},
            },
        }
        result = {"login": self.login, "timezone": "UTC", "money": money}
        task_obj = p.task_object(
            p.request_id(now),
            20000,
            "Ok.",
            path=["v3", "appendix", "user_data"],
            data={"api": "appendix", "function": "user_data"},
            result=[result],
            elapsed=_since(start),
        )
        return p.envelope(20000, "Ok.", [task_obj], elapsed=_since(start))

    def _id_list_item(
        self, task: Task, now: datetime, metadata: bool
    ) -> dict[str, Any]:
        fresh = now - task.posted_at <= STORAGE_WINDOW
        surface = surfaces.SURFACES.get(task.se)
        host = "https://api.dataforseo.com/" if self.id_list_url_host else ""
        return {
            "id": task.id,
            "url": task.url if task.url.startswith("http") else host + task.url,
            "datetime_posted": p.fmt_dt(task.posted_at),
            "datetime_done": p.fmt_dt(task.done_at) if task.done_at else None,
            "status": self._ledger.id_list_status(task),
            "cost": self._cost(task),
            "metadata": _metadata(task, surface)
            if metadata and fresh and not task.call_url
            else None,
        }

    def _send_flood(self, handler: _Handler, fault: Fault) -> None:
        """Send Fault.HUGE's or Fault.GZIP_BOMB's body, counting the bytes sent."""
        if fault is Fault.HUGE:
            self.huge_bytes_sent = 0
            _send_huge(handler, self.huge_bytes, self._count_huge)
        else:
            self.bomb_bytes_sent = 0
            _send_bomb(handler, gzip_bomb(self.bomb_bytes), self._count_bomb)

    def _count_huge(self, sent: int) -> None:
        self.huge_bytes_sent += sent

    def _count_bomb(self, sent: int) -> None:
        self.bomb_bytes_sent += sent

    def _echo_headers(self, handler: _Handler, path: str, *, in_task: bool) -> _Reply:
        limit, remaining = self._peek(_kind_of(path))
        headers = "; ".join(f"{k}: {v}" for k, v in handler.headers.items())
        message = f"Bad Request. Headers: {headers}"
        if not in_task:
            payload = p.envelope(40000, message, None)
            return _Reply(200, p.dumps(payload), 40000, limit, remaining)
        basic = handler.headers.get("Authorization", "").removeprefix("Basic ")
        message += f" (credentials {base64.b64decode(basic).decode('latin-1')})"
        tid = path.rstrip("/").rsplit("/", 1)[-1]
        task = p.task_object(tid, 40000, message, path=[], data={}, result=None)
        payload = p.envelope(20000, "Ok.", [task])
        return _Reply(200, p.dumps(payload), 20000, limit, remaining)

    def _fault_reply(self, fault: Fault, path: str) -> _Reply:
        limit, remaining = self._peek(_kind_of(path))
        http, code, message, tasks = _FAULT_ENVELOPES.get(fault, (200, None, "", None))
        if code is not None:
            payload = p.envelope(code, message, tasks)
            if fault is Fault.WRONG_SHAPE:
                payload.update(tasks_count=1, tasks="unexpected")
            return _Reply(http, p.dumps(payload), code, limit, remaining)
        if fault is Fault.HTTP_429:
            return _Reply(
                429,
                b"Too Many Requests",
                429,
                limit,
                remaining,
                content_type="text/plain",
                headers=(("Retry-After", self.retry_after),),
            )
        if fault is Fault.TASK_50000:
            tid = path.rstrip("/").rsplit("/", 1)[-1]
            task = p.task_object(
                tid, 50000, "Internal Error.", path=[], data={}, result=None
            )
            payload = p.envelope(20000, "Ok.", [task])
            return _Reply(200, p.dumps(payload), 20000, limit, remaining)
        if fault is Fault.MALFORMED_JSON:
            task = p.task_object(
                p.request_id(self.now()), 20000, "Ok.", path=[], data={}, result=[]
            )
            whole = p.dumps(p.envelope(20000, "Ok.", [task]))
            return _Reply(200, whole[: len(whole) // 2], None, limit, remaining)
        body = b"<html>Bad gateway</html>"
        return _Reply(200, body, None, limit, remaining, content_type="text/html")


class _Handler(BaseHTTPRequestHandler):
    """Keep-alive HTTP/1.1 handler; one buffered write per response."""

    protocol_version = "HTTP/1.1"
    server_version = "DataForSEO-Emulator/1.0"
    sys_version = ""
    disable_nagle_algorithm = True
    wbufsize = 1 << 16
    server: _Server

    def do_GET(self) -> None:
        """Serve a GET."""
        self.server.emulator._serve(self, "GET")

    def do_POST(self) -> None:
        """Serve a POST."""
        self.server.emulator._serve(self, "POST")

    def version_string(self) -> str:
        """Return the Server header value."""
        return self.server_version

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The `Date` header: the emulator's virtual clock, not the machine's."""
        return email.utils.format_datetime(self.server.emulator.now(), usegmt=True)

    def handle_expect_100(self) -> bool:
        """Send "100 Continue" at once despite the buffered writer."""
        ok = super().handle_expect_100()
        self.wfile.flush()
        return ok

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""


class _Server(ThreadingHTTPServer):
    """Threaded server that remembers open connections to close them on stop."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], emulator: Emulator) -> None:
        self.emulator = emulator
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Bind without the reverse DNS lookup of HTTPServer.server_bind."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Track the connection, then serve it in a thread."""
        with self._conns_lock:
            self._conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        """Forget the connection and close it."""
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client goes away mid-request (a killed tap does)."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Shut down every open keep-alive connection."""
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


def _metadata(task: Task, surface: surfaces.Surface | None) -> dict[str, Any]:
    """The posted parameters id_list shows with include_metadata."""
    if surface:
        return surfaces.task_data(surface, task.params)
    return p.task_data(task.se, task.params)


def _tightness(state: tuple[int, int, Any]) -> tuple[int, int]:
    return state[0], state[1]


def _since(start: float) -> float:
    return time.monotonic() - start


def _kind_of(path: str) -> str:
    if path.rstrip("/").endswith("/tasks_ready"):
        return "tasks_ready"
    if path.rstrip("/").endswith("/id_list"):
        return "id_list"
    return "all"


def _route(  # noqa: PLR0911 - one return per endpoint
    method: str, path: str, *, id_list_enabled: bool
) -> tuple[str, str, str] | None:
    """Match a path: (endpoint name, se, task id) or None for 404."""
    parts = path.strip("/").split("/")
    if parts == ["v3", "appendix", "user_data"]:
        return ("user_data", "", "") if method == "GET" else None
    if found := surfaces.route(method, parts):
        return found if found[0] != "id_list" or id_list_enabled else None
    if len(parts) < 3 or parts[0] != "v3" or parts[1] != p.API:
        return None
    if parts[2:] == ["id_list"]:
        return ("id_list", "", "") if method == "POST" and id_list_enabled else None
    if len(parts) < 5 or parts[2] not in p.SES or parts[3] != p.FUNCTION:
        return None
    se, op, rest = parts[2], parts[4], parts[5:]
    if op == "task_get" and method == "GET" and len(rest) == 1 and rest[0]:
        return "task_get", se, unquote(rest[0])
    if rest:
        return None
    if (op, method) in {("tasks_ready", "GET"), ("models", "GET")}:
        return op, se, ""
    if (op, method) == ("task_post", "POST"):
        return op, se, ""
    return None


def _read_body(handler: _Handler) -> bytes:
    """Read the request body (Content-Length or chunked)."""
    length = handler.headers.get("Content-Length")
    if length is not None:
        try:
            size = int(length)
        except ValueError:
            handler.close_connection = True
            return b""
        return handler.rfile.read(size) if size > 0 else b""
    if "chunked" in handler.headers.get("Transfer-Encoding", "").lower():
        chunks = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    return b""


def _send(handler: _Handler, reply: _Reply, *, rate_limit_headers: bool) -> None:
    """Write status, headers and body (gzip when accepted) in one flush."""
    body = reply.body
    encoding = handler.headers.get("Accept-Encoding", "")
    gzipped = "gzip" in encoding and any(
        token.split(";")[0].strip().lower() == "gzip" for token in encoding.split(",")
    )
    if gzipped:
        if reply.cache is not None:
            if reply.cache[1] is None:
                reply.cache[1] = gzip.compress(body, compresslevel=1, mtime=0)
            body = reply.cache[1]
        else:
            body = gzip.compress(body, compresslevel=1, mtime=0)
    try:
        handler.send_response(reply.http_status)
        handler.send_header("Content-Type", reply.content_type)
        handler.send_header("Content-Length", str(len(body)))
        if gzipped:
            handler.send_header("Content-Encoding", "gzip")
        if rate_limit_headers:
            handler.send_header("X-RateLimit-Limit", str(reply.limit))
            handler.send_header("X-RateLimit-Remaining", str(reply.remaining))
        for name, value in reply.headers:
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)
    except OSError:
        handler.close_connection = True


def _drip(handler: _Handler, reply: _Reply, pause: float) -> None:
    """Write an answer (never gzipped) one byte at a time, pausing between bytes."""
    try:
        handler.send_response(reply.http_status)
        handler.send_header("Content-Type", reply.content_type)
        handler.send_header("Content-Length", str(len(reply.body)))
        handler.end_headers()
        handler.wfile.flush()
        for index in range(len(reply.body)):
            handler.wfile.write(reply.body[index : index + 1])
            handler.wfile.flush()
            time.sleep(pause)
    except OSError:
        handler.close_connection = True


def _send_huge(handler: _Handler, size: int, count: Callable[[int], None]) -> None:
    """Send a chunked body of `size` bytes of whitespace, counting each chunk sent."""
    chunk = b" " * (1 << 16)
    sent = 0
    try:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        while sent < size:
            part = chunk[: size - sent]
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            sent += len(part)
            count(len(part))
        handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()
    except OSError:
        handler.close_connection = True


def _send_bomb(handler: _Handler, bomb: bytes, count: Callable[[int], None]) -> None:
    """Send a gzip body 64 KiB at a time, counting each piece sent."""
    try:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Encoding", "gzip")
        handler.send_header("Content-Length", str(len(bomb)))
        handler.end_headers()
        for start in range(0, len(bomb), 1 << 16):
            handler.wfile.write(bomb[start : start + (1 << 16)])
            count(len(bomb[start : start + (1 << 16)]))
        handler.wfile.flush()
    except OSError:
        handler.close_connection = True


def _json_list(body: bytes) -> list[Any] | None:
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, list) else None


def _id_list_query(  # noqa: PLR0911 - one return per invalid field
    item: Any, now: datetime
) -> str | tuple[datetime, datetime, int, int, bool, bool]:
    """Validate an id_list item: the bad field's name, or the parsed query.

    `datetime_to` may not be later than `now`, nor `datetime_from` older than six
    months (one month with metadata).
    """
    if not isinstance(item, dict):
        return "datetime_from"
    start = p.parse_dt(item.get("datetime_from"))
    metadata = item.get("include_metadata") or False
    oldest = now - (STORAGE_WINDOW if metadata is True else ID_LIST_WINDOW)
    if start is None or start < oldest:
        return "datetime_from"
    end = p.parse_dt(item.get("datetime_to"))
    if end is None or end < start or end > now:
        return "datetime_to"
    limit = item.get("limit")
    limit = ID_LIST_MAX_LIMIT if limit is None else limit
    if type(limit) is not int or not 1 <= limit <= ID_LIST_MAX_LIMIT:
        return "limit"
    offset = item.get("offset") or 0
    if type(offset) is not int or offset < 0:
        return "offset"
    sort = item.get("sort") or "asc"
    if sort not in ("asc", "desc"):
        return "sort"
    if not isinstance(metadata, bool):
        return "include_metadata"
    return start, end, limit, offset, sort == "desc", metadata
