"""``--help`` of both commands says what they do now: surfaces, stuck tasks, probe."""

from __future__ import annotations

import pytest

from tap_dataforseo_gemini.prompts import cli
from tests.harness import run_tap


def words(text: str) -> str:
    """The text with its wrapping undone."""
    return " ".join(text.split())


def prompts_help(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as ended:
        cli.main([*argv, "--help"])
    assert ended.value.code == 0
    return words(capsys.readouterr().out)


def test_the_taps_help_names_its_sources_the_stuck_task_rule_and_config_env():
    shown = words(run_tap({}, extra=["--help"]).stdout)

    assert "Execute the Singer tap." not in shown
    assert "the LLM Scraper (the ChatGPT and Gemini apps) or Google AI Mode" in shown
    assert "keeps failing does not stop the run: it stays pending" in shown
    assert "--config ENV to read the TAP_DATAFORSEO_GEMINI_*" in shown


def test_the_taps_help_says_models_are_read_for_llm_responses_only():
    shown = words(run_tap({}, extra=["--help"]).stdout)

    assert "list tasks_ready (and read models, for LLM Responses)" in shown


def test_dataforseo_prompts_help_names_the_surfaces(
    capsys: pytest.CaptureFixture[str],
):
    shown = prompts_help(capsys)

    assert "the LLM Scraper (the ChatGPT and Gemini apps) and Google AI Mode" in shown


def test_post_help_states_the_probe_rule(capsys: pytest.CaptureFixture[str]):
    shown = prompts_help(capsys, "post")

    assert "with no settled charge yet gets one task first" in shown
    assert "post nothing" in shown
