"""Honest money: a period's budget holds against what the emulator really charges."""

from __future__ import annotations

import json
import typing as t
import urllib.request
from base64 import b64encode
from datetime import datetime, timedelta

import pytest

from fake_dataforseo import Fault
from fake_dataforseo import payloads as p
from tap_dataforseo_gemini.prompts import prices
from tests.harness import LOGIN, PASSWORD, config_for, run_tap
from tests.test_prompts import FLASH, post, prompts_file, task_posts

if t.TYPE_CHECKING:
    from pathlib import Path

    from fake_dataforseo import Emulator

#: Flash with web search: the table's worst case of one task ($0.0404).
FLASH_WEB = prices.worst_case(
    "gemini",
    {
        "model_name": FLASH,
        "user_prompt": "Question 100 about CRMs?",
        "web_search": True,
    },
    prices.PRICES["gemini"][FLASH],
)


def questions(n: int) -> list[str]:
    """``n`` distinct prompts."""
    return [f"Question {k} about CRMs?" for k in range(n)]


def web_prompts(folder: Path, **settings: t.Any) -> Path:
    """200 web-search prompts to Gemini Flash under $2.00, unless told otherwise."""
    return prompts_file(
        folder,
        **{
            "budget_usd": 2.0,
            "prompts": questions(200),
            "web_search": True,
            **settings,
        },
    )


