"""The emulator's semantics, proven over real HTTP with `requests`."""

from __future__ import annotations

import email.utils
import gzip
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_dataforseo import Emulator, Fault
from fake_dataforseo.server import SANDBOX_TASK_ID

ROOT = Path(__file__).resolve().parent.parent
AUTH = ("login", "secret-pass")
BASE = "/v3/ai_optimization"
READY = f"{BASE}/gemini/llm_responses/tasks_ready"
POST = f"{BASE}/gemini/llm_responses/task_post"
MODELS = f"{BASE}/gemini/llm_responses/models"
ID_LIST = f"{BASE}/id_list"


def get_path(task_id: str, se: str = "gemini") -> str:
    return f"{BASE}/{se}/llm_responses/task_get/{task_id}"


class Client:
    """A keep-alive session against one emulator."""

    def __init__(self, emu: Emulator, auth: tuple[str, str] | None = AUTH) -> None:
        self.emu = emu
        self.session = requests.Session()
        self.session.auth = auth

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self.emu.url + path, timeout=30, **kwargs)

    def post(self, path: str, body: Any, **kwargs: Any) -> requests.Response:
        return self.session.post(self.emu.url + path, json=body, timeout=30, **kwargs)

    def ready(self, se: str = "gemini") -> list[dict[str, Any]]:
        body = self.get(f"{BASE}/{se}/llm_responses/tasks_ready").json()
        assert body["status_code"] == 20000, body
        return body["tasks"][0]["result"]

    def task(self, task_id: str, se: str = "gemini") -> dict[str, Any]:
        body = self.get(get_path(task_id, se)).json()
        assert body["status_code"] == 20000, body
        return body["tasks"][0]

    def id_list(self, **query: Any) -> dict[str, Any]:
        body = self.post(ID_LIST, [query]).json()
        assert body["status_code"] == 20000, body
        return body["tasks"][0]

    def close(self) -> None:
        self.session.close()


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(seed=7, tasks_ready_limit_per_minute=1000) as emulator:
        yield emulator
        assert emulator.errors == []


@pytest.fixture
def client(emu: Emulator) -> Iterator[Client]:
    c = Client(emu)
    yield c
    c.close()


def vendor_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S +00:00")


# --------------------------------------------------------------------------- auth
def test_wrong_password_gets_http_401_and_40100(emu: Emulator) -> None:
    r = requests.get(emu.url + READY, auth=("login", "wrong"), timeout=10)
    assert r.status_code == 401
    body = r.json()
    assert body["status_code"] == 40100
    assert body["status_message"].startswith("You are not authorized")
    assert body["tasks"] is None
    assert body["cost"] == 0
    assert body["tasks_count"] == 0
    assert body["tasks_error"] == 0


def test_missing_authorization_header_gets_401(emu: Emulator) -> None:
    r = requests.get(emu.url + READY, timeout=10)
    assert r.status_code == 401
    assert r.json()["status_code"] == 40100


def test_unknown_path_and_unknown_se_get_404_40400(client: Client) -> None:
    for path in (f"{BASE}/perplexity/llm_responses/tasks_ready", "/v3/nope"):
        r = client.get(path)
        assert r.status_code == 404
        assert r.json()["status_code"] == 40400
        assert r.json()["status_message"] == "Not Found."


# ---------------------------------------------------------------------- envelope
def test_envelope_has_the_documented_fields(emu: Emulator, client: Client) -> None:
    emu.add_tasks(2)
    body = client.get(READY).json()
    assert list(body) == [
        "version",
        "status_code",
        "status_message",
        "time",
        "cost",
        "tasks_count",
        "tasks_error",
        "tasks",
    ]
    assert body["version"] == "0.1.20250526"
    assert body["time"].endswith(" sec.")
    task = body["tasks"][0]
    assert list(task) == [
        "id",
        "status_code",
        "status_message",
        "time",
        "cost",
        "result_count",
        "path",
        "data",
        "result",
    ]
    assert task["path"] == [
        "v3",
        "ai_optimization",
        "gemini",
        "llm_responses",
        "tasks_ready",
    ]
    assert task["data"] == {
        "api": "ai_optimization",
        "function": "llm_responses",
        "se": "gemini",
    }
    assert task["result_count"] == 2


def test_responses_use_http_1_1_keep_alive(emu: Emulator, client: Client) -> None:
    emu.add_tasks(1)
    first = client.get(READY)
    second = client.get(READY)
    assert first.raw.version == 11
    assert "close" not in first.headers.get("Connection", "").lower()
    assert first.headers["Content-Length"]
    assert second.status_code == 200


