"""What the command line tells a newcomer: ``--test``'s last line, the env-var hint."""

from __future__ import annotations

import typing as t

from tests.harness import LOGIN, PASSWORD, config_for, run_tap

if t.TYPE_CHECKING:
    from fake_dataforseo import Emulator

PASSED = "tap-dataforseo-gemini: --test passed: "


def test_a_passing_test_ends_with_one_line_naming_what_was_checked(
    emulator: Emulator,
) -> None:
    run = run_tap(config_for(emulator.url), extra=["--test"])
    assert run.returncode == 0, run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith(PASSED), last
    assert "the settings are valid, 127.0.0.1 accepted the login" in last
    assert "models and ready_tasks read" in last
    assert "no task collected" in last


def test_a_failing_test_never_says_it_passed(emulator: Emulator) -> None:
    run = run_tap(config_for(emulator.url, password="wrong"), extra=["--test"])
    assert run.returncode == 1
    assert PASSED not in run.stderr


def test_settings_left_in_the_environment_are_named_with_config_env() -> None:
    env = {
        "TAP_DATAFORSEO_GEMINI_LOGIN": LOGIN,
        "TAP_DATAFORSEO_GEMINI_PASSWORD": PASSWORD,
    }
    run = run_tap({}, extra=["--test"], env=env)
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert "'login' is a required property" in last
    assert "TAP_DATAFORSEO_GEMINI_LOGIN and others set in the environment" in last
    assert "--config ENV" in last


def test_no_hint_for_a_variable_whose_setting_the_config_file_gives() -> None:
    env = {"TAP_DATAFORSEO_GEMINI_LOGIN": LOGIN}  # as Meltano hands it, file and env
    run = run_tap({"login": LOGIN}, extra=["--test"], env=env)
    assert run.returncode == 1
    assert "'password' is a required property" in run.stderr
    assert "--config ENV" not in run.stderr


def test_no_hint_when_no_setting_is_in_the_environment() -> None:
    run = run_tap({}, extra=["--test"])
    assert run.returncode == 1
    assert "--config ENV" not in run.stderr


def test_config_env_reads_the_settings_the_hint_names(emulator: Emulator) -> None:
    env = {
        "TAP_DATAFORSEO_GEMINI_LOGIN": LOGIN,
        "TAP_DATAFORSEO_GEMINI_PASSWORD": PASSWORD,
        "TAP_DATAFORSEO_GEMINI_API_URL": emulator.url,
    }
    run = run_tap({}, extra=["--config", "ENV", "--test"], env=env)
    assert run.returncode == 0, run.stderr
    assert run.stderr.strip().splitlines()[-1].startswith(PASSED)
