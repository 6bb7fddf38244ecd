"""The password, its Basic-auth base64 and its URL-encoded forms never get printed."""

from __future__ import annotations

import base64
import json
import logging
import os
import signal
import socket
import subprocess
import typing as t
from urllib.parse import quote, quote_plus

import pytest

from fake_dataforseo import Emulator, Fault
from tap_dataforseo_gemini import redact
from tests.harness import LOGIN, config_for, tap_args

#: A password whose URL-encoded and JSON forms differ from it.
PASSWORD = 'S3cr"et/Pa55 w+rd&%='


def forms(password: str) -> list[str]:
    """What a leak of the password would look like."""
    basic = base64.b64encode(f"{LOGIN}:{password}".encode()).decode()
    return [password, basic, quote(password, safe=""), quote_plus(password)]


def test_the_mask_covers_the_password_its_basic_auth_and_url_encoded_forms():
    mask = redact.Mask(redact.forms(LOGIN, PASSWORD))
    text = " | ".join([*forms(PASSWORD), json.dumps(PASSWORD)])
    masked = mask(text)
    assert all(form not in masked for form in forms(PASSWORD))
    assert masked.count(redact.MASK) == 5


def test_a_traceback_in_a_log_record_is_masked():
    secret_filter = redact.SecretFilter(redact.Mask(redact.forms(LOGIN, PASSWORD)))
    error = ValueError(f"Authorization: Basic {forms(PASSWORD)[1]}")
    record = logging.LogRecord(
        "x", logging.ERROR, __file__, 1, "failed", None, (ValueError, error, None)
    )
    secret_filter.filter(record)
    line = logging.Formatter().format(record)
    assert "ValueError: Authorization: Basic ********" in line
    assert forms(PASSWORD)[1] not in line


@pytest.fixture
def api() -> t.Iterator[Emulator]:
    """An emulator that knows PASSWORD, with five tasks."""
    emulator = Emulator(login=LOGIN, password=PASSWORD, seed=41, latency=0.02).start()
    emulator.add_tasks(5)
    yield emulator
    emulator.stop()


def settings(url: str, **changes: t.Any) -> dict[str, t.Any]:
    """Settings with PASSWORD, for the emulator at ``url``."""
    return config_for(url, **{"password": PASSWORD, **changes})


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(config: dict[str, t.Any], *, stop: str = "") -> bytes:
    """Every byte a DEBUG-level run prints on stdout and stderr.

    ``stop``: "TERM" signals the run after its first record; "pipe" closes its
    stdout there.
    """
    env = {"TAP_DATAFORSEO_GEMINI_LOGLEVEL": "debug"}
    with subprocess.Popen(
        tap_args(config),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **env},
    ) as process:
        assert process.stdout is not None
        if not stop:
            out, err = process.communicate(timeout=60)
            return out + err
        seen = b""
        for line in process.stdout:
            seen += line
            if b'"RECORD"' in line:
                break
        if stop == "TERM":
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=60)
            return seen + out + err
        process.stdout.close()
        err = process.stderr.read() if process.stderr else b""
        process.wait(timeout=60)
        return seen + err


SCENARIOS = {
    "bad-setting": lambda api: run(settings(api.url, request_timeout=0)),
    "rejected-login": lambda api: run(settings(api.url, password=PASSWORD[::-1])),
    "unreachable-host": lambda api: run(
        settings(f"http://127.0.0.1:{closed_port()}", max_tries=1)
    ),
    "malformed-answer": lambda api: (
        api.inject(Fault.NOT_JSON, times=9),
        run(settings(api.url, max_tries=1)),
    )[1],
    "authorization-echoed": lambda api: (
        api.inject(Fault.ECHO_HEADERS, times=9),
        run(settings(api.url, max_tries=1)),
    )[1],
    "too-slow": lambda api: (
        api.inject(Fault.DRIP, path_contains="task_get"),
        run(settings(api.url, max_tries=1, request_timeout=1)),
    )[1],
    "signal": lambda api: run(
        settings(api.url, max_concurrent_requests=1), stop="TERM"
    ),
    "closed-pipe": lambda api: run(
        settings(api.url, max_concurrent_requests=1), stop="pipe"
    ),
    "success": lambda api: run(settings(api.url)),
}


@pytest.mark.parametrize("scenario", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_no_form_of_the_password_is_printed_at_debug_level(api, scenario):
    output = scenario(api)
    assert b"DEBUG" in output
    assert b"Authorization" not in output or b"Basic ********" in output
    for password in (PASSWORD, PASSWORD[::-1]):
        for form in forms(password):
            assert form.encode() not in output, form


def test_a_password_given_as_a_number_is_never_echoed(api):
    output = run(settings(api.url, password=98765432))
    assert b"password must be a string" in output
    assert b"98765432" not in output


def written_forms(password: str) -> list[str]:
    """Every form of the password, also as written inside a JSON string, once and
    twice (``raw_answer`` is JSON text inside a record).
    """
    found = []
    for form in forms(password):
        once = json.dumps(form)[1:-1]
        found += [form, once, json.dumps(once)[1:-1]]
        found += [json.dumps(form, ensure_ascii=False)[1:-1]]
    return found


def test_a_task_echoing_the_credentials_leaks_no_form_into_records_state_or_logs(api):
    api.inject(Fault.TASK_ECHO_HEADERS, times=99, path_contains="task_get")
    output = run(settings(api.url))
    assert b'"status_code":40000' in output  # the failure records are written
    assert output.count(b"Basic ********") >= 5
    for form in written_forms(PASSWORD):
        assert form.encode() not in output, form
