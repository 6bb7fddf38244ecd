"""``dataforseo-prompts post`` to the LLM Scraper and Google AI Mode (issue 20).

The same rules as LLM Responses: each task once a period, an unconfirmed post
looked up in its surface's ledger and never posted twice, every task within the
budget at its surface's price.
"""

from __future__ import annotations

import typing as t
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import requests

from fake_dataforseo import Fault
from tap_dataforseo_gemini.prompts import journal as jn
from tap_dataforseo_gemini.prompts import prices, prompt_set, surfaces
from tap_dataforseo_gemini.prompts.post import reconcile
from tests.harness import LOGIN, PASSWORD
from tests.test_prompts import post, prompts_file

if t.TYPE_CHECKING:
    from pathlib import Path

    from fake_dataforseo import Emulator
    from tap_dataforseo_gemini.prompts.client import PromptsClient

#: The emulator's ledger key of each surface, and its task_post path.
CHATGPT_APP = "chat_gpt/llm_scraper"
GEMINI_APP = "gemini/llm_scraper"
AI_MODE = "google/ai_mode"
POST_PATHS = {
    CHATGPT_APP: "/v3/ai_optimization/chat_gpt/llm_scraper/task_post",
    GEMINI_APP: "/v3/ai_optimization/gemini/llm_scraper/task_post",
    AI_MODE: "/v3/serp/google/ai_mode/task_post",
}


def surfaces_file(folder: Path, **settings: t.Any) -> Path:
    """A prompts file posting two prompts to both scrapers and AI Mode, no LLM.

    A setting given as None is left out.
    """
    surfaces = {
        "name": "apps",
        "llms": None,
        "scrapers": {"chat_gpt": None, "gemini": {"location_code": 2826}},
        "ai_mode": {"language_code": "fr", "device": "mobile"},
    }
    return prompts_file(folder, **{**surfaces, **settings})


def posts_to(emulator: Emulator, path: str) -> int:
    """How many calls the emulator answered at one path."""
    return sum(1 for request in emulator.requests if request.path == path)