# ------------------------------------------------------------------- tasks_ready
def test_tasks_ready_caps_at_1000(emu: Emulator, client: Client) -> None:
    older = emu.add_tasks(600, age=timedelta(hours=2))
    newer = emu.add_tasks(500, age=timedelta(hours=1))
    items = client.ready()
    assert len(items) == 1000
    ids = [item["id"] for item in items]
    assert set(ids[:600]) == set(older)
    assert set(ids[600:]) < set(newer)
    assert ids == emu.ready_ids()[:1000]
    assert len(emu.ready_ids()) == 1100


def test_tasks_ready_lists_oldest_completion_first(
    emu: Emulator, client: Client
) -> None:
    for hours in (5, 1, 3, 2, 4):
        emu.add_tasks(4, age=timedelta(hours=hours))
    (late,) = emu.add_tasks(1, status="queued", age=timedelta(hours=6))
    emu.complete([late])
    ids = [item["id"] for item in client.ready()]
    assert ids[-1] == late
    done = [client.task(task_id)["result"][0]["datetime"] for task_id in ids]
    assert done == sorted(done)
    assert len(set(done)) > 5


def test_tasks_ready_items_have_the_documented_fields(
    emu: Emulator, client: Client
) -> None:
    (task_id,) = emu.add_tasks(1, tag="batch-1")
    (item,) = client.ready()
    assert item == {
        "id": task_id,
        "se": "gemini",
        "function": "llm_responses",
        "date_posted": item["date_posted"],
        "tag": "batch-1",
        "endpoint": f"/v3/ai_optimization/gemini/llm_responses/task_get/{task_id}",
    }
    datetime.strptime(item["date_posted"], "%Y-%m-%d %H:%M:%S %z")


def test_tasks_ready_empty_is_an_empty_list(client: Client) -> None:
    task = client.get(READY).json()["tasks"][0]
    assert task["result"] == []
    assert task["result_count"] == 0


def test_tasks_ready_is_per_se(emu: Emulator, client: Client) -> None:
    gemini = emu.add_tasks(2)
    claude = emu.add_tasks(3, se="claude")
    assert [item["id"] for item in client.ready()] == gemini
    assert [item["id"] for item in client.ready("claude")] == claude
    assert all(item["se"] == "claude" for item in client.ready("claude"))


def test_task_get_removes_from_tasks_ready_but_stays_recallable(
    emu: Emulator, client: Client
) -> None:
    first, second = emu.add_tasks(2)
    one = client.get(get_path(first)).content
    assert [item["id"] for item in client.ready()] == [second]
    assert first in emu.collected_ids()
    again = client.get(get_path(first)).content
    assert (
        json.loads(again)["tasks"][0]["result"] == json.loads(one)["tasks"][0]["result"]
    )
    assert emu.task_get_counts()[first] == 2
    assert [item["id"] for item in client.ready()] == [second]


def test_postback_tasks_are_never_listed_but_task_get_works(
    emu: Emulator, client: Client
) -> None:
    (postback,) = emu.add_tasks(1, postback=True)
    (plain,) = emu.add_tasks(1)
    assert [item["id"] for item in client.ready()] == [plain]
    assert client.task(postback)["status_code"] == 20000
    assert postback in {item["id"] for item in client.id_list(**_window(emu))["result"]}


def test_tasks_ready_drops_tasks_completed_over_3_days_ago(
    emu: Emulator, client: Client
) -> None:
    old = emu.add_tasks(2, age=timedelta(days=2))
    fresh = emu.add_tasks(1)
    assert len(client.ready()) == 3
    emu.advance_clock(timedelta(days=1, hours=1))
    assert [item["id"] for item in client.ready()] == fresh
    assert client.task(old[0])["status_code"] == 20000


def test_collect_by_other_client_removes_from_tasks_ready(
    emu: Emulator, client: Client
) -> None:
    first, second = emu.add_tasks(2)
    emu.collect_by_other_client([first])
    assert [item["id"] for item in client.ready()] == [second]
    assert first in emu.collected_ids()
    assert client.task(first)["status_code"] == 20000


# ---------------------------------------------------------------------- task_get
def test_task_get_answer_has_the_documented_shape(
    emu: Emulator, client: Client
) -> None:
    emu.answer_bytes = 6000
    ids = emu.add_tasks(30, web_search=True)
    for task_id in ids:
        raw = client.get(get_path(task_id))
        task = raw.json()["tasks"][0]
        assert task["id"] == task_id
        assert task["status_code"] == 20000
        assert task["cost"] == 0
        data = task["data"]
        assert data["api"] == "ai_optimization"
        assert data["function"] == "llm_responses"
        assert data["se"] == "gemini"
        assert data["user_prompt"]
        assert data["model_name"]
        (result,) = task["result"]
        assert list(result) == [
            "model_name",
            "input_tokens",
            "output_tokens",
            "reasoning_tokens",
            "web_search",
            "money_spent",
            "datetime",
            "items",
            "fan_out_queries",
        ]
        assert result["model_name"].startswith(
            data["model_name"].split("-latest")[0][:8]
        )
        assert isinstance(result["reasoning_tokens"], int)
        assert isinstance(result["money_spent"], float)
        assert result["web_search"] is True
        assert all(isinstance(q, str) for q in result["fan_out_queries"])
        kinds = [item["type"] for item in result["items"]]
        assert kinds.count("reasoning") == (1 if data.get("use_reasoning") else 0)
        assert 1 <= kinds.count("message") <= 2
        for item in result["items"]:
            for section in item["sections"]:
                if item["type"] == "reasoning":
                    assert section["type"] == "summary_text"
                    continue
                assert section["type"] == "text"
                for note in section["annotations"]:
                    span = section["text"][note["start_index"] : note["end_index"]]
                    assert span == note["text"]
                    assert note["url"].startswith(
                        "https://vertexaisearch.cloud.google.com/grounding-api-redirect/"
                    )
                    assert note["direct_url"] is None or note["direct_url"].startswith(
                        "https://"
                    )
        assert abs(len(raw.content) - 6000) <= 200


