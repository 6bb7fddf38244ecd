"""Fixtures: an emulator of the DataForSEO API on loopback, and settings for it."""

from __future__ import annotations

import typing as t

import pytest

from fake_dataforseo import Emulator
from tap_dataforseo_gemini import envelope
from tap_dataforseo_gemini.rate_limit import WINDOW_VARIABLE
from tests.harness import LOGIN, PASSWORD
from tests.meltano_project import MeltanoProject, install_project

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterator


@pytest.fixture(autouse=True)
def quick_task_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ask a failing task again after milliseconds, not seconds, in this process.

    Tests count the tries and read the outcome, never the waits; runs in a
    process of their own keep the shipped waits.
    """
    monkeypatch.setattr(envelope, "TASK_RETRY_WAITS", (0.01, 0.02))


@pytest.fixture
def make_emulator() -> Iterator[Callable[..., Emulator]]:
    """Start emulators with given options; all stop when the test ends."""
    started: list[Emulator] = []

    def make(**options: t.Any) -> Emulator:
        emulator = Emulator(login=LOGIN, password=PASSWORD, **options)
        emulator.start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()


@pytest.fixture
def emulator(make_emulator: Callable[..., Emulator]) -> Emulator:
    """An emulator with default options and no tasks."""
    return make_emulator()


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory) -> MeltanoProject:
    """This repository's meltano.yml in a Meltano project, installed once."""
    return install_project(tmp_path_factory.mktemp("meltano-project"))


@pytest.fixture
def rate_window(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """Shorten the tap's rate-limit window for this test (in-process and children)."""

    def set_window(seconds: float) -> None:
        monkeypatch.setenv(WINDOW_VARIABLE, str(seconds))

    return set_window
