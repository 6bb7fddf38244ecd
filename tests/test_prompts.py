"""``dataforseo-prompts post`` against the emulator: never twice, never over budget."""

from __future__ import annotations

import base64
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import typing as t
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from fake_dataforseo import Fault
from tap_dataforseo_gemini.prompts import cli, prompt_set
from tap_dataforseo_gemini.prompts.journal import SETTLE_FLOOR
from tests.harness import LOGIN, PASSWORD, config_for, write_json

if t.TYPE_CHECKING:
    from collections.abc import Callable

    from fake_dataforseo import Emulator

COMMAND = [sys.executable, "-m", "tap_dataforseo_gemini.prompts"]
FLASH = "gemini-2.5-flash"


def prompts_file(folder: Path, **settings: t.Any) -> Path:
    """A prompts file: two Gemini prompts, $1 budget, unless ``settings`` say else.

    A setting given as None is left out.
    """
    content = {
        "name": "brand",
        "budget_usd": 1.0,
        "prompts": [
            "Best CRM for small teams?",
            {"text": "CRM with Gmail?", "tag": "gm"},
        ],
        "llms": {"gemini": [FLASH]},
        **settings,
    }
    given = {key: value for key, value in content.items() if value is not None}
    path = folder / "prompts.yml"
    path.write_text(yaml.safe_dump(given))
    return path


def post(
    emulator: Emulator,
    prompts: Path,
    capsys: pytest.CaptureFixture[str],
    *extra: str,
    **config: t.Any,
) -> tuple[int, str, str]:
    """Run ``dataforseo-prompts post`` in this process: (exit code, stdout, stderr)."""
    settings = write_json(
        prompts.parent, "config.json", config_for(emulator.url, **config)
    )
    argv = ["post", "--config", settings, "--prompts", str(prompts), *extra]
    code = 0
    try:
        cli.main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def age_intents(journal: Path) -> None:
    """Date every intent of the journal past the settle floor, as time passing would."""
    past = datetime.now(UTC) - SETTLE_FLOOR - timedelta(minutes=1)
    text = re.sub(r'"at": "[^"]+"', f'"at": "{past.isoformat()}"', journal.read_text())
    journal.write_text(text)


def task_posts(emulator: Emulator) -> int:
    """How many task_post calls the emulator answered."""
    return sum(1 for r in emulator.requests if r.path.endswith("/task_post"))


