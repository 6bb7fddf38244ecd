"""Collecting the LLM Scraper and Google AI Mode: the source setting, its streams.

Every surface is collected from its own queue, reconciled with its own ledger,
and refused a state or an llm that is not its own (issue 20).
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import requests
from jsonschema import Draft7Validator, FormatChecker

from tap_dataforseo_gemini.tap import TapDataForSEOGemini
from tests.harness import LOGIN, PASSWORD, config_for, run_tap
from tests.surfaces import SURFACES, Surface

each_surface = pytest.mark.parametrize("surface", SURFACES, ids=str)


def ids(run, stream: str) -> set[str]:
    return {record["id"] for record in run.records(stream)}


@each_surface
def test_a_run_collects_its_surfaces_tasks_only(make_emulator, surface: Surface):
    emulator = make_emulator(seed=200)
    mine = emulator.add_tasks(4, se=surface.key, age=timedelta(hours=1))
    for other in {"gemini", "chat_gpt", *(s.key for s in SURFACES)} - {surface.key}:
        emulator.add_tasks(2, se=other, age=timedelta(hours=1))
    run = run_tap(surface.config(emulator.url))
    assert run.returncode == 0, run.stderr
    assert ids(run, surface.results) == set(mine)
    assert ids(run, "ready_tasks") == set(mine)
    assert emulator.collected_ids() == set(mine)


@each_surface
def test_only_the_sources_streams_are_discovered(surface: Surface):
    tap = TapDataForSEOGemini(config=surface.config("https://api.dataforseo.com"))
    names = {stream.tap_stream_id for stream in tap.catalog.streams}
    assert names == {"ready_tasks", surface.results, surface.rows}


@each_surface
def test_every_row_has_its_task_date_posted_and_a_domain(
    make_emulator, surface: Surface
):
    emulator = make_emulator(seed=201)
    emulator.add_tasks(6, se=surface.key, age=timedelta(hours=1))
    run = run_tap(surface.config(emulator.url))
    results = {r["id"]: r for r in run.records(surface.results)}
    rows = run.records(surface.rows)
    assert rows
    for row in rows:
        assert row["date_posted"] == results[row["id"]]["date_posted"] is not None
        assert row["domain"]
        assert not row["domain"].startswith("www.")
    for record in results.values():
        assert record["raw_answer"] is None
        assert record["answer_text"]
        assert "**" not in record["answer_text"]
        assert record["keyword"]


@each_surface
def test_the_ledger_is_read_with_or_without_the_host_and_either_listing_shape(
    make_emulator, surface: Surface
):
    emulator = make_emulator(seed=202)
    emulator.id_list_url_host = True
    emulator.ready_variant = "se_type" if surface.source != "ai_mode" else "function"
    listed = emulator.add_tasks(2, se=surface.key)
    taken = emulator.add_tasks(3, se=surface.key)
    emulator.collect_by_other_client(taken)
    run = run_tap(surface.config(emulator.url))
    assert run.returncode == 0, run.stderr
    assert ids(run, surface.results) == set(listed + taken)
    endpoints = {r["endpoint"] for r in run.records("ready_tasks")}
    assert endpoints == {surface.task_get + task_id for task_id in listed}


@each_surface
def test_every_record_fits_its_streams_schema(make_emulator, surface: Surface):
    emulator = make_emulator(seed=208)
    emulator.add_tasks(5, se=surface.key, age=timedelta(hours=1))
    emulator.add_tasks(1, se=surface.key, status="failed")
    run = run_tap(surface.config(emulator.url))
    schemas = {m["stream"]: m["schema"] for m in run.messages if m["type"] == "SCHEMA"}
    for stream in ("ready_tasks", surface.results, surface.rows):
        validator = Draft7Validator(schemas[stream], format_checker=FormatChecker())
        records = run.records(stream)
        assert records, stream
        for record in records:
            validator.validate(record)


@each_surface
def test_a_state_of_another_source_is_refused_in_one_line_naming_both(
    make_emulator, surface: Surface
):
    emulator = make_emulator(seed=203)
    emulator.add_tasks(2)
    emulator.add_tasks(2, se=surface.key)
    responses = run_tap(config_for(emulator.url))
    assert responses.returncode == 0, responses.stderr
    run = run_tap(surface.config(emulator.url), state=responses.last_state)
    assert run.returncode == 1
    line = run.stderr.strip().splitlines()[-1]
    assert "source llm_responses" in line
    assert f"source {surface.source}" in line
    assert "Traceback" not in run.stderr
    assert not set(emulator.task_ids(surface.key)) & emulator.collected_ids()


@each_surface
def test_a_state_of_the_same_source_at_another_llm_is_refused(
    make_emulator, surface: Surface
):
    emulator = make_emulator(seed=204)
    state = {
        "bookmarks": {
            surface.results: {"source": surface.source, "llm": "claude", "pending": []}
        }
    }
    run = run_tap(surface.config(emulator.url), state=state)
    assert run.returncode == 1
    assert "llm claude" in run.stderr.strip().splitlines()[-1]


@each_surface
def test_the_state_names_its_source_and_se(make_emulator, surface: Surface):
    emulator = make_emulator(seed=205)
    emulator.add_tasks(1, se=surface.key)
    run = run_tap(surface.config(emulator.url))
    saved = run.last_state["bookmarks"][surface.results]
    se = "google" if surface.source == "ai_mode" else surface.llm
    assert (saved["source"], saved["llm"]) == (surface.source, se)


@each_surface
def test_a_failed_task_is_a_failure_record_with_its_raw_answer(
    make_emulator, surface: Surface
):
    emulator = make_emulator(seed=206)
    (bad,) = emulator.add_tasks(1, se=surface.key, status="failed")
    run = run_tap(surface.config(emulator.url))
    assert run.returncode == 0, run.stderr
    (record,) = run.records(surface.results)
    assert record["id"] == bad
    assert record["status_code"] == 40501
    assert json.loads(record["raw_answer"])["status_code"] == 40501
    assert run.records(surface.rows) == []


@each_surface
@pytest.mark.parametrize("spoil", ["datetime", "items"])
def test_an_unreadable_answer_is_a_failure_record_and_not_asked_again(
    make_emulator, surface: Surface, spoil: str
):
    emulator = make_emulator(seed=207)
    bad, good = emulator.add_tasks(2, se=surface.key, age=timedelta(hours=1))
    body = requests.get(
        emulator.url + surface.task_get + bad, auth=(LOGIN, PASSWORD), timeout=10
    ).json()
    body["tasks"][0]["result"][0][spoil] = "soon" if spoil == "datetime" else 7
    emulator.set_answer(bad, body)
    run = run_tap(surface.config(emulator.url))
    assert run.returncode == 0, run.stderr
    records = {r["id"]: r for r in run.records(surface.results)}
    assert records[good]["raw_answer"] is None
    assert json.loads(records[bad]["raw_answer"]) == body["tasks"][0]
    assert spoil in records[bad]["status_message"]
    emulator.reset_stats()
    again = run_tap(surface.config(emulator.url), state=run.last_state)
    assert again.records(surface.results) == []
    assert not [r for r in emulator.requests if surface.task_get in r.path]


def test_an_llm_the_scraper_does_not_have_is_refused_in_one_line(emulator):
    run = run_tap(SURFACES[0].config(emulator.url, llm="claude"))
    assert run.returncode == 1
    assert run.stderr.strip().splitlines()[-1] == (
        "tap-dataforseo-gemini: error: invalid settings: source llm_scraper has no "
        "llm claude: use llm chat_gpt or gemini"
    )
    assert "Traceback" not in run.stderr
    assert emulator.requests == []


@each_surface
def test_connection_test_lists_the_surfaces_queue_and_collects_nothing(
    make_emulator, surface: Surface
):
    emulator = make_emulator(seed=209)
    emulator.add_tasks(3, se=surface.key)
    run = run_tap(surface.config(emulator.url), extra=["--test"])
    assert run.returncode == 0, run.stderr
    assert len(run.records("ready_tasks")) == 1
    assert emulator.collected_ids() == set()
    assert len(emulator.ready_ids(surface.key)) == 3
