"""Faults the emulator can answer with instead of the normal answer."""

from __future__ import annotations

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
