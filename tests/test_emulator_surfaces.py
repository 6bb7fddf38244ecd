"""The emulator's LLM Scraper and AI Mode queues, over real HTTP (issue 20)."""

from __future__ import annotations

import typing as t
from datetime import timedelta

import pytest
import requests

from fake_dataforseo import Emulator
from tests.harness import LOGIN, PASSWORD

SCRAPER = "/v3/ai_optimization/{llm}/llm_scraper"
AI_MODE = "/v3/serp/google/ai_mode"
#: (ledger key, path prefix, id_list path).
SURFACES = [
    ("chat_gpt/llm_scraper", SCRAPER.format(llm="chat_gpt"), "ai_optimization"),
    ("gemini/llm_scraper", SCRAPER.format(llm="gemini"), "ai_optimization"),
    ("google/ai_mode", AI_MODE, "serp"),
]
KEYS = [key for key, _, _ in SURFACES]


def call(emulator: Emulator, method: str, path: str, body: object = None) -> dict:
    answer = requests.request(
        method,
        emulator.url + path,
        json=body,
        auth=(LOGIN, PASSWORD),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def ready(emulator: Emulator, prefix: str) -> list[dict[str, t.Any]]:
    return call(emulator, "GET", prefix + "/tasks_ready")["tasks"][0]["result"]


def ledger(emulator: Emulator, api: str) -> list[dict[str, t.Any]]:
    now = emulator.now()
    window = [now - timedelta(days=1), now]
    since, until = (when.strftime("%Y-%m-%d %H:%M:%S +00:00") for when in window)
    query = [{"datetime_from": since, "datetime_to": until}]
    return call(emulator, "POST", f"/v3/{api}/id_list", query)["tasks"][0]["result"]


POSTS = {
    "chat_gpt/llm_scraper": {"location_code": 2840, "language_code": "en"},
    "gemini/llm_scraper": {"location_coordinate": "53.47,-2.24,200"},
    "google/ai_mode": {"location_code": 2840, "device": "mobile"},
}


@pytest.mark.parametrize(("key", "prefix", "api"), SURFACES, ids=KEYS)
def test_a_posted_task_is_listed_collected_once_and_in_its_apis_ledger(
    make_emulator, key, prefix, api
):
    emulator = make_emulator()
    emulator.post_delay_seconds = 0
    body = [{"keyword": "best crm", "language_code": "en", **POSTS[key], "tag": "t1"}]
    posted = call(emulator, "POST", prefix + "/task_post", body)
    (task,) = posted["tasks"]
    assert task["status_code"] == 20100
    assert [item["id"] for item in ready(emulator, prefix)] == [task["id"]]
    got = call(emulator, "GET", f"{prefix}/task_get/advanced/{task['id']}")
    result = got["tasks"][0]["result"][0]
    assert result["keyword"] == "best crm"
    assert ready(emulator, prefix) == []
    entries = [e for e in ledger(emulator, api) if e["id"] == task["id"]]
    assert [e["url"] for e in entries] == [prefix.lstrip("/") + "/task_post"]
    other = "serp" if api == "ai_optimization" else "ai_optimization"
    assert task["id"] not in {e["id"] for e in ledger(emulator, other)}


@pytest.mark.parametrize(
    ("key", "params", "cost"),
    [
        ("google/ai_mode", {}, 0.0012),
        ("google/ai_mode", {"priority": 2}, 0.0024),
        ("google/ai_mode", {"calculate_rectangles": True}, 0.0024),
        ("chat_gpt/llm_scraper", {}, 0.0012),
        ("gemini/llm_scraper", {"priority": 2}, 0.0024),
    ],
)
def test_task_post_charges_the_surfaces_price(make_emulator, key, params, cost):
    emulator = make_emulator()
    prefix = dict((k, p) for k, p, _ in SURFACES)[key]
    body = [{"keyword": "k", "language_code": "en", **POSTS[key], **params}]
    posted = call(emulator, "POST", prefix + "/task_post", body)
    assert posted["tasks"][0]["cost"] == cost
    assert posted["cost"] == cost
    assert emulator.charged == cost


@pytest.mark.parametrize(
    ("field", "item"),
    [
        ("keyword", {"location_code": 2840, "language_code": "en"}),
        ("location_code", {"keyword": "k", "language_code": "en"}),
        ("language_code", {"keyword": "k", "location_code": 2840}),
    ],
)
@pytest.mark.parametrize("surface", SURFACES, ids=KEYS)
def test_task_post_refuses_a_task_without_a_required_field(
    make_emulator, surface, field, item
):
    _, prefix, _ = surface
    emulator = make_emulator()
    posted = call(emulator, "POST", prefix + "/task_post", [item])
    assert posted["tasks"][0]["status_code"] == 40501
    assert field in posted["tasks"][0]["status_message"]
    assert emulator.charged == 0


SHAPES = {
    "function": ({"function", "endpoint_advanced"}, {"se_type", "endpoint_regular"}),
    "se_type": ({"se_type", "endpoint_regular", "endpoint_advanced"}, {"function"}),
}


@pytest.mark.parametrize("variant", SHAPES)
@pytest.mark.parametrize(("key", "prefix", "api"), SURFACES, ids=KEYS)
def test_tasks_ready_entries_come_in_either_shape(
    make_emulator, key, prefix, api, variant
):
    present, absent = SHAPES[variant]
    emulator = make_emulator()
    emulator.ready_variant = variant
    emulator.add_tasks(2, se=key)
    for item in ready(emulator, prefix):
        assert present <= set(item)
        assert not absent & set(item)


def test_id_list_urls_may_carry_the_host(make_emulator):
    emulator = make_emulator()
    emulator.id_list_url_host = True
    emulator.add_tasks(1, se="google/ai_mode")
    (entry,) = ledger(emulator, "serp")
    assert entry["url"] == (
        "https://api.dataforseo.com/v3/serp/google/ai_mode/task_post"
    )


def test_a_surface_task_is_not_found_on_another_surface(make_emulator):
    emulator = make_emulator()
    (task_id,) = emulator.add_tasks(1, se="chat_gpt/llm_scraper")
    for prefix in (SCRAPER.format(llm="gemini"), AI_MODE):
        got = call(emulator, "GET", f"{prefix}/task_get/advanced/{task_id}")
        assert got["tasks"][0]["status_code"] == 40400
    assert emulator.collected_ids() == set()


def test_a_surface_task_is_paid_from_the_balance_and_refused_past_it(make_emulator):
    emulator = make_emulator()
    emulator.deposit = 0.0030
    body = [{"keyword": "k", "language_code": "en", "location_code": 2840}] * 3
    posted = call(emulator, "POST", AI_MODE + "/task_post", body)
    assert [task["status_code"] for task in posted["tasks"]] == [20100, 20100, 40210]
    assert emulator.balance == 0.0006