def test_each_surface_gets_each_prompt_once_a_period(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = surfaces_file(tmp_path)

    first = post(emulator, prompts, capsys)
    second = post(emulator, prompts, capsys)

    assert first[0] == second[0] == 0, first[2] + second[2]
    assert "posted 6 tasks" in first[1]
    assert "posted 0 tasks" in second[1]
    assert "6 already posted" in second[1]
    day = emulator.now().strftime("%Y-%m-%d")
    for key, path in POST_PATHS.items():
        tags = emulator.tags(key)
        assert sorted(tags) == sorted(set(tags)), key
        llm, surface = key.split("/")
        assert f"dfsp/apps/gm/{llm}/{surface}/{day}/1" in tags
        assert len(tags) == 2, key
        # The first task of the period alone, then the other.
        assert posts_to(emulator, path) == 2, key


def test_a_surface_task_asks_the_prompt_as_its_keyword_where_the_file_says(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = surfaces_file(tmp_path, prompts=[{"text": "C++ or 100% Rust?"}])

    code, _, err = post(emulator, prompts, capsys)

    assert code == 0, err
    (ai_mode,) = emulator.task_params(AI_MODE)
    (gemini,) = emulator.task_params(GEMINI_APP)
    (chat_gpt,) = emulator.task_params(CHATGPT_APP)
    # task_post decodes %## and reads "+" as a space: both are sent encoded.
    assert ai_mode["keyword"] == "C%2B%2B or 100%25 Rust?"
    assert {k: v for k, v in ai_mode.items() if k not in ("keyword", "tag")} == {
        "location_code": 2840,
        "language_code": "fr",
        "device": "mobile",
    }
    assert (gemini["location_code"], gemini["language_code"]) == (2826, "en")
    assert (chat_gpt["location_code"], chat_gpt["language_code"]) == (2840, "en")
    assert "device" not in chat_gpt


@pytest.mark.parametrize(
    ("key", "ledger"),
    [(AI_MODE, "/v3/serp/id_list"), (GEMINI_APP, "/v3/ai_optimization/id_list")],
)
def test_a_lost_answer_is_found_in_its_surfaces_ledger_and_never_posted_again(
    emulator: Emulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    key: str,
    ledger: str,
) -> None:
    emulator.inject(Fault.LOST_ANSWER, times=2, path_contains=POST_PATHS[key])
    prompts = surfaces_file(
        tmp_path, prompts=[f"Question {n}?" for n in range(5)], scrapers={"gemini": {}}
    )

    code, out, err = post(emulator, prompts, capsys)
    again = post(emulator, prompts, capsys, "--settle-seconds", "0")

    assert code == 0, err
    assert "looking its tasks up in id_list" in err
    assert posts_to(emulator, ledger) > 0
    assert "posted 10 tasks" in out
    assert "0 unknown" in out
    assert "10 already posted" in again[1]
    assert posts_to(emulator, POST_PATHS[key]) == 2
    assert sorted(Counter(emulator.tags(key)).values()) == [1] * 5


def test_the_budget_counts_ai_mode_tasks_at_their_price(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    price = prices.SURFACE_USD["ai_mode"]
    assert price == 0.0012  # the vendor's standard queue, normal priority
    prompts = surfaces_file(
        tmp_path,
        budget_usd=price * 4.5,
        prompts=[f"Question {n}?" for n in range(6)],
        scrapers=None,
    )

    planned = post(emulator, prompts, capsys, "--dry-run")
    code, out, err = post(emulator, prompts, capsys)

    assert "would post 4 tasks, worst case $0.0048" in planned[1]
    assert code == 0, err
    assert "posted 4 tasks" in out
    assert "2 left out by the budget" in out
    assert len(emulator.tags(AI_MODE)) == 4
    assert emulator.charged == pytest.approx(4 * price)


def test_the_price_table_prices_the_scraper_as_the_vendor_advertises() -> None:
    # "from $0.0012 per ChatGPT results page"; Gemini's price is unconfirmed.
    assert prices.posting_charge("chat_gpt", "llm_scraper") == 0.0012
    assert prices.posting_charge("gemini", "llm_scraper") == 0.0012


def test_bad_scrapers_and_ai_mode_entries_get_one_line_each(tmp_path: Path) -> None:
    prompts = surfaces_file(
        tmp_path,
        scrapers={"claude": {}, "gemini": {"location_code": "US"}},
        ai_mode={"device": "tablet", "language_code": "english", "os": "ios"},
    )

    with pytest.raises(prompt_set.InvalidPromptsError) as caught:
        prompt_set.load(prompts)

    assert caught.value.problems == [
        "scrapers: unknown llm 'claude' (the LLM Scraper takes chat_gpt and gemini)",
        "scrapers.gemini.location_code must be a DataForSEO location code",
        "ai_mode: give only location_code, language_code, device",
    ]


def test_an_ai_mode_device_it_does_not_take_is_refused(tmp_path: Path) -> None:
    prompts = surfaces_file(tmp_path, ai_mode={"device": "tablet"})

    with pytest.raises(prompt_set.InvalidPromptsError) as caught:
        prompt_set.load(prompts)

    assert caught.value.problems == ["ai_mode.device must be one of desktop, mobile"]


def test_a_prompt_too_long_as_an_ai_mode_keyword_is_refused(tmp_path: Path) -> None:
    prompts = surfaces_file(tmp_path, prompts=["+" * 250])

    with pytest.raises(prompt_set.InvalidPromptsError) as caught:
        prompt_set.load(prompts)

    assert caught.value.problems == [
        "prompt 1: 750 characters as a keyword ('%' and '+' encoded), over "
        "ai_mode's 700"
    ]


def test_a_prompts_file_without_llms_or_surfaces_is_refused(tmp_path: Path) -> None:
    prompts = surfaces_file(tmp_path, scrapers=None, ai_mode=None)

    with pytest.raises(prompt_set.InvalidPromptsError) as caught:
        prompt_set.load(prompts)

    assert "llms is missing: map an LLM (gemini, chat_gpt, claude) to its models" in (
        caught.value.problems
    )


@pytest.mark.parametrize("key", [AI_MODE, CHATGPT_APP])
def test_the_emulator_answers_with_the_keyword_decoded_as_task_post_reads_it(
    emulator: Emulator, key: str
) -> None:
    auth = (LOGIN, PASSWORD)
    body = [{"keyword": "C%2B%2B or 100%25+Rust?", "location_code": 2840}]
    body[0]["language_code"] = "en"
    url = emulator.url + POST_PATHS[key]
    posted = requests.post(url, json=body, auth=auth, timeout=10)
    task_id = posted.json()["tasks"][0]["id"]
    path = POST_PATHS[key].replace("task_post", f"task_get/advanced/{task_id}")
    answer = requests.get(emulator.url + path, auth=auth, timeout=10)

    assert answer.json()["tasks"][0]["result"][0]["keyword"] == "C++ or 100% Rust?"


class Ledgers:
    """A PromptsClient's ``posted_tags``: each ledger's items by tag, or its error."""

    def __init__(self, **ledgers: dict[str, dict[str, t.Any]] | Exception) -> None:
        self.ledgers = ledgers
        self.asked: list[str] = []

    def posted_tags(
        self, since: object, prefix: str, ledger: str = "id_list"
    ) -> dict[str, dict[str, t.Any]]:
        self.asked.append(ledger)
        found = self.ledgers[ledger.replace("/", "_")]
        if isinstance(found, Exception):
            raise found
        return found


def unknown_tags(folder: Path, *tags: str) -> jn.Journal:
    """A journal whose tags were sent without an answer, past the settle floor."""
    journal = jn.Journal(folder / "journal.jsonl")
    journal.intend(list(tags))
    past = datetime.now(UTC) - jn.SETTLE_FLOOR - timedelta(minutes=1)
    for tag in tags:
        journal.entries[tag].intended_at = past
    return journal


AI_MODE_TAG = "dfsp/apps/gm/google/ai_mode/2026-12-04/1"
GEMINI_APP_TAG = "dfsp/apps/gm/gemini/llm_scraper/2026-12-04/1"


def test_an_entry_listed_under_another_url_still_counts_as_posted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    listed = {"id": "t1", "url": "v3/serp/google/organic/task_post", "cost": 0.0012}
    client = Ledgers(serp_id_list={AI_MODE_TAG: listed})
    journal = unknown_tags(tmp_path, AI_MODE_TAG)

    read = reconcile(journal, t.cast("PromptsClient", client), 0)

    assert read
    assert client.asked == ["serp/id_list"]
    assert journal.entries[AI_MODE_TAG].outcome == jn.POSTED
    assert "counted as posted" in caplog.text
    journal.close()


def test_a_ledger_that_fails_leaves_its_tags_unknown_and_the_other_is_read(
    tmp_path: Path,
) -> None:
    url = "https://api.dataforseo.com/v3/ai_optimization/gemini/llm_scraper/task_post"
    client = Ledgers(
        serp_id_list=requests.ConnectionError("refused"),
        id_list={GEMINI_APP_TAG: {"id": "t2", "url": url, "cost": 0.0012}},
    )
    journal = unknown_tags(tmp_path, AI_MODE_TAG, GEMINI_APP_TAG)

    read = reconcile(journal, t.cast("PromptsClient", client), 0)

    assert not read
    assert sorted(client.asked) == ["id_list", "serp/id_list"]
    assert journal.entries[GEMINI_APP_TAG].outcome == jn.POSTED
    # Never marked absent (and so re-posted) on a ledger that did not answer.
    assert journal.entries[AI_MODE_TAG].outcome == jn.UNKNOWN
    journal.close()


@pytest.mark.parametrize(
    "url",
    [
        "v3/serp/google/ai_mode/task_post",
        "/v3/serp/google/ai_mode/task_post/",
        "https://api.dataforseo.com/v3/serp/google/ai_mode/task_post?x=1",
    ],
)
def test_ai_modes_task_post_url_is_recognised_with_or_without_host(url: str) -> None:
    assert surfaces.SURFACES["ai_mode"].lists(url, "google")
    assert not surfaces.SURFACES["llm_scraper"].lists(url, "gemini")
