"""Schema drift: every field the vendor's own client knows is carried by a stream.

The official ``dataforseo-client`` package (a dev dependency, read offline) is
generated from DataForSEO's OpenAPI spec. When it gains a field in the answers
these streams read, a test here fails naming it.
"""

from __future__ import annotations

import importlib
import typing as t

import pytest

from tap_dataforseo_gemini.records import REQUEST_FIELDS
from tap_dataforseo_gemini.streams import (
    LlmResponseCitationsStream,
    LlmResponsesStream,
    ModelsStream,
    ReadyTasksStream,
)

LLMS = ("gemini", "chat_gpt", "claude")

#: Vendor fields left out on purpose, with the reason.
LEFT_OUT = {
    "time": "the API's execution time of the request, not data",
    "result_count": "always 1 for task_get; the result is flattened into the record",
    "path": "the request path, derivable from id",
    "data": "expanded into the request columns",
    "result": "expanded into the result columns",
    "postback_url": "the customer's webhook, which can carry its secrets",
    "pingback_url": "the customer's webhook, which can carry its secrets",
}
#: Vendor field name -> our column, where they differ.
TASKS_READY_NAMES = {"se_type": "function"}
REQUEST_NAMES = {name: column for name, (column, _) in REQUEST_FIELDS.items()}


def vendor_fields(module: str, cls: str) -> list[str]:
    """The JSON field names of one ``dataforseo_client`` model."""
    model = getattr(importlib.import_module(f"dataforseo_client.models.{module}"), cls)
    return list(getattr(model, f"_{cls}__properties"))


def properties(schema: dict[str, t.Any], *path: str) -> set[str]:
    """Property names of a (nested) object schema; ``[]`` steps into array items."""
    for step in path:
        schema = schema["items"] if step == "[]" else schema["properties"][step]
    return set(schema["properties"])


def model(llm: str, endpoint: str, part: str) -> tuple[str, str]:
    camel = {"gemini": "Gemini", "chat_gpt": "ChatGpt", "claude": "Claude"}[llm]
    title = "".join(word.capitalize() for word in endpoint.split("_"))
    return (
        f"ai_optimization_{llm}_llm_responses_{endpoint}_{part}_info",
        f"AiOptimization{camel}LlmResponses{title}{part.capitalize()}Info",
    )


CHECKS: list[tuple[str, tuple[str, str], dict, tuple[str, ...]]] = [
    *[
        (
            f"{llm} tasks_ready",
            model(llm, "tasks_ready", "result"),
            ReadyTasksStream.schema,
            (),
        )
        for llm in ("gemini",)
    ],
    *[
        (
            f"{llm} task_get task",
            model(llm, "task_get", "task"),
            LlmResponsesStream.schema,
            (),
        )
        for llm in LLMS
    ],
    *[
        (
            f"{llm} task_get result",
            model(llm, "task_get", "result"),
            LlmResponsesStream.schema,
            (),
        )
        for llm in LLMS
    ],
    *[
        (
            f"{llm} task_post request",
            model(llm, "task_post", "request"),
            LlmResponsesStream.schema,
            (),
        )
        for llm in LLMS
    ],
    *[
        (f"{llm} models", model(llm, "models", "result"), ModelsStream.schema, ())
        for llm in LLMS
    ],
    (
        "message chain",
        ("llm_message_chain_item", "LlmMessageChainItem"),
        LlmResponsesStream.schema,
        ("message_chain", "[]"),
    ),
    (
        "response item",
        (
            "message_ai_optimization_llm_response_element_item",
            "MessageAiOptimizationLlmResponseElementItem",
        ),
        LlmResponsesStream.schema,
        ("items", "[]"),
    ),
    (
        "message section",
        ("llm_message_section_info", "LlmMessageSectionInfo"),
        LlmResponsesStream.schema,
        ("items", "[]", "sections", "[]"),
    ),
    (
        "reasoning section",
        ("local_justification_info", "LocalJustificationInfo"),
        LlmResponsesStream.schema,
        ("items", "[]", "sections", "[]"),
    ),
    (
        "annotation",
        ("annotation_info", "AnnotationInfo"),
        LlmResponsesStream.schema,
        ("items", "[]", "sections", "[]", "annotations", "[]"),
    ),
    (
        "citation",
        ("annotation_info", "AnnotationInfo"),
        LlmResponseCitationsStream.schema,
        (),
    ),
]


def missing(
    vendor: list[str], carried: set[str], renamed: dict | None = None
) -> list[str]:
    renamed = renamed or {}
    return [
        name
        for name in vendor
        if name not in LEFT_OUT and renamed.get(name, name) not in carried
    ]


@pytest.mark.parametrize(
    ("what", "vendor_model", "schema", "path"),
    CHECKS,
    ids=[check[0] for check in CHECKS],
)
def test_every_vendor_field_is_carried(what, vendor_model, schema, path):
    fields = vendor_fields(*vendor_model)
    assert fields, f"{vendor_model[1]} lists no fields"
    renamed = {"tasks_ready": TASKS_READY_NAMES, "task_post": REQUEST_NAMES}
    names = next((v for k, v in renamed.items() if k in what), None)
    assert missing(fields, properties(schema, *path), names) == [], (
        f"{what}: not carried"
    )


def test_a_field_removed_from_a_schema_is_named():
    carried = properties(LlmResponsesStream.schema) - {"fan_out_queries"}
    fields = vendor_fields(*model("gemini", "task_get", "result"))
    assert missing(fields, carried) == ["fan_out_queries"]
