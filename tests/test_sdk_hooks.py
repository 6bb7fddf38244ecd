"""The SDK hooks the streams rely on, and what the private ones must keep doing.

Where the SDK has no public hook, a stream overrides a private method (marked
``typing_extensions.override``). These tests fail loudly when a singer-sdk
release renames one, instead of the override silently never being called.
"""

from __future__ import annotations

import inspect
import json

from singer_sdk import RESTStream, Stream

from tap_dataforseo_gemini import streams
from tap_dataforseo_gemini.tap import TapDataForSEOGemini
from tests.harness import config_for, run_tap

#: Private SDK names the streams override, and why (see streams.py).
PRIVATE_HOOKS = {
    "_write_schema_message": "citations write their SCHEMA once a run",
    "_write_state_message": "citations write no STATE per task",
    "_increment_stream_state": "llm_responses is INCREMENTAL without a key",
}


#: Private SDK names the tap uses, and why (see tap.py).
PRIVATE_TAP_NAMES = {
    "_validate_config": "config errors never echo a secret",
    "_handle_termination": "a signal re-emits the last STATE written",
    "_env_var_prefix": "settings from the environment are checked",
    "_env_var_config": "settings from the environment are checked and typed",
}


#: Private SDK names the shared client calls, and why (see client.py).
PRIVATE_CLIENT_NAMES = {
    "_request": "the API client sends the streams' requests with the SDK's request "
    "function (api/client.py's transport): its auth and request metrics; "
    "request_records cannot hand back a task's envelope",
    "_write_request_duration_log": "request metrics are summed up once a run; one "
    "METRIC line per request only at DEBUG",
}


def overrides(cls: type) -> list[str]:
    """Names a class marks with ``typing_extensions.override``."""
    marked = []
    for name, value in vars(cls).items():
        function = value.fget if isinstance(value, property) else value
        if getattr(function, "__override__", False):
            marked.append(name)
    return marked


def test_every_private_hook_the_streams_override_still_exists_in_the_sdk():
    for name in PRIVATE_HOOKS:
        assert callable(getattr(Stream, name, None)), f"singer-sdk lost {name}"


def test_every_private_name_the_tap_uses_still_exists_in_the_sdk():
    for name in PRIVATE_TAP_NAMES:
        assert hasattr(TapDataForSEOGemini, name), f"singer-sdk lost Tap.{name}"


def test_every_private_name_the_client_calls_still_exists_in_the_sdk():
    for name in PRIVATE_CLIENT_NAMES:
        assert callable(getattr(RESTStream, name, None)), f"singer-sdk lost {name}"
    params = list(inspect.signature(RESTStream._request).parameters)
    assert params == ["self", "prepared_request", "context"]


def test_the_tap_marks_its_private_overrides():
    marked = set(overrides(TapDataForSEOGemini))
    assert {"_validate_config", "_handle_termination", "_env_var_config"} <= marked


def test_every_override_overrides_something_the_sdk_still_has():
    classes = [c for _, c in inspect.getmembers(streams, inspect.isclass)]
    marked = {
        (cls.__name__, name)
        for cls in classes
        if cls.__module__ == streams.__name__
        for name in overrides(cls)
    }
    assert marked, "no override found: typing_extensions.override is not applied"
    for cls_name, name in marked:
        cls = getattr(streams, cls_name)
        base = next((b for b in cls.__mro__[1:] if name in vars(b)), None)
        assert base is not None, f"{cls_name}.{name} overrides nothing"


def test_every_private_override_is_a_known_hook():
    classes = [c for _, c in inspect.getmembers(streams, inspect.isclass)]
    private = {
        name
        for cls in classes
        if cls.__module__ == streams.__name__
        for name in overrides(cls)
        if name.startswith("_")
    }
    assert private == set(PRIVATE_HOOKS)


def collect_pending(emulator, ids: list[str]):
    """A next_run run collecting ``ids`` from state: each delivery moves the state."""
    config = config_for(emulator.url, collection_mode="next_run")
    state = {"bookmarks": {"llm_responses": {"pending": ids}}}
    run = run_tap(config, state=state)
    assert run.returncode == 0, run.stderr
    return run


def checkpoints(run) -> list[tuple[set[str], list[str]]]:
    """Each STATE written between two llm_responses records: ids written, pending."""
    written: set[str] = set()
    found = []
    for message in run.messages:
        if message["type"] == "RECORD" and message["stream"] == "llm_responses":
            written.add(message["record"]["id"])
        elif message["type"] == "STATE" and written:
            pending = message["value"]["bookmarks"]["llm_responses"]["pending"]
            found.append((set(written), pending))
    return found


def test_a_run_writes_one_citations_schema_and_no_state_per_task(make_emulator):
    emulator = make_emulator(seed=21)
    ids = emulator.add_tasks(6)
    run = collect_pending(emulator, ids)
    assert run.records("llm_response_citations")
    schemas = [
        m
        for m in run.messages
        if m["type"] == "SCHEMA" and m["stream"] == "llm_response_citations"
    ]
    assert len(schemas) == 1
    # No STATE between two llm_responses records, below a hundred of them.
    assert {len(written) for written, _ in checkpoints(run)} == {len(ids)}


def test_state_comes_every_hundred_records_and_never_ahead_of_them(make_emulator):
    emulator = make_emulator(seed=22)
    ids = emulator.add_tasks(230, web_search=False)
    run = collect_pending(emulator, ids)
    found = checkpoints(run)
    assert [len(written) for written, _ in found][:2] == [100, 200]
    for written, pending in found:
        assert set(ids) - written <= set(pending)


def test_llm_responses_never_emits_activate_version_whatever_the_catalog(
    make_emulator,
):
    emulator = make_emulator(seed=23)
    emulator.add_tasks(3)
    config = config_for(emulator.url, emit_activate_version_messages=True)
    catalog = json.loads(run_tap(config, extra=["--discover"]).stdout)
    for entry in catalog["streams"]:
        entry["replication_method"] = "FULL_TABLE"
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["forced-replication-method"] = "FULL_TABLE"
    run = run_tap(config, catalog=catalog)
    assert run.returncode == 0, run.stderr
    assert run.records("llm_responses")
    versioned = {m["stream"] for m in run.messages if m["type"] == "ACTIVATE_VERSION"}
    assert not versioned & {"llm_responses", "llm_response_citations"}
