"""Bad files, settings and state: exit code 1 and one line naming the problem."""

from __future__ import annotations

import json
import logging
import signal
import sys
import typing as t

import pytest

from tap_dataforseo_gemini.tap import NAME, TapDataForSEOGemini, main
from tests.harness import LOGIN, PASSWORD

if t.TYPE_CHECKING:
    from pathlib import Path

GOOD = {"login": LOGIN, "password": PASSWORD, "api_url": "http://127.0.0.1:9"}
ENV = "TAP_DATAFORSEO_GEMINI_"


def run_main(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    """Run main() in this process: its exit code and its stderr.

    What the command line sets up for a process (a log handler on this test's
    stderr, signal handlers, the excepthook) is undone afterwards.
    """
    monkeypatch.setattr(sys, "argv", [NAME, *args])
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    root = logging.getLogger()
    handlers = list(root.handlers)
    signals = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with pytest.raises(SystemExit) as stopped:
            main()
    finally:
        root.handlers = handlers
        for sig, handler in signals.items():
            signal.signal(sig, handler)
        logging.captureWarnings(capture=False)
    return stopped.value.code, capsys.readouterr().err


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text)
    return str(path)


# (setting changes, the error line after "invalid settings: ")
BAD_SETTINGS = {
    "request_timeout-0": (
        {"request_timeout": 0},
        "0 is less than or equal to the minimum of 0 in config['request_timeout']",
    ),
    "request_timeout-negative": (
        {"request_timeout": -5},
        "-5 is less than or equal to the minimum of 0 in config['request_timeout']",
    ),
    "max_concurrent_requests-0": (
        {"max_concurrent_requests": 0},
        "0 is less than the minimum of 1 in config['max_concurrent_requests']",
    ),
    "rate_limit_per_minute-0": (
        {"rate_limit_per_minute": 0},
        "0 is less than the minimum of 1 in config['rate_limit_per_minute']",
    ),
    "tasks_ready_rate_limit-0": (
        {"tasks_ready_rate_limit_per_minute": 0},
        "0 is less than the minimum of 1 in "
        "config['tasks_ready_rate_limit_per_minute']",
    ),
    "id_list_rate_limit-0": (
        {"id_list_rate_limit_per_minute": 0},
        "0 is less than the minimum of 1 in config['id_list_rate_limit_per_minute']",
    ),
    "max_answer_bytes-0": (
        {"max_answer_bytes": 0},
        "0 is less than the minimum of 1 in config['max_answer_bytes']",
    ),
    "start_date-yesterday": (
        {"start_date": "yesterday"},
        "start_date 'yesterday' is not an ISO 8601 date-time such as "
        "2026-01-31T00:00:00Z",
    ),
    "password-outside-latin-1": (
        {"password": "pass\u20acword"},
        "the password has characters HTTP Basic auth cannot send (only Latin-1 "
        "ones); use the API password from the DataForSEO dashboard",
    ),
    "password-a-number": (
        {"password": 98765432},
        "password must be a string (quote it in JSON or YAML; its value is not shown)",
    ),
    "http-to-a-remote-host": (
        {"api_url": "http://api.dataforseo.com"},
        "api_url http://api.dataforseo.com would send the password in clear text; "
        "use https://",
    ),
}


@pytest.mark.parametrize(
    ("changes", "line"), BAD_SETTINGS.values(), ids=BAD_SETTINGS.keys()
)
def test_a_bad_setting_ends_with_one_line_naming_it(
    monkeypatch, capsys, tmp_path, changes, line
):
    config = write(tmp_path, "config.json", json.dumps({**GOOD, **changes}))
    code, stderr = run_main(monkeypatch, capsys, "--config", config)
    assert code == 1
    assert "Traceback" not in stderr
    assert stderr.splitlines()[-1] == f"{NAME}: error: invalid settings: {line}"


@pytest.mark.parametrize(
    ("variable", "value"),
    [("MAX_TRIES", "abc"), ("MAX_CONCURRENT_REQUESTS", "2.5"), ("REQUEST_TIMEOUT", "")],
)
def test_an_integer_setting_from_the_environment_must_be_a_whole_number(
    monkeypatch, capsys, tmp_path, variable, value
):
    monkeypatch.setenv(ENV + variable, value)
    config = write(tmp_path, "config.json", json.dumps(GOOD))
    code, stderr = run_main(monkeypatch, capsys, "--config", config, "--config", "ENV")
    assert code == 1
    assert stderr.splitlines()[-1] == (
        f"{NAME}: error: invalid settings: {ENV}{variable} must be a whole number, "
        f"not {value!r}"
    )


