"""Stream schemas: every property described, integers bounded to 64 bits."""

from __future__ import annotations

import typing as t

import pytest

from tap_dataforseo_gemini.tap import TapDataForSEOGemini

if t.TYPE_CHECKING:
    from collections.abc import Iterator

#: Every source's streams (a run discovers its source's only).
STREAMS = {
    name: stream
    for source in ("llm_responses", "llm_scraper", "ai_mode")
    for name, stream in TapDataForSEOGemini(
        config={"login": "schema@example.com", "password": "unused", "source": source},
        setup_mapper=False,
    ).streams.items()
}


def properties(schema: dict[str, t.Any], path: str) -> Iterator[tuple[str, dict]]:
    """Every property of a schema with its dotted path, nested ones included."""
    for name, prop in schema.get("properties", {}).items():
        yield f"{path}.{name}", prop
        yield from properties(prop, f"{path}.{name}")
        if "items" in prop:
            yield from properties(prop["items"], f"{path}.{name}[]")


def every_property() -> list[tuple[str, dict]]:
    return [
        found
        for name, stream in STREAMS.items()
        for found in properties(stream.schema, name)
    ]


def test_the_walk_reaches_nested_properties():
    paths = {path for path, _ in every_property()}
    assert "llm_responses.items[].sections[].annotations[].direct_url" in paths
    assert "llm_responses.message_chain[].role" in paths
    assert "ai_mode_results.items[].references[].domain" in paths


@pytest.mark.parametrize(("path", "prop"), every_property())
def test_every_property_has_a_description(path, prop):
    assert prop.get("description", "").strip(), path


def test_every_integer_property_is_bounded_to_64_bits():
    integers = [(p, s) for p, s in every_property() if "integer" in s["type"]]
    assert len(integers) >= 10
    for path, prop in integers:
        assert prop.get("minimum") == -(2**63), path
        assert prop.get("maximum") == 2**63 - 1, path
