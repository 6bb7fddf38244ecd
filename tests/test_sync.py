"""Whole runs of the tap against the emulator: what reaches stdout, and state."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from tests.harness import LOGIN, PASSWORD, config_for, run_tap

STREAMS = {"ready_tasks", "llm_responses", "llm_response_citations", "models"}
ISO_8601 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$")


def test_about_lists_the_settings_and_capabilities():
    about = json.loads(run_tap({}, extra=["--about", "--format=json"]).stdout)
    settings = about["settings"]["properties"]
    for name in ("login", "password", "api_url", "request_timeout", "user_agent"):
        assert name in settings
    assert settings["password"].get("secret") is True
    assert set(about["capabilities"]) >= {
        "catalog",
        "discover",
        "state",
        "about",
        "stream-maps",
    }
    assert "batch" not in about["capabilities"]


def test_discover_gives_every_stream_typed_to_the_leaf(emulator):
    catalog = json.loads(run_tap(config_for(emulator.url), extra=["--discover"]).stdout)
    streams = {entry["tap_stream_id"]: entry for entry in catalog["streams"]}
    assert set(streams) == STREAMS

    def untyped(schema: dict, path: str) -> list[str]:
        found = [] if "type" in schema else [path]
        for name, child in schema.get("properties", {}).items():
            found += untyped(child, f"{path}.{name}")
        if "items" in schema:
            found += untyped(schema["items"], f"{path}[]")
        return found

    for name, entry in streams.items():
        assert untyped(entry["schema"], name) == []


def test_llm_responses_is_a_child_of_ready_tasks(emulator):
    catalog = json.loads(run_tap(config_for(emulator.url), extra=["--discover"]).stdout)
    keys = {e["tap_stream_id"]: e["key_properties"] for e in catalog["streams"]}
    assert keys["llm_responses"] == ["id"]
    assert keys["ready_tasks"] == ["id"]


def test_default_run_delivers_every_completed_task(make_emulator):
    emulator = make_emulator(seed=3)
    ids = set(emulator.add_tasks(40))
    run = run_tap(config_for(emulator.url))
    assert run.returncode == 0, run.stderr
    assert {r["id"] for r in run.records("ready_tasks")} == ids
    assert {r["id"] for r in run.records("llm_responses")} == ids


def test_next_run_mode_collects_in_the_second_run_from_state(make_emulator):
    emulator = make_emulator(seed=4)
    ids = set(emulator.add_tasks(30))
    config = config_for(emulator.url, collection_mode="next_run")
    first = run_tap(config)
    assert {r["id"] for r in first.records("ready_tasks")} == ids
    assert first.records("llm_responses") == []
    assert emulator.collected_ids() == set()
    second = run_tap(config, state=first.last_state)
    assert {r["id"] for r in second.records("llm_responses")} == ids
    assert second.last_state["bookmarks"]["llm_responses"]["pending"] == []


def test_every_record_is_valid_against_the_schema_the_tap_emits(make_emulator):
    emulator = make_emulator(seed=5)
    emulator.add_tasks(30, web_search=True)
    emulator.add_tasks(5, status="failed")
    run = run_tap(config_for(emulator.url))
    schemas = {
        m["stream"]: Draft202012Validator(m["schema"], format_checker=FormatChecker())
        for m in run.messages
        if m["type"] == "SCHEMA"
    }
    records = [m for m in run.messages if m["type"] == "RECORD"]
    assert {m["stream"] for m in records} == STREAMS
    for message in records:
        errors = list(schemas[message["stream"]].iter_errors(message["record"]))
        assert errors == [], (message["stream"], errors[:1])


def test_dates_are_iso_8601(make_emulator):
    emulator = make_emulator(seed=6)
    emulator.add_tasks(10)
    run = run_tap(config_for(emulator.url))
    dates = [r["date_posted"] for r in run.records("ready_tasks")]
    dates += [r["datetime"] for r in run.records("llm_responses")]
    assert len(dates) == 20
    assert all(ISO_8601.match(date) for date in dates), dates[:2]


@pytest.mark.parametrize("log_level", ["info", "debug"])
def test_password_never_reaches_stdout_or_stderr(make_emulator, log_level):
    emulator = make_emulator(seed=7)
    emulator.add_tasks(5)
    run = run_tap(
        config_for(emulator.url), env={"TAP_DATAFORSEO_GEMINI_LOGLEVEL": log_level}
    )
    assert run.returncode == 0
    assert len(run.records("llm_responses")) == 5
    assert ("DEBUG" in run.stderr) == (log_level == "debug")
    basic = base64.b64encode(f"{LOGIN}:{PASSWORD}".encode()).decode()
    for secret in (PASSWORD, basic):
        assert secret not in run.stdout
        assert secret not in run.stderr


def test_state_has_no_partition_per_task(make_emulator):
    emulator = make_emulator(seed=8)
    emulator.add_tasks(50)
    run = run_tap(config_for(emulator.url))
    bookmarks = run.last_state["bookmarks"]
    assert "partitions" not in bookmarks["llm_responses"]
    assert "partitions" not in bookmarks["llm_response_citations"]
    assert len(json.dumps(run.last_state)) < 1000


def test_ready_tasks_state_carries_a_date_posted_bookmark(make_emulator):
    emulator = make_emulator(seed=9)
    emulator.add_tasks(5)
    run = run_tap(config_for(emulator.url))
    bookmark = run.last_state["bookmarks"]["ready_tasks"]
    assert bookmark["replication_key"] == "date_posted"
    assert bookmark["replication_key_value"] == max(
        r["date_posted"] for r in run.records("ready_tasks")
    )


def test_connection_test_never_collects_a_task(make_emulator):
    emulator = make_emulator(seed=10)
    emulator.add_tasks(3)
    run = run_tap(config_for(emulator.url), extra=["--test"])
    assert run.returncode == 0, run.stderr
    assert emulator.collected_ids() == set()
    assert len(emulator.ready_ids()) == 3


def deselected(catalog: dict, *names: str) -> dict:
    for entry in catalog["streams"]:
        if entry["tap_stream_id"] in names:
            for item in entry["metadata"]:
                if item["breadcrumb"] == []:
                    item["metadata"]["selected"] = False
    return catalog


def test_deselected_llm_responses_never_collects(make_emulator):
    emulator = make_emulator(seed=12)
    ids = set(emulator.add_tasks(4))
    config = config_for(emulator.url)
    catalog = json.loads(run_tap(config, extra=["--discover"]).stdout)
    catalog = deselected(catalog, "llm_responses", "llm_response_citations")
    run = run_tap(config, catalog=catalog)
    assert {r["id"] for r in run.records("ready_tasks")} == ids
    assert emulator.collected_ids() == set()
    assert run.last_state["bookmarks"].get("llm_responses", {}).get("pending", []) == []


def test_collects_with_ready_tasks_deselected(make_emulator):
    emulator = make_emulator(seed=13)
    ids = set(emulator.add_tasks(4))
    config = config_for(emulator.url)
    catalog = deselected(
        json.loads(run_tap(config, extra=["--discover"]).stdout), "ready_tasks"
    )
    run = run_tap(config, catalog=catalog)
    assert run.records("ready_tasks") == []
    assert {r["id"] for r in run.records("llm_responses")} == ids


def test_llm_setting_reads_that_llms_queue(make_emulator):
    emulator = make_emulator(seed=14)
    emulator.add_tasks(3, se="gemini")
    claude = set(emulator.add_tasks(4, se="claude"))
    run = run_tap(config_for(emulator.url, llm="claude"))
    assert {r["id"] for r in run.records("llm_responses")} == claude
    assert {r["se"] for r in run.records("llm_responses")} == {"claude"}
    assert {r["se"] for r in run.records("models")} == {"claude"}


def test_citations_match_the_annotations_of_each_response(make_emulator):
    emulator = make_emulator(seed=15)
    emulator.add_tasks(20, web_search=True)
    run = run_tap(config_for(emulator.url))
    expected = {
        (r["id"], i, s, a)
        for r in run.records("llm_responses")
        for i, item in enumerate(r["items"] or [])
        for s, section in enumerate(item["sections"] or [])
        for a, _ in enumerate(section["annotations"] or [])
    }
    got = {
        (c["id"], c["item_index"], c["section_index"], c["annotation_index"])
        for c in run.records("llm_response_citations")
    }
    assert expected
    assert got == expected


def test_stream_maps_apply_to_records(make_emulator):
    emulator = make_emulator(seed=16)
    emulator.add_tasks(3)
    config = config_for(
        emulator.url,
        stream_maps={"llm_responses": {"user_prompt": "__NULL__", "llm": "se.upper()"}},
    )
    run = run_tap(config)
    records = run.records("llm_responses")
    assert len(records) == 3
    assert all("user_prompt" not in r and r["llm"] == "GEMINI" for r in records)


def test_citations_schema_is_written_once_a_run(make_emulator):
    emulator = make_emulator(seed=17)
    emulator.add_tasks(10, web_search=True)
    run = run_tap(config_for(emulator.url))
    schemas = [m for m in run.messages if m["type"] == "SCHEMA"]
    assert sorted(m["stream"] for m in schemas) == sorted(STREAMS)


def test_settings_can_come_from_the_environment(make_emulator):
    emulator = make_emulator(seed=18)
    ids = set(emulator.add_tasks(3))
    env = {
        "TAP_DATAFORSEO_GEMINI_LOGIN": LOGIN,
        "TAP_DATAFORSEO_GEMINI_PASSWORD": PASSWORD,
        "TAP_DATAFORSEO_GEMINI_API_URL": emulator.url,
        "TAP_DATAFORSEO_GEMINI_REQUEST_TIMEOUT": "10",
        "TAP_DATAFORSEO_GEMINI_USER_AGENT": "env-agent/1.0",
    }
    run = run_tap({}, extra=["--config", "ENV"], env=env)
    assert run.returncode == 0, run.stderr
    assert {r["id"] for r in run.records("llm_responses")} == ids


def test_a_successful_connection_test_logs_no_error(make_emulator):
    emulator = make_emulator(seed=40)
    emulator.add_tasks(3)
    run = run_tap(config_for(emulator.url), extra=["--test"])
    assert run.returncode == 0, run.stderr
    assert "ERROR" not in run.stderr
    assert len(run.records("ready_tasks")) == 1
    assert len(run.records("models")) == 1


def test_help_says_test_lists_and_never_collects():
    shown = run_tap({}, extra=["--help"]).stdout
    assert "never collect a task (task_get)" in " ".join(shown.split())
    assert "sync a single record" not in shown


def test_llm_responses_and_citations_are_declared_incremental(make_emulator):
    emulator = make_emulator(seed=41)
    catalog = json.loads(run_tap(config_for(emulator.url), extra=["--discover"]).stdout)
    methods = {
        entry["tap_stream_id"]: entry["replication_method"]
        for entry in catalog["streams"]
    }
    assert methods == {
        "ready_tasks": "INCREMENTAL",
        "llm_responses": "INCREMENTAL",
        "llm_response_citations": "INCREMENTAL",
        "models": "FULL_TABLE",
    }


def test_a_run_logs_incremental_collection_and_no_unsorted_warning(make_emulator):
    emulator = make_emulator(seed=42)
    emulator.add_tasks(4)
    run = run_tap(config_for(emulator.url))
    assert run.returncode == 0, run.stderr
    assert "Beginning sync of 'llm_responses' in incremental mode" in run.stderr
    assert "full_table mode" not in run.stderr.replace("'models' in full_table", "")
    assert "unsorted" not in run.stderr


def test_ready_tasks_are_written_in_date_posted_order(make_emulator):
    emulator = make_emulator(seed=43)
    slow = emulator.add_tasks(3, status="queued", age=timedelta(hours=2))
    emulator.add_tasks(3, age=timedelta(hours=1))
    emulator.complete(slow)  # posted first, completed last: listed last
    assert emulator.ready_ids()[-3:] == slow
    run = run_tap(config_for(emulator.url))
    posted = [r["date_posted"] for r in run.records("ready_tasks")]
    assert len(posted) == 6
    assert posted == sorted(posted)