def test_task_get_without_web_search_has_null_annotations_and_fan_out(
    emu: Emulator, client: Client
) -> None:
    for task_id in emu.add_tasks(10, web_search=False):
        (result,) = client.task(task_id)["result"]
        assert result["web_search"] is False
        assert result["fan_out_queries"] is None
        for item in result["items"]:
            if item["type"] == "message":
                assert item["sections"][0]["annotations"] is None


def test_task_get_answers_are_utf8_json(emu: Emulator, client: Client) -> None:
    for task_id in emu.add_tasks(20):
        r = client.get(get_path(task_id))
        assert r.headers["Content-Type"] == "application/json"
        json.loads(r.content.decode("utf-8"))


def test_same_seed_gives_same_ids_and_answers() -> None:
    answers = []
    for seed in (3, 3, 4):
        with Emulator(seed=seed) as emulator:
            ids = emulator.add_tasks(5)
            c = Client(emulator)
            results = [c.task(task_id)["result"][0] for task_id in ids]
            for result in results:
                result.pop("datetime")  # follows the clock, not the seed
            c.close()
            answers.append((ids, results))
    assert answers[0] == answers[1]
    assert answers[0][0] != answers[2][0]


def test_task_get_is_40400_after_30_days(emu: Emulator, client: Client) -> None:
    (task_id,) = emu.add_tasks(1, age=timedelta(days=29))
    assert client.task(task_id)["status_code"] == 20000
    emu.advance_clock(timedelta(days=1, minutes=1))
    body = client.get(get_path(task_id)).json()
    assert body["status_code"] == 20000
    assert body["tasks_error"] == 1
    assert body["tasks"][0]["status_code"] == 40400
    assert body["tasks"][0]["status_message"] == "Task Not Found."
    assert body["tasks"][0]["result"] is None


def test_task_get_unknown_id_is_40400(client: Client) -> None:
    task = client.task("01010000-0696-0610-0000-000000000000")
    assert task["status_code"] == 40400
    assert task["result"] is None


def test_queued_task_is_40602_until_completed(emu: Emulator, client: Client) -> None:
    (task_id,) = emu.add_tasks(1, status="queued")
    task = client.task(task_id)
    assert task["status_code"] == 40602
    assert task["status_message"] == "Task In Queue."
    assert task["result"] is None
    assert client.ready() == []
    assert task_id not in emu.collected_ids()
    emu.complete([task_id])
    assert [item["id"] for item in client.ready()] == [task_id]
    assert client.task(task_id)["status_code"] == 20000


def test_handed_task_is_40601(emu: Emulator, client: Client) -> None:
    (task_id,) = emu.add_tasks(1, status="handed")
    task = client.task(task_id)
    assert task["status_code"] == 40601
    assert task["status_message"] == "Task Handed."
    assert client.ready() == []


def test_failed_task_is_40501_and_not_in_tasks_ready(
    emu: Emulator, client: Client
) -> None:
    (task_id,) = emu.add_tasks(1, status="failed")
    body = client.get(get_path(task_id)).json()
    assert body["tasks_error"] == 1
    task = body["tasks"][0]
    assert task["status_code"] == 40501
    assert task["status_message"] == "Invalid Field: 'model_name'."
    assert task["result"] is None
    assert client.ready() == []
    (item,) = client.id_list(**_window(emu))["result"]
    assert item["status"] == "40501"
    assert item["datetime_done"] is not None


