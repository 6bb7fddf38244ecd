"""The README is a first read; every link in it and in docs/ leads somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import hub_definition
from tests.readme import README

ROOT = README.parent
DOCS = ROOT / "docs"
#: The settings the SDK adds (the page names them in a sentence, not the table).
SDK_SETTINGS = {
    "stream_maps",
    "stream_map_config",
    "faker_config",
    "flattening_enabled",
    "flattening_max_depth",
    "flattening_max_key_length",
    "flattening_separator",
}
LINK = re.compile(r"\]\((?!https?://)([^)#\s]*)(?:#([^)\s]*))?\)")


def anchors(page: Path) -> set[str]:
    """GitHub's anchors of a page's headings."""
    headings = re.findall(r"^#+ (.+)$", page.read_text(), flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


def links() -> list[tuple[Path, str, str]]:
    pages = [README, *sorted(DOCS.glob("*.md"))]
    return [
        (page, target, anchor or "")
        for page in pages
        for target, anchor in LINK.findall(page.read_text())
    ]


def test_the_readme_stays_short() -> None:
    assert len(README.read_text().splitlines()) <= 250


def test_the_first_screen_says_what_it_is_and_how_to_run_it() -> None:
    screen = "\n".join(README.read_text().splitlines()[:40])
    assert "Singer" in screen
    assert "Meltano" in screen
    assert "DataForSEO" in screen
    assert "make demo" in screen


def test_every_docs_page_is_linked_from_the_readme_and_the_index() -> None:
    readme = README.read_text()
    index = (DOCS / "index.md").read_text()
    for page in DOCS.glob("*.md"):
        if page.name != "index.md":
            assert f"(docs/{page.name}" in readme, page.name
            assert f"({page.name}" in index, page.name


def test_every_relative_link_leads_to_a_file_and_heading() -> None:
    checked = 0
    for page, target, anchor in links():
        path = (page.parent / target).resolve() if target else page
        assert path.exists(), f"{page.name}: {target}"
        if anchor and path.suffix == ".md":
            assert anchor in anchors(path), f"{page.name}: {target}#{anchor}"
        checked += 1
    assert checked > 30


def test_the_settings_page_lists_every_setting_of_the_tap() -> None:
    page = (DOCS / "settings.md").read_text()
    listed = set(re.findall(r"^\| ([a-z_]+) \| (?:True|False) \|", page, re.MULTILINE))
    settings = hub_definition.about()["settings"]["properties"]
    assert listed == set(settings) - SDK_SETTINGS
