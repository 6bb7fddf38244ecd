"""The API's clock, from the Date header of its answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from tap_dataforseo_gemini.clock import ApiClock, parse_date

RECEIVED = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def date_header(when: datetime) -> str:
    return format_datetime(when, usegmt=True)


def test_a_date_header_is_read_as_utc():
    assert parse_date("Wed, 25 Nov 2026 12:00:00 GMT") == RECEIVED


def test_a_missing_or_unreadable_date_header_is_none():
    assert parse_date(None) is None
    assert parse_date("yesterday") is None


def test_without_a_date_header_the_api_clock_is_the_machines():
    clock = ApiClock()
    clock.observe(None)
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=1)


def test_the_api_clock_runs_ahead_by_the_skew_its_answers_show():
    clock = ApiClock()
    ahead = datetime.now(UTC) + timedelta(minutes=7)
    clock.observe(date_header(ahead))
    assert abs(clock.now() - ahead) < timedelta(seconds=2)


def test_a_skew_over_a_minute_is_told_once():
    clock = ApiClock()
    behind = date_header(RECEIVED - timedelta(minutes=3))
    assert not clock.observe(date_header(RECEIVED), RECEIVED)
    assert clock.observe(behind, RECEIVED)
    assert not clock.observe(behind, RECEIVED)
    assert clock.skew == timedelta(minutes=-3)
