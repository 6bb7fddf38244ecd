"""The consumer surfaces the tests run each delivery guarantee against (issue 20)."""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from tests.harness import config_for


@dataclass(frozen=True)
class Surface:
    """A source as a run sees it: its settings, the emulator's queue, its streams."""

    source: str
    llm: str
    #: The emulator's ledger key of its tasks.
    key: str
    results: str
    rows: str
    #: The task_get path, before the task id.
    task_get: str

    def config(self, url: str, **overrides: t.Any) -> dict[str, t.Any]:
        """Settings for a run of this source against an emulator."""
        return config_for(url, **{"source": self.source, "llm": self.llm, **overrides})

    def __str__(self) -> str:
        """The test id."""
        return f"{self.source}-{self.llm}" if self.source != "ai_mode" else "ai_mode"


_SCRAPER = "/v3/ai_optimization/{}/llm_scraper/task_get/advanced/"
SURFACES = [
    Surface(
        "llm_scraper",
        "chat_gpt",
        "chat_gpt/llm_scraper",
        "llm_scraper_results",
        "llm_scraper_sources",
        _SCRAPER.format("chat_gpt"),
    ),
    Surface(
        "llm_scraper",
        "gemini",
        "gemini/llm_scraper",
        "llm_scraper_results",
        "llm_scraper_sources",
        _SCRAPER.format("gemini"),
    ),
    Surface(
        "ai_mode",
        "gemini",
        "google/ai_mode",
        "ai_mode_results",
        "ai_mode_references",
        "/v3/serp/google/ai_mode/task_get/advanced/",
    ),
]