# (option, file name, file text or None for no file, the error line with {path})
BAD_FILES = {
    "config-missing": (
        "--config",
        "none.json",
        None,
        "--config file {path} does not exist",
    ),
    "config-a-folder": (
        "--config",
        "folder",
        "<dir>",
        "--config file {path} cannot be read: Is a directory",
    ),
    "config-not-json": (
        "--config",
        "config.json",
        "login: x",
        "--config file {path} is not JSON: Expecting value at line 1 column 1",
    ),
    "config-not-an-object": (
        "--config",
        "config.json",
        "[]",
        "--config file {path} must hold a JSON object",
    ),
    "state-missing": (
        "--state",
        "none.json",
        None,
        "--state file {path} does not exist",
    ),
    "state-not-json": (
        "--state",
        "state.json",
        '{"bookmarks": ',
        "--state file {path} is not JSON: Expecting value at line 1 column 15",
    ),
    "catalog-missing": (
        "--catalog",
        "none.json",
        None,
        "--catalog file {path} does not exist",
    ),
    "catalog-not-json": (
        "--catalog",
        "catalog.json",
        "{streams}",
        "--catalog file {path} is not JSON: Expecting property name enclosed in "
        "double quotes at line 1 column 2",
    ),
}


@pytest.mark.parametrize("case", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_file_ends_with_one_line_naming_it(monkeypatch, capsys, tmp_path, case):
    option, name, text, line = case
    path = tmp_path / name
    if text == "<dir>":
        path.mkdir()
    elif text is not None:
        path.write_text(text)
    args = [option, str(path)]
    if option != "--config":
        args += ["--config", write(tmp_path, "good.json", json.dumps(GOOD))]
    code, stderr = run_main(monkeypatch, capsys, *args)
    assert code == 1
    assert stderr.splitlines() == [f"{NAME}: error: " + line.format(path=path)]


def test_a_file_given_as_option_equals_path_is_checked_too(
    monkeypatch, capsys, tmp_path
):
    path = tmp_path / "none.json"
    code, stderr = run_main(monkeypatch, capsys, f"--config={path}")
    assert code == 1
    assert stderr.splitlines() == [
        f"{NAME}: error: --config file {path} does not exist"
    ]


@pytest.mark.parametrize(
    ("state", "line"),
    [
        ({"bookmarks": []}, "invalid state: bookmarks must be a JSON object"),
        (
            {"bookmarks": {"llm_responses": ["x"]}},
            "invalid state: bookmarks.llm_responses must be a JSON object",
        ),
    ],
    ids=["bookmarks-a-list", "bookmark-a-list"],
)
def test_state_with_bookmarks_of_the_wrong_shape_ends_with_one_line(
    monkeypatch, capsys, tmp_path, state, line
):
    config = write(tmp_path, "config.json", json.dumps(GOOD))
    state_file = write(tmp_path, "state.json", json.dumps(state))
    code, stderr = run_main(
        monkeypatch, capsys, "--config", config, "--state", state_file
    )
    assert code == 1
    assert stderr.splitlines()[-1] == f"{NAME}: error: {line}"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080",
        "http://127.9.9.9",
        "http://localhost:1",
        "http://[::1]:1",
    ],
)
def test_http_is_accepted_for_loopback_hosts(url):
    tap = TapDataForSEOGemini(config={**GOOD, "api_url": url})
    assert tap.config["api_url"] == url


def test_settings_without_api_url_take_the_https_default():
    tap = TapDataForSEOGemini(config={"login": LOGIN, "password": PASSWORD})
    assert tap.config["api_url"] == "https://api.dataforseo.com"


def test_an_unknown_setting_is_named_with_the_closest_known_one(caplog):
    with caplog.at_level(logging.WARNING):
        TapDataForSEOGemini(config={**GOOD, "colection_mode": "next_run", "zzz": 1})
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert (
        "Unknown setting 'colection_mode' is ignored (did you mean collection_mode?)"
        in warnings
    )
    assert "Unknown setting 'zzz' is ignored" in warnings


def test_the_sdk_settings_are_known(caplog):
    sdk_settings = {
        "stream_maps": {},
        "stream_map_config": {},
        "flattening_enabled": False,
        "flattening_max_depth": 1,
    }
    with caplog.at_level(logging.WARNING):
        TapDataForSEOGemini(config={**GOOD, **sdk_settings})
    assert not [r for r in caplog.records if "Unknown setting" in r.getMessage()]


def test_a_catalog_of_the_wrong_shape_ends_with_one_line(monkeypatch, capsys, tmp_path):
    config = write(tmp_path, "config.json", json.dumps(GOOD))
    catalog = write(tmp_path, "catalog.json", json.dumps({"streams": "models"}))
    code, stderr = run_main(
        monkeypatch, capsys, "--config", config, "--catalog", catalog
    )
    assert code == 1
    assert stderr.splitlines()[-1] == (
        f"{NAME}: error: invalid catalog: streams must list objects, each with a "
        "tap_stream_id, a schema object and a metadata list"
    )
