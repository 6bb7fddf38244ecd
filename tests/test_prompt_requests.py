"""Requests the API accepts: per-LLM rules checked before posting, and dry-run help."""

from __future__ import annotations

import typing as t

import pytest

from tap_dataforseo_gemini.prompts import cli
from tests.test_prompts import FLASH, post, prompts_file, task_posts

if t.TYPE_CHECKING:
    from pathlib import Path

    from fake_dataforseo import Emulator

SONNET = "claude-sonnet-4-0"


def problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], **settings: t.Any
) -> list[str]:
    """The error lines of a dry run without credentials (file checks only)."""
    prompts = prompts_file(tmp_path, **settings)
    with pytest.raises(SystemExit):
        cli.main(["post", "--prompts", str(prompts), "--dry-run"])
    prefix = f"dataforseo-prompts: error: {prompts}: "
    return [line.removeprefix(prefix) for line in capsys.readouterr().err.splitlines()]


def test_chat_gpt_takes_at_least_16_output_tokens(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    found = problems(
        tmp_path, capsys, llms={"chat_gpt": ["gpt-4.1-mini"]}, max_output_tokens=8
    )

    assert found == [
        "max_output_tokens: chat_gpt takes at least 16 (1024 for its reasoning models)"
    ]


def test_temperature_and_top_p_together_are_refused_for_chat_gpt_and_claude(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    found = problems(
        tmp_path,
        capsys,
        llms={"gemini": [FLASH], "claude": [SONNET]},
        temperature=0.5,
        top_p=0.9,
    )

    assert found == ["temperature and top_p: claude take one or the other, not both"]


def test_claude_takes_a_temperature_up_to_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    found = problems(tmp_path, capsys, llms={"claude": [SONNET]}, temperature=1.5)

    assert found == ["temperature: claude takes 0 to 1"]


def test_claude_reasoning_takes_at_least_1025_output_tokens(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    found = problems(
        tmp_path,
        capsys,
        llms={"claude": [SONNET]},
        use_reasoning=True,
        max_output_tokens=1024,
    )

    assert found == ["max_output_tokens: claude takes at least 1025 with use_reasoning"]


def test_a_field_no_llm_of_the_set_takes_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    found = problems(tmp_path, capsys, force_web_search=True, web_search_city="Lyon")

    assert found == [
        "force_web_search: only chat_gpt and claude take it, not gemini",
        "web_search_city: only chat_gpt and claude take it, not gemini",
    ]


def test_a_country_code_must_be_two_capital_letters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    found = problems(
        tmp_path,
        capsys,
        llms={"chat_gpt": ["gpt-4.1"]},
        web_search_country_iso_code="fr",
    )

    assert found == [
        "web_search_country_iso_code must be a two-letter ISO country code in "
        "capitals (US, FR...)"
    ]


def test_localised_web_search_goes_only_to_the_llms_that_take_it(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = prompts_file(
        tmp_path,
        llms={"gemini": [FLASH], "chat_gpt": ["gpt-4.1-mini"]},
        web_search=True,
        force_web_search=True,
        web_search_country_iso_code="FR",
        web_search_city="Lyon",
    )

    code, _, err = post(emulator, prompts, capsys)

    assert code == 0, err
    assert task_posts(emulator) == 4
    chat_gpt = emulator.task_params("chat_gpt")
    gemini = emulator.task_params("gemini")
    assert {p["web_search_city"] for p in chat_gpt} == {"Lyon"}
    assert all("web_search_city" not in p for p in gemini)


def test_a_reasoning_chat_gpt_model_needs_1024_output_tokens(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = prompts_file(
        tmp_path, llms={"chat_gpt": ["o3-mini"]}, max_output_tokens=512
    )

    code, _, err = post(emulator, prompts, capsys)

    assert code == 1
    assert err.splitlines()[-1].endswith(
        "llms: chat_gpt model 'o3-mini' reasons: max_output_tokens must be at "
        "least 1024"
    )
    assert task_posts(emulator) == 0


def test_a_dry_run_with_credentials_suggests_the_closest_model_name(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = prompts_file(tmp_path, llms={"claude": ["claude-sonnet-4"]})

    code, _, err = post(emulator, prompts, capsys, "--dry-run")

    assert code == 1
    assert err.splitlines()[-1].endswith(
        "llms: claude has no model 'claude-sonnet-4' "
        "(did you mean 'claude-sonnet-4-0'?)"
    )


def test_a_dry_run_prints_the_samples_and_margins_of_each_prompt_and_model(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = prompts_file(tmp_path, repeats=4)

    code, _, err = post(emulator, prompts, capsys, "--dry-run")

    assert code == 0
    assert (
        f"samples: gm gemini {FLASH}: 4 a day (mention rate ±49.0 points), "
        "28 a week (±18.5), 95% worst case" in err
    )
