"""The soak (python -m soak): its parts, and three simulated days of the whole loop."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

from fake_dataforseo import Emulator
from soak import checks, runs
from soak.__main__ import soak
from soak.world import PENDING_BYTES, World
from tap_dataforseo_gemini.delivery import Bookmark
from tap_dataforseo_gemini.delivery import Task as DeliveryTask
from tests.harness import LOGIN, PASSWORD

POSTED = datetime(2027, 3, 2, 6, 0, 1, tzinfo=UTC)
TASK = {"user_prompt": "What is the best CRM?", "model_name": "gemini-2.5-flash"}


@pytest.mark.slow
def test_three_days_of_the_loop_through_faults_keep_every_invariant(
    tmp_path: Path,
) -> None:
    checks, summary = soak(seed=4, days=3, folder=tmp_path, fault_rate=3.0)

    failed = [check.line() for check in checks if not check.holds]
    assert not failed, "\n".join([summary, *failed])


def test_a_posted_task_is_done_once_the_virtual_clock_passes_its_delay(
    emulator: Emulator,
) -> None:
    emulator.post_delays = lambda seq: 3600.0
    posted = emulator.now()
    answer = requests.post(
        f"{emulator.url}/v3/ai_optimization/gemini/llm_responses/task_post",
        json=[TASK],
        auth=(LOGIN, PASSWORD),
        timeout=10,
    ).json()
    (task_id,) = (task["id"] for task in answer["tasks"])
    (due,) = emulator.due_times()

    emulator.advance_clock(timedelta(minutes=59))
    listed_early = emulator.ready_ids()
    emulator.advance_clock(timedelta(minutes=2))

    assert listed_early == []
    assert emulator.ready_ids() == [task_id]
    assert emulator.due_times() == []
    assert abs(due - posted - timedelta(hours=1)) < timedelta(seconds=5)


def test_a_child_process_starts_with_the_machine_clock_it_is_given() -> None:
    moment = datetime(2027, 3, 1, 6, tzinfo=UTC)
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import datetime; print(datetime.datetime.now().timestamp())",
        ],
        env=runs.environment(moment.timestamp()),
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    assert abs(float(shown) - moment.timestamp()) < 30


def _target(
    folder: Path, messages: list[dict], *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "soak.target", str(folder), *args],
        input="".join(json.dumps(m) + "\n" for m in messages),
        capture_output=True,
        text=True,
        check=False,
        cwd=runs.ROOT,
    )


RECORD = {"type": "RECORD", "stream": "llm_responses", "record": {"id": "a"}}
STATE = {"type": "STATE", "value": {"bookmarks": {}}}


def test_the_soak_target_prints_a_state_only_after_committing_its_records(
    tmp_path: Path,
) -> None:
    done = _target(tmp_path, [RECORD, STATE])

    (batch,) = tmp_path.glob("batch-*.jsonl")
    assert json.loads(batch.read_text())["record"] == {"id": "a"}
    assert json.loads(done.stdout) == STATE["value"]


def test_the_soak_target_failing_before_its_commit_keeps_nothing(
    tmp_path: Path,
) -> None:
    done = _target(tmp_path, [RECORD, RECORD, STATE], "--fail-after", "2")

    assert done.returncode == 1
    assert list(tmp_path.iterdir()) == []
    assert done.stdout == ""


def test_a_tag_posted_twice_counts_as_a_double_post(emulator: Emulator) -> None:
    tag = "dfsp/soak/best-crm/gemini/gemini-2.5-flash/2027-03-01/1"
    emulator.add_tasks(2, tag=tag)
    emulator.add_tasks(1, tag=tag.replace("/1", "/2"))

    assert checks.double_posts(SimpleNamespace(emulator=emulator)) == {tag: 2}


def test_a_task_with_no_committed_row_counts_as_lost(
    emulator: Emulator, tmp_path: Path
) -> None:
    first, second = emulator.add_tasks(2)
    row = {"stream": "llm_responses", "record": {"id": first}}
    (tmp_path / "batch-1.jsonl").write_text(json.dumps(row) + "\n")
    (tmp_path / "batch-2.jsonl.part").write_text(
        json.dumps({**row, "record": {"id": second}})
    )
    loaded = {key[0] for key in checks.rows(tmp_path)["llm_responses"]}

    assert checks.lost(SimpleNamespace(emulator=emulator), loaded) == [second]


def _ledger_state(posted_from: datetime) -> dict:
    ledger = {"posted_from": posted_from.isoformat(), "done_after": None}
    return {"bookmarks": {"llm_responses": {"ledger": ledger}}}


def test_a_committed_watermark_past_a_running_task_is_noted(tmp_path: Path) -> None:
    world = World(1, tmp_path)
    (running,) = world.emulator.add_tasks(1, status="queued", age=timedelta(hours=2))
    posted_from = world.emulator.now() - timedelta(hours=1)

    world.committed([_ledger_state(posted_from)], completed=False)

    assert world.watermarks_past_running == [(posted_from.isoformat(), [running])]


def test_a_committed_watermark_at_a_running_tasks_posting_is_not_noted(
    tmp_path: Path,
) -> None:
    world = World(1, tmp_path)
    world.emulator.add_tasks(1, status="queued", age=timedelta(hours=2))
    (posted,) = world.emulator.running().values()

    world.committed([_ledger_state(posted)], completed=True)

    assert world.watermarks_past_running == []


def test_a_pending_task_adds_at_most_pending_bytes_to_the_state() -> None:
    state: dict = {}
    bookmark = Bookmark(state, "gemini", "api.dataforseo.com")
    bookmark.add([DeliveryTask("06221213-0696-0610-0000-c0cb1e01af0e", "2027-03-02")])
    before = len(json.dumps(state))
    task = DeliveryTask("03170210-0696-0615-0000-4a8286940e51", POSTED.isoformat())

    bookmark.add([task])

    assert 0 < len(json.dumps(state)) - before <= PENDING_BYTES


def test_a_completed_runs_state_is_measured_less_its_pending_tasks(
    tmp_path: Path,
) -> None:
    world = World(1, tmp_path)
    pending = [f"{n:08d}-0696-0610-0000-c0cb1e01af0e" for n in range(5)]
    state = {
        "bookmarks": {
            "llm_responses": {
                "pending": pending,
                "date_posted": dict.fromkeys(pending, POSTED.isoformat()),
            }
        }
    }
    size = len(json.dumps(state))

    world.committed([state], completed=True)

    assert world.largest_state == (size, 5)
    assert world.largest_unpending == size - 5 * PENDING_BYTES
