"""The README's "In your own Meltano project", line by line, in a new project.

The clone sits next to the project, as the README has it; nothing but the package
index is reached (the plugins install from the clone), and the API is the emulator.
"""

from __future__ import annotations

import json
import os
import sys
import typing as t
from pathlib import Path

import pytest
import yaml

from fake_dataforseo import Emulator
from tests.meltano_project import FOREIGN_PREFIXES, REPO, SCHEMA, meltano, rows
from tests.readme import sh, shell_blocks

if t.TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.slow

SECTION = "In your own Meltano project"


@pytest.fixture
def api() -> Iterator[Emulator]:
    """The emulator, taking the README's login and password."""
    emulator = Emulator(login="you@example.com", password="your-api-password", seed=5)
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def adopter(tmp_path: Path) -> Path:
    """An existing Meltano project with nothing in it, this clone next to it."""
    (tmp_path / "tap-dataforseo-gemini").symlink_to(REPO)
    root = tmp_path / "adopter"
    root.mkdir()
    (root / "meltano.yml").write_text(
        "project_id: adopter\ndefault_environment: dev\nenvironments:\n- name: dev\n"
    )
    return root


def test_the_readme_adds_the_whole_loop_to_a_new_project_and_runs_it(
    adopter: Path, api: Emulator
) -> None:
    (block,) = shell_blocks(SECTION)
    env = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN_PREFIXES)}
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"  # this meltano
    env["MELTANO_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    env["TAP_DATAFORSEO_GEMINI_API_URL"] = api.url  # the one line not in the README
    for line in block.strip().splitlines():
        done = sh(line, adopter, env)
        assert done.returncode == 0, f"{line}\n{done.stderr[-4000:]}"

    assert "posted 4 tasks" in done.stderr
    warehouse = adopter / "output" / "warehouse.duckdb"
    loaded = rows(
        warehouse, f"select se, count(*) from {SCHEMA}.llm_responses group by 1"
    )
    assert dict(loaded) == {"gemini": 2, "chat_gpt": 2}
    assert rows(warehouse, "select sum(answers) > 0 from geo.geo_brand_visibility")[0][
        0
    ]
    assert "your-api-password" in (adopter / ".env").read_text()
    assert "your-api-password" not in (adopter / "meltano.yml").read_text()
    project = yaml.safe_load((adopter / "meltano.yml").read_text())
    (extractor, _) = project["plugins"]["extractors"]
    assert extractor["pip_url"] == "$MELTANO_PROJECT_ROOT/../tap-dataforseo-gemini"
    listed = meltano(adopter, "schedule", "list", "--format=json")
    (schedule,) = json.loads(listed.stdout)["schedules"]["job"]
    assert schedule["cron_interval"] == "0 0 * * *"
