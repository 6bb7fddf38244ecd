"""The soak's invariants, checked by code once the days are played."""

from __future__ import annotations

import ast
import json
import re
import typing as t
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from soak.world import PENDING_BYTES, pending_of
from tests import marts

if t.TYPE_CHECKING:
    from soak.world import World

#: The source tables the marts read, and their keys.
KEYS: dict[str, tuple[str, ...]] = {
    "llm_responses": ("id",),
    "llm_response_citations": ("id", "item_index", "section_index", "annotation_index"),
}
STAGING = Path(__file__).resolve().parents[1] / "transform" / "models" / "staging"
_SOURCE = re.compile(r"source_or_empty\('dataforseo', '(\w+)', (\{.*?\})\)", re.DOTALL)


def columns(table: str) -> dict[str, str]:
    """The columns the staging model reads from a source table, and their types."""
    sql = (STAGING / f"stg_dataforseo__{table}.sql").read_text(encoding="utf-8")
    match = _SOURCE.search(sql)
    if match is None or match[1] != table:
        raise ValueError(f"no source_or_empty('dataforseo', '{table}', ...) in {sql}")
    return ast.literal_eval(match[2])


STATE_LIMIT = 1024


@dataclass
class Check:
    """One invariant: its name, whether it holds, and the figure behind it."""

    name: str
    holds: bool
    detail: str

    def line(self) -> str:
        """``ok``/``FAIL``, the invariant, the figure."""
        return f"  {'ok  ' if self.holds else 'FAIL'} {self.name}: {self.detail}"


def rows(warehouse: Path) -> dict[str, dict[tuple[t.Any, ...], dict[str, t.Any]]]:
    """Every committed row, one per key (the last committed wins), by stream."""
    tables: dict[str, dict[tuple[t.Any, ...], dict[str, t.Any]]] = {}
    for batch in sorted(warehouse.glob("batch-*.jsonl")):
        for line in batch.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            keys = KEYS.get(row["stream"], ("id",))
            record = row["record"]
            tables.setdefault(row["stream"], {})[tuple(record.get(k) for k in keys)] = (
                record
            )
    return tables


def lost(world: World, loaded: set[str]) -> list[str]:
    """Posted tasks (all done by now) with no row in llm_responses."""
    return [tid for tid in world.emulator.task_ids() if tid not in loaded]


def double_posts(world: World) -> dict[str, int]:
    """Tags posted more than once."""
    return {tag: n for tag, n in Counter(world.emulator.tags()).items() if n > 1}


def spend_by_period(world: World) -> dict[str, float]:
    """What the tasks of each period (the tag's) cost in the end, settled."""
    spend: Counter[str] = Counter()
    emulator = world.emulator
    for tag, task_id in zip(emulator.tags(), emulator.task_ids(), strict=True):
        spend[tag.split("/")[5]] += emulator.task_cost(task_id)
    return {period: round(usd, 6) for period, usd in spend.items()}


def tracebacks(logs: Path) -> list[str]:
    """The logs that hold a traceback."""
    return sorted(
        path.name for path in logs.glob("*.log") if "Traceback" in path.read_text()
    )


def load(
    tables: dict[str, dict[tuple[t.Any, ...], dict[str, t.Any]]], path: Path
) -> None:
    """Write the source tables into a DuckDB file as a loader would."""
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema dataforseo")
        for name in KEYS:
            loaded = columns(name)
            spec = ", ".join(f'"{c}" {kind}' for c, kind in loaded.items())
            connection.execute(f"create table dataforseo.{name} ({spec})")
            values = [
                [_value(record.get(c), kind) for c, kind in loaded.items()]
                for record in tables.get(name, {}).values()
            ]
            if values:
                marks = ", ".join("?" for _ in loaded)
                connection.executemany(
                    f"insert into dataforseo.{name} values ({marks})", values
                )


def _value(value: t.Any, kind: str) -> t.Any:
    """A record's value as a loader stores it: JSON text for lists and objects."""
    if isinstance(value, list | dict):
        return json.dumps(value)
    if kind == "timestamp" and isinstance(value, str):
        moment = datetime.fromisoformat(value)
        return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
    return value


def marts_match(folder: Path, database: Path) -> tuple[bool, str]:
    """``dbt build`` over the loaded tables, then the marts against the reference."""
    project = marts.copy_project(folder)
    env = {"DBT_DUCKDB_PATH": str(database), "DBT_DUCKDB_SCHEMA": marts.MARTS}
    done = marts.dbt(project, "duckdb", "build", env=env)
    if done.returncode != 0:
        text = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout)
        failures = [
            line.split("  ", 1)[-1].strip()
            for line in text.splitlines()
            if "Failure in" in line or "Error in" in line
        ]
        return False, "dbt build failed: " + "; ".join(failures or [text[-300:]])
    try:
        marts.assert_marts_match(
            marts.duckdb_query(database), marts.Brands.read(project / "seeds")
        )
    except AssertionError as exc:
        return False, str(exc).splitlines()[0] + " " + " | ".join(
            str(exc).splitlines()[1:4]
        )
    return True, "dbt build passed; 3 marts equal the Python reference"


def check(world: World, drain_failures: int) -> list[Check]:
    """Every invariant, in order."""
    tables = rows(world.warehouse)
    loaded = {key[0] for key in tables.get("llm_responses", {})}
    missing = lost(world, loaded)
    doubles = double_posts(world)
    spend = spend_by_period(world)
    over = {p: usd for p, usd in spend.items() if usd > world.budget + 1e-9}
    database = world.folder / "warehouse.duckdb"
    load(tables, database)
    same, why = marts_match(world.folder, database)
    logs = tracebacks(world.logs)
    size, pending = world.largest_state
    left_pending = pending_of(world.state)
    return [
        Check(
            "every completed task is in the warehouse",
            not missing,
            f"{len(missing)} lost of {len(world.emulator.task_ids())}"
            + (f" ({', '.join(missing[:3])}...)" if missing else ""),
        ),
        Check(
            "no tag posted twice",
            not doubles,
            f"{len(doubles)} double posts"
            + (f" ({next(iter(doubles))})" if doubles else ""),
        ),
        Check(
            "settled spend <= budget in every period",
            not over,
            f"max ${max(spend.values(), default=0):.4f} of ${world.budget:.4f} a day"
            + (f"; over in {sorted(over)}" if over else ""),
        ),
        Check(
            f"state <= 1 KB + {PENDING_BYTES} B a pending task after every completed "
            "run; none pending at the end",
            world.largest_unpending <= STATE_LIMIT and not left_pending,
            f"largest {size} bytes with {pending} pending, {world.largest_unpending} "
            f"bytes less their share (mid-run checkpoints: up to "
            f"{world.largest_checkpoint}); {len(left_pending)} pending at the end",
        ),
        Check(
            "no committed watermark passes a running task",
            not world.watermarks_past_running,
            f"{len(world.watermarks_past_running)} committed states do"
            + (
                f" (first: {world.watermarks_past_running[0]})"
                if world.watermarks_past_running
                else ""
            ),
        ),
        Check("marts equal the Python reference", same, why),
        Check(
            "no traceback in any log",
            not logs,
            f"{len(logs)} logs with one"
            + (f" ({', '.join(logs[:3])})" if logs else ""),
        ),
        Check(
            "the final runs succeed (no stall)",
            drain_failures == 0 and not world.stalls,
            f"{drain_failures} failed final runs, {world.stalls} stalls",
        ),
    ]
