"""A throw-away PostgreSQL server on 127.0.0.1 for the tests.

``initdb`` refuses to run as root: as root the cluster belongs to the
``postgres`` user (``runuser``), in a folder of its own under /tmp.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import typing as t
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

if t.TYPE_CHECKING:
    from collections.abc import Iterator

USER = "postgres"
#: Where Debian keeps the server programs when they are not on PATH.
_DEBIAN = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


@dataclass(frozen=True)
class Server:
    """A running server: connect to 127.0.0.1:port as ``postgres`` (trust)."""

    port: int
    host: str = "127.0.0.1"
    user: str = USER
    database: str = "postgres"


def program(name: str) -> str | None:
    """The path of a PostgreSQL program, on PATH or in Debian's folder."""
    found = shutil.which(name)
    if found:
        return found
    paths = [folder / name for folder in _DEBIAN if (folder / name).exists()]
    return str(paths[0]) if paths else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_owner(args: list[str]) -> list[str]:
    """Run as the postgres user when we are root (initdb refuses root)."""
    return ["runuser", "-u", USER, "--", *args] if os.geteuid() == 0 else args


@contextmanager
def running() -> Iterator[Server]:
    """Create a cluster (UTF-8, C.UTF-8 locale), start it, stop and delete it."""
    initdb, pg_ctl = program("initdb"), program("pg_ctl")
    if not (initdb and pg_ctl):
        raise RuntimeError("PostgreSQL (initdb, pg_ctl) is not installed")
    folder = Path(tempfile.mkdtemp(prefix="geo-postgres-"))
    if os.geteuid() == 0:
        shutil.chown(folder, USER, USER)
    data, port = folder / "db", _free_port()
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"

    def run(*args: str) -> None:
        subprocess.run(
            _as_owner(list(args)), check=True, capture_output=True, timeout=120
        )

    try:
        run(initdb, "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8",
            "--locale=C.UTF-8")  # fmt: skip
        run(pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"),
            "-w", "start")  # fmt: skip
        try:
            yield Server(port)
        finally:
            run(pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def running_or_skip() -> Iterator[Server]:
    """running(), or skip the test where PostgreSQL is not installed."""
    if not (program("initdb") and program("pg_ctl")):
        pytest.skip("PostgreSQL is not installed (.ci/run installs it)")
    with running() as server:
        yield server
