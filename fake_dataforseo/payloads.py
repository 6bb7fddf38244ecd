"""Deterministic task parameters, task answers and envelopes of the emulator."""

from __future__ import annotations

import json
import random
import uuid
import zlib
from datetime import UTC, datetime
from typing import Any

VERSION = "0.1.20250526"
SES = ("gemini", "chat_gpt", "claude")
API = "ai_optimization"
FUNCTION = "llm_responses"
#: What id_list shows for a call of the account other than a task (a Live call).
TASK_COST = 0.0006
#: DataForSEO's own fee for a task_post task [UPD-GEM].
BASE_COST = 0.0002
#: The advance task_post takes for the model's cost; the difference with the
#: model's real cost is refunded or debited when the task settles [D-TP].
ADVANCE = 0.01
#: What task_post charges a task: the base fee plus the advance [D-TP; UPD-GEM].
POST_COST = round(BASE_COST + ADVANCE, 6)
#: Longest user_prompt and system_message task_post accepts [D-TP].
MAX_TEXT = 500

_OUT_FORMAT = "%Y-%m-%d %H:%M:%S +00:00"
_IN_FORMAT = "%Y-%m-%d %H:%M:%S %z"

#: Per se: (model_name, resolved version, web_search_supported,
#: task_post_supported, reasoning).
MODELS: dict[str, tuple[tuple[str, str, bool, bool, bool], ...]] = {
    "gemini": (
        ("gemini-2.5-pro", "gemini-2.5-pro-preview-06-05", True, True, True),
        ("gemini-2.5-flash", "gemini-2.5-flash-preview-05-20", True, True, True),
        ("gemini-2.0-flash", "gemini-2.0-flash-001", True, True, False),
        ("gemini-2.0-flash-lite", "gemini-2.0-flash-lite-001", False, True, False),
        ("gemini-1.5-pro", "gemini-1.5-pro-002", False, False, False),
    ),
    "chat_gpt": (
        ("gpt-4.1", "gpt-4.1-2025-04-14", True, True, False),
        ("gpt-4.1-mini", "gpt-4.1-mini-2025-04-14", True, True, False),
        ("gpt-4o", "gpt-4o-2024-08-06", True, True, False),
        ("o3-mini", "o3-mini-2025-01-31", False, True, True),
    ),
    "claude": (
        ("claude-opus-4-0", "claude-opus-4-20250514", True, True, True),
        ("claude-sonnet-4-0", "claude-sonnet-4-20250514", True, True, True),
        ("claude-3-7-sonnet-latest", "claude-3-7-sonnet-20250219", True, True, True),
        ("claude-3-5-haiku-latest", "claude-3-5-haiku-20241022", False, True, False),
    ),
}
DEFAULT_MODEL = {
    "gemini": "gemini-2.5-flash",
    "chat_gpt": "gpt-4.1-mini",
    "claude": "claude-sonnet-4-0",
}
_VERSIONS = {model[0]: model[1] for models in MODELS.values() for model in models}
#: What the model provider charges, as the emulator bills it: (input USD per
#: million tokens, output USD per million tokens, web search USD per task).
PRICES: dict[str, tuple[float, float, float]] = {
    "gemini-2.5-pro": (1.25, 10.0, 0.035),
    "gemini-2.5-flash": (0.30, 2.50, 0.035),
    "gemini-2.0-flash": (0.10, 0.40, 0.035),
    "gemini-2.0-flash-lite": (0.075, 0.30, 0.0),
    "gemini-1.5-pro": (1.25, 5.0, 0.0),
    "gpt-4.1": (2.0, 8.0, 0.025),
    "gpt-4.1-mini": (0.40, 1.60, 0.025),
    "gpt-4o": (2.50, 10.0, 0.025),
    "o3-mini": (1.10, 4.40, 0.0),
    "claude-opus-4-0": (15.0, 75.0, 0.01),
    "claude-sonnet-4-0": (3.0, 15.0, 0.01),
    "claude-3-7-sonnet-latest": (3.0, 15.0, 0.01),
    "claude-3-5-haiku-latest": (0.80, 4.0, 0.0),
}
#: max_output_tokens when a task does not say [D-TP].
DEFAULT_MAX_OUTPUT = 2048

