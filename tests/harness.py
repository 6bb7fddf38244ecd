"""Run the tap as a real process and load its output like a target would."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

PASSWORD = "s3cret-Pa55word"
LOGIN = "tests@example.com"
TAP = [sys.executable, "-m", "tap_dataforseo_gemini"]


def config_for(url: str, **overrides: t.Any) -> dict[str, t.Any]:
    """Settings for a run against an emulator: fast retries, short windows."""
    return {
        "login": LOGIN,
        "password": PASSWORD,
        "api_url": url,
        "max_tries": 4,
        "max_retry_seconds": 10,
        "request_timeout": 10,
        **overrides,
    }


@dataclass
class Run:
    """What one run of the tap printed."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def messages(self) -> list[dict[str, t.Any]]:
        """Stdout read as Singer messages, one JSON object a line."""
        return [json.loads(line) for line in self.stdout.splitlines()]

    def records(self, stream: str) -> list[dict[str, t.Any]]:
        """The records of one stream, in order."""
        return [
            m["record"]
            for m in self.messages
            if m["type"] == "RECORD" and m["stream"] == stream
        ]

    @property
    def states(self) -> list[dict[str, t.Any]]:
        """Every STATE message's value, in order."""
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    @property
    def last_state(self) -> dict[str, t.Any] | None:
        """The last STATE the run wrote."""
        return self.states[-1] if self.states else None


def write_json(directory: Path, name: str, value: object) -> str:
    """Write a JSON file and return its path."""
    path = directory / name
    path.write_text(json.dumps(value))
    return str(path)


def tap_args(
    config: dict[str, t.Any],
    *,
    state: dict[str, t.Any] | None = None,
    catalog: dict[str, t.Any] | None = None,
    extra: t.Sequence[str] = (),
) -> list[str]:
    """The command line of one run, with its files in a fresh folder."""
    folder = Path(tempfile.mkdtemp(prefix="tap-run-"))
    args = [*TAP, "--config", write_json(folder, "config.json", config)]
    if state is not None:
        args += ["--state", write_json(folder, "state.json", state)]
    if catalog is not None:
        args += ["--catalog", write_json(folder, "catalog.json", catalog)]
    return [*args, *extra]


def run_tap(
    config: dict[str, t.Any],
    *,
    state: dict[str, t.Any] | None = None,
    catalog: dict[str, t.Any] | None = None,
    extra: t.Sequence[str] = (),
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> Run:
    """Run the tap to its end and parse its stdout as Singer messages."""
    done = subprocess.run(
        tap_args(config, state=state, catalog=catalog, extra=extra),
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)


@dataclass
class Warehouse:
    """A target that commits records only with the STATE message that follows them.

    That is how Singer loaders behave: a batch of records and the state after it
    land together, or not at all.
    """

    rows: dict[str, dict[tuple, dict[str, t.Any]]] = field(default_factory=dict)
    keys: dict[str, list[str]] = field(default_factory=dict)
    state: dict[str, t.Any] | None = None
    commits: int = 0
    stderr: str = ""

    def ids(self, stream: str) -> set[str]:
        """Task ids loaded in a table."""
        return {row["id"] for row in self.rows.get(stream, {}).values()}

    def load(
        self,
        config: dict[str, t.Any],
        *,
        stop_after: int | None = None,
        kill: bool = True,
    ) -> int | None:
        """Run the tap from the committed state and load its output.

        With ``stop_after``, the tap is stopped after that many messages: SIGKILL
        (``kill``) or the target failing and closing its input. Uncommitted rows
        are lost either way. Returns the tap's exit code (None when stopped).
        """
        with (
            tempfile.TemporaryFile() as stderr,
            subprocess.Popen(
                tap_args(config, state=self.state),
                stdout=subprocess.PIPE,
                stderr=stderr,
            ) as process,
        ):
            assert process.stdout is not None
            batch: list[dict[str, t.Any]] = []
            for count, line in enumerate(process.stdout):
                if stop_after is not None and count >= stop_after:
                    if kill:
                        process.send_signal(signal.SIGKILL)
                    process.stdout.close()
                    process.wait()
                    return None
                message = json.loads(line)
                if message["type"] == "SCHEMA":
                    self.keys[message["stream"]] = message["key_properties"]
                elif message["type"] == "RECORD":
                    batch.append(message)
                elif message["type"] == "STATE":
                    self._commit(batch, message["value"])
                    batch = []
            code = process.wait()
            stderr.seek(0)
            self.stderr = stderr.read().decode()
            return code

    def _commit(self, batch: list[dict[str, t.Any]], state: dict[str, t.Any]) -> None:
        for message in batch:
            stream, record = message["stream"], message["record"]
            key = tuple(record[k] for k in self.keys[stream])
            self.rows.setdefault(stream, {})[key] = record
        self.state = state
        self.commits += 1
