"""Where ``dataforseo-prompts`` posts: LLM Responses, the LLM Scraper, Google AI Mode.

Each surface has its own ``task_post`` and the ledger that lists its tasks:
``/v3/ai_optimization/id_list`` for LLM Responses and the LLM Scraper,
``/v3/serp/id_list`` for AI Mode [dataforseo-surfaces.md 1.3, 2.3]. A task's tag
names its surface (``<llm>/<model>`` is ``chat_gpt/llm_scraper`` or
``google/ai_mode``), so a tag left unknown by a crash is looked up in the right
ledger even when the prompts file no longer lists its surface.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from tap_dataforseo_gemini.api.endpoints import named

LLM_RESPONSES = "llm_responses"
LLM_SCRAPER = "llm_scraper"
AI_MODE = "ai_mode"
#: The LLMs the LLM Scraper scrapes (the ChatGPT and Gemini apps).
SCRAPER_LLMS = ("chat_gpt", "gemini")
#: The search engine of AI Mode tasks, in the tag's ``<llm>`` place.
GOOGLE = "google"


@dataclass(frozen=True)
class Surface:
    """One surface's endpoints, by their names in ``api/endpoints.py``."""

    name: str
    task_post: str
    id_list: str
    #: The longest ``keyword`` its task_post takes (None: it takes ``user_prompt``).
    max_keyword: int | None = None

    def post_path(self, llm: str) -> str:
        """Its task_post path after ``/v3``, as an id_list ``url`` ends."""
        return named(self.task_post).path.format(llm=llm).removeprefix("/v3")

    def lists(self, url: object, llm: str) -> bool:
        """Whether an id_list ``url`` (with or without host) is this task_post."""
        if not isinstance(url, str):
            return False
        path = urlsplit(url).path if "://" in url else url.split("?", 1)[0]
        return ("/" + path.strip("/")).endswith(self.post_path(llm))


SURFACES = {
    surface.name: surface
    for surface in (
        Surface(LLM_RESPONSES, "task_post", "id_list"),
        Surface(LLM_SCRAPER, "llm_scraper/task_post", "id_list", max_keyword=2000),
        Surface(AI_MODE, "ai_mode/task_post", "serp/id_list", max_keyword=700),
    )
}


def of_tag(tag: str) -> tuple[Surface, str]:
    """The surface and LLM a tag names: ``dfsp/<set>/<prompt>/<llm>/<model>/...``."""
    parts = tag.split("/")
    llm, model = (parts[3], parts[4]) if len(parts) > 4 else ("", "")
    return SURFACES.get(model, SURFACES[LLM_RESPONSES]), llm


def keyword(text: str) -> str:
    """A prompt as the ``keyword`` to send: ``%`` and ``+`` encoded.

    task_post decodes ``%##`` and reads ``+`` as a space [dataforseo-surfaces.md
    1.2, 2.2]: encoded, the keyword the API answers with is the prompt.
    """
    return text.replace("%", "%25").replace("+", "%2B")
