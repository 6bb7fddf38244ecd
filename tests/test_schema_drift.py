"""Schema drift: every field the vendor's own client knows is carried by a stream,
with the same JSON type, and nullable wherever the vendor's is.

The official ``dataforseo-client`` package (a dev dependency, read offline) is
generated from DataForSEO's OpenAPI spec. When it gains a field in the answers
these streams read, or a field changes type or becomes nullable, a test here
fails naming it.
"""

from __future__ import annotations

import copy
import importlib
import types
import typing as t

import pydantic
import pytest

from tap_dataforseo_gemini.records import REQUEST
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
#: Columns that are never null although the vendor's field may be, with the reason.
NEVER_NULL = {
    "id": "the key: an answer without a task id is refused, never a null key",
    "model_name": "the models stream's key: an item without it is refused",
}
#: JSON types of the vendor client's Python types.
JSON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean"}
#: Vendor field name -> our column, where they differ.
TASKS_READY_NAMES = {"se_type": "function"}
REQUEST_NAMES = {field.key: field.name for field in REQUEST}


def vendor_fields(module: str, cls: str) -> list[str]:
    """The JSON field names of one ``dataforseo_client`` model."""
    return list(getattr(vendor_model(module, cls), f"_{cls}__properties"))


def vendor_model(module: str, cls: str) -> type[pydantic.BaseModel]:
    """One ``dataforseo_client`` model class."""
    return getattr(importlib.import_module(f"dataforseo_client.models.{module}"), cls)


def object_schema(schema: dict[str, t.Any], *path: str) -> dict[str, t.Any]:
    """A (nested) object schema; ``[]`` steps into array items."""
    for step in path:
        schema = schema["items"] if step == "[]" else schema["properties"][step]
    return schema


def properties(schema: dict[str, t.Any], *path: str) -> set[str]:
    """Property names of a (nested) object schema; ``[]`` steps into array items."""
    return set(object_schema(schema, *path)["properties"])


def vendor_kind(annotation: t.Any) -> tuple[str | None, bool, t.Any]:
    """(JSON type, nullable, item kind of an array) of a vendor field's annotation.

    The JSON type is None where the vendor allows anything (``Any``).
    """
    nullable = False
    if t.get_origin(annotation) in {t.Union, types.UnionType}:
        members = [a for a in t.get_args(annotation) if a is not type(None)]
        nullable = len(members) < len(t.get_args(annotation))
        kinds = {vendor_kind(member)[0] for member in members}
        if kinds == {"integer", "number"}:
            return "number", nullable, None
        (annotation,) = members
    if t.get_origin(annotation) is t.Annotated:
        annotation = t.get_args(annotation)[0]
    if t.get_origin(annotation) is list:
        return "array", nullable, vendor_kind(t.get_args(annotation)[0])
    if t.get_origin(annotation) is dict or (
        isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel)
    ):
        return "object", nullable, None
    return JSON_TYPES.get(annotation), nullable, None


def stream_kind(schema: dict[str, t.Any]) -> tuple[str | None, bool, t.Any]:
    """(JSON type, nullable, item kind of an array) of a stream's property."""
    kinds = schema.get("type", [])
    kinds = [kinds] if isinstance(kinds, str) else kinds
    (kind,) = [k for k in kinds if k != "null"] or [None]
    items = stream_kind(schema["items"]) if kind == "array" else None
    return kind, "null" in kinds, items


def kind_differences(
    name: str,
    vendor: tuple[str | None, bool, t.Any],
    ours: tuple[str | None, bool, t.Any],
) -> list[str]:
    """What differs between a vendor field's kind and its column's, named."""
    found = []
    if vendor[0] is not None and vendor[0] != ours[0]:
        found.append(f"{name}: the vendor's is {vendor[0]}, the stream's {ours[0]}")
    if vendor[1] and not ours[1] and name not in NEVER_NULL:
        found.append(f"{name}: the vendor's may be null, the stream's may not")
    if vendor[2] is not None and ours[2] is not None:
        found += kind_differences(f"{name}[]", vendor[2], ours[2])
    return found


def differences(
    model: type[pydantic.BaseModel],
    schema: dict[str, t.Any],
    renamed: dict | None = None,
) -> list[str]:
    """Type and nullability differences of the carried fields, named."""
    renamed = renamed or {}
    found = []
    for name, field in model.model_fields.items():
        column = renamed.get(field.alias or name, field.alias or name)
        if column in schema["properties"]:
            found += kind_differences(
                column,
                vendor_kind(field.annotation),
                stream_kind(schema["properties"][column]),
            )
    return found


def model_names(llm: str, endpoint: str, part: str) -> tuple[str, str]:
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
            model_names(llm, "tasks_ready", "result"),
            ReadyTasksStream.schema,
            (),
        )
        for llm in LLMS
    ],
    *[
        (
            f"{llm} task_get task",
            model_names(llm, "task_get", "task"),
            LlmResponsesStream.schema,
            (),
        )
        for llm in LLMS
    ],
    *[
        (
            f"{llm} task_get result",
            model_names(llm, "task_get", "result"),
            LlmResponsesStream.schema,
            (),
        )
        for llm in LLMS
    ],
    *[
        (
            f"{llm} task_post request",
            model_names(llm, "task_post", "request"),
            LlmResponsesStream.schema,
            (),
        )
        for llm in LLMS
    ],
    *[
        (f"{llm} models", model_names(llm, "models", "result"), ModelsStream.schema, ())
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
    ("what", "vendor_names", "schema", "path"),
    CHECKS,
    ids=[check[0] for check in CHECKS],
)
def test_every_vendor_field_is_carried(what, vendor_names, schema, path):
    fields = vendor_fields(*vendor_names)
    assert fields, f"{vendor_names[1]} lists no fields"
    assert missing(fields, properties(schema, *path), renames(what)) == [], (
        f"{what}: not carried"
    )


def renames(what: str) -> dict[str, str] | None:
    """Vendor field -> column renames of one check."""
    renamed = {"tasks_ready": TASKS_READY_NAMES, "task_post": REQUEST_NAMES}
    return next((v for k, v in renamed.items() if k in what), None)


@pytest.mark.parametrize(
    ("what", "vendor_names", "schema", "path"),
    CHECKS,
    ids=[check[0] for check in CHECKS],
)
def test_every_carried_field_has_the_vendors_type_and_nullability(
    what, vendor_names, schema, path
):
    found = differences(
        vendor_model(*vendor_names), object_schema(schema, *path), renames(what)
    )
    assert found == [], f"{what}: {'; '.join(found)}"


def test_a_field_removed_from_a_schema_is_named():
    carried = properties(LlmResponsesStream.schema) - {"fan_out_queries"}
    fields = vendor_fields(*model_names("gemini", "task_get", "result"))
    assert missing(fields, carried) == ["fan_out_queries"]


def test_a_type_or_nullability_difference_is_named():
    schema = copy.deepcopy(LlmResponsesStream.schema)
    schema["properties"]["input_tokens"]["type"] = ["string", "null"]
    schema["properties"]["money_spent"]["type"] = ["number"]
    schema["properties"]["fan_out_queries"]["items"]["type"] = ["string"]
    model = vendor_model(*model_names("gemini", "task_get", "result"))
    assert differences(model, schema) == [
        "input_tokens: the vendor's is integer, the stream's string",
        "money_spent: the vendor's may be null, the stream's may not",
        "fan_out_queries[]: the vendor's may be null, the stream's may not",
    ]
