"""The endpoint table: an endpoint added in one line is paced, retried and checked."""

from __future__ import annotations

import json
import logging
import threading
import time
import typing as t
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tap_dataforseo_gemini import settings
from tap_dataforseo_gemini.api.client import Client, Shared
from tap_dataforseo_gemini.api.endpoints import ENDPOINTS, Endpoint
from tap_dataforseo_gemini.clock import ApiClock
from tap_dataforseo_gemini.concurrency import InFlightLimit
from tap_dataforseo_gemini.errors import UnknownOutcomeError
from tap_dataforseo_gemini.rate_limit import RateLimiter, RateLimits
from tests.harness import config_for

if t.TYPE_CHECKING:
    from collections.abc import Iterator

WINDOW = 0.5
OK = {"status_code": 20000, "status_message": "Ok.", "tasks": []}


class FakeAPI(ThreadingHTTPServer):
    """A loopback server for one made-up endpoint: fails ``failures`` times, then OK."""

    def __init__(self, failures: int = 0) -> None:
        """Listen on a free loopback port."""
        super().__init__(("127.0.0.1", 0), Answer)
        self.failures = failures
        self.arrivals: list[float] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.server_address[1]}"


class Answer(BaseHTTPRequestHandler):
    """HTTP 500 while the server has failures to give, else an OK envelope."""

    server: FakeAPI

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            self.server.arrivals.append(time.monotonic())
            failing = self.server.failures > 0
            self.server.failures -= failing
        body = json.dumps(OK).encode()
        self.send_response(500 if failing else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def make_api() -> Iterator[t.Callable[[int], FakeAPI]]:
    """Start servers failing a given number of times; all stop when the test ends."""
    started: list[FakeAPI] = []

    def make(failures: int = 0) -> FakeAPI:
        server = FakeAPI(failures)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.shutdown()
        server.server_close()


def client_for(server: FakeAPI, window_limit: int = 100) -> Client:
    """A client whose ``fake`` window allows ``window_limit`` calls a ``WINDOW``."""
    config = settings.load(config_for(server.url, max_tries=3))
    shared = Shared(
        RateLimits(
            RateLimiter(100, WINDOW), {"fake": RateLimiter(window_limit, WINDOW)}
        ),
        InFlightLimit(4),
        ApiClock(),
    )
    return Client(config, shared, logging.getLogger("test"), name="fake")


@pytest.fixture
def fake_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    """Add a GET endpoint with its own window, and an at-most-once POST."""
    monkeypatch.setitem(
        ENDPOINTS, "fake", Endpoint("fake", "GET", "/v3/fake/{id}", window="fake")
    )
    monkeypatch.setitem(
        ENDPOINTS,
        "fake_post",
        Endpoint("fake_post", "POST", "/v3/fake_post", at_most_once=True),
    )


@pytest.mark.usefixtures("fake_endpoint")
def test_an_added_endpoint_is_paced_to_its_own_window(make_api):
    fake_api = make_api()
    client = client_for(fake_api, window_limit=2)
    for number in range(5):
        client.send("fake", id=str(number))
    arrivals = fake_api.arrivals
    assert len(arrivals) == 5
    # No window holds more than two calls: the third waits for the first.
    for first, third in zip(arrivals, arrivals[2:], strict=False):
        assert third - first >= WINDOW * 0.95


@pytest.mark.usefixtures("fake_endpoint")
def test_an_added_endpoint_is_retried_until_it_answers(make_api):
    fake_api = make_api(failures=2)
    assert client_for(fake_api).send("fake", id="a") == OK
    assert len(fake_api.arrivals) == 3


@pytest.mark.usefixtures("fake_endpoint")
def test_an_added_at_most_once_post_is_never_sent_twice(make_api):
    fake_api = make_api(failures=1)
    with pytest.raises(UnknownOutcomeError, match="fake_post answered HTTP 500"):
        client_for(fake_api).send("fake_post", [{"n": 1}])
    assert len(fake_api.arrivals) == 1
