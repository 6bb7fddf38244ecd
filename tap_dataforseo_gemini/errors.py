"""Errors that end a run with one clear line, or that a retry may cure."""

from __future__ import annotations

import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError


class AuthenticationError(FatalAPIError):
    """DataForSEO rejected the login and password (HTTP 401, status 40100)."""


class PaymentRequiredError(FatalAPIError):
    """The account cannot pay for the request (HTTP 402, status 402xx)."""


class APIError(FatalAPIError):
    """Any other final error status from the API."""


class EndpointNotFoundError(APIError):
    """The API has no such endpoint (HTTP 404, status 40400)."""


class UnknownOutcomeError(APIError):
    """An at-most-once POST (``task_post``) lost its answer: its tasks may exist."""


class CostLimitError(PaymentRequiredError):
    """The account's own cost limit refused the posting (40203)."""


class AccountError(FatalAPIError):
    """The account may not make calls now (40201, 40203, 40207): its owner must act."""


class TransientAPIError(RetriableAPIError):
    """HTTP 5xx, status 50000 or rate limit 40202: worth another try."""


class RateLimitedError(TransientAPIError):
    """Status 40202 or HTTP 429: too many calls in the window.

    ``retry_after`` is the server's ``Retry-After`` in seconds, when it sent one.
    """

    def __init__(
        self,
        message: str,
        response: requests.Response | None = None,
        *,
        retry_after: float | None = None,
    ) -> None:
        """Keep the seconds the server asked to wait, if any."""
        super().__init__(message, response)
        self.retry_after = retry_after


class TooManyInFlightError(TransientAPIError):
    """Status 40209: too many requests at once for the account."""


class MalformedAnswerError(RetriableAPIError):
    """The answer is not the JSON envelope the API documents.

    ``answer`` is the body as parsed, when it is JSON (None: it is not).
    """

    def __init__(
        self,
        message: str,
        response: requests.Response | None = None,
        *,
        answer: object = None,
    ) -> None:
        """Keep the answer, when it is JSON, for a task's failure record."""
        super().__init__(message, response)
        self.answer = answer


class InvalidConfigError(ValueError):
    """The settings do not match the tap's settings schema."""


class InvalidStateError(ValueError):
    """The state given to the tap is not one it wrote."""


class InvalidInputError(ValueError):
    """A file named on the command line is missing, unreadable or not JSON."""


class UnreadableAnswerError(APIError):
    """An answer no retry makes readable: not UTF-8, too deep, a lone surrogate.

    A ``task_get`` answer so is that task's failure record; ``raw_answer`` is what
    is kept of it, as JSON text that any writer can encode (None: nothing).
    """

    def __init__(self, message: str, raw_answer: str | None = None) -> None:
        """Keep what can safely be kept of the answer."""
        super().__init__(message)
        self.raw_answer = raw_answer


class AnswerTooLargeError(UnreadableAnswerError):
    """An answer grew past ``max_answer_bytes``, or decompressed like a bomb."""


class DeadlineExceededError(requests.exceptions.Timeout):
    """An answer did not arrive whole within ``request_timeout``: worth another try."""
