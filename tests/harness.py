"""Run the tap, in this process or as its own, and load its output as a target would."""

from __future__ import annotations

import contextlib
import gc
import io
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import typing as t
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from tap_dataforseo_gemini import redact, tap

PASSWORD = "s3cret-Pa55word"
LOGIN = "tests@example.com"
TAP = [sys.executable, "-m", "tap_dataforseo_gemini"]
NAME = "tap-dataforseo-gemini"


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


def run_process(
    config: dict[str, t.Any],
    *,
    state: dict[str, t.Any] | None = None,
    catalog: dict[str, t.Any] | None = None,
    extra: t.Sequence[str] = (),
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> Run:
    """Run the tap as a process to its end and parse its stdout as Singer messages."""
    done = subprocess.run(
        tap_args(config, state=state, catalog=catalog, extra=extra),
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def run_tap(
    config: dict[str, t.Any],
    *,
    state: dict[str, t.Any] | None = None,
    catalog: dict[str, t.Any] | None = None,
    extra: t.Sequence[str] = (),
    env: dict[str, str] | None = None,
) -> Run:
    """Run the tap's command line in this process, as ``run_process`` would run it.

    The same entry point (``main()`` with the same arguments and files), its
    stdout and stderr captured, its exit code from ``SystemExit``. What a run
    changes in the process (logging handlers and levels, signal handlers, the
    excepthook, warning filters, the password mask, the environment, the objects
    frozen for the garbage collector) is put back
    afterwards. Runs stopped by a signal or a closed pipe need a real process:
    use ``run_process`` (or ``tap_args``) for those.
    """
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    err = io.StringIO()
    code = 0
    with _process_state_restored(env), warnings.catch_warnings():
        args = tap_args(config, state=state, catalog=catalog, extra=extra)
        sys.argv = [NAME, *args[len(TAP) :]]
        sys.stdout, sys.stderr = out, err
        try:
            tap.main()
        except SystemExit as exc:
            code = _exit_code(exc.code, err)
        except BaseException as exc:  # uncaught: Python's own ending
            sys.excepthook(type(exc), exc, exc.__traceback__)
            code = 1
        finally:
            redact.current = redact.Mask([])
    out.flush()
    stdout = out.buffer.getvalue().decode()  # type: ignore[attr-defined]
    return Run(code, stdout, err.getvalue())


def _exit_code(code: object, stderr: t.TextIO) -> int:
    """The exit status Python gives ``sys.exit(code)``."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    stderr.write(f"{code}\n")
    return 1


class _ProcessExitError(BaseException):
    """``os._exit`` called by an in-process run: it would end the test session."""


def _no_process_exit(code: int) -> t.NoReturn:
    raise _ProcessExitError(
        f"os._exit({code}) in an in-process run: use run_process for this test"
    )


@contextlib.contextmanager
def _process_state_restored(env: dict[str, str] | None) -> t.Iterator[None]:
    """Put back what one in-process run of the tap changes in the process."""
    saved_streams = (sys.stdout, sys.stderr, sys.argv, sys.excepthook)
    saved_signals = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    loggers = [logging.root] + [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    saved_loggers = {
        logger: (logger.level, list(logger.handlers)) for logger in loggers
    }
    saved_filters = {
        handler: list(handler.filters)
        for _, handlers in saved_loggers.values()
        for handler in handlers
    }
    saved_env = dict(os.environ)
    saved_exit = os._exit
    os.environ.update(env or {})
    os._exit = _no_process_exit
    try:
        yield
    finally:
        os._exit = saved_exit
        gc.unfreeze()
        os.environ.clear()
        os.environ.update(saved_env)
        logging.captureWarnings(capture=False)
        for logger in [logging.root, *logging.root.manager.loggerDict.values()]:
            if isinstance(logger, logging.Logger):
                level, handlers = saved_loggers.get(logger, (logging.NOTSET, []))
                logger.setLevel(level)
                logger.handlers[:] = handlers
        for handler, filters in saved_filters.items():
            handler.filters[:] = filters
        for signum, handler in saved_signals.items():
            signal.signal(signum, handler)
        sys.stdout, sys.stderr, sys.argv, sys.excepthook = saved_streams


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

        With ``stop_after``, the tap runs as a process and is stopped after that
        many messages: SIGKILL (``kill``) or the target failing and closing its
        input. Uncommitted rows are lost either way. Returns the tap's exit code
        (None when stopped). A run to its end runs in this process.
        """
        batch: list[dict[str, t.Any]] = []
        if stop_after is None:
            run = run_tap(config, state=self.state)
            for line in run.stdout.splitlines():
                self._take(json.loads(line), batch)
            self.stderr = run.stderr
            return run.returncode
        with (
            tempfile.TemporaryFile() as stderr,
            subprocess.Popen(
                tap_args(config, state=self.state),
                stdout=subprocess.PIPE,
                stderr=stderr,
            ) as process,
        ):
            assert process.stdout is not None
            for count, line in enumerate(process.stdout):
                if count >= stop_after:
                    if kill:
                        process.send_signal(signal.SIGKILL)
                    process.stdout.close()
                    process.wait()
                    return None
                self._take(json.loads(line), batch)
            code = process.wait()
            stderr.seek(0)
            self.stderr = stderr.read().decode()
            return code

    def _take(self, message: dict[str, t.Any], batch: list[dict[str, t.Any]]) -> None:
        """Read one message: records wait in ``batch`` for the STATE after them."""
        if message["type"] == "SCHEMA":
            self.keys[message["stream"]] = message["key_properties"]
        elif message["type"] == "RECORD":
            batch.append(message)
        elif message["type"] == "STATE":
            self._commit(batch, message["value"])
            batch.clear()

    def _commit(self, batch: list[dict[str, t.Any]], state: dict[str, t.Any]) -> None:
        for message in batch:
            stream, record = message["stream"], message["record"]
            key = tuple(record[k] for k in self.keys[stream])
            self.rows.setdefault(stream, {})[key] = record
        self.state = state
        self.commits += 1