# --------------------------------------------------------------------- task_post
def test_task_post_creates_ready_tasks_that_echo_params(
    emu: Emulator, client: Client
) -> None:
    posted = [
        {"user_prompt": f"prompt {i}", "model_name": "gemini-2.5-flash", "tag": "t"}
        for i in range(3)
    ]
    body = client.post(POST, posted).json()
    assert body["status_code"] == 20000
    assert body["tasks_count"] == 3
    assert body["cost"] == pytest.approx(3 * 0.0102)
    assert emu.charged == pytest.approx(3 * 0.0102)
    ids = [task["id"] for task in body["tasks"]]
    assert all(task["status_code"] == 20100 for task in body["tasks"])
    assert all(task["result"] is None for task in body["tasks"])
    assert [item["id"] for item in client.ready()] == ids
    data = client.task(ids[1])["data"]
    assert data == {
        "api": "ai_optimization",
        "function": "llm_responses",
        "se": "gemini",
        "user_prompt": "prompt 1",
        "model_name": "gemini-2.5-flash",
        "tag": "t",
    }


def test_task_post_missing_user_prompt_is_task_level_40501(client: Client) -> None:
    body = client.post(POST, [{"model_name": "gemini-2.5-flash"}]).json()
    assert body["status_code"] == 20000
    assert body["tasks_error"] == 1
    assert body["tasks"][0]["status_code"] == 40501
    assert body["tasks"][0]["status_message"] == "Invalid Field: 'user_prompt'."


def test_task_post_creates_100_tasks_and_answers_40006_for_the_extras(
    emu: Emulator, client: Client
) -> None:
    tasks = [
        {"user_prompt": f"p{i}", "model_name": "gemini-2.5-flash"} for i in range(103)
    ]
    body = client.post(POST, tasks).json()
    statuses = [task["status_code"] for task in body["tasks"]]
    assert statuses == [20100] * 100 + [40006] * 3
    assert body["tasks_error"] == 3
    assert len(emu.task_ids()) == 100
    assert emu.charged == pytest.approx(100 * 0.0102)


@pytest.mark.parametrize(
    ("task", "field"),
    [
        ({"user_prompt": "x" * 501, "model_name": "gemini-2.5-flash"}, "user_prompt"),
        ({"user_prompt": "p"}, "model_name"),
        ({"user_prompt": "p", "model_name": "gpt-4.1"}, "model_name"),
        ({"user_prompt": "p", "model_name": "gemini-1.5-pro"}, "model_name"),
        (
            {"user_prompt": "p", "model_name": "gemini-2.5-flash", "tag": "t" * 256},
            "tag",
        ),
        (
            {
                "user_prompt": "p",
                "model_name": "gemini-2.5-flash",
                "system_message": "s" * 501,
            },
            "system_message",
        ),
    ],
)
def test_task_post_refuses_an_invalid_task_with_40501_and_no_charge(
    emu: Emulator, client: Client, task: dict[str, Any], field: str
) -> None:
    ok = {"user_prompt": "x" * 500, "model_name": "gemini-2.5-flash"}
    body = client.post(POST, [task, ok]).json()
    refused, created = body["tasks"]
    assert refused["status_code"] == 40501
    assert refused["status_message"] == f"Invalid Field: '{field}'."
    assert created["status_code"] == 20100
    assert emu.task_ids() == [created["id"]]
    assert body["cost"] == emu.charged == pytest.approx(0.0102)


def test_task_post_past_the_cost_limit_answers_40203(
    emu: Emulator, client: Client
) -> None:
    emu.cost_limit = 0.025
    task = {"user_prompt": "p", "model_name": "gemini-2.5-flash"}
    body = client.post(POST, [task] * 4).json()
    assert [t["status_code"] for t in body["tasks"]] == [20100, 20100, 40203, 40203]
    assert emu.charged == pytest.approx(0.0204)


def test_posted_tasks_complete_after_the_post_delay(
    emu: Emulator, client: Client
) -> None:
    emu.post_delay_seconds = 60
    task = {"user_prompt": "p", "model_name": "gemini-2.5-flash", "tag": "set/a"}
    (posted,) = client.post(POST, [task]).json()["tasks"]
    assert client.ready() == []
    assert client.task(posted["id"])["status_code"] == 40602
    emu.advance_clock(timedelta(seconds=61))
    assert [item["tag"] for item in client.ready()] == ["set/a"]
    (listed,) = client.id_list(**_window(emu, days=10), include_metadata=True)["result"]
    assert listed["datetime_done"] is not None
    assert listed["metadata"]["tag"] == "set/a"
    assert client.task(posted["id"])["data"]["tag"] == "set/a"


def test_a_lost_answer_still_creates_the_tasks(emu: Emulator, client: Client) -> None:
    emu.inject(Fault.LOST_ANSWER, path_contains="/task_post")
    task = {"user_prompt": "p", "model_name": "gemini-2.5-flash"}
    with pytest.raises(requests.exceptions.ConnectionError):
        client.post(POST, [task])
    assert len(emu.task_ids()) == 1


def test_task_post_with_post_status_queued_makes_pending_tasks(
    emu: Emulator, client: Client
) -> None:
    emu.post_status = "queued"
    body = client.post(POST, [{"user_prompt": "p", "model_name": "gemini-2.5-pro"}])
    task_id = body.json()["tasks"][0]["id"]
    assert client.task(task_id)["status_code"] == 40602


