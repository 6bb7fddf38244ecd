"""hub/: every plugin of the loop in Meltano Hub's format, made from meltano.yml."""

from __future__ import annotations

import pytest
import yaml

import hub_definition
from hub_definition import DEFINITION, EXTRACTOR, HUB, LOCAL_PIP_URL, MELTANO_YML
from hub_definition.__main__ import rendered


@pytest.fixture(scope="module")
def files() -> dict:
    return rendered()


def load(name: str) -> dict:
    return yaml.safe_load((HUB / name).read_text())


def test_every_definition_file_is_what_the_generator_writes(files) -> None:
    written = {path: path.read_text() for path in HUB.rglob("*.yml")}
    expected = {path: text for path, text in files.items() if HUB in path.parents}
    assert written == expected


def test_every_plugin_of_meltano_yml_has_a_definition() -> None:
    meltano = yaml.safe_load(MELTANO_YML.read_text())
    names = set(hub_definition.project_plugins(meltano)) - {EXTRACTOR}
    defined = {yaml.safe_load(p.read_text())["name"] for p in HUB.glob("*.yml")}
    assert defined == names
    assert yaml.safe_load(DEFINITION.read_text())["name"] == EXTRACTOR


def test_an_inherited_extractor_carries_its_config_as_setting_values() -> None:
    definition = load("extractor-tap-dataforseo-chatgpt-app.yml")
    values = {s["name"]: s.get("value") for s in definition["settings"]}
    assert values["source"] == "llm_scraper"
    assert values["llm"] == "chat_gpt"
    assert definition["executable"] == EXTRACTOR


def test_the_pinned_loader_keeps_its_pins_and_metadata_columns() -> None:
    definition = load("loader-target-duckdb.yml")
    assert definition["pip_url"] == "target-duckdb==0.8.0 duckdb==1.1.3"
    values = {s["name"]: s.get("value") for s in definition["settings"]}
    assert values["add_metadata_columns"] is True


def test_the_utility_keeps_its_commands() -> None:
    definition = load("utility-dataforseo-prompts.yml")
    assert set(definition["commands"]) == {"post", "dry-run"}
    repository = hub_definition.project()["urls"]["Repository"]
    assert definition["pip_url"] == f"git+{repository}.git"


def test_local_definitions_install_this_projects_plugins_from_the_clone() -> None:
    local = {p.name: yaml.safe_load(p.read_text()) for p in (HUB / "local").glob("*")}
    assert {d["name"] for d in local.values()} == {
        EXTRACTOR,
        "tap-dataforseo-chatgpt",
        "tap-dataforseo-chatgpt-app",
        "tap-dataforseo-gemini-app",
        "tap-dataforseo-ai-mode",
        "dataforseo-prompts",
    }
    assert {d["pip_url"] for d in local.values()} == {LOCAL_PIP_URL}
