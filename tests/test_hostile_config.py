"""Hostile settings, files and environment: one line naming the problem, exit 1."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import typing as t

import pytest

from tap_dataforseo_gemini.tap import NAME, TapDataForSEOGemini
from tests.harness import TAP, config_for, run_tap
from tests.test_bad_input import ENV, GOOD, run_main, write

if t.TYPE_CHECKING:
    from pathlib import Path

#: A JSON object nested this deep ends Python's parsers in RecursionError.
DEEP = 1000


def nested(depth: int) -> str:
    """A JSON object nested ``depth`` levels deep."""
    return '{"a": ' * depth + "1" + "}" * depth


def error_line(monkeypatch, capsys, tmp_path, **changes: t.Any) -> tuple[int, str]:
    """Exit code and last stderr line of a run with these setting changes."""
    config = write(tmp_path, "config.json", json.dumps({**GOOD, **changes}))
    code, stderr = run_main(monkeypatch, capsys, "--config", config)
    assert "Traceback" not in stderr
    return code, stderr.splitlines()[-1]


# api_url, the error line after "invalid settings: "
UNSAFE_URLS = {
    "backslash-before-at": (
        "http://evil.example\\@127.0.0.1:8765",
        "api_url must not hold a login or password (user@host); give them as the "
        "login and password settings",
    ),
    "credentials": (
        "http://user:secret@127.0.0.1:8765",
        "api_url must not hold a login or password (user@host); give them as the "
        "login and password settings",
    ),
    "backslash": (
        "http://evil.example\\.127.0.0.1:8765",
        "api_url 'http://evil.example\\\\.127.0.0.1:8765' has a backslash, a space "
        "or a control character",
    ),
    "query-string": (
        "http://127.0.0.1:8765?x=1",
        "api_url 'http://127.0.0.1:8765?x=1' must have no query string (?) or "
        "fragment (#)",
    ),
    "fragment": (
        "http://evil.example#.127.0.0.1:8765",
        "api_url 'http://evil.example#.127.0.0.1:8765' must have no query string "
        "(?) or fragment (#)",
    ),
    "ipv6-remote-over-http": (
        "http://[2001:db8::1]:8765",
        "api_url http://[2001:db8::1] would send the password in clear text; "
        "use https://",
    ),
}


@pytest.mark.parametrize(("url", "line"), UNSAFE_URLS.values(), ids=UNSAFE_URLS)
def test_an_api_url_requests_could_read_as_another_host_is_refused(
    monkeypatch, capsys, tmp_path, url, line
):
    code, last = error_line(monkeypatch, capsys, tmp_path, api_url=url)
    assert code == 1
    assert last == f"{NAME}: error: invalid settings: {line}"


def test_the_loopback_check_decides_on_the_host_requests_connects_to(emulator):
    # urlsplit reads 127.0.0.1 here; requests would connect to evil.example.
    tricky = emulator.url.replace("http://", "http://evil.example\\@")
    run = run_tap(config_for(tricky))
    assert run.returncode == 1
    assert "api_url must not hold a login or password" in run.stderr
    assert not emulator.requests


def test_an_unreachable_ipv6_host_is_printed_in_brackets(monkeypatch, capsys, tmp_path):
    code, last = error_line(
        monkeypatch, capsys, tmp_path, api_url="http://[::1]:9", max_tries=1
    )
    assert code == 1
    assert "http://[::1]:9 (check the api_url setting)" in last


def test_a_user_agent_with_a_line_break_is_blamed_on_user_agent(
    monkeypatch, capsys, tmp_path
):
    code, last = error_line(
        monkeypatch, capsys, tmp_path, user_agent="tap\r\nX-Injected: 1"
    )
    assert code == 1
    assert last == (
        f"{NAME}: error: invalid settings: user_agent must be one line of Latin-1 "
        "text with no leading space"
    )


@pytest.mark.parametrize(
    ("changes", "line"),
    [
        (
            {"request_timeout": 10**11},
            "100000000000 is greater than the maximum of 86400 in "
            "config['request_timeout']",
        ),
        (
            {"progress_interval_seconds": 1e308},
            "Decimal('1E+308') is greater than the maximum of 86400 in "
            "config['progress_interval_seconds']",
        ),
    ],
    ids=["request_timeout", "progress_interval_seconds"],
)
def test_a_wait_longer_than_a_day_is_refused(
    monkeypatch, capsys, tmp_path, changes, line
):
    code, last = error_line(monkeypatch, capsys, tmp_path, **changes)
    assert code == 1
    assert last == f"{NAME}: error: invalid settings: {line}"


@pytest.mark.parametrize("option", ["--config", "--state", "--catalog"])
def test_a_file_nested_too_deep_ends_with_one_line(
    monkeypatch, capsys, tmp_path, option
):
    deep = write(tmp_path, "deep.json", nested(DEEP))
    args = [option, deep]
    if option != "--config":
        args += ["--config", write(tmp_path, "good.json", json.dumps(GOOD))]
    code, stderr = run_main(monkeypatch, capsys, *args)
    assert code == 1
    assert stderr.splitlines() == [
        f"{NAME}: error: {option} file {deep} is nested more than 64 levels deep"
    ]


# variable, value, the error line after "invalid settings: "
BAD_ENVIRONMENT = {
    "stream_maps-not-json": (
        "STREAM_MAPS",
        "{models: null}",
        f"{ENV}STREAM_MAPS is not JSON: Expecting property name enclosed in double "
        "quotes at line 1 column 2",
    ),
    "stream_maps-too-deep": (
        "STREAM_MAPS",
        nested(DEEP),
        f"{ENV}STREAM_MAPS is nested more than 64 levels deep",
    ),
    "flattening_max_depth-a-word": (
        "FLATTENING_MAX_DEPTH",
        "deep",
        f"{ENV}FLATTENING_MAX_DEPTH must be a whole number, not 'deep'",
    ),
    "number-a-word": (
        "PROGRESS_INTERVAL_SECONDS",
        "often",
        f"{ENV}PROGRESS_INTERVAL_SECONDS must be a number, not 'often'",
    ),
    "number-infinite": (
        "MAX_RETRY_SECONDS",
        "inf",
        f"{ENV}MAX_RETRY_SECONDS must be a number, not 'inf'",
    ),
}


@pytest.mark.parametrize("case", BAD_ENVIRONMENT.values(), ids=BAD_ENVIRONMENT)
def test_a_bad_setting_from_the_environment_ends_with_one_line_naming_it(
    monkeypatch, capsys, tmp_path, case
):
    variable, value, line = case
    monkeypatch.setenv(ENV + variable, value)
    config = write(tmp_path, "config.json", json.dumps(GOOD))
    code, stderr = run_main(monkeypatch, capsys, "--config", config, "--config", "ENV")
    assert code == 1
    assert "Traceback" not in stderr
    assert stderr.splitlines()[-1] == f"{NAME}: error: invalid settings: {line}"


def test_decimal_settings_from_the_environment_are_numbers(monkeypatch):
    monkeypatch.setenv(ENV + "PROGRESS_INTERVAL_SECONDS", "30")
    monkeypatch.setenv(ENV + "MAX_RETRY_SECONDS", " 2.5 ")
    tap = TapDataForSEOGemini(config=dict(GOOD), parse_env_config=True)
    assert tap.config["progress_interval_seconds"] == 30
    assert tap.config["max_retry_seconds"] == 2.5


def test_another_owners_state_is_refused_before_the_first_request(emulator):
    emulator.add_tasks(3)
    state = {"bookmarks": {"llm_responses": {"llm": "claude", "pending": []}}}
    run = run_tap(config_for(emulator.url), state=state)
    assert run.returncode == 1
    assert run.stderr.splitlines()[-1] == (
        f"{NAME}: error: invalid state: it belongs to llm claude at 127.0.0.1, this "
        "run reads llm gemini at 127.0.0.1: give this extractor its own state"
    )
    assert not emulator.requests


def fifo(folder: Path, name: str, text: str) -> str:
    """A named pipe that gives ``text`` to its first reader, once."""
    path = folder / name
    os.mkfifo(path)

    def feed() -> None:
        with open(path, "w", encoding="utf-8") as pipe:
            pipe.write(text)

    threading.Thread(target=feed, daemon=True).start()
    return str(path)


def test_settings_state_and_catalog_can_come_from_pipes(emulator, tmp_path):
    emulator.add_tasks(2)
    catalog = json.loads(run_tap(config_for(emulator.url), extra=["--discover"]).stdout)
    for stream in catalog["streams"]:
        # The catalog read from the pipe is the one used: it leaves out models.
        for entry in stream["metadata"]:
            if entry["breadcrumb"] == []:
                entry["metadata"]["selected"] = stream["stream"] != "models"
    state = {"bookmarks": {"llm_responses": {"llm": "gemini", "pending": []}}}
    done = subprocess.run(
        [
            *TAP,
            "--config",
            "/dev/stdin",
            "--state",
            fifo(tmp_path, "state", json.dumps(state)),
            "--catalog",
            fifo(tmp_path, "catalog", json.dumps(catalog)),
        ],
        input=json.dumps(config_for(emulator.url)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "Traceback" not in done.stderr
    assert done.returncode == 0, done.stderr[-500:]
    streams = {
        json.loads(line)["stream"]
        for line in done.stdout.splitlines()
        if json.loads(line)["type"] == "RECORD"
    }
    assert streams == {"ready_tasks", "llm_responses", "llm_response_citations"}