def test_models_lists_models_of_the_se(client: Client) -> None:
    for se in ("gemini", "chat_gpt", "claude"):
        task = client.get(f"{BASE}/{se}/llm_responses/models").json()["tasks"][0]
        assert 3 <= task["result_count"] == len(task["result"]) <= 5
        for model in task["result"]:
            assert set(model) == {
                "model_name",
                "web_search_supported",
                "task_post_supported",
                "reasoning",
            }
            assert isinstance(model["reasoning"], bool)


# ----------------------------------------------------------------------- id_list
def _window(emu: Emulator, days: int = 40) -> dict[str, Any]:
    now = emu.now()
    return {
        "datetime_from": vendor_time(now - timedelta(days=days)),
        "datetime_to": vendor_time(now),
    }


def test_id_list_pages_by_offset_and_limit_in_execution_order(
    emu: Emulator, client: Client
) -> None:
    older = emu.add_tasks(3, age=timedelta(hours=5))
    claude = emu.add_tasks(2, se="claude", age=timedelta(hours=4), status="queued")
    newer = emu.add_tasks(4, age=timedelta(hours=3))
    pages = [
        client.id_list(**_window(emu), limit=4, offset=offset)["result"]
        for offset in (0, 4, 8)
    ]
    assert [len(page) for page in pages] == [4, 4, 1]
    listed = [item for page in pages for item in page]
    everything = [item["id"] for item in listed]
    assert sorted(everything) == sorted(older + newer + claude)
    done = [item["datetime_done"] for item in listed[:7]]
    assert done == sorted(done)
    assert set(everything[7:]) == set(claude)  # running: no execution time yet
    desc = client.id_list(**_window(emu), sort="desc", limit=2, offset=1)["result"]
    assert [item["id"] for item in desc] == everything[::-1][1:3]
    queued = pages[2][0]
    assert queued["datetime_done"] is None
    assert queued["status"] == "40602"
    assert queued["url"] == "v3/ai_optimization/claude/llm_responses/task_post"


def test_id_list_window_is_inclusive_and_lists_collected_tasks(
    emu: Emulator, client: Client
) -> None:
    (inside,) = emu.add_tasks(1, age=timedelta(hours=2))
    emu.add_tasks(1, age=timedelta(hours=3))
    client.task(inside)
    posted = client.id_list(**_window(emu))["result"][1]["datetime_posted"]
    window = {"datetime_from": posted, "datetime_to": posted}
    task = client.id_list(**window, include_metadata=True)
    assert task["result_count"] == 1
    (item,) = task["result"]
    assert item["id"] == inside
    assert set(item) == {
        "id",
        "url",
        "datetime_posted",
        "datetime_done",
        "status",
        "cost",
        "metadata",
    }
    assert item["status"] == "20000"
    assert item["metadata"]["user_prompt"]


def test_id_list_accepts_any_utc_offset(emu: Emulator, client: Client) -> None:
    emu.add_tasks(1, age=timedelta(hours=1))
    local = (emu.now() - timedelta(hours=2)).astimezone(timezone(timedelta(hours=2)))
    window = {
        "datetime_from": local.strftime("%Y-%m-%d %H:%M:%S +02:00"),
        "datetime_to": vendor_time(emu.now()),
    }
    assert client.id_list(**window)["result_count"] == 1


def test_id_list_without_datetimes_is_task_level_40501(
    emu: Emulator, client: Client
) -> None:
    since = vendor_time(emu.now() - timedelta(days=1))
    body = client.post(ID_LIST, [{"datetime_from": since}])
    task = body.json()["tasks"][0]
    assert task["status_code"] == 40501
    assert task["status_message"] == "Invalid Field: 'datetime_to'."


def test_id_list_refuses_a_datetime_to_after_the_apis_now(
    emu: Emulator, client: Client
) -> None:
    window = {**_window(emu), "datetime_to": vendor_time(emu.now() + timedelta(1))}
    task = client.post(ID_LIST, [window]).json()["tasks"][0]
    assert task["status_message"] == "Invalid Field: 'datetime_to'."


def test_id_list_refuses_a_datetime_from_over_six_months_back(
    emu: Emulator, client: Client
) -> None:
    task = client.post(ID_LIST, [_window(emu, days=200)]).json()["tasks"][0]
    assert task["status_message"] == "Invalid Field: 'datetime_from'."


def test_id_list_lists_live_calls_and_other_apis_calls(
    emu: Emulator, client: Client
) -> None:
    live = "v3/ai_optimization/gemini/llm_responses/live"
    serp = "v3/serp/google/organic/task_post"
    calls = emu.add_calls(1, live) + emu.add_calls(1, serp)
    listed = {
        item["id"]: item["url"] for item in client.id_list(**_window(emu))["result"]
    }
    assert listed == dict(zip(calls, [live, serp], strict=True))
    assert client.ready() == []
    assert client.get(get_path(calls[0])).json()["tasks"][0]["status_code"] == 40400


