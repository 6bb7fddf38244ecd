"""Faults the emulator can answer with instead of the normal answer."""

from __future__ import annotations

import functools
import struct
import zlib
from enum import Enum


class Fault(Enum):
    """One injected misbehaviour of the API or the network."""

    HTTP_500 = "http_500"
    """HTTP 500, body status_code 50000 "Internal Error."."""
    INTERNAL_50000 = "internal_50000"
    """HTTP 200, top-level status_code 50000."""
    TASK_50000 = "task_50000"
    """HTTP 200, envelope 20000, the task (id from the path) at status 50000."""
    RATE_LIMIT_40202 = "rate_limit_40202"
    """HTTP 200, top-level status_code 40202 "Rate-limit per minute exceeded."."""
    INVALID_PATH_40402 = "invalid_path_40402"
    """HTTP 200, top-level status_code 40402 "Invalid Path."."""
    NO_DATA_40404 = "no_data_40404"
    """HTTP 200, top-level status_code 40404 "No Prepared Data Found. ..."."""
    MALFORMED_JSON = "malformed_json"
    """HTTP 200 with a truncated JSON body."""
    NOT_JSON = "not_json"
    """HTTP 200 with "<html>Bad gateway</html>" as text/html."""
    WRONG_SHAPE = "wrong_shape"
    """HTTP 200, valid JSON whose `tasks` is a string."""
    HTTP_402 = "http_402"
    """HTTP 402, body status_code 40200 "Payment Required."."""
    DROP_CONNECTION = "drop_connection"
    """The socket is closed without an answer."""
    LOST_ANSWER = "lost_answer"
    """The request is carried out, then the socket is closed without an answer."""
    SLOW = "slow"
    """Sleep `Emulator.slow_seconds` (5 s) first, then answer normally."""
    DRIP = "drip"
    """The normal answer, one byte every `Emulator.drip_seconds` (0.1 s)."""
    HUGE = "huge"
    """HTTP 200, a chunked body of `Emulator.huge_bytes` (100 MB) of JSON whitespace."""
    ECHO_HEADERS = "echo_headers"
    """HTTP 200, status 40000 echoing the request headers (Authorization too)."""
    TASK_ECHO_HEADERS = "task_echo_headers"
    """HTTP 200, envelope 20000, the task (id from the path) at status 40000 whose
    status_message echoes the request headers and the Basic credentials decoded."""
    ACCOUNT_BLOCKED_40201 = "account_blocked_40201"
    """HTTP 200, top-level status_code 40201 (account blocked: suspicious activity)."""
    COST_LIMIT_40203 = "cost_limit_40203"
    """HTTP 200, top-level status_code 40203 "The cost limit has been exceeded."."""
    IP_NOT_WHITELISTED_40207 = "ip_not_whitelisted_40207"
    """HTTP 200, top-level status_code 40207 (IP address not whitelisted)."""
    TOO_MANY_IN_FLIGHT_40209 = "too_many_in_flight_40209"
    """HTTP 200, top-level status_code 40209 (too many requests at once)."""
    NOT_IMPLEMENTED_50100 = "not_implemented_50100"
    """HTTP 200, top-level status_code 50100 "Not Implemented."."""
    HTTP_429 = "http_429"
    """HTTP 429 "Too Many Requests" (a proxy's answer) with `Emulator.retry_after`."""
    MALFORMED_RATE_HEADERS = "malformed_rate_headers"
    """The normal answer, with X-RateLimit-Limit and -Remaining of "²"."""
    LONE_SURROGATE = "lone_surrogate"
    """The normal answer with a lone surrogate, the JSON escape `\\ud83d` (half an
    emoji), at the start of its first `text` (else `tag`, else `status_message`)."""
    INVALID_UTF8 = "invalid_utf8"
    """The normal answer with a byte 0xFF, never valid UTF-8, where LONE_SURROGATE
    puts its escape."""
    DEEP_NESTING = "deep_nesting"
    """The normal answer with one more key, `nested`: arrays 1000 levels deep."""
    OTHER_TASK_ID = "other_task_id"
    """task_get: the normal answer for the id asked, its task's id changed to
    `OTHER_TASK_ID` (a real API never does this; the sandbox answers its own)."""
    GZIP_BOMB = "gzip_bomb"
    """HTTP 200, gzip: about 1 MB that inflates to `Emulator.bomb_bytes` (1 GiB) of
    JSON whitespace, sent whatever the request's Accept-Encoding."""


#: Faults that send the normal answer, spoilt (see ``spoil``).
SPOILING = frozenset(
    {Fault.LONE_SURROGATE, Fault.INVALID_UTF8, Fault.DEEP_NESTING, Fault.OTHER_TASK_ID}
)
#: The id OTHER_TASK_ID answers with.
OTHER_TASK_ID = "99999999-0000-0000-0000-000000000000"
#: Nesting of DEEP_NESTING's extra key.
DEEP_LEVELS = 1000
_SPOT = (b'"text":"', b'"tag":"', b'"status_message":"')


def spoil(fault: Fault, body: bytes, task_id: str = "") -> bytes:
    """The normal answer's body as a spoiling fault sends it (others: unchanged)."""
    if fault is Fault.DEEP_NESTING:
        nested = b"[" * DEEP_LEVELS + b"]" * DEEP_LEVELS
        return body.rstrip().removesuffix(b"}") + b',"nested":' + nested + b"}"
    if fault is Fault.OTHER_TASK_ID and task_id:
        return body.replace(
            f'"id":"{task_id}"'.encode(), f'"id":"{OTHER_TASK_ID}"'.encode(), 1
        )
    inserted = {Fault.LONE_SURROGATE: b"\\ud83d", Fault.INVALID_UTF8: b"\xff"}.get(
        fault
    )
    if inserted is None:
        return body
    spot = next((s for s in _SPOT if s in body), None)
    if spot is None:
        return body
    at = body.index(spot) + len(spot)
    return body[:at] + inserted + body[at:]


#: Bytes of whitespace one repeated piece of a bomb inflates to.
_PIECE = 1 << 20


@functools.cache
def gzip_bomb(size: int) -> bytes:
    """A gzip stream of ``size`` bytes of spaces (a multiple of 1 MiB), ~1000:1.

    One piece, compressed and fully flushed, repeats exactly: no need to compress
    the whole ``size``.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    chunk = b" " * _PIECE
    piece = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    pieces = size // _PIECE
    crc = 0
    for _ in range(pieces):
        crc = zlib.crc32(chunk, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    last = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS).flush()
    trailer = struct.pack("<II", crc, (pieces * _PIECE) & 0xFFFFFFFF)
    return header + piece * pieces + last + trailer
