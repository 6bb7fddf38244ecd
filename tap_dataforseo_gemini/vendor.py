"""The vendor's result models as shapes: fields typed to the leaf, from its models.

``vendor_models.json`` is written by ``python -m vendor_models`` from the
``dataforseo-client`` models (a test checks it is current); the tap reads only
that file.
"""

from __future__ import annotations

import json
import typing as t
from functools import cache
from importlib import resources

from tap_dataforseo_gemini.shape import Array, DateTime, Field, JsonText, Object, Scalar

_SCALARS: dict[str, t.Any] = {
    "string": Scalar(str),
    "integer": Scalar(int),
    "number": Scalar(float),
    "boolean": Scalar(bool),
    "json": JsonText(),
}
#: Fields the vendor types as strings that hold the API's date-times.
_DATETIMES = frozenset({"datetime"})
_DATETIME = DateTime()


@cache
def _models() -> dict[str, dict[str, list[t.Any]]]:
    text = (
        resources.files(__package__)
        .joinpath("vendor_models.json")
        .read_text(encoding="utf-8")
    )
    return json.loads(text)


def _kind(spec: t.Any) -> t.Any:
    if isinstance(spec, str):
        return _SCALARS[spec]
    if "array" in spec:
        return Array(_kind(spec["array"]))
    return Object(fields(spec["object"]))


@cache
def fields(model: str, *, skip: frozenset[str] = frozenset()) -> tuple[Field, ...]:
    """The fields of a vendor model (by the client's class name), but ``skip``."""
    found = []
    for name, (spec, description) in _models()[model].items():
        if name in skip:
            continue
        kind = _DATETIME if name in _DATETIMES and spec == "string" else _kind(spec)
        found.append(Field(name, kind, description or name))
    return tuple(found)


def field(model: str, name: str) -> Field:
    """One field of a vendor model."""
    return next(f for f in fields(model) if f.name == name)


def merged(*models: str) -> tuple[Field, ...]:
    """The fields of several models as one (ChatGPT's and Gemini's results).

    A field in more than one keeps its kind; two object kinds merge field by
    field; kinds that differ otherwise become JSON text.
    """
    found: dict[str, Field] = {}
    for model in models:
        for new in fields(model):
            old = found.get(new.name)
            found[new.name] = new if old is None else _merge(old, new)
    return tuple(found.values())


def _merge(old: Field, new: Field) -> Field:
    return Field(old.name, _merge_kind(old.kind, new.kind), old.description)


def _merge_kind(old: t.Any, new: t.Any) -> t.Any:
    if old == new:
        return old
    if isinstance(old, Array) and isinstance(new, Array):
        return Array(_merge_kind(old.items, new.items))
    if isinstance(old, Object) and isinstance(new, Object):
        names = {field.name: field for field in old.fields}
        for field in new.fields:
            names[field.name] = (
                _merge(names[field.name], field) if field.name in names else field
            )
        return Object(tuple(names.values()))
    return JsonText()
