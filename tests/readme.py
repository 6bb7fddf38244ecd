"""The README's shell recipes, read from the README itself so tests cannot drift."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def shell_blocks(section: str) -> list[str]:
    """The ``sh`` code blocks of one ``###`` section of the README, in order."""
    text = README.read_text()
    start = text.index(f"\n### {section}\n")
    end = min(
        (i for i in (text.find("\n## ", start + 1), text.find("\n### ", start + 1))
         if i > 0),
        default=len(text),
    )  # fmt: skip
    return re.findall(r"```sh\n(.*?)```", text[start:end], flags=re.DOTALL)


def sh(
    script: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a README block with ``sh``, as pasted into a fresh shell in ``cwd``."""
    return subprocess.run(
        ["sh", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
