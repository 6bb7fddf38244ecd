"""The journal keeps what the current and the previous period need, no more."""

from __future__ import annotations

import json
import typing as t

from tests.test_prompts import FLASH, post, prompts_file

if t.TYPE_CHECKING:
    from pathlib import Path

    import pytest

    from fake_dataforseo import Emulator

OLD = "2000-01-01"


def lines(journal: Path) -> list[dict[str, t.Any]]:
    """The journal's events."""
    return [json.loads(line) for line in journal.read_text().splitlines()]


def seed(journal: Path, day: str, key: str) -> None:
    """Append a posted task of another day to the journal."""
    tag = f"dfsp/brand/{key}/gemini/{FLASH}/{day}/1"
    events = [
        {"event": "intent", "tag": tag, "at": "2000-01-01T00:00:00+00:00"},
        {"event": "posted", "tag": tag, "id": f"id-{key}", "cost": 0.0102},
        {"event": "settled", "tag": tag, "cost": 0.04},
    ]
    with journal.open("a") as file:
        file.writelines(json.dumps(event) + "\n" for event in events)


def test_a_run_prunes_tags_older_than_the_previous_period(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = prompts_file(tmp_path)
    post(emulator, prompts, capsys)
    journal = tmp_path / ".dataforseo-prompts/brand.jsonl"
    today = emulator.now().date()
    previous = today.fromordinal(today.toordinal() - 1).isoformat()
    seed(journal, OLD, "old")
    seed(journal, previous, "yesterday")

    code, out, _ = post(emulator, prompts, capsys)

    tags = {event["tag"] for event in lines(journal)}
    assert code == 0
    assert "2 already posted" in out
    assert not any(OLD in tag for tag in tags)
    assert any(previous in tag for tag in tags)
    assert len(tags) == 3


def test_a_pruned_journal_keeps_each_tags_id_and_charges(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = prompts_file(tmp_path)
    journal = tmp_path / ".dataforseo-prompts/brand.jsonl"
    journal.parent.mkdir()
    today = emulator.now().date()
    previous = today.fromordinal(today.toordinal() - 1).isoformat()
    seed(journal, previous, "yesterday")
    seed(journal, OLD, "old")

    post(emulator, prompts, capsys)

    kept = [e for e in lines(journal) if previous in e["tag"]]
    assert [e["event"] for e in kept] == ["intent", "posted", "settled"]
    assert (kept[1]["id"], kept[1]["cost"], kept[2]["cost"]) == (
        "id-yesterday",
        0.0102,
        0.04,
    )
