"""Faults the emulator can answer with instead of the normal answer."""

from __future__ import annotations

from enum import Enum


class Fault(Enum):
    """One injected misbehaviour of the API or the network."""

    HTTP_500 = "http_500"
    """HTTP 500, body status_code 50000 "Internal Error."."""
    INTERNAL_50000 = "internal_50000"
    """HTTP 200, top-level status_code 50000."""
    RATE_LIMIT_40202 = "rate_limit_40202"
    """HTTP 200, top-level status_code 40202 "Rate-limit per minute exceeded."."""
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