def test_date_header_follows_the_virtual_clock() -> None:
    with Emulator(clock_offset=timedelta(minutes=-10)) as behind:
        response = Client(behind).get(MODELS)
        sent = email.utils.parsedate_to_datetime(response.headers["Date"])
        assert abs(sent - behind.now()) < timedelta(seconds=2)
        assert datetime.now(UTC) - sent > timedelta(minutes=9)


def test_sandbox_answers_every_task_get_with_its_dummy_task() -> None:
    with Emulator(sandbox=True, login=AUTH[0], password=AUTH[1]) as sandbox:
        client = Client(sandbox)
        (listed,) = client.ready()
        assert listed["id"] == SANDBOX_TASK_ID
        task = client.task("1234")
        assert task["id"] == SANDBOX_TASK_ID
        assert task["result"][0]["items"]
        body = client.post(ID_LIST, [_window(sandbox)]).json()
        assert body["tasks"][0]["status_code"] == 40404


def test_id_list_is_404_when_disabled(emu: Emulator, client: Client) -> None:
    emu.id_list_enabled = False
    r = client.post(ID_LIST, [_window(emu)])
    assert r.status_code == 404
    assert r.json()["status_code"] == 40400


@pytest.fixture(scope="module")
def paged_emu() -> Iterator[Emulator]:
    with Emulator(seed=11, id_list_limit_per_minute=10**6) as emulator:
        for hours in range(12, 0, -1):
            emulator.add_tasks(hours % 4 + 1, age=timedelta(hours=hours))
        yield emulator


@settings(max_examples=25, deadline=None)
@given(limit=st.integers(1, 12), desc=st.booleans())
def test_id_list_pages_cover_every_task_once(
    paged_emu: Emulator, limit: int, desc: bool
) -> None:
    c = Client(paged_emu)
    expected = [item["id"] for item in c.id_list(**_window(paged_emu))["result"]]
    assert sorted(expected) == sorted(paged_emu.task_ids())
    seen: list[str] = []
    while True:
        page = c.id_list(
            **_window(paged_emu),
            limit=limit,
            offset=len(seen),
            sort="desc" if desc else "asc",
        )
        seen += [item["id"] for item in page["result"]]
        if page["result_count"] < limit:
            break
    c.close()
    assert seen == (expected[::-1] if desc else expected)


# ------------------------------------------------------------------- rate limits
def test_rate_limit_over_the_window_is_40202_and_recovers() -> None:
    with Emulator(rate_limit_per_minute=3, rate_window_seconds=1.5) as emulator:
        c = Client(emulator)
        answers = [c.get(MODELS) for _ in range(5)]
        codes = [r.json()["status_code"] for r in answers]
        assert codes == [20000, 20000, 20000, 40202, 40202]
        limited = answers[3]
        assert limited.status_code == 200
        assert limited.json()["status_message"] == "Rate-limit per minute exceeded."
        assert limited.json()["tasks"] == []
        assert [r.headers["X-RateLimit-Remaining"] for r in answers] == [
            "2",
            "1",
            "0",
            "0",
            "0",
        ]
        assert all(r.headers["X-RateLimit-Limit"] == "3" for r in answers)
        time.sleep(1.6)
        assert c.get(MODELS).json()["status_code"] == 20000
        c.close()


def test_tasks_ready_and_id_list_have_their_own_tighter_limits() -> None:
    with Emulator(
        tasks_ready_limit_per_minute=2,
        id_list_limit_per_minute=1,
        rate_window_seconds=30,
    ) as emulator:
        c = Client(emulator)
        ready = [c.get(READY) for _ in range(3)]
        assert [r.json()["status_code"] for r in ready] == [20000, 20000, 40202]
        assert ready[0].headers["X-RateLimit-Limit"] == "2"
        listed = [c.post(ID_LIST, [_window(emulator)]) for _ in range(2)]
        assert [r.json()["status_code"] for r in listed] == [20000, 40202]
        assert c.get(MODELS).json()["status_code"] == 20000
        assert c.get(MODELS).headers["X-RateLimit-Limit"] == "10000"
        c.close()


def test_rejected_requests_do_not_count_in_the_window() -> None:
    with Emulator(rate_limit_per_minute=2, rate_window_seconds=2.0) as emulator:
        c = Client(emulator)
        began = time.monotonic()
        c.get(MODELS)
        time.sleep(1.2)
        c.get(MODELS)
        for _ in range(5):
            assert c.get(MODELS).json()["status_code"] == 40202
        time.sleep(max(0.0, began + 2.1 - time.monotonic()))
        # the first hit left the window; the rejected ones never entered it
        assert c.get(MODELS).json()["status_code"] == 20000
        c.close()


