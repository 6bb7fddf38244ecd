"""The sdist, and the wheel built from it, in a clean venv: both commands work."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import typing as t

import pytest

from tests.harness import config_for
from tests.meltano_project import REPO

if t.TYPE_CHECKING:
    from pathlib import Path

    from fake_dataforseo import Emulator

pytestmark = pytest.mark.slow


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(arg) for arg in args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``python -m build``: the sdist, then the wheel built from the sdist."""
    out = tmp_path_factory.mktemp("dist")
    done = run(sys.executable, "-m", "build", "--outdir", out, REPO)
    assert done.returncode == 0, done.stderr[-4000:]
    return out


@pytest.fixture(scope="module")
def bin_dir(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with nothing but the wheel and its dependencies (from the index)."""
    venv = tmp_path_factory.mktemp("clean") / "venv"
    assert run(sys.executable, "-m", "venv", venv).returncode == 0
    (wheel,) = dist.glob("*.whl")
    done = run(venv / "bin" / "python", "-m", "pip", "install", "--quiet", wheel)
    assert done.returncode == 0, done.stderr[-4000:]
    return venv / "bin"


def test_the_sdist_holds_the_source_and_the_files_a_build_reads(dist: Path) -> None:
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[-1] for name in archive.getnames()}
    assert {"pyproject.toml", "README.md", "LICENSE", "CHANGELOG.md"} <= names
    assert "tap_dataforseo_gemini/vendor_models.json" in names


def test_the_installed_tap_checks_the_connection(
    bin_dir: Path, emulator: Emulator, tmp_path: Path
) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps(config_for(emulator.url)))

    done = run(bin_dir / "tap-dataforseo-gemini", "--config", config, "--test")

    assert done.returncode == 0, done.stderr[-4000:]
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("tap-dataforseo-gemini: --test passed: "), last


def test_the_installed_prompts_command_plans_a_prompt_set(
    bin_dir: Path, emulator: Emulator, tmp_path: Path
) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps(config_for(emulator.url)))
    prompts = tmp_path / "prompts.yml"
    prompts.write_text(
        "budget_usd: 1\nprompts: [Best CRM?]\nllms: {gemini: [gemini-2.5-flash]}\n"
    )

    done = run(
        bin_dir / "dataforseo-prompts", "post", "--config", config,
        "--prompts", prompts, "--dry-run", cwd=tmp_path,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr[-4000:]
    assert "dry run: would post 1 task," in done.stdout + done.stderr
    assert emulator.task_ids() == []
