"""meltano.yml and the Hub-style definition agree with ``--about``; adoptable files."""

from __future__ import annotations

import re
import tomllib

import pytest
import yaml

import hub_definition
from hub_definition import DEFINITION, EXTRACTOR, MELTANO_YML, ROOT

GITHUB = r"https://github\.com/[\w.-]+/[\w.-]+"


@pytest.fixture(scope="module")
def about() -> dict:
    return hub_definition.about()


def meltano_extractor() -> dict:
    extractors = yaml.safe_load(MELTANO_YML.read_text())["plugins"]["extractors"]
    (plugin,) = (p for p in extractors if p["name"] == EXTRACTOR)
    return plugin


def test_meltano_yml_declares_every_setting_of_the_tap_with_its_kind(about):
    declared = meltano_extractor()["settings"]
    assert [s["name"] for s in declared] == list(about["settings"]["properties"])
    assert declared == hub_definition.settings(about)


def test_meltano_yml_declares_the_capabilities_the_tap_reports(about):
    plugin = meltano_extractor()
    assert plugin["capabilities"] == about["capabilities"]
    assert plugin["settings_group_validation"] == [about["settings"]["required"]]


def test_fractional_settings_are_decimal_so_meltano_passes_fractions():
    kinds = {s["name"]: s["kind"] for s in meltano_extractor()["settings"]}
    assert kinds["progress_interval_seconds"] == "decimal"
    assert kinds["max_retry_seconds"] == "decimal"
    assert kinds["start_date"] == "date_iso8601"
    assert kinds["llm"] == "options"


def test_the_hub_definition_is_generated_from_about_and_pyproject(about):
    definition = yaml.safe_load(DEFINITION.read_text())
    expected = hub_definition.hub_definition(about, hub_definition.project())
    assert definition == expected
    assert definition["settings"] == meltano_extractor()["settings"]


def test_the_repository_address_comes_from_pyproject_alone():
    repository = hub_definition.project()["urls"]["Repository"]
    for path in (ROOT / "README.md", DEFINITION, ROOT / "CHANGELOG.md"):
        for found in re.findall(GITHUB, path.read_text()):
            if EXTRACTOR in found:
                assert found.removesuffix(".git") == repository, path.name
    assert repository in (ROOT / "README.md").read_text()


def test_the_licence_is_apache_2_and_declared():
    with (ROOT / "pyproject.toml").open("rb") as file:
        meta = tomllib.load(file)["project"]
    assert meta["license"] == "Apache-2.0"
    assert meta["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text
    assert "Version 2.0, January 2004" in text


def test_the_changelog_has_an_unreleased_section_and_the_released_version():
    text = (ROOT / "CHANGELOG.md").read_text()
    version = hub_definition.project()["version"]
    assert "## [Unreleased]" in text
    assert f"## [{version}] - " in text