# ------------------------------------------------------------------------ faults
def _fault_answer(
    emu: Emulator, client: Client, fault: Fault
) -> tuple[requests.Response, requests.Response]:
    emu.add_tasks(1)
    emu.inject(fault)
    faulty = client.get(READY)
    normal = client.get(READY)
    assert normal.json()["status_code"] == 20000
    return faulty, normal


def test_fault_http_500(emu: Emulator, client: Client) -> None:
    r, _ = _fault_answer(emu, client, Fault.HTTP_500)
    assert r.status_code == 500
    assert r.json()["status_code"] == 50000
    assert r.json()["status_message"] == "Internal Error."


def test_fault_internal_50000_in_http_200(emu: Emulator, client: Client) -> None:
    r, _ = _fault_answer(emu, client, Fault.INTERNAL_50000)
    assert r.status_code == 200
    assert r.json()["status_code"] == 50000


def test_fault_rate_limit_40202(emu: Emulator, client: Client) -> None:
    r, _ = _fault_answer(emu, client, Fault.RATE_LIMIT_40202)
    assert r.status_code == 200
    assert r.json()["status_code"] == 40202
    assert r.json()["status_message"] == "Rate-limit per minute exceeded."


def test_fault_malformed_json(emu: Emulator, client: Client) -> None:
    r, _ = _fault_answer(emu, client, Fault.MALFORMED_JSON)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    assert r.content.startswith(b'{"version"')
    with pytest.raises(ValueError, match=r"."):
        json.loads(r.content)


def test_fault_not_json(emu: Emulator, client: Client) -> None:
    r, _ = _fault_answer(emu, client, Fault.NOT_JSON)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/html"
    assert r.text == "<html>Bad gateway</html>"


def test_fault_wrong_shape(emu: Emulator, client: Client) -> None:
    r, _ = _fault_answer(emu, client, Fault.WRONG_SHAPE)
    assert r.status_code == 200
    assert isinstance(r.json()["tasks"], str)


def test_fault_http_402(emu: Emulator, client: Client) -> None:
    r, _ = _fault_answer(emu, client, Fault.HTTP_402)
    assert r.status_code == 402
    assert r.json()["status_code"] == 40200
    assert r.json()["status_message"] == "Payment Required."


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        (Fault.ACCOUNT_BLOCKED_40201, 40201),
        (Fault.COST_LIMIT_40203, 40203),
        (Fault.IP_NOT_WHITELISTED_40207, 40207),
        (Fault.TOO_MANY_IN_FLIGHT_40209, 40209),
        (Fault.NOT_IMPLEMENTED_50100, 50100),
    ],
)
def test_fault_request_level_status(
    emu: Emulator, client: Client, fault: Fault, code: int
) -> None:
    r, _ = _fault_answer(emu, client, fault)
    assert r.status_code == 200
    assert r.json()["status_code"] == code
    assert r.json()["tasks"] == []


def test_fault_http_429_carries_retry_after(emu: Emulator, client: Client) -> None:
    emu.retry_after = "Wed, 25 Nov 2026 10:00:30 GMT"
    r, _ = _fault_answer(emu, client, Fault.HTTP_429)
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "Wed, 25 Nov 2026 10:00:30 GMT"


def test_fault_malformed_rate_headers(emu: Emulator, client: Client) -> None:
    r, normal = _fault_answer(emu, client, Fault.MALFORMED_RATE_HEADERS)
    assert r.json()["status_code"] == 20000
    assert r.headers["X-RateLimit-Remaining"] == "\u00b2"
    assert normal.headers["X-RateLimit-Remaining"].isdigit()


def test_rate_limit_headers_can_be_turned_off() -> None:
    with Emulator(rate_limit_headers=False) as emulator:
        c = Client(emulator)
        answer = c.get(MODELS)
        assert answer.json()["status_code"] == 20000
        assert "X-RateLimit-Limit" not in answer.headers
        assert "X-RateLimit-Remaining" not in answer.headers
        c.close()


def test_requests_over_the_concurrency_cap_are_answered_40209() -> None:
    with Emulator(latency=0.3, max_concurrent=2) as emulator:
        clients = [Client(emulator) for _ in range(4)]
        with ThreadPoolExecutor(4) as pool:
            codes = list(
                pool.map(lambda c: c.get(MODELS).json()["status_code"], clients)
            )
        assert sorted(codes) == [20000, 20000, 40209, 40209]
        assert clients[0].get(MODELS).json()["status_code"] == 20000
        for c in clients:
            c.close()


def test_fault_drop_connection(emu: Emulator, client: Client) -> None:
    emu.inject(Fault.DROP_CONNECTION)
    with pytest.raises(requests.ConnectionError):
        client.get(READY)
    assert client.get(READY).status_code == 200