def test_a_second_post_the_same_day_posts_nothing(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = prompts_file(
        tmp_path, llms={"gemini": [FLASH], "claude": ["claude-sonnet-4-0"]}
    )

    first = post(emulator, prompts, capsys)
    second = post(emulator, prompts, capsys)

    assert first[0] == second[0] == 0
    assert "posted 4 tasks" in first[1]
    assert "posted 0 tasks" in second[1]
    assert "4 already posted" in second[1]
    assert len(emulator.task_ids("gemini")) == len(emulator.task_ids("claude")) == 2
    # Each model's first task of the period goes alone, then the rest.
    assert task_posts(emulator) == 4


def test_posted_tasks_carry_their_deterministic_tag(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = prompts_file(tmp_path, repeats=2)

    post(emulator, prompts, capsys)

    day = emulator.now().strftime("%Y-%m-%d")
    tags = emulator.tags()
    assert f"dfsp/brand/gm/gemini/{FLASH}/{day}/1" in tags
    assert f"dfsp/brand/gm/gemini/{FLASH}/{day}/2" in tags
    assert len(set(tags)) == len(tags) == 4


def test_the_next_period_posts_again(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = prompts_file(tmp_path, period="hour")
    post(emulator, prompts, capsys)
    journal = tmp_path / ".dataforseo-prompts/brand.jsonl"
    hour = time.strftime("%Y-%m-%dT%H", time.gmtime())
    # The journal of an hour ago: same prompts, another period.
    text = journal.read_text().replace(hour, "2000-01-01T00")
    journal.write_text(text)

    code, out, _ = post(emulator, prompts, capsys)

    assert code == 0
    assert "posted 2 tasks" in out
    assert len(emulator.task_ids()) == 4


def test_250_prompts_go_in_a_first_task_then_three_calls(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = prompts_file(
        tmp_path, budget_usd=5, prompts=[f"Question {n}?" for n in range(250)]
    )

    code, out, _ = post(emulator, prompts, capsys)

    assert code == 0, out
    assert "posted 250 tasks" in out
    assert task_posts(emulator) == 4
    assert len(set(emulator.tags())) == 250


def test_a_budget_smaller_than_the_plan_posts_only_what_fits(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = prompts_file(
        tmp_path, budget_usd=0.5, prompts=[f"Question {n}?" for n in range(120)]
    )

    code, out, err = post(emulator, prompts, capsys)

    assert code == 0
    fits = int(0.5 // 0.0102)
    assert len(emulator.task_ids()) == fits == 49
    assert emulator.charged <= 0.5
    assert emulator.settled <= 0.5
    assert f"{120 - fits} left out" in err
    assert f"{120 - fits} left out by the budget" in out


def test_a_posting_charge_above_the_estimate_prices_the_rest_of_the_run(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.post_cost = 0.05
    prompts = prompts_file(
        tmp_path, budget_usd=2.0, prompts=[f"Question {n}?" for n in range(150)]
    )

    code, out, err = post(emulator, prompts, capsys)

    assert code == 0, err
    assert "above its estimate" in err
    assert emulator.charged <= 2.0
    assert len(emulator.task_ids()) == 40
    assert "110 left out by the budget" in out


def test_dry_run_posts_nothing(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = prompts_file(tmp_path, budget_usd=0.015)

    code, out, err = post(emulator, prompts, capsys, "--dry-run")

    assert code == 0
    assert "dry run: would post 1 task, worst case $0.0102" in out
    assert "1 left out" in err
    # With credentials, a dry run reads the models lists, nothing else.
    assert {r.path.rsplit("/", 1)[-1] for r in emulator.requests} == {"models"}


def test_the_cost_limit_40203_stops_with_a_clear_line(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.cost_limit = 0.015
    prompts = prompts_file(tmp_path)

    code, out, err = post(emulator, prompts, capsys)

    assert code == 1
    assert "cost limit is reached (40203)" in err.splitlines()[-1]
    assert "posted 1 task," in out
    assert len(emulator.task_ids()) == 1


def test_a_rate_limited_task_post_is_retried_and_posted_once(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.inject(Fault.RATE_LIMIT_40202, times=2, path_contains="/task_post")
    prompts = prompts_file(tmp_path)

    code, out, _ = post(emulator, prompts, capsys)

    assert code == 0, out
    assert task_posts(emulator) == 4
    assert len(emulator.task_ids()) == 2


@pytest.mark.parametrize(
    "fault",
    # Unreadable answers of tasks the API did create (issue 23) too.
    [Fault.LOST_ANSWER, Fault.INVALID_UTF8, Fault.DEEP_NESTING],
)
def test_a_lost_answer_is_looked_up_in_id_list_and_posting_goes_on(
    emulator: Emulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fault: Fault,
) -> None:
    emulator.inject(fault, path_contains="/task_post")
    prompts = prompts_file(
        tmp_path, budget_usd=5, prompts=[f"Question {n}?" for n in range(150)]
    )

    code, out, err = post(emulator, prompts, capsys)
    again = post(emulator, prompts, capsys)

    assert code == 0, err
    assert "looking its tasks up in id_list" in err
    assert "posted 150 tasks" in out
    assert "150 already posted" in again[1]
    assert task_posts(emulator) == 3
    assert sorted(emulator.tags()) == sorted(set(emulator.tags()))
    assert len(emulator.tags()) == 150


def test_a_lost_answer_is_found_when_the_machine_clock_runs_ahead_of_the_api(
    make_emulator: Callable[..., Emulator],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    emulator = make_emulator(clock_offset=timedelta(minutes=-10))
    emulator.inject(Fault.LOST_ANSWER, path_contains="/task_post")
    prompts = prompts_file(tmp_path)

    post(emulator, prompts, capsys)
    code, out, err = post(emulator, prompts, capsys, "--settle-seconds", "0")

    # The lost answer is the model's first task's, alone: the first run finds it
    # and posts the other, or (id_list read within the same second) stops and the
    # rerun finds it and posts the other. Either way nothing stays unknown.
    assert code == 0, err
    posted, already = map(
        int, re.search(r"posted (\d+) tasks.* (\d+) already posted", out).groups()
    )
    assert "0 unknown" in out
    assert (posted, already) in {(0, 2), (1, 1)}
    assert sorted(Counter(emulator.tags()).values()) == [1, 1]


def test_a_lost_answer_id_list_cannot_confirm_stops_posting(
    make_emulator: Callable[..., Emulator],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    emulator = make_emulator(id_list_enabled=False)
    emulator.inject(Fault.LOST_ANSWER, path_contains="/task_post")
    prompts = prompts_file(
        tmp_path, budget_usd=5, prompts=[f"Question {n}?" for n in range(150)]
    )

    code, out, err = post(emulator, prompts, capsys)

    assert code == 1
    assert "never to post twice" in err.splitlines()[-1]
    # The lost answer is the model's first task of the period, posted alone.
    assert "1 unknown" in out
    assert task_posts(emulator) == 1
    assert len(emulator.tags()) == 1


@pytest.mark.parametrize(
    "fault", [Fault.HTTP_500, Fault.INTERNAL_50000, Fault.NOT_JSON]
)
def test_an_answer_that_proves_nothing_is_not_retried(
    emulator: Emulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fault: Fault,
) -> None:
    emulator.inject(fault, path_contains="/task_post")
    prompts = prompts_file(tmp_path)

    code, out, _ = post(emulator, prompts, capsys)
    soon = post(emulator, prompts, capsys, "--settle-seconds", "0")
    age_intents(tmp_path / ".dataforseo-prompts/brand.jsonl")
    settled = post(emulator, prompts, capsys)

    assert code == 1
    assert "1 unknown" in out
    # The other task goes alone as the model's first, the unknown one waits.
    assert "posted 1 task," in soon[1]
    assert "1 unknown" in soon[1]
    assert "posted 1 task," in settled[1]
    assert task_posts(emulator) == 3
    assert len(emulator.tags()) == len(set(emulator.tags())) == 2


def test_without_id_list_an_unconfirmed_task_is_never_posted_again(
    make_emulator: Callable[..., Emulator],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    emulator = make_emulator(id_list_enabled=False)
    emulator.inject(Fault.HTTP_500, path_contains="/task_post")
    prompts = prompts_file(tmp_path)

    post(emulator, prompts, capsys)
    code, out, err = post(emulator, prompts, capsys, "--settle-seconds", "0")

    assert code == 0
    assert "id_list could not be read" in err
    assert "NOT posted again" in err
    assert "1 unknown (not re-posted)" in out
    # Only the task the first run never sent is posted.
    day = emulator.now().strftime("%Y-%m-%d")
    assert emulator.tags() == [f"dfsp/brand/gm/gemini/{FLASH}/{day}/1"]


def test_a_question_mark_inside_a_flow_mapping_needs_no_quotes(tmp_path: Path) -> None:
    path = tmp_path / "prompts.yml"
    path.write_text(
        "budget_usd: 2.50\n"
        "prompts:\n"
        "  - What is the best CRM for small teams?\n"
        "  - {text: Which CRM works best with Gmail?, tag: crm-gmail}\n"
        "llms:\n"
        "  gemini: [gemini-2.5-flash]\n"
    )

    prompts = prompt_set.load(path)

    assert [p.text for p in prompts.prompts] == [
        "What is the best CRM for small teams?",
        "Which CRM works best with Gmail?",
    ]


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"budget_usd": None}, "budget_usd is missing"),
        ({"llms": {"bard": ["x"]}}, "llms: unknown llm 'bard'"),
        (
            {"prompts": ["ok", "x" * 501]},
            "prompt 2: 501 characters, over the API's 500",
        ),
        ({"prompts": []}, "prompts is missing"),
        ({"period": "month"}, "period must be one of hour, day, week"),
        ({"web_search": "yes"}, "web_search must be true or false"),
    ],
)
def test_an_invalid_prompts_file_gets_one_line_per_problem(
    emulator: Emulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    settings: dict[str, t.Any],
    problem: str,
) -> None:
    prompts = prompts_file(tmp_path, **settings)  # budget_usd=None: left out

    code, out, err = post(emulator, prompts, capsys)

    assert code == 1
    (line,) = err.splitlines()
    assert line.startswith(f"dataforseo-prompts: error: {prompts}: {problem}")
    assert out == ""
    assert emulator.requests == []


def test_every_problem_of_a_prompts_file_is_listed(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = tmp_path / "prompts.yml"
    prompts.write_text(
        yaml.safe_dump({"prompts": ["x" * 501], "llms": {"bard": ["x"]}, "extra": 1})
    )

    code, _, err = post(emulator, prompts, capsys)

    assert code == 1
    assert len(err.splitlines()) == 4
    assert all(
        line.startswith("dataforseo-prompts: error: ") for line in err.splitlines()
    )


def test_a_model_the_llm_does_not_list_is_refused_before_posting(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = prompts_file(
        tmp_path, llms={"gemini": ["gemini-9", "gemini-1.5-pro"]}, web_search=True
    )

    code, _, err = post(emulator, prompts, capsys)

    assert code == 1
    assert err.splitlines() == [
        f"dataforseo-prompts: error: {prompts}: llms: gemini has no model 'gemini-9'",
        f"dataforseo-prompts: error: {prompts}: llms: gemini model 'gemini-1.5-pro' "
        "cannot take task_post",
    ]
    assert task_posts(emulator) == 0


def test_the_password_never_appears_in_the_output(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.inject(Fault.LOST_ANSWER, path_contains="/task_post")
    prompts = prompts_file(tmp_path)
    runs = [
        post(emulator, prompts, capsys),
        post(emulator, prompts, capsys, password="Wr0ng-" + PASSWORD),
    ]
    for _, out, err in runs:
        assert PASSWORD not in out + err
    assert "rejected the login and password" in runs[1][2]


def test_an_error_echoing_the_authorization_header_is_masked(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.inject(Fault.ECHO_HEADERS, path_contains="/models")
    basic = base64.b64encode(f"{LOGIN}:{PASSWORD}".encode()).decode()

    code, out, err = post(emulator, prompts_file(tmp_path), capsys)

    assert code == 1
    assert "Headers:" in err
    assert basic not in out + err


def test_a_second_run_at_the_same_time_is_refused(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tap_dataforseo_gemini.prompts.journal import Journal

    prompts = prompts_file(tmp_path)
    with Journal(tmp_path / ".dataforseo-prompts/brand.jsonl"):
        code, _, err = post(emulator, prompts, capsys)
    assert code == 1
    assert "another dataforseo-prompts run is using" in err
    assert emulator.tags() == []


def test_a_journal_line_torn_by_a_crash_is_cut_off(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = prompts_file(tmp_path)
    post(emulator, prompts, capsys)
    journal = tmp_path / ".dataforseo-prompts/brand.jsonl"
    journal.write_text(journal.read_text() + '{"event": "posted", "tag": "dfsp/br')

    code, out, _ = post(emulator, prompts, capsys)

    assert code == 0
    assert "2 already posted" in out
    assert journal.read_text().endswith("}\n")
    assert len(emulator.tags()) == 2


# ----------------------------------------------------------------- kill loops
def _run(config: str, prompts: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            *COMMAND,
            "post",
            "--config",
            config,
            "--prompts",
            str(prompts),
            "--settle-seconds",
            "0",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ},
    )


def _kill_at_random(
    process: subprocess.Popen[bytes], emulator: Emulator, rng: random.Random
) -> None:
    """SIGKILL once the emulator holds a random number of tasks, plus a random wait."""
    target = rng.randint(0, 250)
    deadline = time.monotonic() + 60
    while len(emulator.task_ids()) < target and process.poll() is None:
        if time.monotonic() > deadline:
            break
        time.sleep(0.005)
    time.sleep(rng.uniform(0, 0.15))
    process.send_signal(signal.SIGKILL)
    process.wait()


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_a_run_killed_while_posting_then_rerun_posts_each_task_exactly_once(
    make_emulator: Callable[..., Emulator], tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    emulator = make_emulator(latency=0.05, latency_jitter=0.1, seed=seed)
    prompts = prompts_file(
        tmp_path, budget_usd=5, prompts=[f"Question {n}?" for n in range(250)]
    )
    config = write_json(tmp_path, "config.json", config_for(emulator.url))

    _kill_at_random(_run(config, prompts), emulator, rng)
    while emulator.in_flight:  # what the killed run sent is carried out
        time.sleep(0.01)
    age_intents(tmp_path / ".dataforseo-prompts/brand.jsonl")
    for _ in range(3):
        if _run(config, prompts).wait(timeout=120) == 0:
            break
    tags = emulator.tags()
    assert len(tags) == 250
    assert max(Counter(tags).values()) == 1
    lines = [
        json.loads(line)
        for line in (tmp_path / ".dataforseo-prompts/brand.jsonl")
        .read_text()
        .splitlines()
    ]
    posted = {line["tag"] for line in lines if line["event"] == "posted"}
    assert posted == set(tags)


@pytest.mark.parametrize(
    ("period", "key"),
    [("hour", "2026-12-31T23"), ("day", "2026-12-31"), ("week", "2026-W53")],
)
def test_a_period_is_named_in_utc(period: str, key: str) -> None:
    from datetime import datetime, timedelta, timezone

    from tap_dataforseo_gemini.prompts.plan import period_key

    # 2027-01-01 01:30 in UTC+2 is 2026-12-31 23:30 UTC, in ISO week 53 of 2026.
    moment = datetime(2027, 1, 1, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    assert period_key(period, moment) == key


def test_a_budget_asks_every_prompt_of_every_model_before_any_repeat(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Two Gemini tasks at $0.0102 and two Claude ones at about $0.0320.
    prompts = prompts_file(
        tmp_path,
        budget_usd=0.09,
        repeats=3,
        llms={"gemini": [FLASH], "claude": ["claude-sonnet-4-0"]},
    )

    post(emulator, prompts, capsys)

    tags = emulator.tags("gemini") + emulator.tags("claude")
    assert len(tags) == 4
    assert {tag.rsplit("/", 1)[1] for tag in tags} == {"1"}


def test_a_journal_with_a_foreign_line_stops_with_one_line(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = prompts_file(tmp_path)
    journal = tmp_path / ".dataforseo-prompts/brand.jsonl"
    journal.parent.mkdir()
    journal.write_text("not json\n")

    code, _, err = post(emulator, prompts, capsys)

    assert code == 1
    assert err.splitlines() == [
        f"dataforseo-prompts: error: {journal}, line 1: not a journal entry"
    ]
    assert emulator.tags() == []


def test_a_task_the_api_refuses_is_reported_and_the_rest_are_posted(
    emulator: Emulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("fake_dataforseo.payloads.MAX_TEXT", 20)
    prompts = prompts_file(
        tmp_path, prompts=["Short one?", "A longer question than 20?"]
    )

    code, out, err = post(emulator, prompts, capsys)

    assert code == 0
    assert "posted 1 task," in out
    assert "1 refused" in out
    assert "task_post refused" in err
    assert "40501" in err
    assert len(emulator.tags()) == 1
