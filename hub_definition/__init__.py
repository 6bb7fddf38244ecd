"""The extractor's Meltano plugin definition, generated from ``--about``.

``tap-dataforseo-gemini.yml`` (a Meltano Hub-style definition, for
``meltano add --from-ref``) and the extractor in ``meltano.yml`` take their
settings, kinds and capabilities from ``tap-dataforseo-gemini --about``, and their
addresses from ``[project.urls]`` in ``pyproject.toml``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
import typing as t
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXTRACTOR = "tap-dataforseo-gemini"
DEFINITION = ROOT / f"{EXTRACTOR}.yml"
MELTANO_YML = ROOT / "meltano.yml"
#: JSON Schema types to Meltano setting kinds (``number`` takes fractions).
KINDS = {
    "string": "string",
    "integer": "integer",
    "number": "decimal",
    "boolean": "boolean",
    "object": "object",
    "array": "array",
}


def about() -> dict[str, t.Any]:
    """What ``tap-dataforseo-gemini --about --format=json`` says."""
    done = subprocess.run(
        [sys.executable, "-m", "tap_dataforseo_gemini", "--about", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def project() -> dict[str, t.Any]:
    """The ``[project]`` table of pyproject.toml."""
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)["project"]


def kind(schema: dict[str, t.Any]) -> str:
    """The Meltano kind of one setting's JSON Schema."""
    if "enum" in schema:
        return "options"
    if schema.get("format") == "date-time":
        return "date_iso8601"
    (json_type,) = set(schema["type"]) - {"null"}
    return KINDS[json_type]


def setting(name: str, schema: dict[str, t.Any]) -> dict[str, t.Any]:
    """One Meltano setting from the tap's JSON Schema of it."""
    found: dict[str, t.Any] = {
        "name": name,
        "label": schema.get("title", name),
        "kind": kind(schema),
        "description": schema.get("description", ""),
    }
    if schema.get("secret"):
        found["sensitive"] = True
    if "default" in schema:
        found["value"] = schema["default"]
    if "enum" in schema:
        found["options"] = [{"label": v, "value": v} for v in schema["enum"]]
    return found


def settings(info: dict[str, t.Any]) -> list[dict[str, t.Any]]:
    """Every setting ``--about`` lists, in its order."""
    return [setting(n, s) for n, s in info["settings"]["properties"].items()]


def extractor(info: dict[str, t.Any]) -> dict[str, t.Any]:
    """The parts of the extractor both files share: what the tap says of itself."""
    return {
        "capabilities": info["capabilities"],
        "settings_group_validation": [info["settings"].get("required", [])],
        "settings": settings(info),
    }


def hub_definition(info: dict[str, t.Any], meta: dict[str, t.Any]) -> dict[str, t.Any]:
    """The Meltano Hub-style definition of the extractor."""
    repo = meta["urls"]["Repository"]
    return {
        "name": EXTRACTOR,
        "namespace": "tap_dataforseo_gemini",
        "variant": repo.rstrip("/").split("/")[-2],
        "label": "DataForSEO LLM Responses",
        "description": meta["description"],
        "logo_url": "https://dataforseo.com/favicon.ico",
        "domain_url": "https://dataforseo.com",
        "docs": meta["urls"]["Documentation"],
        "repo": repo,
        "pip_url": f"git+{repo}.git",
        "executable": EXTRACTOR,
        "maintenance_status": "active",
        "keywords": ["meltano_sdk", *meta["keywords"]],
        **extractor(info),
    }
