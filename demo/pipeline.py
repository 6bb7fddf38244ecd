"""Meltano steps of the demo: install the plugins, post, run the pipeline and dbt."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from demo.errors import DemoError

MELTANO = Path(sys.executable).parent / "meltano"
EXTRACTOR = "tap-dataforseo-gemini"
LOADER = "target-duckdb"
#: Posts the demo's prompt set before the extractor collects.
UTILITY = "dataforseo-prompts"
#: dbt builds the GEO marts (transform/) in the same DuckDB file.
TRANSFORMER = "dbt-duckdb"
#: Settings of the calling shell that would change what the demo does.
FOREIGN_PREFIXES = ("TAP_DATAFORSEO_", "TARGET_DUCKDB_", "DATAFORSEO_PROMPTS_", "DBT_")
#: Lines of Meltano's output shown when a step fails (all of it is in the log).
TAIL_LINES = 60


def environment(
    url: str, login: str, password: str, warehouse: Path, prompts: Path
) -> dict[str, str]:
    """This process's environment with the demo's settings as Meltano env vars."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN_PREFIXES)}
    return {
        **base,
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "MELTANO_DISABLE_TRACKING": "true",
        "TAP_DATAFORSEO_GEMINI_LOGIN": login,
        "TAP_DATAFORSEO_GEMINI_PASSWORD": password,
        "TAP_DATAFORSEO_GEMINI_API_URL": url,
        "TARGET_DUCKDB_FILEPATH": str(warehouse),
        "DBT_DUCKDB_PATH": str(warehouse),
        "DATAFORSEO_PROMPTS_PROMPTS_FILE": str(prompts),
    }


def meltano(root: Path, log: Path, env: dict[str, str], *args: str) -> None:
    """Run one ``meltano`` command, its output appended to ``log``.

    Raises:
        DemoError: the command failed; the tail of its output is on stderr.
    """
    if not MELTANO.exists():
        raise DemoError(f"{MELTANO} not found: install the dev extras (make demo)")
    command = ["meltano", *args]
    try:
        done = subprocess.run(
            [str(MELTANO), *args],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise DemoError(f"`{' '.join(command)}` did not finish in 900 s") from exc
    output = done.stdout + done.stderr
    with log.open("a") as file:
        file.write(f"$ {' '.join(command)}\n{output}\n")
    if done.returncode != 0:
        sys.stderr.write("".join(output.splitlines(keepends=True)[-TAIL_LINES:]))
        raise DemoError(
            f"`{' '.join(command)}` failed with exit code {done.returncode} "
            f"(full output in {log})"
        )


def install(root: Path, log: Path, env: dict[str, str]) -> None:
    """Install the plugins (quick when they are up to date)."""
    meltano(root, log, env, "install", EXTRACTOR, LOADER, UTILITY, TRANSFORMER)


def run(root: Path, log: Path, env: dict[str, str]) -> None:
    """Post the prompts, extract (ignoring earlier demos' state), build the marts."""
    meltano(
        root,
        log,
        env,
        "run",
        "--full-refresh",
        f"{UTILITY}:post",
        EXTRACTOR,
        LOADER,
        f"{TRANSFORMER}:run",
    )