BRANDS = ("Acme", "Globex", "Initech", "Umbrella", "Ünïcødé Café")
#: Other ways answers write a brand (the name itself is one of them).
SPELLINGS = {"Ünïcødé Café": ("Ünïcødé Café", "ÜNÏCØDÉ CAFÉ", "Unicode Cafe")}

#: (title, direct_url host, path template); {brand} is filled in per annotation.
_SOURCES = (
    ("acme.com", "www.acme.com", "/products/{slug}"),
    ("www.globex.com", "www.globex.com", "/blog/{slug}-buyers-guide"),
    ("en.wikipedia.org", "en.wikipedia.org", "/wiki/{brand}_(company)"),
    ("reddit.com", "www.reddit.com", "/r/smallbusiness/comments/{token}/{slug}/"),
    ("initech.io", "www.initech.io", "/customers/{slug}"),
    ("umbrella-corp.net", "www.umbrella-corp.net", "/reviews/{slug}"),
    ("unicode-cafe.com", "www.unicode-cafe.com", "/menu/{slug}"),
)

#: (prompt, category): the category is woven into the answer text.
_PROMPTS = (
    ("What are the best CRM tools for a small business?", "CRM tools"),
    ("Compare Acme and Globex project management software.", "project tools"),
    ("Which brands make the most reliable running shoes?", "running shoes"),
    ("Recommend an affordable cloud backup service for a family.", "cloud backup"),
    ("Quels sont les meilleurs outils de facturation pour une PME ?", "facturation"),
    ("Is Initech a good choice for payroll software in 2025?", "payroll software"),
    ("Top alternatives to Umbrella for endpoint security?", "endpoint security"),
    ("Which password manager do security experts trust most?", "password managers"),
)
_SYSTEM_MESSAGES = (
    "You are a neutral shopping assistant. Answer in markdown.",
    "Answer briefly and cite sources.",
    "You compare software vendors for procurement teams.",
)
_CHAIN = (
    ("user", "I run a team of twelve people."),
    ("ai", "Thanks! What is your budget per seat?"),
    ("user", "Around twenty dollars a month."),
    ("ai", "Understood, I will focus on mid-priced options."),
)
_HEADINGS = ("Overview", "Top picks", "Quick comparison", "Résumé", "Short answer")
_CLAIMS = (
    "is often recommended for its reliable support and clear pricing.",
    "offers a broader feature set, though reviewers note a steeper learning curve.",
    "is a budget-friendly option — good for teams just getting started.",
    "provides advanced security and compliance features for larger companies.",
    "leads on integrations, with connectors for most popular tools.",
    "gets the best ratings for ease of use in independent reviews.",
)
_CLOSINGS = (
    "Overall, the right choice depends on your budget and how much setup you accept.",
    "Try the free tiers first: most vendors offer a 14-day trial.",
    "If in doubt, start with {brand}; switching later is straightforward.",
    "Shops around Acmeville tend to pick whatever has the longest free trial.",
)
_FILLER = (
    "Further notes: customers praise onboarding and documentation. "
    "Users mention strong reporting and granular permissions. "
    "Simple pricing and responsive support matter to most teams. "
    "Larger companies focus on security audits and compliance certifications. "
    "Reviews on community forums are mixed but mostly positive overall. "
)

_FILLER_STARTS = tuple(
    i for i in range(len(_FILLER)) if i == 0 or _FILLER[i - 2 : i] == ". "
)


def fmt_dt(value: datetime) -> str:
    """Format a datetime the vendor's way: "2025-07-14 07:25:54 +00:00"."""
    return value.astimezone(UTC).strftime(_OUT_FORMAT)


