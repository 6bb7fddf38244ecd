"""``python -m demo``: emulator, ``meltano run`` into DuckDB, summary in SQL.

Steps: start the DataForSEO emulator on a free port, install the plugins,
delete the previous ``output/demo.duckdb`` and prompt journal, run
``meltano --environment demo run --full-refresh dataforseo-prompts:post
tap-dataforseo-gemini target-duckdb tap-dataforseo-ai-mode target-duckdb
dbt-duckdb:run`` (post ``demo/prompts.yml`` to the LLMs and Google AI Mode,
collect both, then dbt builds the GEO marts of transform/ in the same file), stop the
emulator, print what DuckDB holds and write the report (``output/demo-report.html``).
Meltano's output goes to ``output/demo-meltano.log``; on failure its tail is
printed, then one line.

The ``demo`` environment of meltano.yml gives the demo its own warehouse file and
its own state id: a real pipeline's (``dev``) warehouse and state stay untouched.
``--full-refresh``: every demo starts a new emulator (new task ids, new clock) and
an empty warehouse, so the state a previous demo saved describes neither.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from demo import emulator, pipeline
from demo.errors import DemoError
from demo.summary import summarize
from report.__main__ import write as write_report
from report.data import ReportError
from tap_dataforseo_gemini.prompts import plan, prompt_set, surfaces
from tap_dataforseo_gemini.words import counted

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "output"
#: Where meltano.yml's ``demo`` environment points target-duckdb and dbt-duckdb.
WAREHOUSE = OUTPUT / "demo.duckdb"
LOG = OUTPUT / "demo-meltano.log"
REPORT = OUTPUT / "demo-report.html"
#: The prompt set the demo posts before collecting (its journal lies next to it).
PROMPTS = ROOT / "demo" / "prompts.yml"


def demo() -> None:
    """Run every step and print the summary.

    Raises:
        DemoError: a step failed.
    """
    OUTPUT.mkdir(exist_ok=True)
    LOG.unlink(missing_ok=True)
    prompts = prompt_set.load(PROMPTS)
    planned = plan.tasks(prompts, datetime.now(UTC))
    posting = sum(task.surface == surfaces.LLM_RESPONSES for task in planned)
    ai_mode = sum(task.surface == surfaces.AI_MODE for task in planned)
    for stale in (WAREHOUSE, WAREHOUSE.with_name(WAREHOUSE.name + ".wal")):
        stale.unlink(missing_ok=True)
    prompts.journal.unlink(missing_ok=True)  # a new emulator: nothing posted yet
    started = time.monotonic()
    with emulator.running(ROOT) as api:
        print(f"Emulator: {counted(api.tasks, 'task')} at {api.url}")
        env = pipeline.environment(api.url, emulator.LOGIN, emulator.PASSWORD, PROMPTS)
        print(f"{pipeline.command(*pipeline.INSTALL)} ...", flush=True)
        pipeline.install(ROOT, LOG, env)
        print(
            f"{pipeline.command(*pipeline.RUN)} "
            f"(posts {counted(len(planned), 'task')}) ...",
            flush=True,
        )
        pipeline.run(ROOT, LOG, env)
    if not WAREHOUSE.exists():
        raise DemoError(f"meltano run left no {WAREHOUSE}")
    summary = summarize(WAREHOUSE, api.tasks + posting, ai_mode)
    elapsed = time.monotonic() - started
    print(
        f"Loaded {WAREHOUSE.relative_to(ROOT)} in {elapsed:.1f} s "
        f"(Meltano's output: {LOG.relative_to(ROOT)})\n"
    )
    print("\n".join(summary.lines()))
    try:
        report = write_report(WAREHOUSE, REPORT)
    except ReportError as exc:
        raise DemoError(str(exc)) from None
    print(f"\nReport: {report.relative_to(ROOT)} (open it in a browser; works offline)")


def main() -> int:
    """Run the demo; a failure ends with one line on stderr and exit code 1."""
    try:
        demo()
    except DemoError as exc:
        print(f"demo: error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # one line for anything else too
        print(f"demo: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
