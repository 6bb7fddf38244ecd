"""The tap's SDK stream base: settings, paths, and requests through the API client."""

from __future__ import annotations

import itertools
import logging
import typing as t
from functools import cached_property

from requests.auth import HTTPBasicAuth
from singer_sdk import RESTStream
from singer_sdk.helpers.conform import TypeConformanceLevel
from typing_extensions import override

from tap_dataforseo_gemini import envelope
from tap_dataforseo_gemini.api.client import Client, Shared, describe
from tap_dataforseo_gemini.api.endpoints import name_of, named
from tap_dataforseo_gemini.errors import APIError
from tap_dataforseo_gemini.records import Where

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    import requests
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_dataforseo_gemini.clock import ApiClock
    from tap_dataforseo_gemini.rate_limit import RateLimits


class DataForSEOStream(RESTStream):
    """Base stream for one LLM's ``/v3/ai_optimization/<llm>/llm_responses`` API.

    Its requests go through :class:`~tap_dataforseo_gemini.api.client.Client`,
    which sends each try with the SDK's request function: the SDK's request
    metrics time every request.
    """

    #: The endpoint this stream reads, by its name in the endpoint table.
    endpoint: str = ""
    #: Records come from ``shape``'s readers, each value checked against the
    #: declaration the schema is made from: the SDK's conformance walk would
    #: change nothing, at a sixth of the tap's CPU.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(self, tap: Tap, shared: Shared, **kwargs: t.Any) -> None:
        """Set up the stream's API client; ``shared`` is the run's, from the tap."""
        super().__init__(tap, **kwargs)
        self.client = Client(
            self.config, shared, self.logger, name=self.name, transport=self._request
        )

    @property
    @override
    def url_base(self) -> str:
        """The API host from the ``api_url`` setting."""
        return self.config["api_url"].rstrip("/")

    @property
    def llm(self) -> str:
        """The LLM whose tasks this run reads: gemini, chat_gpt or claude."""
        return self.config["llm"]

    @property
    @override
    def path(self) -> str:  # type: ignore[override]
        """The endpoint's path for the configured LLM (the request metrics' tag)."""
        return named(self.endpoint).path.replace("{llm}", self.llm)

    @cached_property
    @override
    def authenticator(self) -> HTTPBasicAuth:
        """HTTP Basic auth with the account's API login and password."""
        return HTTPBasicAuth(self.config["login"], self.config["password"])

    @property
    @override
    def timeout(self) -> int:
        """Seconds a request may take, connect to last byte (``request_timeout``)."""
        return self.config["request_timeout"]

    @property
    @override
    def requests_session(self) -> requests.Session:
        """The client's session for this thread: each worker reuses a connection."""
        return self.client.session

    @property
    def rate_limits(self) -> RateLimits:
        """The run's request windows, shared by all streams and workers."""
        return self.client.shared.rate_limits

    @property
    def api_clock(self) -> ApiClock:
        """DataForSEO's clock, shared by all streams."""
        return self.client.shared.api_clock

    @override
    def validate_response(self, response: requests.Response) -> None:
        """Nothing here: the client checks every answer, by its endpoint's rules."""

    # Private SDK hook: the SDK logs one METRIC line per request at INFO, with no
    # public way to aggregate them. tests/test_sdk_hooks.py checks it still exists.
    @override
    def _write_request_duration_log(
        self,
        endpoint: str,
        response: requests.Response,
        context: Context | None,
        extra_tags: dict | None,
    ) -> None:
        """Count the request in the run's metrics; its own METRIC line at DEBUG only."""
        name = name_of(response.request.path_url or "")
        self.client.shared.request_metrics.add(
            name, response.status_code, response.elapsed.total_seconds()
        )
        if self.metrics_logger.isEnabledFor(logging.DEBUG):
            super()._write_request_duration_log(name, response, context, extra_tags)

    @override
    def response_error_message(self, response: requests.Response) -> str:
        """The status and endpoint only: no body or headers, which may echo secrets."""
        return describe(response)

    @override
    def get_records(self, context: Context | None) -> Iterator[dict[str, t.Any]]:
        """The listing's records; a dry run (``--test``) stops at its record limit.

        The SDK would otherwise abort the stream at the next record and log the
        abort as an error, though the test succeeded.
        """
        records = self.records_of(self.client.send(self.endpoint, context=context))
        if self.ABORT_AT_RECORD_COUNT is None:
            return records
        return itertools.islice(records, self.ABORT_AT_RECORD_COUNT)

    def records_of(self, body: dict[str, t.Any]) -> Iterator[dict[str, t.Any]]:
        """Yield the result items of every task; a failed listing task is an error."""
        for index, task in enumerate(body["tasks"]):
            if task["status_code"] != envelope.OK:
                raise APIError(
                    f"{self.endpoint}: task status {task['status_code']} "
                    f"{task['status_message']}"
                )
            where = Where(self.endpoint, f"tasks[{index}].result")
            for position, item in enumerate(task["result"] or []):
                yield self.record_from(item, where / position)

    def record_from(self, item: object, where: Where) -> dict[str, t.Any]:
        """Turn one result item into a record."""
        raise NotImplementedError