def parse_dt(value: object) -> datetime | None:
    """Parse "2023-01-31 00:00:00 +02:00" (any offset); None when invalid."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, _IN_FORMAT)
    except ValueError:
        return None


def task_id(rng: random.Random) -> str:
    """Draw a vendor-like task id ("07141025-0696-0613-1000-29a9acb77e9c")."""
    prefix = (
        f"{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        f"{rng.randint(0, 23):02d}{rng.randint(0, 59):02d}"
    )
    return (
        f"{prefix}-0696-06{rng.randint(10, 19)}-{rng.choice('01')}000-"
        f"{rng.getrandbits(48):012x}"
    )


def request_id(now: datetime) -> str:
    """Make a fresh vendor-like id for a request-level task (not seeded)."""
    bits = uuid.uuid4().int
    return f"{now:%m%d%H%M}-0696-06{10 + bits % 10}-0000-{bits >> 80:012x}"


def time_text(seconds: float) -> str:
    """Format a duration as the vendor's "0.1220 sec."."""
    return f"{seconds:.4f} sec."


def task_rng(seed: int, seq: int, purpose: str) -> random.Random:
    """Return the deterministic RNG of one task and one purpose."""
    return random.Random(f"{seed}/{seq}/{purpose}")


def make_params(
    rng: random.Random, se: str, *, web_search: bool, tag: str, postback: bool
) -> dict[str, Any]:
    """Draw the posted parameters of a generated task; some absent, some null."""
    prompt, _ = rng.choice(_PROMPTS)
    models = [m[0] for m in MODELS[se] if m[3]]
    model = DEFAULT_MODEL[se] if rng.random() < 0.7 else rng.choice(models)
    params: dict[str, Any] = {"user_prompt": prompt, "model_name": model}
    _draw_numbers(rng, params)
    if web_search or rng.random() < 0.5:
        params["web_search"] = web_search
    _draw_texts(rng, params)
    if tag:
        params["tag"] = tag
    if postback:
        params["postback_url"] = "https://postback.example.com/dataforseo?id=$id"
    return params


def _draw_numbers(rng: random.Random, params: dict[str, Any]) -> None:
    """Add max_output_tokens, temperature and top_p (each maybe absent or null)."""
    roll = rng.random()
    if roll < 0.6:
        params["max_output_tokens"] = rng.choice((512, 1024, 2048, 4096))
    elif roll < 0.75:
        params["max_output_tokens"] = None
    if rng.random() < 0.5:
        params["temperature"] = round(rng.uniform(0.0, 2.0), 1)
    roll = rng.random()
    if roll < 0.4:
        params["top_p"] = round(rng.uniform(0.1, 1.0), 2)
    elif roll < 0.5:
        params["top_p"] = None


def _draw_texts(rng: random.Random, params: dict[str, Any]) -> None:
    """Add system_message, message_chain and use_reasoning (maybe absent or null)."""
    roll = rng.random()
    if roll < 0.35:
        params["system_message"] = rng.choice(_SYSTEM_MESSAGES)
    elif roll < 0.5:
        params["system_message"] = None
    if rng.random() < 0.3:
        length = rng.choice((2, 4))
        params["message_chain"] = [
            {"role": role, "message": message} for role, message in _CHAIN[:length]
        ]
    roll = rng.random()
    if roll < 0.35:
        params["use_reasoning"] = True
    elif roll < 0.7:
        params["use_reasoning"] = False


def task_data(se: str, params: dict[str, Any]) -> dict[str, Any]:
    """Return a task's `data`: the posted parameters plus api, function, se."""
    return {"api": API, "function": FUNCTION, "se": se, **params}


def envelope(
    status_code: int,
    status_message: str,
    tasks: list[dict[str, Any]] | str | None,
    *,
    elapsed: float = 0.0,
    cost: float = 0,
) -> dict[str, Any]:
    """Build the request-level envelope around task objects."""
    is_list = isinstance(tasks, list)
    errors = (
        sum(1 for t in tasks if t["status_code"] not in (20000, 20100))
        if isinstance(tasks, list)
        else 0
    )
    return {
        "version": VERSION,
        "status_code": status_code,
        "status_message": status_message,
        "time": time_text(elapsed),
        "cost": cost,
        "tasks_count": len(tasks) if is_list else 0,
        "tasks_error": errors,
        "tasks": tasks,
    }


