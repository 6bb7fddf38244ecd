"""A request is prepared as the session would, its path kept exactly as quoted."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests

from tap_dataforseo_gemini import settings
from tap_dataforseo_gemini.api.client import Client, Shared
from tap_dataforseo_gemini.api.endpoints import ENDPOINTS, Endpoint
from tests.harness import config_for

#: Path values requests would change: dots, slashes, non-ASCII, escapes.
VALUES = ("0b1d2c3e-0000", ".", "..", "a/b", "é ü", "%2E", "x?y#z")


def client_for(api_url: str) -> Client:
    config = settings.load(config_for(api_url))
    logger = logging.getLogger("test")
    shared = Shared.from_settings(config, settings.WINDOWS, logger)
    return Client(config, shared, logger, name="test")


def as_requests_prepares_it(
    client: Client, endpoint: Endpoint, body: list | None, value: str
) -> requests.PreparedRequest:
    """The session's own preparation, with the path put back as quoted."""
    url = endpoint.url(client.config["api_url"], llm="gemini", id=value)
    prepared = client.session.prepare_request(
        requests.Request(endpoint.method, url, json=body)
    )
    built = urlsplit(prepared.url or "")
    prepared.url = urlunsplit(built._replace(path=urlsplit(url).path))
    return prepared


def wire(prepared: requests.PreparedRequest) -> tuple:
    return (
        prepared.method,
        prepared.url,
        list(prepared.headers.items()),
        prepared.body,
        prepared.hooks,
    )


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("endpoint", ENDPOINTS.values(), ids=lambda e: e.name)
def test_a_request_is_the_one_the_session_would_prepare(endpoint, value):
    client = client_for("https://API.Example.com:8443/")
    body = [{"user_prompt": "é"}] if endpoint.method == "POST" else None
    expected = as_requests_prepares_it(client, endpoint, body, value)
    assert wire(client.prepare(endpoint, body, id=value)) == wire(expected)


def test_the_session_cookies_are_sent_as_the_session_would_send_them():
    client = client_for("http://127.0.0.1:8765")
    client.session.cookies.set("lb", "node-7", domain="127.0.0.1", path="/")
    endpoint = ENDPOINTS["task_get"]
    prepared = client.prepare(endpoint, id="t1")
    assert prepared.headers["Cookie"] == "lb=node-7"
    assert wire(prepared) == wire(as_requests_prepares_it(client, endpoint, None, "t1"))


def test_an_api_url_with_a_path_keeps_it_before_the_endpoint_path():
    client = client_for("http://127.0.0.1:8765/proxy/")
    prepared = client.prepare(ENDPOINTS["task_get"], id="..")
    assert prepared.url == (
        "http://127.0.0.1:8765/proxy/v3/ai_optimization/gemini/llm_responses/"
        "task_get/%2E%2E"
    )
