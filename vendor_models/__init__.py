"""The vendor's result models, read from ``dataforseo-client`` (a dev dependency).

``python -m vendor_models [--check]`` writes (or checks)
``tap_dataforseo_gemini/vendor_models.json``: each model the surface streams
read, its fields' kinds and descriptions, from the vendor's generated pydantic
models, so the streams are typed to the leaf as the vendor types them. The tap
reads the JSON file (:mod:`tap_dataforseo_gemini.vendor`); it never imports the
client.

A polymorphic model (the client's discriminator map on ``type``) is written as
one object with the fields of every variant; a field two variants type
differently, or that the client leaves untyped, is kept as JSON text.
"""

from __future__ import annotations

import importlib
import json
import re
import types
import typing as t
from pathlib import Path

from pydantic import BaseModel

#: The file the tap reads.
TARGET = (
    Path(__file__).resolve().parent.parent
    / "tap_dataforseo_gemini"
    / ("vendor_models.json")
)
#: The result models the streams read (the client's class names).
ROOTS = (
    "AiOptimizationChatGptLlmScraperTaskGetAdvancedResultInfo",
    "AiOptimizationGeminiLlmScraperTaskGetAdvancedResultInfo",
    "SerpGoogleAiModeTaskGetAdvancedResultInfo",
)
_SCALARS: dict[object, str] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
}
_SNAKE = re.compile(r"(?<!^)(?=[A-Z])")


def model_class(name: str) -> type[BaseModel]:
    """A model class of the client by its class name."""
    module = importlib.import_module(
        "dataforseo_client.models." + _SNAKE.sub("_", name).lower()
    )
    return getattr(module, name)


def variants(cls: type[BaseModel]) -> list[type[BaseModel]]:
    """The model and, for a polymorphic base, every variant it maps ``type`` to."""
    mapping = getattr(cls, f"_{cls.__name__}__discriminator_value_class_map", None)
    found = [cls]
    for name in sorted(set((mapping or {}).values())):
        variant = model_class(name)
        if variant not in found:
            found.append(variant)
    return found


def kind(annotation: object, models: dict[str, t.Any]) -> t.Any:
    """The JSON kind of an annotation, adding the models it names to ``models``."""
    origin = t.get_origin(annotation)
    args = [a for a in t.get_args(annotation) if a is not type(None)]
    if origin is t.Annotated:
        return kind(args[0], models)
    if origin in (t.Union, types.UnionType):
        kinds = {json.dumps(kind(arg, models)) for arg in args}
        if kinds == {'"number"', '"integer"'}:
            return "number"
        return json.loads(kinds.pop()) if len(kinds) == 1 else "json"
    if origin is list:
        return {"array": kind(args[0], models)}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        add(annotation, models)
        return {"object": annotation.__name__}
    return _SCALARS.get(annotation, "json")


def add(cls: type[BaseModel], models: dict[str, t.Any]) -> None:
    """Add a model (all its variants' fields) and those it names to ``models``."""
    if cls.__name__ in models:
        return
    fields: dict[str, list[str | t.Any]] = {}
    models[cls.__name__] = fields
    for variant in variants(cls):
        for name, info in variant.model_fields.items():
            if name == "additional_properties":
                continue
            found = kind(info.annotation, models)
            description = " ".join((info.description or "").split())
            if name not in fields:
                fields[name] = [found, description]
            elif fields[name][0] != found:
                fields[name][0] = "json"


def derived() -> dict[str, t.Any]:
    """Every model the roots need, by class name, sorted."""
    models: dict[str, t.Any] = {}
    for root in ROOTS:
        add(model_class(root), models)
    return {name: models[name] for name in sorted(models)}
