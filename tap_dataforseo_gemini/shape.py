"""An answer's shape, declared once: the JSON schema and the checked reader both.

A :class:`Field` names a record property, its kind, its description and the
API's name for it. The same declaration gives the stream's schema property
(``Field.property``) and reads the API's value (``read``), raising
:class:`MalformedAnswerError` with the field's path when the value does not fit.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass
from datetime import datetime

from singer_sdk import typing as th

from tap_dataforseo_gemini.errors import InvalidStateError, MalformedAnswerError

_API_DATETIME = "%Y-%m-%d %H:%M:%S %z"
#: Bounds of a 64-bit integer: loaders create BIGINT columns, not HUGEINT or NUMERIC.
INT64 = {"minimum": -(2**63), "maximum": 2**63 - 1}


#: Where the tap's own state is read: not an API answer.
STATE = "state"


class Where:
    """The place in an answer (or in the state) being read, for error messages.

    A step only links to the place it came from: the path is spelled out when an
    error needs it, not for every value read.
    """

    __slots__ = ("_key", "_parent", "endpoint")

    def __init__(self, endpoint: str, path: str = "") -> None:
        """Start at ``endpoint`` (or ``STATE``); ``path`` grows deeper."""
        self.endpoint = endpoint
        self._parent: Where | None = None
        self._key: str | int = path

    def __truediv__(self, key: str | int) -> Where:
        """Step into a key or index."""
        step = Where(self.endpoint)
        step._parent, step._key = self, key
        return step

    @property
    def path(self) -> str:
        """The path from the start, as ``tasks[0].result[2].items``."""
        if self._parent is None:
            return str(self._key)
        path, key = self._parent.path, self._key
        return path + (
            f"[{key}]" if isinstance(key, int) else f".{key}" if path else key
        )

    def fail(self, problem: str) -> MalformedAnswerError | InvalidStateError:
        """Build the error for a problem found here: the state's, or the API's."""
        if self.endpoint == STATE:
            return InvalidStateError(f"invalid state: {self.path} {problem}")
        return MalformedAnswerError(
            f"malformed API answer from {self.endpoint}: {self.path} {problem}"
        )


def scalar(value: object, kind: type, where: Where) -> t.Any:
    """Check a nullable scalar against its schema type; integers pass as numbers."""
    if value is None:
        return None
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
        return value
    raise where.fail(f"is {value!r}, expected {kind.__name__} or null")


def mapping(value: object, where: Where) -> dict[str, t.Any] | None:
    """Check a nullable JSON object."""
    if value is None or isinstance(value, dict):
        return value
    raise where.fail(f"is {type(value).__name__}, expected an object or null")


def array(value: object, where: Where) -> list[t.Any] | None:
    """Check a nullable JSON array."""
    if value is None or isinstance(value, list):
        return value
    raise where.fail(f"is {type(value).__name__}, expected an array or null")


def moment(value: object, where: Where) -> datetime | None:
    """Parse the API's ``2025-07-14 07:25:54 +00:00`` (or ISO 8601 with an offset)."""
    text = scalar(value, str, where)
    if text is None:
        return None
    # fromisoformat reads the API's form too (Python 3.11+), ten times faster.
    for parse in (
        lambda: datetime.fromisoformat(text),
        lambda: datetime.strptime(text, _API_DATETIME),
    ):
        try:
            parsed = parse()
        except ValueError:
            continue
        if parsed.tzinfo is not None:
            return parsed
    raise where.fail(f"is {text!r}, expected a date like 2025-07-14 07:25:54 +00:00")


def iso8601(value: object, where: Where) -> str | None:
    """Convert the API's ``2025-07-14 07:25:54 +00:00`` to ISO 8601."""
    parsed = moment(value, where)
    return None if parsed is None else parsed.isoformat()


class Kind(t.Protocol):
    """What a value is: its JSON schema and how it is read from an answer."""

    def schema(self, *, nullable: bool) -> th.JSONTypeHelper:
        """The JSON schema type of the value."""

    def read(self, value: object, where: Where) -> t.Any:
        """The checked value, or :class:`MalformedAnswerError` naming ``where``."""


@dataclass(frozen=True)
class Scalar:
    """A string, a 64-bit integer, a number or a boolean."""

    type: type

    def schema(self, *, nullable: bool) -> th.JSONTypeHelper:
        """The JSON schema type; integers bounded to 64 bits."""
        if self.type is int:
            return th.IntegerType(nullable=nullable, **INT64)
        helper = {str: th.StringType, float: th.NumberType, bool: th.BooleanType}
        return helper[self.type](nullable=nullable)

    def read(self, value: object, where: Where) -> t.Any:
        """Check the value's type (see :func:`scalar`)."""
        return scalar(value, self.type, where)


class DateTime:
    """The API's ``2025-07-14 07:25:54 +00:00``, written as ISO 8601."""

    def schema(self, *, nullable: bool) -> th.JSONTypeHelper:
        """An ISO 8601 date-time."""
        return th.DateTimeType(nullable=nullable)

    def read(self, value: object, where: Where) -> str | None:
        """Parse and convert the date (see :func:`iso8601`)."""
        return iso8601(value, where)


@dataclass(frozen=True)
class Array:
    """A JSON array of one kind of value, each nullable."""

    items: Kind

    def schema(self, *, nullable: bool) -> th.JSONTypeHelper:
        """An array of the items' type."""
        return th.ArrayType(self.items.schema(nullable=True), nullable=nullable)

    def read(self, value: object, where: Where) -> list[t.Any] | None:
        """Check the array and each item."""
        values = array(value, where)
        if values is None:
            return None
        return [
            self.items.read(item, where / index) for index, item in enumerate(values)
        ]


@dataclass(frozen=True)
class Object:
    """A JSON object with declared fields; other keys are dropped."""

    fields: tuple[Field, ...]

    def schema(self, *, nullable: bool) -> th.JSONTypeHelper:
        """An object of the fields' properties."""
        return th.ObjectType(*properties(self.fields), nullable=nullable)

    def read(self, value: object, where: Where) -> dict[str, t.Any] | None:
        """Check the object and read each field."""
        found = mapping(value, where)
        return None if found is None else read(self.fields, found, where)


@dataclass(frozen=True)
class Field:
    """One property: its name, kind and description, and the API's name for it."""

    name: str
    kind: Kind
    description: str
    #: The API's name, where the property's differs.
    source: str = ""
    #: Never null: the stream's key.
    required: bool = False

    @property
    def key(self) -> str:
        """The field's name in the API's answer."""
        return self.source or self.name

    def property(self) -> th.Property:
        """The schema property."""
        return th.Property(
            self.name,
            self.kind.schema(nullable=not self.required),
            required=self.required,
            description=self.description,
        )

    def read(self, answer: dict[str, t.Any], where: Where) -> t.Any:
        """The field's checked value in an answer object."""
        return self.kind.read(answer.get(self.key), where / self.key)


def read(
    fields: t.Iterable[Field], answer: dict[str, t.Any], where: Where
) -> dict[str, t.Any]:
    """Each field's checked value in an answer object, by property name."""
    return {field.name: field.read(answer, where) for field in fields}


def properties(fields: t.Iterable[Field]) -> list[th.Property]:
    """The schema properties of the fields."""
    return [field.property() for field in fields]


def schema(*fields: Field) -> dict[str, t.Any]:
    """A stream's JSON schema, from its fields."""
    return th.PropertiesList(*properties(fields)).to_dict()
