"""The message writer: the SDK's default against the msgspec writer the tap uses."""

from __future__ import annotations

import json
import time

from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.io_base import SingerWriter
from singer_sdk.singerlib import RecordMessage

from tap_dataforseo_gemini import records
from tests.examples import TASK_GET_TASK

MESSAGES = 20_000


def seconds(writer: SingerWriter | MsgSpecWriter, message: RecordMessage) -> float:
    """Seconds to serialize the message ``MESSAGES`` times."""
    started = time.perf_counter()
    for _ in range(MESSAGES):
        writer.serialize_message(message)
    return time.perf_counter() - started


def compare() -> tuple[float, float, bool]:
    """Seconds for each writer, and whether both write the same JSON."""
    record = records.llm_response(TASK_GET_TASK, "gemini", records.Where("bench"))
    message = RecordMessage(stream="llm_responses", record=record)
    default, fast = SingerWriter(), MsgSpecWriter()
    same = json.loads(default.serialize_message(message)) == json.loads(
        fast.serialize_message(message)
    )
    return seconds(default, message), seconds(fast, message), same
