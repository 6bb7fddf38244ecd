"""The consumer surfaces: LLM Scraper (ChatGPT, Gemini) and Google AI Mode.

Task-based APIs with the same queue as LLM Responses (``task_post``,
``tasks_ready``, ``task_get/advanced``, an ``id_list`` ledger), each with its own
paths, request fields, result object and price, as the fact sheet
(``dataforseo-surfaces.md``) reads them from the vendor's docs and client 2.1.10.
A surface's tasks live in the one ledger under the surface's key (``Task.se``).

Points the vendor leaves open are served in each plausible variant:
``tasks_ready`` entries with ``function`` or with ``se_type``/``endpoint_regular``
(:data:`READY_VARIANTS`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote_plus

from .payloads import _PROMPTS, _SOURCES, BRANDS, _slug, fmt_dt, task_object

#: The two shapes of a ``tasks_ready`` entry: client 2.1.10's Gemini scraper
#: (``function``), client 2.1.5's ChatGPT scraper and every SERP one (``se_type``
#: and ``endpoint_regular``).
READY_VARIANTS = ("function", "se_type")


@dataclass(frozen=True)
class Surface:
    """One task-based API: where it lives and what it charges."""

    #: The ledger key of its tasks (``Task.se``).
    key: str
    #: ``ai_optimization`` or ``serp``: whose ``id_list`` lists its tasks.
    api: str
    #: The search engine (``se``): chat_gpt, gemini, google.
    se: str
    #: The function segment: llm_scraper or ai_mode.
    function: str
    #: USD a task at priority 1 (normal); priority 2 costs twice as much.
    price: float
    #: Longest keyword task_post accepts.
    max_keyword: int
    #: The default shape of its ``tasks_ready`` entries.
    ready_variant: str

    @property
    def base(self) -> str:
        """The path prefix, without the leading slash."""
        return f"v3/{self.api}/{self.se}/{self.function}"

    @property
    def post_url(self) -> str:
        """The task_post call as id_list writes it: no host, no leading slash."""
        return f"{self.base}/task_post"


SURFACES: dict[str, Surface] = {
    surface.key: surface
    for surface in (
        # "from $0.0012 per ChatGPT results page"; per-mode and Gemini prices are
        # UNCONFIRMED: the same price is assumed for both.
        Surface(
            "chat_gpt/llm_scraper",
            "ai_optimization",
            "chat_gpt",
            "llm_scraper",
            0.0012,
            2000,
            "function",
        ),
        Surface(
            "gemini/llm_scraper",
            "ai_optimization",
            "gemini",
            "llm_scraper",
            0.0012,
            2000,
            "function",
        ),
        # Standard queue $0.0012, priority $0.0024 (the AI Mode pricing page).
        Surface("google/ai_mode", "serp", "google", "ai_mode", 0.0012, 700, "se_type"),
    )
}


def route(method: str, parts: list[str]) -> tuple[str, str, str] | None:
    """Match a surface's path: (endpoint name, surface key, task id) or None."""
    if parts[:3] == ["v3", "serp", "id_list"] and len(parts) == 3:
        return ("id_list", "serp", "") if method == "POST" else None
    for surface in SURFACES.values():
        base = surface.base.split("/")
        if parts[: len(base)] != base:
            continue
        rest = parts[len(base) :]
        if method == "GET" and rest == ["tasks_ready"]:
            return "tasks_ready", surface.key, ""
        if method == "POST" and rest == ["task_post"]:
            return "task_post", surface.key, ""
        if method == "GET" and len(rest) == 3 and rest[:2] == ["task_get", "advanced"]:
            return ("task_get", surface.key, rest[2]) if rest[2] else None
        return None
    return None


def api_of(key: str) -> str:
    """Whose ``id_list`` lists a ledger key's tasks."""
    surface = SURFACES.get(key)
    return surface.api if surface else "ai_optimization"


def make_params(
    key: str, rng: random.Random, *, tag: str, postback: bool
) -> dict[str, Any]:
    """The posted parameters of a generated surface task."""
    prompt, _ = rng.choice(_PROMPTS)
    params: dict[str, Any] = {
        "keyword": prompt,
        "location_code": rng.choice((2840, 2826, 2250)),
        "language_code": "en",
    }
    if key == "google/ai_mode":
        params["device"] = rng.choice(("desktop", "mobile"))
    if rng.random() < 0.2:
        params["priority"] = 2
    if tag:
        params["tag"] = tag
    if postback:
        params["postback_url"] = "https://postback.example.com/dataforseo?id=$id"
        params["postback_data"] = "advanced"
    return params


