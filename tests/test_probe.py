"""The probe: a model's tasks go out only once one of its charges has settled."""

from __future__ import annotations

import itertools
import re
import typing as t
from datetime import datetime, timedelta, tzinfo

import pytest

from tap_dataforseo_gemini.prompts import cli, prices
from tap_dataforseo_gemini.prompts import journal as jn
from tap_dataforseo_gemini.prompts import post as posting
from tests.test_money import carried_charge, questions, web_prompts
from tests.test_prompts import FLASH, post, prompts_file

if t.TYPE_CHECKING:
    from pathlib import Path

    from fake_dataforseo import Emulator

JOURNAL = ".dataforseo-prompts/brand.jsonl"


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read id_list every 50 ms while waiting for a charge to settle."""
    monkeypatch.setattr(posting, "PROBE_POLL", 0.05)


def calls(emulator: Emulator) -> list[str]:
    """The task_post and id_list calls in order, repeats of one kind merged."""
    kinds = [
        kind
        for r in emulator.requests
        for kind in ("task_post", "id_list")
        if r.path.endswith(kind)
    ]
    return [kind for kind, _ in itertools.groupby(kinds)]


def post_while_queued(
    emulator: Emulator,
    folder: Path,
    capsys: pytest.CaptureFixture[str],
    count: int,
    probe_seconds: str,
) -> tuple[int, str, str]:
    """Post ``count`` prompts to one model while posted tasks stay queued."""
    emulator.post_status = "queued"
    prompts = prompts_file(folder, prompts=questions(count))
    return post(emulator, prompts, capsys, "--probe-seconds", probe_seconds)


def a_run_whose_first_task_stays_running(
    emulator: Emulator, folder: Path, capsys: pytest.CaptureFixture[str]
) -> Path:
    """Five prompts to one model: a run posts the first, which stays queued."""
    post_while_queued(emulator, folder, capsys, 5, "0")
    return folder / "prompts.yml"


class Yesterday(datetime):
    """The clock ``dataforseo-prompts`` reads its period from, a day behind."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> Yesterday:  # type: ignore[override]
        """A day ago."""
        moment = datetime.now(tz) - timedelta(days=1)
        return cls.fromtimestamp(moment.timestamp(), moment.tzinfo)


