"""Meltano steps of the demo: install the plugins, post, collect both queues, dbt.

All run in meltano.yml's ``demo`` environment: its own warehouse file and state id.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from demo.errors import DemoError

MELTANO = Path(sys.executable).parent / "meltano"
EXTRACTOR = "tap-dataforseo-gemini"
#: Collects the prompt set's Google AI Mode tasks (``source: ai_mode``), after
#: the LLM answers and into the same warehouse (issue 20).
AI_MODE_EXTRACTOR = "tap-dataforseo-ai-mode"
LOADER = "target-duckdb"
#: Posts the demo's prompt set before the extractor collects.
UTILITY = "dataforseo-prompts"
#: dbt builds the GEO marts (transform/) in the same DuckDB file.
TRANSFORMER = "dbt-duckdb"
#: The Meltano environment of the demo (meltano.yml): its own warehouse and state id.
ENVIRONMENT = "demo"
INSTALL = ("install", EXTRACTOR, AI_MODE_EXTRACTOR, LOADER, UTILITY, TRANSFORMER)
#: Every demo has a new emulator (new ids, new clock): earlier state describes nothing.
RUN = (
    "run",
    "--full-refresh",
    f"{UTILITY}:post",
    EXTRACTOR,
    LOADER,
    AI_MODE_EXTRACTOR,
    LOADER,
    f"{TRANSFORMER}:run",
)
#: Settings of the calling shell that would change what the demo does.
FOREIGN_PREFIXES = (
    "TAP_DATAFORSEO_",
    "TARGET_DUCKDB_",
    "DATAFORSEO_PROMPTS_",
    "DBT_",
    "MELTANO_",
)
#: Lines of Meltano's output shown when a step fails (all of it is in the log).
TAIL_LINES = 60


def environment(url: str, login: str, password: str, prompts: Path) -> dict[str, str]:
    """This process's environment with the demo's settings as Meltano env vars."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN_PREFIXES)}
    return {
        **base,
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "MELTANO_DISABLE_TRACKING": "true",
        "TAP_DATAFORSEO_GEMINI_LOGIN": login,
        "TAP_DATAFORSEO_GEMINI_PASSWORD": password,
        "TAP_DATAFORSEO_GEMINI_API_URL": url,
        "DATAFORSEO_PROMPTS_PROMPTS_FILE": str(prompts),
    }


def command(*args: str) -> str:
    """The ``meltano`` command line of one step, as the demo prints it."""
    return " ".join(("meltano", "--environment", ENVIRONMENT, *args))


def meltano(root: Path, log: Path, env: dict[str, str], *args: str) -> None:
    """Run one ``meltano`` command, its output appended to ``log``.

    Raises:
        DemoError: the command failed; the tail of its output is on stderr.
    """
    if not MELTANO.exists():
        raise DemoError(f"{MELTANO} not found: install the dev extras (make demo)")
    line = command(*args)
    try:
        done = subprocess.run(
            [str(MELTANO), "--environment", ENVIRONMENT, *args],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise DemoError(f"`{line}` did not finish in 900 s") from exc
    output = done.stdout + done.stderr
    with log.open("a") as file:
        file.write(f"$ {line}\n{output}\n")
    if done.returncode != 0:
        sys.stderr.write("".join(output.splitlines(keepends=True)[-TAIL_LINES:]))
        raise DemoError(
            f"`{line}` failed with exit code {done.returncode} (full output in {log})"
        )


def install(root: Path, log: Path, env: dict[str, str]) -> None:
    """Install the plugins (quick when they are up to date)."""
    meltano(root, log, env, *INSTALL)


def run(root: Path, log: Path, env: dict[str, str]) -> None:
    """Post, collect the LLM and AI Mode answers (no earlier state), build marts."""
    meltano(root, log, env, *RUN)