def task_object(
    task_id_: str,
    status_code: int,
    status_message: str,
    *,
    path: list[str],
    data: dict[str, Any],
    result: list[Any] | None,
    cost: float = 0,
    elapsed: float = 0.0,
) -> dict[str, Any]:
    """Build one element of `tasks[]`."""
    return {
        "id": task_id_,
        "status_code": status_code,
        "status_message": status_message,
        "time": time_text(elapsed),
        "cost": cost,
        "result_count": len(result) if result is not None else 0,
        "path": path,
        "data": data,
        "result": result,
    }


def dumps(value: Any) -> bytes:
    """Serialize compactly as UTF-8 JSON (non-ASCII kept as is)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _annotation(rng: random.Random, text: str, start: int, end: int) -> dict[str, Any]:
    title, host, path = rng.choice(_SOURCES)
    brand = rng.choice(BRANDS)
    slug = f"{_slug(brand)}-{rng.choice(('review', 'pricing', 'comparison'))}"
    token = f"{rng.getrandbits(24):06x}"
    title_ = brand.replace(" ", "_")  # as Wikipedia writes page names
    direct = f"https://{host}{path.format(brand=title_, slug=slug, token=token)}"
    redirect = f"{rng.getrandbits(256):064x}"
    return {
        "title": title,
        "url": "https://vertexaisearch.cloud.google.com/grounding-api-redirect/"
        + redirect,
        "direct_url": direct if rng.random() < 0.8 else None,
        "start_index": start,
        "end_index": end,
        "text": text[start:end],
    }


def _slug(brand: str) -> str:
    """URL slug from the ASCII spelling ("Ünïcødé Café" -> "unicode-cafe")."""
    ascii_ = next((s for s in SPELLINGS.get(brand, ()) if s.isascii()), brand)
    return "-".join(ascii_.lower().split())


def _brand_order(rng: random.Random, model: str) -> list[str]:
    """Shuffle the brands, each model favouring some (a weighted random order)."""
    weight = {b: 1 + zlib.crc32(f"{model}/{b}".encode()) % 5 for b in BRANDS}
    return sorted(BRANDS, key=lambda brand: -(rng.random() ** (1 / weight[brand])))


def _message_text(
    rng: random.Random, category: str, web_search: bool, model: str
) -> tuple[str, list[dict[str, Any]] | None]:
    """Write one markdown message and its annotations (None without web search)."""
    brands = [rng.choice(SPELLINGS.get(b, (b,))) for b in _brand_order(rng, model)]
    parts = [
        f"## {rng.choice(_HEADINGS)}\n\n",
        f"When people ask about {category}, **{brands[0]}** and **{brands[1]}** "
        "come up most often.\n\n",
    ]
    spans: list[tuple[int, int]] = []
    for brand in brands[: rng.randint(2, 4)]:
        prefix = f"- **{brand}**: "
        sentence = f"{brand} {rng.choice(_CLAIMS)}"
        start = sum(map(len, parts)) + len(prefix)
        spans.append((start, start + len(sentence)))
        parts.append(f"{prefix}{sentence}\n")
    parts.append("\n" + rng.choice(_CLOSINGS).format(brand=brands[0]))
    text = "".join(parts)
    if not web_search:
        return text, None
    if rng.random() < 0.1:
        return text, []
    chosen = sorted(rng.sample(spans, rng.randint(1, len(spans))))
    return text, [_annotation(rng, text, start, end) for start, end in chosen]


def usage(
    rng: random.Random, params: dict[str, Any], prices: dict[str, Any]
) -> dict[str, Any]:
    """Draw a task's tokens and bill them: what its answer says it cost.

    Output and reasoning tokens stay within ``max_output_tokens``; the model's
    cost is its tokens at its prices plus its web-search fee when it searched.
    """
    model = str(params.get("model_name"))
    price_in, price_out, search = prices.get(model, (0.30, 2.50, 0.035))
    cap = params.get("max_output_tokens") or DEFAULT_MAX_OUTPUT
    input_tokens = len(str(params.get("user_prompt", ""))) // 4 + rng.randint(8, 400)
    output_tokens = rng.randint(min(150, cap), max(min(1800, cap), 1))
    reasoning_tokens = 0
    if params.get("use_reasoning"):
        reasoning_tokens = rng.randint(0, max(cap - output_tokens, 0))
    web_search = bool(params.get("web_search"))
    spent = input_tokens * price_in + (output_tokens + reasoning_tokens) * price_out
    spent = spent / 1e6 + (search if web_search else 0.0)
    return {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "reasoning_tokens": reasoning_tokens,
        "web_search": web_search,
        "money_spent": round(spent, 8),
    }


def settled_cost(money_spent: float) -> float:
    """What a completed task costs in the end: the base fee plus the model's cost."""
    return round(BASE_COST + money_spent, 6)


