"""The README's plain-Singer recipe, run as written against the emulator."""

from __future__ import annotations

import json
import sys
import typing as t

import pytest

from tests.harness import config_for
from tests.readme import sh, shell_blocks

if t.TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from fake_dataforseo import Emulator

pytestmark = pytest.mark.slow

#: The tap's install line: this checkout's venv, the one the tests run in.
TAP_INSTALL = "python3 -m venv .venv && .venv/bin/pip install -e ."


def jsonl_ids(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [json.loads(line)["id"] for line in path.read_text().splitlines()]


def test_the_readme_singer_recipe_runs_as_written(
    make_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    install, settings, run = shell_blocks("As a plain Singer tap")
    tap_line, loader_line = install.strip().splitlines()
    assert tap_line == TAP_INSTALL
    (tmp_path / ".venv").symlink_to(sys.prefix)
    installed = sh(loader_line, tmp_path)
    assert installed.returncode == 0, installed.stderr[-3000:]
    written = sh(settings, tmp_path)
    assert written.returncode == 0, written.stderr
    assert set(json.loads((tmp_path / "config.json").read_text())) == {
        "login",
        "password",
    }
    emulator = make_emulator(seed=31)
    ids = emulator.add_tasks(6)
    # next_run collects in the second run what the first listed: only from state.
    config = config_for(emulator.url, collection_mode="next_run")
    (tmp_path / "config.json").write_text(json.dumps(config))
    output = tmp_path / "output" / "jsonl"

    first = sh(run, tmp_path)
    assert "Traceback" not in first.stderr, first.stderr[-3000:]
    assert sorted(jsonl_ids(output / "ready_tasks.jsonl")) == sorted(ids)
    assert jsonl_ids(output / "llm_responses.jsonl") == []
    state = json.loads((tmp_path / "state.json").read_text())
    assert sorted(state["bookmarks"]["llm_responses"]["pending"]) == sorted(ids)

    second = sh(run, tmp_path)
    assert "Traceback" not in second.stderr, second.stderr[-3000:]
    assert sorted(jsonl_ids(output / "llm_responses.jsonl")) == sorted(ids)
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["bookmarks"]["llm_responses"]["pending"] == []