def test_fault_slow_delays_then_answers_normally(emu: Emulator, client: Client) -> None:
    assert emu.slow_seconds == 5.0
    emu.slow_seconds = 0.4
    (task_id,) = emu.add_tasks(1)
    emu.inject(Fault.SLOW)
    began = time.monotonic()
    task = client.task(task_id)
    assert time.monotonic() - began >= 0.4
    assert task["status_code"] == 20000


def test_fault_hits_only_matching_paths_the_given_times(
    emu: Emulator, client: Client
) -> None:
    (task_id,) = emu.add_tasks(1)
    emu.inject(Fault.HTTP_500, times=2, path_contains="/task_get/")
    assert client.get(READY).status_code == 200
    assert client.get(get_path(task_id)).status_code == 500
    assert client.get(get_path(task_id)).status_code == 500
    assert task_id not in emu.collected_ids()
    assert client.get(get_path(task_id)).status_code == 200
    assert task_id in emu.collected_ids()


# ------------------------------------------------------------ transport, timing
def test_gzip_when_accepted(emu: Emulator, client: Client) -> None:
    (task_id,) = emu.add_tasks(1)
    r = client.get(get_path(task_id), headers={"Accept-Encoding": "gzip"}, stream=True)
    assert r.headers["Content-Encoding"] == "gzip"
    raw = r.raw.read(decode_content=False)
    assert int(r.headers["Content-Length"]) == len(raw)
    body = json.loads(gzip.decompress(raw))
    assert body["tasks"][0]["id"] == task_id


def test_no_gzip_when_not_accepted(emu: Emulator, client: Client) -> None:
    emu.add_tasks(1)
    r = client.get(READY, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in r.headers
    assert json.loads(r.content)["status_code"] == 20000


def test_latency_delays_every_request(client: Client, emu: Emulator) -> None:
    emu.latency = 0.15
    emu.latency_jitter = 0.05
    for path in (READY, MODELS, "/v3/unknown"):
        began = time.monotonic()
        client.get(path)
        assert time.monotonic() - began >= 0.15


def test_max_in_flight_counts_concurrent_requests(emu: Emulator) -> None:
    client = Client(emu)
    client.get(MODELS)
    client.get(MODELS)
    assert emu.max_in_flight == 1
    emu.latency = 0.5
    barrier = threading.Barrier(4)

    def call() -> None:
        c = Client(emu)
        barrier.wait()
        c.get(MODELS)
        c.close()

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert emu.max_in_flight == 4
    emu.reset_stats()
    assert emu.max_in_flight == 0
    assert emu.requests == []
    client.close()


def test_requests_log_records_every_request(emu: Emulator, client: Client) -> None:
    (task_id,) = emu.add_tasks(1)
    emu.inject(Fault.NOT_JSON, path_contains="/models")
    client.get(READY)
    client.get(get_path(task_id))
    client.get(MODELS)
    requests.get(emu.url + READY, timeout=10)
    log = emu.requests
    assert [(r.method, r.path, r.status_code) for r in log] == [
        ("GET", READY, 20000),
        ("GET", get_path(task_id), 20000),
        ("GET", MODELS, None),
        ("GET", READY, 40100),
    ]
    assert all(start <= end for start, end, *_ in log)


def test_add_tasks_rejects_unknown_se_and_status(emu: Emulator) -> None:
    with pytest.raises(ValueError, match="se"):
        emu.add_tasks(1, se="perplexity")
    with pytest.raises(ValueError, match="status"):
        emu.add_tasks(1, status="lost")


def test_stop_closes_the_port() -> None:
    emulator = Emulator().start()
    url = emulator.url
    c = Client(emulator)
    c.get(MODELS)
    emulator.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(url + MODELS, auth=AUTH, timeout=5)
    with pytest.raises(requests.ConnectionError):
        c.session.get(url + MODELS, timeout=5)
    c.close()


# --------------------------------------------------------------------------- CLI
def test_cli_serves_until_sigterm() -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "fake_dataforseo", "--port", "0", "--tasks", "7"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    ) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline().strip()
            assert line.startswith("emulator listening on http://127.0.0.1:")
            assert line.endswith(" with 7 tasks")
            url = line.split()[3]
            r = requests.get(url + READY, auth=AUTH, timeout=10)
            assert r.json()["tasks"][0]["result_count"] == 7
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=10) == 0
        finally:
            if proc.poll() is None:
                proc.kill()


def test_tasks_posted_over_days_spread_evenly(emu: Emulator, client: Client) -> None:
    from collections import Counter

    from fake_dataforseo.__main__ import post_over_days

    ids = post_over_days(emu, 7, 3, se="gemini")

    listed = client.ready()
    assert sorted(task["id"] for task in listed) == sorted(ids)
    days = Counter(task["date_posted"][:10] for task in listed)
    assert sorted(days.values()) == [2, 2, 3]
