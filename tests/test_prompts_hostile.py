"""``dataforseo-prompts post`` against hostile servers, paths and settings.

Never twice whatever ``--settle-seconds`` says; never a secret in the journal,
on stdout or on stderr; a journal path that cannot hold a journal is one line.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
import typing as t
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from urllib.parse import quote, quote_plus

import pytest
import requests

from fake_dataforseo import Emulator, Fault
from tap_dataforseo_gemini.prompts import cli
from tap_dataforseo_gemini.redact import forms
from tests.harness import LOGIN, config_for, write_json
from tests.test_prompts import COMMAND, post, prompts_file, task_posts

if t.TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

JOURNAL = ".dataforseo-prompts/brand.jsonl"
#: A password whose raw, URL-, JSON- and base64 forms all differ.
ODD_PASSWORD = 'p@ss w/"rd+%:1'

Rewrite = t.Callable[[dict[str, t.Any], str], dict[str, t.Any]]


class Proxy:
    """A server on loopback in front of the emulator, rewriting task_post answers.

    ``rewrite(answer, authorization)`` gets each task_post answer and the
    ``Authorization`` header it was sent with; the tasks are created upstream.
    """

    def __init__(self, upstream: str, rewrite: Rewrite) -> None:
        session = requests.Session()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._forward()

            def do_POST(self) -> None:
                self._forward()

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                answer = session.request(
                    self.command,
                    upstream + self.path,
                    data=self.rfile.read(length),
                    headers={
                        "Authorization": self.headers["Authorization"],
                        "Content-Type": "application/json",
                    },
                    timeout=10,
                )
                body = answer.content
                if self.path.endswith("/task_post") and answer.ok:
                    authorization = self.headers["Authorization"]
                    body = json.dumps(rewrite(answer.json(), authorization)).encode()
                self.send_response(answer.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.session = session
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Proxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
        self.session.close()


def post_through(
    rewrite: Rewrite,
    emulator: Emulator,
    prompts: Path,
    capsys: pytest.CaptureFixture[str],
    **config: t.Any,
) -> tuple[int, str, str]:
    """``post`` as ``tests.test_prompts.post`` runs it, through a rewriting proxy."""
    with Proxy(emulator.url, rewrite) as server:
        stand_in = t.cast("Emulator", SimpleNamespace(url=server.url))
        return post(stand_in, prompts, capsys, **config)


def journal_text(folder: Path) -> str:
    """The journal's text; "" before it exists."""
    path = folder / JOURNAL
    return path.read_text() if path.exists() else ""


def journal_events(folder: Path) -> list[dict[str, t.Any]]:
    return [json.loads(line) for line in (folder / JOURNAL).read_text().splitlines()]


# ------------------------------------------------------------ --settle-seconds


