"""A throw-away Meltano project with this repository's meltano.yml, installed once.

Shared by every test that runs Meltano (the install is the slow part).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import typing as t
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tests.harness import LOGIN, PASSWORD

if t.TYPE_CHECKING:
    from fake_dataforseo import Emulator

REPO = Path(__file__).resolve().parent.parent
MELTANO = Path(sys.executable).parent / "meltano"
EXTRACTOR = "tap-dataforseo-gemini"
LOADER = "target-duckdb"
#: ``default_target_schema`` in meltano.yml: target-duckdb creates the tables there.
SCHEMA = "dataforseo"
#: The utility that posts prompt sets, from this checkout too.
UTILITY = "dataforseo-prompts"
#: Variables of the calling shell that would change what a run does.
FOREIGN_PREFIXES = ("TAP_DATAFORSEO_", "TARGET_DUCKDB_", "MELTANO_", "DATAFORSEO_")


@dataclass(frozen=True)
class MeltanoProject:
    """A Meltano project in a temporary folder, with its plugins installed."""

    root: Path

    def run(
        self,
        emulator: Emulator,
        warehouse: Path | None,
        *args: str,
        env: dict[str, str] | None = None,
        meltano_args: t.Sequence[str] = (),
        after: t.Sequence[str] = (),
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """``meltano run`` the extractor into ``warehouse``, settings from env vars.

        Without ``warehouse``, target-duckdb writes where meltano.yml says;
        ``after`` follows the loader in the pipeline (a transformer).
        """
        settings = {
            "TAP_DATAFORSEO_GEMINI_LOGIN": LOGIN,
            "TAP_DATAFORSEO_GEMINI_PASSWORD": PASSWORD,
            "TAP_DATAFORSEO_GEMINI_API_URL": emulator.url,
            **({"TARGET_DUCKDB_FILEPATH": str(warehouse)} if warehouse else {}),
            **(env or {}),
        }
        done = meltano(
            self.root,
            *meltano_args,
            "run",
            *args,
            EXTRACTOR,
            LOADER,
            *after,
            env=settings,
        )
        if check:
            assert done.returncode == 0, f"meltano run failed:\n{done.stderr[-6000:]}"
        return done


def meltano(
    root: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the ``meltano`` next to this Python in ``root``, with a clean environment."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN_PREFIXES)}
    return subprocess.run(
        [str(MELTANO), *args],
        cwd=root,
        env={
            **base,
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "MELTANO_DISABLE_TRACKING": "true",
            **(env or {}),
        },
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def install_project(root: Path) -> MeltanoProject:
    """Copy meltano.yml and ``output/`` as a clone has them; install the plugins.

    The extractor and the utility are installed editable from this checkout.
    """
    (root / "output").mkdir()
    shutil.copy(REPO / "output" / ".gitignore", root / "output")
    write_meltano_yml(root)
    done = meltano(root, "install", EXTRACTOR, LOADER, UTILITY)
    assert done.returncode == 0, f"meltano install failed:\n{done.stderr[-6000:]}"
    return MeltanoProject(root)


def write_meltano_yml(root: Path) -> None:
    """This repository's meltano.yml in ``root``, the ``-e .`` plugins from here."""
    text = (REPO / "meltano.yml").read_text()
    text, count = re.subn(
        r"^(\s*pip_url:\s*)-e \.\s*$", rf"\g<1>-e {REPO}", text, flags=re.MULTILINE
    )
    assert count == 2, "meltano.yml should install extractor and utility with `-e .`"
    (root / "meltano.yml").write_text(text)


def rows(warehouse: Path, sql: str) -> list[tuple[t.Any, ...]]:
    """Run one query on the DuckDB file, read-only, and close it again."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def ids(warehouse: Path, table: str) -> list[str]:
    """The ``id`` column of a table, one entry per row (duplicates kept)."""
    return [row[0] for row in rows(warehouse, f"select id from {SCHEMA}.{table}")]