def invalid_field(  # noqa: PLR0911 - one return per invalid field
    surface: Surface, item: Any
) -> str | None:
    """Name the first invalid field of a task_post item, or None."""
    if not isinstance(item, dict):
        return "keyword"
    keyword = item.get("keyword")
    if (
        not isinstance(keyword, str)
        or not keyword.strip()
        or len(keyword) > surface.max_keyword
    ):
        return "keyword"
    locations = ("location_code", "location_name", "location_coordinate")
    if not any(item.get(name) for name in locations):
        return "location_code"
    if not any(item.get(name) for name in ("language_code", "language_name")):
        return "language_code"
    if item.get("priority", 1) not in (1, 2):
        return "priority"
    if surface.function == "ai_mode" and item.get("device", "desktop") not in (
        "desktop",
        "mobile",
    ):
        return "device"
    tag = item.get("tag")
    if tag is not None and (not isinstance(tag, str) or len(tag) > 255):
        return "tag"
    return None


def cost(surface: Surface, params: dict[str, Any]) -> float:
    """What task_post charges: priority 2 twice, calculate_rectangles twice again."""
    price = surface.price * (2 if params.get("priority") == 2 else 1)
    return round(price * (2 if params.get("calculate_rectangles") else 1), 6)


def task_data(surface: Surface, params: dict[str, Any]) -> dict[str, Any]:
    """A task's ``data``: the posted parameters plus api, function, se."""
    if surface.api == "serp":
        names = {"api": "serp", "function": "task_post", "se": "google"}
        return {**names, "se_type": "ai_mode", **params}
    names = {"api": surface.api, "function": surface.function, "se": surface.se}
    return {**names, **params}


def ready_item(
    surface: Surface, task_id: str, posted_at: datetime, tag: str, variant: str
) -> dict[str, Any]:
    """One ``tasks_ready`` entry, in one of :data:`READY_VARIANTS`."""
    get = f"/{surface.base}/task_get"
    item: dict[str, Any] = {"id": task_id, "se": surface.se}
    if variant == "function":
        item["function"] = surface.function
    else:
        item["se_type"] = surface.function
    item |= {"date_posted": fmt_dt(posted_at), "tag": tag}
    if variant != "function":
        # Neither surface has a regular (non-advanced) result.
        item["endpoint_regular"] = None
    item |= {
        "endpoint_advanced": f"{get}/advanced/{task_id}",
        "endpoint_html": f"{get}/html/{task_id}",
    }
    return item


def task_get_task(
    surface: Surface,
    task_id: str,
    params: dict[str, Any],
    done_at: datetime,
    rng: random.Random,
) -> dict[str, Any]:
    """The task object of a done task's ``task_get/advanced`` answer."""
    if surface.function == "ai_mode":
        result = _ai_mode_result(params, done_at, rng)
    else:
        result = _scraper_result(surface.se, params, done_at, rng)
    return task_object(
        task_id,
        20000,
        "Ok.",
        path=[*surface.base.split("/"), "task_get", "advanced", task_id],
        data=task_data(surface, params),
        result=[result],
        cost=0,
        elapsed=rng.uniform(0.01, 0.09),
    )


def keyword_of(params: dict[str, Any]) -> str | None:
    """The posted keyword as results give it: ``%##`` decoded, ``+`` a space."""
    keyword = params.get("keyword")
    return unquote_plus(keyword) if isinstance(keyword, str) else None


def _source(rng: random.Random) -> dict[str, Any]:
    """A cited source (SourceInfo), with its domain."""
    title, host, path = rng.choice(_SOURCES)
    brand = rng.choice(BRANDS)
    url = f"https://{host}" + path.format(
        brand=brand.replace(" ", "_"),
        slug=f"{_slug(brand)}-review",
        token=f"{rng.getrandbits(24):06x}",
    )
    return {
        "type": "source",
        "title": f"{brand} review — {title}",
        "snippet": f"What customers say about {brand}.",
        "domain": host,
        "url": url,
        "thumbnail": None,
        "source_name": title,
        "publication_date": None,
        "markdown": f"[{title}]({url})",
    }


