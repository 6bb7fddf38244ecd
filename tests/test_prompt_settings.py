"""dataforseo-prompts reads the tap's settings without the tap, checked as it does."""

from __future__ import annotations

import pytest

from tap_dataforseo_gemini import settings
from tap_dataforseo_gemini.errors import InvalidConfigError
from tests.harness import PASSWORD, config_for


def test_settings_take_the_environment_over_the_file_then_the_defaults(monkeypatch):
    monkeypatch.setenv("TAP_DATAFORSEO_GEMINI_MAX_TRIES", "3")
    monkeypatch.setenv("TAP_DATAFORSEO_GEMINI_MAX_RETRY_SECONDS", "2.5")
    loaded = settings.load(config_for("http://127.0.0.1:9", max_tries=7))
    assert (loaded["max_tries"], loaded["max_retry_seconds"]) == (3, 2.5)
    assert loaded["rate_limit_per_minute"] == 10000


def test_a_setting_of_the_wrong_type_is_one_line_naming_it(monkeypatch):
    monkeypatch.delenv("TAP_DATAFORSEO_GEMINI_MAX_TRIES", raising=False)
    with pytest.raises(InvalidConfigError, match="invalid settings: 'x' is not of"):
        settings.load(config_for("http://127.0.0.1:9", max_tries="x"))


def test_an_invalid_settings_error_never_echoes_the_password():
    config = {**config_for("http://127.0.0.1:9"), "user_agent": {"agent": PASSWORD}}
    with pytest.raises(InvalidConfigError) as raised:
        settings.load(config)
    assert PASSWORD not in str(raised.value)
    assert "invalid settings" in str(raised.value)