# ------------------------------------------------------ (a) held until settled
def test_a_models_other_tasks_are_left_for_a_later_run_until_one_charge_settles(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = post_while_queued(emulator, tmp_path, capsys, 5, "0.2")

    assert code == 0, err
    assert len(emulator.task_ids()) == 1
    assert "posted 1 task," in out
    assert "4 held until a first charge settles" in out
    (line,) = [line for line in err.splitlines() if "left for a later run" in line]
    assert line.endswith(
        f"4 tasks left for a later run: no charge of gemini {FLASH} has settled in "
        "id_list within 0.2 s; a task is never posted on the price table's estimate"
    )


def test_a_later_run_waits_for_the_same_first_task_and_posts_no_other(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = a_run_whose_first_task_stays_running(emulator, tmp_path, capsys)

    code, out, err = post(emulator, prompts, capsys, "--probe-seconds", "0")

    assert code == 0, err
    assert len(emulator.task_ids()) == 1
    assert "posted 0 tasks" in out
    assert "4 held until a first charge settles" in out


def test_once_the_first_charge_settles_a_later_run_posts_the_held_tasks(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = a_run_whose_first_task_stays_running(emulator, tmp_path, capsys)

    emulator.complete(emulator.task_ids())
    code, out, err = post(emulator, prompts, capsys, "--probe-seconds", "0")

    assert code == 0, err
    assert "posted 4 tasks" in out
    assert "0 held" in out
    assert len(set(emulator.tags())) == 5


# ------------------------------------------------- (b) across periods
def test_a_new_period_starts_from_the_settled_charge_of_an_earlier_day(
    emulator: Emulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The provider bills web search at $0.06; the table says $0.035.
    emulator.prices[FLASH] = (0.30, 2.50, 0.06)
    with monkeypatch.context() as yesterday:
        yesterday.setattr(posting, "datetime", Yesterday)
        post(emulator, web_prompts(tmp_path, prompts=questions(1)), capsys)
    settled_before = emulator.settled
    # Today's tasks do not settle during the run: only the carried charge is known.
    emulator.post_status = "queued"
    prompts = web_prompts(tmp_path, budget_usd=0.5, prompts=questions(20))

    code, out, err = post(emulator, prompts, capsys, "--probe-seconds", "0")
    emulator.complete(emulator.task_ids())

    assert code == 0, err
    posted = int(re.search(r"posted (\d+) tasks", out).group(1))
    on_the_table = int(0.5 // prices.worst_case("gemini", _web_task(), _flash()))
    assert 1 < posted < on_the_table
    assert "0 held" in out
    assert re.search(
        rf"gemini {FLASH}: estimated from its settled charge \$0\.06\d+ of "
        r"\d{4}-\d\d-\d\d, above the price table's worst case",
        err,
    )
    assert emulator.settled - settled_before <= 0.5


def test_a_settled_charge_survives_the_pruning_of_its_periods_tags(
    tmp_path: Path,
) -> None:
    path = tmp_path / JOURNAL
    with jn.Journal(path) as journal:
        journal.intend(["dfsp/brand/gm/gemini/m/2000-01-01/1"])
        journal.charge(("gemini", FLASH, True), 0.062, "2000-01-01")
        journal.prune(lambda tag: False)

    with jn.Journal(path) as reopened:
        assert reopened.entries == {}
        assert reopened.charges == {
            ("gemini", FLASH, True): jn.Charge(0.062, "2000-01-01")
        }


@pytest.mark.parametrize(
    ("charges", "kept"),
    [
        (
            [(0.041, "2000-01-01"), (0.062, "2000-01-02"), (0.04, "2000-01-31")],
            (0.062, "2000-01-02"),
        ),
        ([(0.062, "2000-01-01"), (0.04, "2000-02-01")], (0.04, "2000-02-01")),
    ],
    ids=["the highest stands 30 days", "then a lower one replaces it"],
)
def test_the_journal_keeps_a_models_highest_settled_charge_for_30_days(
    tmp_path: Path, charges: list[tuple[float, str]], kept: tuple[float, str]
) -> None:
    key = ("gemini", FLASH, True)
    with jn.Journal(tmp_path / JOURNAL) as journal:
        for cost, on in charges:
            journal.charge(key, cost, on)

        assert journal.charges[key] == jn.Charge(*kept)


def test_a_model_known_from_an_earlier_day_is_not_held(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.post_status = "queued"
    carried_charge(tmp_path, 0.003)
    prompts = prompts_file(tmp_path, prompts=questions(5))

    code, out, err = post(emulator, prompts, capsys, "--probe-seconds", "0")

    assert code == 0, err
    assert "posted 5 tasks" in out
    assert "0 held" in out


# ------------------------------------------------ (c) one wait for all models
def test_every_models_first_task_goes_out_before_one_wait_for_them_all(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.post_delay_seconds = 0.3
    models = {
        "gemini": [FLASH],
        "claude": ["claude-sonnet-4-0"],
        "chat_gpt": ["gpt-4.1-mini"],
    }
    prompts = prompts_file(tmp_path, llms=models, prompts=questions(3))

    code, out, err = post(emulator, prompts, capsys, "--probe-seconds", "30")

    assert code == 0, err
    assert "posted 9 tasks" in out
    # Three first tasks (one call per LLM), one wait reading id_list, the rest.
    assert calls(emulator) == ["task_post", "id_list", "task_post"]


def _web_task() -> dict[str, t.Any]:
    return {
        "model_name": FLASH,
        "user_prompt": "Question 10 about CRMs?",
        "web_search": True,
    }


def _flash() -> prices.Price:
    return prices.PRICES["gemini"][FLASH]


# ------------------------------------------------------------- --probe-seconds
@pytest.mark.parametrize("value", ["-1", "nan", "inf", "3601", "soon"])
def test_a_probe_seconds_that_is_no_number_of_seconds_up_to_an_hour_is_refused(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["post", "--prompts", str(prompts_file(tmp_path)), "--probe-seconds", value]

    with pytest.raises(SystemExit) as stopped:
        cli.main(argv)

    assert stopped.value.code == 2
    assert (
        capsys.readouterr()
        .err.splitlines()[-1]
        .endswith(
            f"argument --probe-seconds: {value!r} is not a number of seconds from 0 to "
            "3600 (an hour)"
        )
    )
    assert not (tmp_path / JOURNAL).exists()