def _answer(params: dict[str, Any], rng: random.Random) -> tuple[str, list[str]]:
    """The answer as markdown, and the brands it names in order."""
    brands = rng.sample(BRANDS, rng.randint(2, 4))
    lines = [f"For **{keyword_of(params) or ''}**, people often mention:"]
    lines += [f"- **{brand}**" for brand in brands]
    return "\n".join(lines), brands


def _scraper_result(
    se: str, params: dict[str, Any], done_at: datetime, rng: random.Random
) -> dict[str, Any]:
    markdown, brands = _answer(params, rng)
    sources = [_source(rng) for _ in range(rng.randint(0, 4))]
    prefix = "chat_gpt" if se == "chat_gpt" else "gemini"
    text: dict[str, Any] = {
        "type": f"{prefix}_text",
        "rank_group": 1,
        "rank_absolute": 1,
        "markdown": markdown,
        "sources": sources or None,
    }
    table = {
        "type": f"{prefix}_table",
        "rank_group": 1,
        "rank_absolute": 2,
        "markdown": "| Brand |\n|---|\n" + "\n".join(f"| {b} |" for b in brands),
        "table": {
            "table_element": "table_element",
            "table_header": ["Brand"],
            "table_content": [[brand] for brand in brands],
        },
    }
    result: dict[str, Any] = {
        "keyword": keyword_of(params),
        "location_code": params.get("location_code"),
        "language_code": params.get("language_code"),
        "model": "gpt-5" if se == "chat_gpt" else "gemini-2.5-flash",
        "datetime": fmt_dt(done_at),
        "markdown": markdown,
        "sources": sources or None,
        "se_results_count": 0,
        "item_types": [text["type"], table["type"]],
        "items_count": 2,
        "items": [text, table],
    }
    if se == "chat_gpt":
        entities = [
            {
                "type": "brand_entity",
                "title": brand,
                "category": "Software",
                "markdown": f"**{brand}**",
                "urls": [f"https://{_slug(brand)}.example"],
            }
            for brand in brands
        ]
        text["table"] = None
        text["brand_entities"] = entities
        table["text"] = None
        table["brand_entities"] = None
        result |= {
            "check_url": "https://chatgpt.com/?q=" + _slug(str(params.get("keyword"))),
            "search_results": [
                {
                    "type": "search_result",
                    "url": source["url"],
                    "domain": source["domain"],
                    "title": source["title"],
                    "description": source["snippet"],
                    "breadcrumb": None,
                }
                for source in sources
            ]
            or None,
            "fan_out_queries": [f"best {brands[0]} alternatives"],
            "brand_entities": entities,
        }
    else:
        text["original_text"] = markdown
        table["original_text"] = None
    return result


def _ai_mode_result(
    params: dict[str, Any], done_at: datetime, rng: random.Random
) -> dict[str, Any]:
    markdown, _ = _answer(params, rng)
    references = []
    for _ in range(rng.randint(1, 4)):
        source = _source(rng)
        references.append(
            {
                "type": "ai_overview_reference",
                # The vendor's model types it a string: the alignment, left or right.
                "position": "right",
                "source": source["source_name"],
                "domain": source["domain"],
                "url": source["url"],
                "title": source["title"],
                "text": source["snippet"],
            }
        )
    element = {
        "type": "ai_overview_element",
        "position": "left",
        "title": None,
        "text": markdown,
        "markdown": markdown,
        "links": None,
        "images": None,
        "references": references[:1],
    }
    overview = {
        "type": "ai_overview",
        "rank_group": 1,
        "rank_absolute": 1,
        "page": 1,
        "position": "left",
        "xpath": "/html[1]/body[1]/div[3]",
        "markdown": markdown,
        "items": [element],
        "references": references,
        "rectangle": None,
    }
    keyword = keyword_of(params)
    return {
        "keyword": keyword,
        "type": "ai_mode",
        "se_domain": "google.com",
        "location_code": params.get("location_code"),
        "language_code": params.get("language_code"),
        "check_url": "https://www.google.com/search?udm=50&q=" + _slug(str(keyword)),
        "datetime": fmt_dt(done_at),
        "spell": None,
        "refinement_chips": None,
        "item_types": ["ai_overview"],
        "se_results_count": 0,
        "items_count": 1,
        "items": [overview],
    }
