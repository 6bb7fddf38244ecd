"""Counts in messages, with the noun in the right number."""

from __future__ import annotations


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``1 task``, ``0 tasks``, ``2 tasks``; ``plural`` when not ``noun + "s"``."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"
