"""``dataforseo-prompts post --config FILE --prompts FILE [--dry-run]``."""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import traceback
import typing as t
from pathlib import Path

import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

from tap_dataforseo_gemini import redact, settings, shutdown
from tap_dataforseo_gemini.api.client import Client, Shared
from tap_dataforseo_gemini.delivery import LEDGER_KEPT
from tap_dataforseo_gemini.errors import InvalidConfigError
from tap_dataforseo_gemini.prompts import post, prompt_set
from tap_dataforseo_gemini.prompts.client import PromptsClient
from tap_dataforseo_gemini.prompts.journal import (
    SETTLE_FLOOR,
    CorruptJournalError,
    JournalLockedError,
    UnusableJournalError,
)

NAME = "dataforseo-prompts"
#: Errors that end a run with one line and exit code 1.
ONE_LINE_ERRORS = (
    prompt_set.InvalidPromptsError,
    InvalidConfigError,
    JournalLockedError,
    CorruptJournalError,
    UnusableJournalError,
    post.PostingStoppedError,
    FatalAPIError,
    RetriableAPIError,
)


def parser() -> argparse.ArgumentParser:
    """The command line."""
    main_parser = argparse.ArgumentParser(
        prog=NAME,
        description="Post a prompt set's tasks to DataForSEO: LLM Responses "
        "(Gemini, ChatGPT, Claude) and, when the prompts file asks, the LLM Scraper "
        "(the ChatGPT and Gemini apps) and Google AI Mode. tap-dataforseo-gemini "
        "collects the answers.",
    )
    commands = main_parser.add_subparsers(dest="command", required=True)
    posting = commands.add_parser(
        "post",
        help="post the prompt set's tasks not yet posted this period",
        description=(
            "Post every prompt to every model and surface of the prompts file once "
            "a period (or `repeats` times), never twice, never over budget_usd. A "
            "model (or surface) with no settled charge yet gets one task first; its "
            "others go once that charge settles in id_list (see --probe-seconds)."
        ),
    )
    posting.add_argument(
        "--config",
        type=Path,
        help="the tap's settings file (login, password, api_url...); "
        "TAP_DATAFORSEO_GEMINI_* environment variables work too",
    )
    posting.add_argument(
        "--prompts",
        type=Path,
        required=True,
        help="the prompts file (YAML: name, budget_usd, prompts, llms, scrapers, "
        "ai_mode)",
    )
    posting.add_argument(
        "--dry-run",
        action="store_true",
        help="print the plan and its worst-case price; post nothing",
    )
    floor = int(SETTLE_FLOOR.total_seconds())
    posting.add_argument(
        "--settle-seconds",
        type=_seconds(LEDGER_KEPT.total_seconds(), "id_list's six months"),
        default=float(floor),
        help="how long id_list must miss an unconfirmed task before it is posted "
        f"again (default and least {floor}: DataForSEO documents no delay for "
        "id_list to list a new task, and a killed run's task_post may still be "
        f"carried out; a smaller value counts as {floor})",
    )
    posting.add_argument(
        "--probe-seconds",
        type=_seconds(post.PROBE_MOST, "an hour"),
        default=post.PROBE_WAIT,
        help="how long to wait, once, for the first tasks of models with no "
        "settled charge yet to settle; a model's other tasks are posted only after "
        "one has, else left for a later run (default %(default).0f)",
    )
    return main_parser


def _seconds(most: float, what: str) -> t.Callable[[str], float]:
    """An argument type: a number of seconds from 0 to ``most`` (``what`` it is)."""

    def seconds(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not 0 <= value <= most:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a number of seconds from 0 to {int(most)} ({what})"
            )
        return value

    return seconds


def main(argv: list[str] | None = None) -> None:
    """Run the command; known failures end with one line and exit code 1."""
    args = parser().parse_args(argv)
    _log_to_stderr()
    if args.settle_seconds < SETTLE_FLOOR.total_seconds():
        post.LOGGER.warning(
            "--settle-seconds %g is below the floor of %d: a task sent less than "
            "%d seconds ago may not be in id_list yet, so it is never posted again "
            "before then",
            args.settle_seconds,
            SETTLE_FLOOR.total_seconds(),
            SETTLE_FLOOR.total_seconds(),
        )
    try:
        summary = _post(args)
    except prompt_set.InvalidPromptsError as exc:
        for problem in str(exc).splitlines():
            shutdown.say(problem, NAME)
        sys.exit(1)
    except post.PostingStoppedError as exc:
        _print(exc.summary.line())
        shutdown.fail(f"stopped posting: {exc}", NAME)
    except ONE_LINE_ERRORS as exc:
        shutdown.fail(str(exc), NAME)
    except requests.exceptions.RequestException as exc:
        shutdown.fail(f"cannot reach the DataForSEO API ({type(exc).__name__})", NAME)
    except Exception:  # a bug: its traceback, masked like every other line
        sys.stderr.write(redact.current(traceback.format_exc()))
        sys.exit(1)
    _print(summary.line(dry_run=args.dry_run))


def _post(args: argparse.Namespace) -> post.Summary:
    prompts = prompt_set.load(args.prompts)
    client = None
    if not args.dry_run or _has_credentials(args.config):
        client = _client(args.config)
        problems = post.model_problems(prompts, client)
        if problems:
            raise prompt_set.InvalidPromptsError(args.prompts, problems)
    if problems := prompts.price_problems():
        raise prompt_set.InvalidPromptsError(args.prompts, problems)
    return post.run(
        prompts,
        None if args.dry_run else client,
        settle=args.settle_seconds,
        probe_wait=args.probe_seconds,
    )


def _has_credentials(config: Path | None) -> bool:
    """Whether a dry run can ask the API for its models lists."""
    return config is not None or bool(os.environ.get(f"{settings.ENV_PREFIX}LOGIN"))


def _client(path: Path | None) -> PromptsClient:
    """The API client, set up from the tap's settings (file, then environment)."""
    config = settings.load(_read_settings(path) if path else {})
    redact.install(config["login"], config["password"])
    shared = Shared.from_settings(config, settings.WINDOWS, post.LOGGER)
    return PromptsClient(Client(config, shared, post.LOGGER, name=NAME))


def _read_settings(path: Path) -> dict[str, t.Any]:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidConfigError(f"cannot read {path} ({exc.strerror})") from None
    except ValueError:
        raise InvalidConfigError(f"{path} is not JSON") from None
    if not isinstance(found, dict):
        raise InvalidConfigError(f"{path} does not hold a JSON object")
    return found


def _log_to_stderr() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger = logging.getLogger(post.LOGGER.name)
    logger.handlers = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False


def _print(line: str) -> None:
    """The summary line on stdout, masked."""
    print(f"{NAME}: {redact.current(line)}", flush=True)  # noqa: T201