def test_a_run_killed_in_flight_then_rerun_with_settle_seconds_0_posts_nothing_twice(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.slow_seconds = 8.0  # the rerun runs while it is in flight
    emulator.inject(Fault.SLOW, path_contains="/task_post")
    prompts = prompts_file(tmp_path)
    config = write_json(tmp_path, "config.json", config_for(emulator.url))
    killed = subprocess.Popen(
        [*COMMAND, "post", "--config", config, "--prompts", str(prompts)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    # Killed once its intent is journaled and its task_post (the model's first
    # task, posted alone) is in flight, not during an earlier call (user_data).
    while not (emulator.in_flight and '"intent"' in journal_text(tmp_path)):
        assert time.monotonic() < deadline
        assert killed.poll() is None
        time.sleep(0.01)
    killed.kill()
    killed.wait()

    code, out, err = post(emulator, prompts, capsys, "--settle-seconds", "0")
    while emulator.in_flight:  # the killed run's task_post is carried out
        time.sleep(0.01)

    assert code == 0, err
    assert "posted 1 tasks" in out  # the task the killed run never sent
    assert "1 unknown (not re-posted)" in out
    assert "below the floor of 300" in err
    assert len(emulator.tags()) == 2
    assert max(Counter(emulator.tags()).values()) == 1


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "1e300", "soon"])
def test_a_settle_seconds_that_is_no_number_of_seconds_is_refused(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["post", "--prompts", str(prompts_file(tmp_path))]
    with pytest.raises(SystemExit) as stopped:
        cli.main([*argv, "--settle-seconds", value])
    err = capsys.readouterr().err
    assert stopped.value.code == 2
    assert f"argument --settle-seconds: {value!r} is not a number" in err
    assert not (tmp_path / JOURNAL).exists()


# ------------------------------------------------------------------- secrets


def echo_every_form(answer: dict[str, t.Any], authorization: str) -> dict[str, t.Any]:
    """Quote the password in every form it can take: in a refusal, in an id.

    The "gm" prompt's task is refused, every other one created: whatever tasks
    a call carries (a model's first task goes alone, in a call of its own).
    """
    password = ODD_PASSWORD
    encoded = (quote(password), quote_plus(password), json.dumps(password))
    echoed = " ".join((authorization, password, *encoded))
    for task in answer["tasks"]:
        if "/gm/" in task["data"]["tag"]:
            task.update(status_code=40501, status_message=f"Invalid Field: {echoed}")
        else:
            task["id"] = f"{task['id']} {echoed}"
    return answer


def assert_no_form_of_the_password(*texts: str) -> None:
    for form in forms(LOGIN, ODD_PASSWORD):
        for text in texts:
            assert form not in text


@pytest.fixture
def odd_emulator() -> Iterator[Emulator]:
    with Emulator(login=LOGIN, password=ODD_PASSWORD) as emulator:
        yield emulator


def test_a_server_echoing_the_password_in_task_answers_leaks_it_nowhere(
    odd_emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = prompts_file(tmp_path)
    code, out, err = post_through(
        echo_every_form, odd_emulator, prompts, capsys, password=ODD_PASSWORD
    )
    journal = (tmp_path / JOURNAL).read_text()

    assert code == 0, err
    assert "posted 1 tasks" in out
    assert "1 refused" in out
    events = sorted(event["event"] for event in journal_events(tmp_path))
    # The created task is the model's first: the run waits for it to settle.
    assert events == ["intent", "intent", "not_posted", "posted", "settled"]
    assert_no_form_of_the_password(journal, out, err)


def test_a_task_post_answer_echoing_the_headers_leaks_nothing_to_the_journal(
    odd_emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    odd_emulator.inject(Fault.ECHO_HEADERS, path_contains="/task_post")
    prompts = prompts_file(tmp_path)

    code, out, err = post(odd_emulator, prompts, capsys, password=ODD_PASSWORD)
    journal = (tmp_path / JOURNAL).read_text()

    assert code == 1
    # The refused call is the model's first task, alone: one echo to mask.
    assert journal.count("Headers:") == 1
    assert_no_form_of_the_password(journal, out, err)


# ------------------------------------------------------------- journal paths


@pytest.mark.parametrize("where", ["folder", "/proc", "/dev/null"])
def test_a_journal_path_that_cannot_hold_a_journal_is_one_line(
    where: str, tmp_path: Path
) -> None:
    journal = str(tmp_path) if where == "folder" else where
    prompts = prompts_file(tmp_path, journal=journal)
    argv = ["post", "--prompts", str(prompts), "--dry-run"]

    done = subprocess.run(
        [*COMMAND, *argv], capture_output=True, text=True, check=False
    )

    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"dataforseo-prompts: error: cannot use {journal} as the journal"
        + (
            ": it is not a regular file"
            if where == "/dev/null"
            else " (Is a directory)"
        )
    ]


def test_a_journal_that_is_not_utf8_text_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = prompts_file(tmp_path)
    (tmp_path / JOURNAL).parent.mkdir()
    (tmp_path / JOURNAL).write_bytes(b'{"event": "intent", "tag": "\xff"}\n')

    with pytest.raises(SystemExit) as stopped:
        cli.main(["post", "--prompts", str(prompts), "--dry-run"])

    assert stopped.value.code == 1
    assert capsys.readouterr().err.splitlines() == [
        f"dataforseo-prompts: error: {tmp_path / JOURNAL} is not UTF-8 text"
    ]


# ------------------------------------------- lost answers (behaviour, not names)


#: Three prompts: the model's first task goes alone, the other two in one call.
THREE_PROMPTS = ["Best CRM for small teams?", "CRM with Gmail?", "Cheapest CRM?"]


def drop_last_task(answer: dict[str, t.Any], _: str) -> dict[str, t.Any]:
    """The tasks of a batch are created; its answer forgets the last one."""
    if len(answer["tasks"]) > 1:
        answer["tasks"] = answer["tasks"][:-1]
        answer["tasks_count"] = len(answer["tasks"])
    return answer


def test_a_task_the_answer_does_not_mention_is_not_posted_again_next_run(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = prompts_file(tmp_path, prompts=THREE_PROMPTS)
    first = post_through(drop_last_task, emulator, prompts, capsys)

    second = post(emulator, prompts, capsys)

    assert "1 unknown" in first[1]
    assert second[0] == 0, second[2]
    assert "posted 0 tasks" in second[1]
    assert "3 already posted" in second[1]
    assert max(Counter(emulator.tags()).values()) == 1


def charged(out: str) -> float:
    return float(re.search(r"charged \$([0-9.]+)", out).group(1))


def test_tasks_found_in_id_list_after_a_lost_answer_count_what_the_api_charged(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The model's first task goes alone and is answered (a SLOW of 0 s takes
    # that call); the answer of the second call, the batch of two, is lost.
    emulator.slow_seconds = 0.0
    emulator.inject(Fault.SLOW, path_contains="/task_post")
    emulator.inject(Fault.LOST_ANSWER, path_contains="/task_post")
    prompts = prompts_file(tmp_path, prompts=THREE_PROMPTS)

    code, out, err = post(emulator, prompts, capsys)

    assert code == 0, err
    assert "posted 3 tasks" in out
    assert task_posts(emulator) == 2
    assert emulator.charged > 0
    assert charged(out) >= emulator.charged - 1e-9
    assert {event["event"] for event in journal_events(tmp_path)} == {
        "intent",
        "posted",
        "settled",
    }
