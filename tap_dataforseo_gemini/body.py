"""Read an answer's body within a deadline and a size cap, as it streams in."""

from __future__ import annotations

import time

import requests
from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError

from tap_dataforseo_gemini.errors import AnswerTooLargeError, DeadlineExceededError

#: Most bytes taken from the socket at once.
CHUNK = 1 << 16


def read(
    response: requests.Response, *, deadline: float, limit: int, endpoint: str
) -> None:
    """Read a streamed answer whole into ``response.content``.

    Stops with ``DeadlineExceededError`` once ``deadline`` (a ``time.monotonic()``
    value) passes, however the bytes trickle in, and with ``AnswerTooLargeError``
    as soon as the decoded body passes ``limit`` bytes.
    """
    declared = response.headers.get("Content-Length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise _too_large(endpoint, limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _too_slow(response, endpoint)
        chunk = _read1(response, remaining, endpoint)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise _too_large(endpoint, limit)
        chunks.append(chunk)
    response._content = b"".join(chunks)  # as requests sets it
    response._content_consumed = True


def _read1(response: requests.Response, timeout: float, endpoint: str) -> bytes:
    """The next bytes of the body, waiting at most ``timeout`` seconds for them."""
    connection = getattr(response.raw, "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is not None:
        sock.settimeout(timeout)
    try:
        return response.raw.read1(CHUNK, decode_content=True) or b""
    except ReadTimeoutError:
        raise _too_slow(response, endpoint) from None
    except ProtocolError as exc:
        raise requests.exceptions.ChunkedEncodingError(exc) from None
    except DecodeError as exc:
        raise requests.exceptions.ContentDecodingError(exc) from None


def _too_slow(response: requests.Response, endpoint: str) -> DeadlineExceededError:
    return DeadlineExceededError(
        f"{endpoint}: no whole answer within request_timeout", request=response.request
    )


def _too_large(endpoint: str, limit: int) -> AnswerTooLargeError:
    return AnswerTooLargeError(
        f"{endpoint}: the answer is larger than max_answer_bytes ({limit} bytes); "
        "raise max_answer_bytes if it is expected"
    )