def _result(
    rng: random.Random,
    se: str,
    params: dict[str, Any],
    done_at: datetime,
    usage: dict[str, Any],
) -> dict[str, Any]:
    """Draw the single result object of a done task (without padding)."""
    web_search = bool(params.get("web_search"))
    use_reasoning = bool(params.get("use_reasoning"))
    prompt = str(params.get("user_prompt", ""))
    category = next((c for p, c in _PROMPTS if p == prompt), "this topic")
    items: list[dict[str, Any]] = []
    if use_reasoning:
        summary = (
            f"**Weighing the options**\n\nThe user asks about {category}. "
            f"I will compare {' and '.join(rng.sample(BRANDS, 2))} and check "
            "recent reviews before answering."
        )
        section = {"type": "summary_text", "text": summary}
        items.append({"type": "reasoning", "sections": [section]})
    model = str(params.get("model_name", DEFAULT_MODEL[se]))
    for _ in range(1 if rng.random() < 0.7 else 2):
        text, annotations = _message_text(rng, category, web_search, model)
        section = {"type": "text", "text": text, "annotations": annotations}
        items.append({"type": "message", "sections": [section]})
    fan_out = None
    if web_search:
        b1, b2, b3 = rng.sample(BRANDS, 3)
        queries = [f"{b1} vs {b2} {category}", f"best {category} 2025", f"{b3} reviews"]
        fan_out = queries[: rng.randint(1, 3)]
    return {
        "model_name": _VERSIONS.get(model, model),
        **usage,
        "datetime": fmt_dt(done_at),
        "items": items,
        "fan_out_queries": fan_out,
    }


def render_task_get(
    *,
    seed: int,
    seq: int,
    task_id_: str,
    se: str,
    params: dict[str, Any],
    done_at: datetime,
    answer_bytes: int,
    prices: dict[str, Any] = PRICES,
) -> bytes:
    """Render the whole task_get body of a done task, padded to ~answer_bytes."""
    rng = task_rng(seed, seq, "answer")
    billed = usage(task_rng(seed, seq, "usage"), params, prices)
    result = _result(rng, se, params, done_at, billed)
    task = task_object(
        task_id_,
        20000,
        "Ok.",
        path=["v3", API, se, FUNCTION, "task_get", task_id_],
        data=task_data(se, params),
        result=[result],
        elapsed=rng.uniform(0.01, 0.09),
    )
    body = envelope(20000, "Ok.", [task], elapsed=rng.uniform(0.05, 0.3))
    raw = dumps(body)
    budget = answer_bytes - len(raw)
    if budget > 8:
        # "\n\n" serializes to 4 bytes; the filler is plain ASCII, 1 byte a char.
        start = rng.choice(_FILLER_STARTS)
        need = budget - 4
        filler = (_FILLER * (need // len(_FILLER) + 2))[start : start + need]
        section = result["items"][-1]["sections"][0]
        section["text"] += "\n\n" + filler
        raw = dumps(body)
    return raw


def postable_model(se: str, name: object) -> bool:
    """Tell whether task_post accepts a model_name for an se."""
    return any(m[0] == name and m[3] for m in MODELS[se])


def models_result(se: str) -> list[dict[str, Any]]:
    """Return the models endpoint's result items of one se."""
    return [
        {
            "model_name": name,
            "web_search_supported": web_search,
            "task_post_supported": task_post,
            "reasoning": reasoning,
        }
        for name, _, web_search, task_post, reasoning in MODELS[se]
    ]
