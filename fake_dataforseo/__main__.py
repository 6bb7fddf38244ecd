"""Run the emulator from the command line until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from datetime import timedelta
from types import FrameType

from .faults import Fault
from .payloads import SES
from .server import Emulator


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m fake_dataforseo",
        description="Serve a local DataForSEO AI Optimization API on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tasks", type=int, default=0, help="done tasks to create")
    parser.add_argument(
        "--days", type=int, default=1, help="post the tasks over the last N days"
    )
    parser.add_argument("--se", default="gemini", choices=SES)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds a request")
    parser.add_argument("--latency-jitter", type=float, default=0.0)
    parser.add_argument("--answer-bytes", type=int, default=2000)
    parser.add_argument("--login", default="login")
    parser.add_argument("--password", default="secret-pass")
    parser.add_argument("--rate-limit", type=int, default=10000, help="calls/window")
    parser.add_argument("--tasks-ready-limit", type=int, default=20)
    parser.add_argument("--id-list-limit", type=int, default=10)
    parser.add_argument("--rate-window", type=float, default=60.0, help="seconds")
    parser.add_argument("--no-id-list", action="store_true", help="id_list answers 404")
    parser.add_argument(
        "--no-rate-limit-headers",
        action="store_true",
        help="send no X-RateLimit-Limit / -Remaining headers",
    )
    parser.add_argument(
        "--max-concurrent",
        type=int,
        default=0,
        help="requests at once before 40209 answers (0: no cap)",
    )
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="answer as the vendor's sandbox: dummy task 0000..., id_list 40404",
    )
    parser.add_argument(
        "--fault",
        choices=[fault.value for fault in Fault],
        help="answer every task_get with this fault (e.g. gzip_bomb)",
    )
    parser.add_argument(
        "--clock-offset-minutes",
        type=float,
        default=0.0,
        help="run the API's clock ahead (or, negative, behind) the machine's",
    )
    return parser


def post_over_days(emulator: Emulator, tasks: int, days: int, *, se: str) -> list[str]:
    """Add ``tasks`` done tasks posted over the last ``days`` days, evenly."""
    return [
        task
        for day in range(days)
        for task in emulator.add_tasks(
            len(range(day, tasks, days)), se=se, age=timedelta(days=day)
        )
    ]


def main(argv: list[str] | None = None) -> int:
    """Start the server, add tasks, print the URL line, serve until a signal."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.days < 1:
        parser.error("--days must be at least 1")
    emulator = Emulator(
        seed=args.seed,
        login=args.login,
        password=args.password,
        latency=args.latency,
        latency_jitter=args.latency_jitter,
        answer_bytes=args.answer_bytes,
        rate_limit_per_minute=args.rate_limit,
        tasks_ready_limit_per_minute=args.tasks_ready_limit,
        id_list_limit_per_minute=args.id_list_limit,
        rate_window_seconds=args.rate_window,
        id_list_enabled=not args.no_id_list,
        port=args.port,
        rate_limit_headers=not args.no_rate_limit_headers,
        max_concurrent=args.max_concurrent,
        clock_offset=timedelta(minutes=args.clock_offset_minutes),
        sandbox=args.sandbox,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    if args.fault:
        emulator.inject(
            Fault(args.fault), times=sys.maxsize, path_contains="/task_get/"
        )
    emulator.start()
    try:
        ids = post_over_days(emulator, args.tasks, args.days, se=args.se)
        print(f"emulator listening on {emulator.url} with {len(ids)} tasks", flush=True)
        while not stop.wait(0.2):
            pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
