"""Read an answer's body within a deadline, a size cap and a memory budget."""

from __future__ import annotations

import threading
import time
import typing as t
import zlib

import requests
from urllib3.exceptions import ProtocolError, ReadTimeoutError

from tap_dataforseo_gemini.errors import AnswerTooLargeError, DeadlineExceededError

if t.TYPE_CHECKING:
    from collections.abc import Iterator

#: Most bytes taken from the socket, or inflated, at once.
CHUNK = 1 << 16
#: Bytes every answer may hold without asking: a task_get answer is a few kB.
SMALL = 1 << 20
#: Most bytes an answer may inflate to per compressed byte, past its first SMALL
#: bytes: JSON compresses about 10:1 (the emulator's padding 125:1), a gzip bomb
#: about 1000:1.
MAX_RATIO = 200
#: The encodings read (the session asks for these only); identity is "".
ENCODINGS = ("gzip", "x-gzip", "deflate")
#: zlib's window bits for a gzip or a zlib header, told apart by its first bytes.
_WBITS = 32 + zlib.MAX_WBITS
#: Answers past SMALL bytes are read one at a time, whatever the requests in
#: flight: a run holds at most ``max_concurrent_requests`` times SMALL bytes of
#: answers plus one answer of up to ``max_answer_bytes``.
LARGE_ANSWER = threading.BoundedSemaphore(1)


def read(
    response: requests.Response, *, deadline: float, limit: int, endpoint: str
) -> None:
    """Read a streamed answer whole into ``response.content``.

    Stops with ``DeadlineExceededError`` once ``deadline`` (a ``time.monotonic()``
    value) passes, however the bytes trickle in or however long it waits its turn
    to grow past ``SMALL`` bytes (``LARGE_ANSWER``), and with
    ``AnswerTooLargeError`` as soon as the inflated body passes ``limit`` bytes
    or, past ``SMALL`` bytes, ``MAX_RATIO`` times the compressed bytes inflated.
    """
    declared = response.headers.get("Content-Length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise _too_large(endpoint, limit)
    inflate = _inflater(response, endpoint)
    chunks: list[bytes] = []
    size = 0
    large = False
    try:
        while raw := _read1(response, _left(deadline, response, endpoint), endpoint):
            for chunk in inflate(raw):
                size += len(chunk)
                if size > limit:
                    raise _too_large(endpoint, limit)
                if size > SMALL and size > MAX_RATIO * inflate.consumed:
                    raise _bomb(endpoint)
                if size > SMALL and not large:
                    large = _wait_turn(deadline, response, endpoint)
                chunks.append(chunk)
        response._content = b"".join(chunks)  # as requests sets it
        response._content_consumed = True
    finally:
        # An error's traceback keeps this frame: it must not keep the bytes too.
        chunks.clear()
        if large:
            LARGE_ANSWER.release()


class Inflater:
    """Turns an answer's bytes as sent into the answer's, CHUNK bytes at a time."""

    def __init__(self, encoding: str, response: requests.Response) -> None:
        """Inflate gzip or deflate; pass an unencoded body on as it is."""
        self._response = response
        self._decoder = zlib.decompressobj(_WBITS) if encoding else None
        #: Bytes as sent inflated so far.
        self.consumed = 0

    def __call__(self, raw: bytes) -> Iterator[bytes]:
        """The answer's bytes in ``raw``, never more than CHUNK at once."""
        if self._decoder is None:
            self.consumed += len(raw)
            yield raw
            return
        while raw:
            try:
                chunk = self._decoder.decompress(raw, CHUNK)
            except zlib.error as exc:
                raise requests.exceptions.ContentDecodingError(
                    exc, request=self._response.request
                ) from None
            rest = self._decoder.unconsumed_tail
            if self._decoder.eof and self._decoder.unused_data:  # a second member
                rest = self._decoder.unused_data
                self._decoder = zlib.decompressobj(_WBITS)
            self.consumed += len(raw) - len(rest)
            raw = rest
            yield chunk


def _inflater(response: requests.Response, endpoint: str) -> Inflater:
    """The inflater of the answer's ``Content-Encoding``: one the tap asked for."""
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    if encoding in {"", "identity"}:
        return Inflater("", response)
    if encoding not in ENCODINGS:
        raise requests.exceptions.ContentDecodingError(
            f"{endpoint}: the answer's Content-Encoding {encoding!r} is not one the "
            "tap asked for",
            request=response.request,
        )
    return Inflater(encoding, response)


def _wait_turn(deadline: float, response: requests.Response, endpoint: str) -> bool:
    """Wait, at most until the deadline, until no other answer is past SMALL."""
    if not LARGE_ANSWER.acquire(timeout=_left(deadline, response, endpoint)):
        raise _too_slow(response, endpoint)
    return True


def _left(deadline: float, response: requests.Response, endpoint: str) -> float:
    """Seconds left until the deadline; past it, ``DeadlineExceededError``."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _too_slow(response, endpoint)
    return remaining


def _read1(response: requests.Response, timeout: float, endpoint: str) -> bytes:
    """The next bytes of the body as sent, waiting at most ``timeout`` seconds."""
    connection = getattr(response.raw, "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is not None:
        sock.settimeout(timeout)
    try:
        return response.raw.read1(CHUNK, decode_content=False) or b""
    except ReadTimeoutError:
        raise _too_slow(response, endpoint) from None
    except ProtocolError as exc:
        raise requests.exceptions.ChunkedEncodingError(exc) from None


def _too_slow(response: requests.Response, endpoint: str) -> DeadlineExceededError:
    return DeadlineExceededError(
        f"{endpoint}: no whole answer within request_timeout", request=response.request
    )


def _too_large(endpoint: str, limit: int) -> AnswerTooLargeError:
    return AnswerTooLargeError(
        f"{endpoint}: the answer is larger than max_answer_bytes ({limit} bytes); "
        "raise max_answer_bytes if it is expected"
    )


def _bomb(endpoint: str) -> AnswerTooLargeError:
    return AnswerTooLargeError(
        f"{endpoint}: the answer inflates more than {MAX_RATIO} times its "
        "compressed size (a compression bomb?)"
    )
