"""How a run ends early: one masked line on stderr and an exit code that says why."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import typing as t

from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.singerlib import StateMessage

from tap_dataforseo_gemini import redact

if t.TYPE_CHECKING:
    from singer_sdk.io_base import GenericSingerWriter
    from singer_sdk.singerlib import Message

#: The command and the Singer tap name.
NAME = "tap-dataforseo-gemini"


class TargetClosedError(BaseException):
    """Stdout is a closed pipe: the target exited.

    Not an ``Exception``: nothing on the way up may log it or carry on, and click
    would swallow the ``BrokenPipeError`` it stands for.
    """


class Writer(MsgSpecWriter):
    """The fast Singer writer, telling a closed stdout apart from other errors."""

    def write_message(self, message: Message) -> None:
        """Write one message; a closed pipe raises ``TargetClosedError``."""
        try:
            super().write_message(message)
        except BrokenPipeError:
            raise TargetClosedError from None


def say(message: str, command: str = NAME) -> None:
    """Write one masked error line of ``command`` to stderr."""
    sys.stderr.write(f"{command}: error: {redact.current(message)}\n")
    sys.stderr.flush()


def fail(message: str, command: str = NAME) -> t.NoReturn:
    """End the run with one line and exit code 1."""
    say(message, command)
    sys.exit(1)


def stopped(
    signum: int,
    last_state: dict[str, t.Any] | None = None,
    writer: GenericSingerWriter | None = None,
) -> t.NoReturn:
    """End a run stopped by a signal: the last STATE again, one line, exit 128+N.

    The STATE re-emitted is the last one written, which covers only records
    already written; the SDK's live state may run ahead of them. Nothing else
    runs after this: no thread is joined, no other message is written.
    """
    with contextlib.suppress(OSError, RuntimeError, ValueError):
        sys.stdout.flush()
        if last_state is not None and writer is not None:
            writer.write_message(StateMessage(value=last_state))
            sys.stdout.flush()
    name = signal.Signals(signum).name
    say(
        f"stopped by {name}; the last STATE written covers every record written: "
        "run again to continue"
    )
    os._exit(128 + signum)


def target_closed() -> t.NoReturn:
    """End a run whose stdout was closed: one line, exit 1."""
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    say(
        "the target closed its input; the run stopped, and the next one starts "
        "from the last STATE the target committed"
    )
    os._exit(1)
