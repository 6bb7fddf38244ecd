"""How a run ends early: one masked line on stderr and an exit code that says why."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import typing as t

from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.singerlib import RecordMessage, StateMessage

from tap_dataforseo_gemini import redact

if t.TYPE_CHECKING:
    from singer_sdk.singerlib import Message

#: The command and the Singer tap name.
NAME = "tap-dataforseo-gemini"
#: Seconds a signal waits for the message being written to go out whole.
GRACE_SECONDS = 5.0
#: Bytes of RECORD messages held before they are written: a pipe's buffer.
HELD_BYTES = 65536


class TargetClosedError(BaseException):
    """Stdout is a closed pipe: the target exited.

    Not an ``Exception``: nothing on the way up may log it or carry on, and click
    would swallow the ``BrokenPipeError`` it stands for.
    """


class Writer(MsgSpecWriter):
    """The fast Singer writer: every message masked, and written whole.

    RECORD messages are held and written together, ``HELD_BYTES`` at a time or
    with the next other message (a STATE goes out with every record before it),
    and by ``flush``: one write a batch, not one a record, so the main thread
    hands the interpreter over to the workers' threads less often.
    A signal (``stop``) never writes into the middle of a message: one that comes
    while messages are being written waits for their end, at most
    ``GRACE_SECONDS``. A closed stdout raises ``TargetClosedError``.
    """

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Nothing written yet."""
        super().__init__(*args, **kwargs)
        self._writing = False
        self._stopping = False
        self._stop_signal: int | None = None
        #: Whole messages not written yet.
        self._held = bytearray()
        #: The last STATE line written, as written.
        self._last_state: bytes | None = None

    def write_message(self, message: Message) -> None:
        """Hold one message, masked (``redact.current``); write what is held.

        A RECORD waits while less than ``HELD_BYTES`` are held.
        """
        line = redact.current.line(self.format_message(message))
        self._held += line
        if not isinstance(message, RecordMessage) or len(self._held) >= HELD_BYTES:
            self.flush()
        if isinstance(message, StateMessage):
            self._last_state = bytes(line)
        if self._stop_signal is not None:
            self.stop(self._stop_signal)

    def flush(self) -> None:
        """Write every message held, whole (a write may take only part)."""
        self._writing = True
        try:
            held = memoryview(bytes(self._held))
            self._held.clear()
            while held:
                held = held[sys.stdout.buffer.write(held) :]
            sys.stdout.flush()
        except BrokenPipeError:
            raise TargetClosedError from None
        finally:
            self._writing = False

    def stop(self, signum: int) -> None:
        """End the run for a signal, with the last STATE again, between messages.

        Called by the signal handler. Within a message's writing, the run ends
        once the message is out; if the target takes nothing for
        ``GRACE_SECONDS``, it ends then, without the STATE. Messages held are
        written first.
        """
        if self._stopping:
            return
        if not self._writing:
            self._stopping = True
            stopped(signum, bytes(self._held) + (self._last_state or b""))
        if self._stop_signal is None:
            self._stop_signal = signum
            timer = threading.Timer(GRACE_SECONDS, gave_up, (signum,))
            timer.daemon = True
            timer.start()


def say(message: str, command: str = NAME) -> None:
    """Write one masked error line of ``command`` to stderr."""
    sys.stderr.write(f"{command}: error: {redact.current(message)}\n")
    sys.stderr.flush()


def fail(message: str, command: str = NAME) -> t.NoReturn:
    """End the run with one line and exit code 1."""
    say(message, command)
    sys.exit(1)


def stopped(signum: int, last: bytes = b"") -> t.NoReturn:
    """End a run stopped by a signal: ``last`` messages, one line, exit 128+N.

    Called between messages; ``last`` is the records held, then the last STATE
    written again, which covers only records already written (the SDK's live
    state may run ahead of them). Nothing else runs after this: no thread is
    joined, no other message is written.
    """
    with contextlib.suppress(OSError, RuntimeError, ValueError):
        sys.stdout.flush()
        if last:
            sys.stdout.buffer.write(last)
            sys.stdout.flush()
    say(
        f"stopped by {signal.Signals(signum).name}; the last STATE written covers "
        "every record written: run again to continue"
    )
    os._exit(128 + signum)


def gave_up(signum: int) -> t.NoReturn:
    """End a stopped run whose target takes no more: no STATE, exit 128+N.

    Runs on a timer thread while the main thread waits to write; stdout is left
    alone (its lock is held), the message being written is cut short.
    """
    say(
        f"stopped by {signal.Signals(signum).name}; the target took nothing for "
        f"{GRACE_SECONDS:.0f} s, so the last STATE is not written again: the "
        "next run starts from the last STATE the target committed"
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