def call(emulator: Emulator, method: str, path: str, body: object = None) -> t.Any:
    """One authenticated call to the emulator: its decoded answer."""
    token = b64encode(f"{LOGIN}:{PASSWORD}".encode()).decode()
    request = urllib.request.Request(
        emulator.url + path,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Basic {token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def api_time(when: datetime) -> str:
    """A time as the API writes it."""
    return when.strftime("%Y-%m-%d %H:%M:%S +00:00")


# --------------------------------------------------------------- the emulator
def test_the_emulator_takes_the_advance_at_posting_and_settles_at_base_plus_money_spent(
    emulator: Emulator,
) -> None:
    emulator.post_status = "queued"
    body = [{"user_prompt": "Best CRM?", "model_name": FLASH, "web_search": True}]
    posted = call(
        emulator, "POST", "/v3/ai_optimization/gemini/llm_responses/task_post", body
    )
    task_id = posted["tasks"][0]["id"]
    running = emulator.task_cost(task_id)
    emulator.complete([task_id])
    got = call(
        emulator, "GET", f"/v3/ai_optimization/gemini/llm_responses/task_get/{task_id}"
    )
    money_spent = got["tasks"][0]["result"][0]["money_spent"]

    assert posted["tasks"][0]["cost"] == running == p.POST_COST == 0.0102
    assert money_spent > 0.035  # the web-search fee, above the $0.01 advance
    assert emulator.task_cost(task_id) == round(p.BASE_COST + money_spent, 6)


def test_id_list_shows_the_settled_cost_and_user_data_the_balance_it_leaves(
    emulator: Emulator,
) -> None:
    body = [{"user_prompt": "Best CRM?", "model_name": FLASH, "web_search": True}]
    call(emulator, "POST", "/v3/ai_optimization/gemini/llm_responses/task_post", body)
    now = emulator.now()
    query = [
        {
            "datetime_from": api_time(now - timedelta(hours=1)),
            "datetime_to": api_time(now),
        }
    ]
    listed = call(emulator, "POST", "/v3/ai_optimization/id_list", query)
    account = call(emulator, "GET", "/v3/appendix/user_data")
    money = account["tasks"][0]["result"][0]["money"]

    (item,) = listed["tasks"][0]["result"]
    assert item["cost"] == emulator.task_cost(item["id"]) > p.POST_COST
    assert money["balance"] == round(emulator.deposit - item["cost"], 6)
    assert money["statistics"]["day"]["total"] == item["cost"]


def test_the_emulator_refuses_a_task_the_balance_cannot_cover_with_40210(
    emulator: Emulator,
) -> None:
    emulator.deposit = 0.015
    body = [{"user_prompt": f"Best CRM {n}?", "model_name": FLASH} for n in range(2)]
    answer = call(
        emulator, "POST", "/v3/ai_optimization/gemini/llm_responses/task_post", body
    )

    assert [task["status_code"] for task in answer["tasks"]] == [20100, 40210]


# ------------------------------------------------------ the budget of a period
def test_200_web_search_prompts_settle_within_a_2_dollar_budget(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = post(emulator, web_prompts(tmp_path), capsys)

    assert code == 0, err
    assert len(emulator.task_ids()) == int(2.0 // FLASH_WEB) == 49
    assert emulator.settled <= 2.0
    assert "151 left out by the budget" in out


def test_runs_after_the_budget_is_spent_post_nothing_more_that_period(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = web_prompts(tmp_path)
    post(emulator, prompts, capsys)
    # Settled charges are below the worst cases: the next run uses what is left.
    second = post(emulator, prompts, capsys)
    third = post(emulator, prompts, capsys)

    assert second[0] == third[0] == 0
    assert "posted 0 tasks" in third[1]
    assert emulator.settled <= 2.0
    assert 2.0 - emulator.settled < FLASH_WEB
    assert len(emulator.task_ids()) > 49


def test_a_balance_below_the_plans_worst_case_refuses_it_with_one_line(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.deposit = 0.05

    code, _, err = post(emulator, web_prompts(tmp_path), capsys)

    assert code == 1
    assert task_posts(emulator) == 0
    (line,) = err.splitlines()[-1:]
    assert "exceeds the account balance $0.0500" in line
    assert f"worst case ${49 * FLASH_WEB:.4f}" in line


def test_a_settled_charge_above_the_estimate_raises_it_and_keeps_under_budget(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The provider bills web search at $0.06, the table says $0.035.
    emulator.prices[FLASH] = (0.30, 2.50, 0.06)

    code, _, err = post(emulator, web_prompts(tmp_path), capsys)
    again = post(emulator, web_prompts(tmp_path), capsys)

    assert code == again[0] == 0, err
    assert err.count("above its worst case") == 1
    assert 0 < len(emulator.task_ids()) < 49
    assert emulator.settled <= 2.0


def test_a_price_set_ten_times_too_low_overspends_by_one_task_at_most(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cheap = {
        "input_per_million": 0.03,
        "output_per_million": 0.25,
        "web_search_usd": 0.0035,
    }
    prompts = web_prompts(tmp_path, budget_usd=0.5, prices={"gemini": {FLASH: cheap}})

    code, _, err = post(emulator, prompts, capsys)

    assert code == 0, err
    assert emulator.settled <= 0.5


def test_a_posting_charge_above_the_estimate_never_posts_past_the_budget(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # task_post takes $0.20 a task, and the tasks stay running (not settled).
    emulator.post_cost = 0.2
    emulator.post_status = "queued"
    prompts = prompts_file(tmp_path, budget_usd=0.5, prompts=questions(30))

    code, _, err = post(emulator, prompts, capsys, "--probe-seconds", "0")

    assert code == 0, err
    assert emulator.charged <= 0.5
    assert len(emulator.task_ids()) == 2


def test_a_plan_fits_under_the_accounts_daily_cap(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.day_limit = 0.03
    prompts = prompts_file(tmp_path, prompts=questions(5))

    code, out, err = post(emulator, prompts, capsys)

    assert code == 0, err
    assert "daily spending cap $0.03" in err
    assert len(emulator.task_ids()) == 2
    assert "3 left out by the budget" in out


# ------------------------------------------------ the account refuses payment
def test_insufficient_funds_40210_stops_the_run_with_one_line(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The first task settles at about $0.085 and leaves $0.005: too little.
    emulator.deposit = 0.09
    emulator.prices[FLASH] = (0.30, 2.50, 0.08)
    prompts = prompts_file(tmp_path, web_search=True)

    code, out, err = post(emulator, prompts, capsys)

    assert code == 1
    assert err.splitlines()[-1] == (
        "dataforseo-prompts: error: stopped posting: DataForSEO refused tasks: "
        "insufficient funds (40210); the balance cannot cover them, recharge it"
    )
    assert "posted 1 tasks" in out


def test_payment_required_40200_stops_the_run_with_one_line(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.inject(Fault.HTTP_402, path_contains="/task_post")

    code, out, err = post(emulator, prompts_file(tmp_path), capsys)

    assert code == 1
    assert "(HTTP 402)" in err.splitlines()[-1]
    assert len(err.splitlines()) == 1
    assert "posted 0 tasks" in out


# ------------------------------------------------------- the prompts file
def test_a_model_the_price_table_lacks_is_refused_unless_the_file_prices_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tap_dataforseo_gemini.prompts import cli

    unknown = prompts_file(tmp_path, llms={"gemini": ["gemini-9"]})
    with pytest.raises(SystemExit):
        cli.main(["post", "--prompts", str(unknown), "--dry-run"])
    refused = capsys.readouterr().err
    priced = prompts_file(
        tmp_path,
        llms={"gemini": ["gemini-9"]},
        prices={
            "gemini": {
                "gemini-9": {
                    "input_per_million": 1,
                    "output_per_million": 4,
                    "web_search_usd": 0.05,
                }
            }
        },
    )
    cli.main(["post", "--prompts", str(priced), "--dry-run"])

    assert "no price for gemini model 'gemini-9'" in refused
    assert "dry run: would post 2 tasks" in capsys.readouterr().out


def test_a_max_cost_per_task_below_a_models_worst_case_refuses_the_plan(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = web_prompts(tmp_path, budget_usd=0.1, max_cost_per_task_usd=0.001)

    code, _, err = post(emulator, prompts, capsys)

    assert code == 1
    assert err.splitlines() == [
        f"dataforseo-prompts: error: {prompts}: max_cost_per_task_usd: a gemini "
        f"{FLASH} task may cost ${FLASH_WEB:.4f} (worst case), above the $0.0010 "
        "allowed"
    ]
    assert task_posts(emulator) == 0


def test_a_budget_of_1e308_dollars_is_refused_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tap_dataforseo_gemini.prompts import cli

    prompts = prompts_file(tmp_path, budget_usd=1e308)
    with pytest.raises(SystemExit):
        cli.main(["post", "--prompts", str(prompts), "--dry-run"])

    assert capsys.readouterr().err.splitlines() == [
        f"dataforseo-prompts: error: {prompts}: budget_usd must be a positive "
        "number of US dollars, at most 1,000,000"
    ]


# ------------------------------------------------------- charges in the warehouse
def test_llm_responses_cost_is_the_settled_charge_of_tasks_planned_from_id_list(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    post(
        emulator, prompts_file(tmp_path, prompts=questions(6), web_search=True), capsys
    )

    run = run_tap(config_for(emulator.url, collection_mode="same_run"))

    costs = {r["id"]: r["cost"] for r in run.records("llm_responses")}
    assert costs == {tid: emulator.task_cost(tid) for tid in emulator.task_ids()}
    assert all(cost > p.POST_COST for cost in costs.values())


def test_llm_responses_cost_is_null_when_no_id_list_entry_planned_the_task(
    emulator: Emulator,
) -> None:
    ids = emulator.add_tasks(3)
    config = config_for(emulator.url, collection_mode="next_run")

    first = run_tap(config)
    second = run_tap(config, state=first.last_state)

    records = second.records("llm_responses")
    assert {r["id"] for r in records} == set(ids)
    assert {r["cost"] for r in records} == {None}
