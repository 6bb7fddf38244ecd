"""The loop's Meltano plugin definitions, generated from ``--about`` and meltano.yml.

``tap-dataforseo-gemini.yml`` (a Meltano Hub-style definition, for
``meltano add --from-ref``) and the extractor in ``meltano.yml`` take their
settings, kinds and capabilities from ``tap-dataforseo-gemini --about``, and their
addresses from ``[project.urls]`` in ``pyproject.toml``. ``hub/`` holds every other
plugin of ``meltano.yml`` in the same format (its ``config`` as setting values, an
inherited extractor as its parent with its own values), and ``hub/local/`` this
project's own plugins installed from a clone next to the Meltano project.
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
HUB = ROOT / "hub"
#: ``pip_url`` of this project's plugins in ``hub/local/``: the clone next to the
#: Meltano project (Meltano expands the variable when it installs).
LOCAL_PIP_URL = f"$MELTANO_PROJECT_ROOT/../{EXTRACTOR}"
#: meltano.yml's plugin types, each with its singular (Hub) name.
PLUGIN_TYPES = {
    "extractors": "extractor",
    "loaders": "loader",
    "utilities": "utility",
    "transformers": "transformer",
}
#: What a definition says of where it comes from: this project's, for every plugin.
HUB_FIELDS = ("variant", "docs", "repo", "maintenance_status")
#: Plugin keys a Hub definition carries over from meltano.yml.
CARRIED = (
    "namespace",
    "executable",
    "capabilities",
    "settings_group_validation",
    "settings",
    "commands",
)
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


#: Labels and descriptions of meltano.yml's plugins that do not say them.
ABOUT_PLUGINS = {
    "dataforseo-prompts": (
        "DataForSEO prompt sets",
        "Posts a prompt set to DataForSEO's AI Optimization task_post under a hard "
        "budget, never twice a period (the tap-dataforseo-gemini package).",
    ),
}


def project_plugins(meltano: dict[str, t.Any]) -> dict[str, tuple[str, dict]]:
    """Every plugin of meltano.yml by name, with its (singular) type."""
    return {
        plugin["name"]: (PLUGIN_TYPES[kind], plugin)
        for kind, plugins in meltano["plugins"].items()
        for plugin in plugins
    }


def definition_of(
    name: str, meltano: dict[str, t.Any], extractor_definition: dict[str, t.Any]
) -> dict[str, t.Any]:
    """One plugin of meltano.yml as a Hub definition, its config as setting values.

    Meltano keeps only a definition's own keys (``config`` and ``select`` are
    dropped on ``meltano add --from-ref``), so values go into the settings. An
    inherited extractor is the extractor's definition with its own values.
    """
    plugins = project_plugins(meltano)
    _, plugin = plugins[name]
    if name == EXTRACTOR or plugin.get("inherit_from") == EXTRACTOR:
        base = extractor_definition
        values = plugin.get("config") or {}
        label = f"{base['label']} ({name.removeprefix('tap-dataforseo-')})"
        description = base["description"] + "".join(
            f" {key}: {value}." for key, value in values.items()
        )
    else:
        own = plugin["pip_url"].startswith("-e ")
        label, description = ABOUT_PLUGINS.get(
            name, (name, f"{name} as tap-dataforseo-gemini pins and tests it.")
        )
        base = {
            **{k: v for k, v in extractor_definition.items() if k in HUB_FIELDS},
            "pip_url": extractor_definition["pip_url"] if own else plugin["pip_url"],
            **{key: plugin[key] for key in CARRIED if key in plugin},
        }
        values = plugin.get("config") or {}
    if name == EXTRACTOR:
        return dict(base)
    return {
        "name": name,
        "label": label,
        "description": description,
        **{k: v for k, v in base.items() if k not in {"name", "label", "description"}},
        "settings": [
            {**s, "value": values[s["name"]]} if s["name"] in values else dict(s)
            for s in base.get("settings", [])
        ],
    }


def hub_definitions(
    meltano: dict[str, t.Any], extractor_definition: dict[str, t.Any]
) -> dict[Path, dict[str, t.Any]]:
    """``hub/`` and ``hub/local/``: every plugin's definition, by path.

    ``hub/`` leaves out the extractor (``tap-dataforseo-gemini.yml`` at the top);
    ``hub/local/`` holds this project's own plugins, installed from the clone.
    """
    found: dict[Path, dict[str, t.Any]] = {}
    for name, (kind, _) in project_plugins(meltano).items():
        definition = definition_of(name, meltano, extractor_definition)
        if name != EXTRACTOR:
            found[HUB / f"{kind}-{name}.yml"] = definition
        if definition["pip_url"] == extractor_definition["pip_url"]:
            local = {**definition, "pip_url": LOCAL_PIP_URL}
            found[HUB / "local" / f"{kind}-{name}.yml"] = local
    return found
