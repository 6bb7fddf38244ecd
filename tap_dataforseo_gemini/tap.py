"""The DataForSEO LLM responses tap: settings, streams, and the command line."""

from __future__ import annotations

import gc
import signal
import sys
import typing as t
from functools import cached_property

import click
import requests
from singer_sdk import Tap
from singer_sdk.exceptions import (
    ConfigValidationError,
    FatalAPIError,
    RetriableAPIError,
)
from singer_sdk.helpers._classproperty import classproperty
from singer_sdk.helpers.capabilities import (
    CapabilitiesEnum,
    PluginCapabilities,
    TapCapabilities,
)
from typing_extensions import override
from urllib3.util import parse_url

from tap_dataforseo_gemini import delivery, inputs, redact, settings, sources
from tap_dataforseo_gemini.api.client import Shared
from tap_dataforseo_gemini.errors import (
    DeadlineExceededError,
    InvalidConfigError,
    InvalidInputError,
    InvalidStateError,
)
from tap_dataforseo_gemini.shutdown import (
    NAME,
    TargetClosedError,
    Writer,
    fail,
    stopped,
    target_closed,
)
from tap_dataforseo_gemini.streams import (
    LlmResponseCitationsStream,
    LlmResponsesStream,
    ModelsStream,
    ReadyTasksStream,
    TaskResultsStream,
    TaskRowsStream,
)
from tap_dataforseo_gemini.surface_streams import (
    AiModeReferencesStream,
    AiModeResultsStream,
    LlmScraperResultsStream,
    LlmScraperSourcesStream,
)

if t.TYPE_CHECKING:
    from pathlib import PurePath
    from types import FrameType

    from singer_sdk.streams import Stream

#: Each source's results stream and the rows derived from it.
SOURCE_STREAMS: dict[str, tuple[type[TaskResultsStream], type[TaskRowsStream]]] = {
    "llm_responses": (LlmResponsesStream, LlmResponseCitationsStream),
    "llm_scraper": (LlmScraperResultsStream, LlmScraperSourcesStream),
    "ai_mode": (AiModeResultsStream, AiModeReferencesStream),
}

#: What the command does (the SDK's help says "Execute the Singer tap.").
COMMAND_HELP = (
    "Collect finished DataForSEO tasks as Singer records: LLM Responses (Gemini, "
    "ChatGPT, Claude; the default), the LLM Scraper (the ChatGPT and Gemini apps) "
    "or Google AI Mode, as the source setting says. Post the tasks with "
    "dataforseo-prompts.\n\n"
    "A run lists tasks_ready, collects each task with task_get and writes STATE "
    "after its records, so no completed task is lost whatever stops the run. A "
    "task whose task_get keeps failing does not stop the run: it stays pending "
    "for later runs and becomes a failure record once three have given up on it."
    "\n\n"
    "Settings: --config FILE, or --config ENV to read the TAP_DATAFORSEO_GEMINI_* "
    "environment variables; --about lists them."
)
#: What ``--test`` does here (the SDK's help says it syncs a record of each stream).
TEST_HELP = (
    "Check the settings and the connection: list tasks_ready (and read models, "
    "for LLM Responses), writing at most one record of each, and never collect a "
    "task (task_get). --test=schema writes the SCHEMA messages only."
)


class TapDataForSEOGemini(Tap):
    """Collect DataForSEO tasks: LLM Responses, the LLM Scraper, Google AI Mode."""

    name = NAME
    message_writer_class = Writer
    #: The SDK's defaults less BATCH: batch files would let a STATE message run
    #: ahead of the records it vouches for.
    capabilities: t.ClassVar[list[CapabilitiesEnum]] = [
        TapCapabilities.CATALOG,
        TapCapabilities.STATE,
        TapCapabilities.DISCOVER,
        TapCapabilities.ACTIVATE_VERSION,
        PluginCapabilities.ABOUT,
        PluginCapabilities.STREAM_MAPS,
        PluginCapabilities.FLATTENING,
        PluginCapabilities.STRUCTURED_LOGGING,
    ]

    config_jsonschema = settings.SCHEMA

    def __init__(
        self,
        *,
        config: dict | PurePath | str | list[PurePath | str] | None = None,
        state: dict | PurePath | str | None = None,
        catalog: dict | PurePath | str | None = None,
        parse_env_config: bool = False,
        **kwargs: t.Any,
    ) -> None:
        """Check the settings and state, then keep the password out of every line."""
        if isinstance(state, dict):
            inputs.check_state(state)
        if isinstance(catalog, dict):
            inputs.check_catalog(catalog)
        try:
            super().__init__(
                config=config,
                state=state,
                catalog=catalog,
                parse_env_config=parse_env_config,
                **kwargs,
            )
        except ConfigValidationError as exc:
            hint = (
                ""
                if parse_env_config
                else settings.environment_hint(
                    self.config_jsonschema, settings.ENV_PREFIX, self.config
                )
            )
            raise InvalidConfigError(
                "invalid settings: " + "; ".join(exc.errors or [str(exc)]) + hint
            ) from None
        redact.install(
            self.config.get("login") or "", self.config.get("password") or ""
        )
        for warning in settings.unknown(dict(self.config), self.config_jsonschema):
            self.logger.warning(warning)
        self._check_state_owner()

    def _check_state_owner(self) -> None:
        """Refuse another source's, LLM's or host's state before the first request.

        Each source keeps its bookmark under its results stream's name: a
        bookmark there of another source is another source's state.
        """
        source = sources.of(self.config)
        bookmarks = self.state.get("bookmarks", {})
        for owner in sources.SOURCES.values():
            bookmark = bookmarks.get(owner.results)
            if isinstance(bookmark, dict) and (bookmark or owner is source):
                # A copy: the check fills in what an older state lacks.
                delivery.Bookmark(
                    {"source": owner.name, **bookmark},
                    source.se(self.config),
                    settings.api_host(self.config["api_url"]),
                    source=source.name,
                )

    # Private SDK hooks (no public ones): settings from the environment, config
    # errors without secrets, and the STATE re-emitted on a signal.
    # tests/test_sdk_hooks.py fails if the SDK renames them.

    @classproperty
    @override
    def _env_var_config(cls) -> dict[str, t.Any]:
        """Settings from environment variables: checked first, numbers as numbers."""
        schema = cls.config_jsonschema
        cls.append_builtin_config(schema)
        settings.check_environment(schema, cls._env_var_prefix)
        config = dict(super()._env_var_config)
        settings.typed_environment(config, schema)
        return config

    @override
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """Validate against the schema, never echoing a secret, then check values."""
        config = dict(self.config)
        settings.check_secrets(config, self.config_jsonschema)
        mask = redact.Mask(
            redact.forms(config.get("login") or "", config.get("password") or "")
        )
        try:
            errors = super()._validate_config(raise_errors=raise_errors)
        except ConfigValidationError as exc:
            exc.errors = [mask(error) for error in exc.errors]
            raise
        if raise_errors:
            settings.check_values(dict(self.config))
        return errors

    @override
    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        """Re-emit the last STATE written (it covers written records), exit 128+N.

        Never into the middle of a message: the writer stops at the next message
        boundary (``shutdown.Writer.stop``).
        """
        self.writer.stop(signum)

    @cached_property
    def shared(self) -> Shared:
        """What every stream of the run shares: windows, in-flight bound, clock."""
        return Shared.from_settings(self.config, settings.WINDOWS, self.logger)

    @override
    def sync_all(self) -> None:
        """Sync every stream, log the request metrics in one line, write the rest."""
        try:
            super().sync_all()
        finally:
            self.shared.request_metrics.log(self.logger)
            self.writer.flush()

    @property
    def writer(self) -> Writer:
        """The Singer writer, which holds records until a batch is full."""
        return t.cast("Writer", self.message_writer)

    @override
    def run_connection_test(self) -> bool:
        """The SDK's test (a failure raises), then one line saying it passed."""
        passed = super().run_connection_test()
        read = " and ".join(
            sorted(s.name for s in self.streams.values() if not s.parent_stream_type)
        )
        host = parse_url(self.config["api_url"]).host
        print(  # noqa: T201 - the command's last line, after the log
            f"{NAME}: --test passed: the settings are valid, {host} accepted the "
            f"login, {read} read (at most one record each; no task collected)",
            file=sys.stderr,
        )
        return passed

    @classmethod
    def get_singer_command(cls) -> click.Command:
        """The SDK's command line; ``--test`` as this tap runs it, files read once."""
        command = super().get_singer_command()
        command.help = COMMAND_HELP
        for param in command.params:
            if isinstance(param, click.Option) and param.name == "test":
                param.help = TEST_HELP
            elif param.name == "config":
                param.callback = inputs.config_files
            elif param.name in {"state", "catalog"}:
                param.type = inputs.ReadOnce()
        return command

    def discover_streams(self) -> list[Stream]:
        """The source's streams only (children follow their parents).

        Another source's streams would read another queue: a catalog written for
        one extractor could select them and collect nothing, or the wrong thing.
        ``models`` is LLM Responses' only.
        """
        source = sources.of(self.config)
        results, rows = SOURCE_STREAMS[source.name]
        streams: list[Stream] = [
            ReadyTasksStream(self, self.shared),
            results(self, self.shared),
            rows(self),
        ]
        if source.name == "llm_responses":
            streams.append(ModelsStream(self, self.shared))
        return streams


#: Errors that end a run with one line on stderr instead of a traceback.
ONE_LINE_ERRORS = (
    FatalAPIError,
    RetriableAPIError,
    InvalidConfigError,
    InvalidStateError,
    InvalidInputError,
)


def main() -> None:
    """Run the command line; known failures end with one line and exit code 1.

    Stderr masks the password, as the Singer writer does stdout. What is imported
    lives to the end: frozen, the garbage collector's passes skip it, during the
    run and at the interpreter's exit.
    """
    gc.freeze()
    sys.stderr = redact.MaskedStream(sys.stderr)
    try:
        inputs.check_files(sys.argv[1:])
        code = TapDataForSEOGemini.cli.main(standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.Abort:
        stopped(signal.SIGINT)
    except ONE_LINE_ERRORS as exc:
        fail(str(exc))
    except DeadlineExceededError as exc:
        fail(f"{exc} from {_host(exc)}")
    except requests.exceptions.RequestException as exc:
        where = "check the api_url setting"
        if exc.request is not None and exc.request.url:
            where = f"{_host(exc)} ({where})"
        fail(f"cannot reach the DataForSEO API ({type(exc).__name__}): {where}")
    except TargetClosedError:
        target_closed()
    sys.exit(code if isinstance(code, int) else 0)


def _host(exc: requests.exceptions.RequestException) -> str:
    """The scheme, host and port a failed request went to (IPv6 in brackets)."""
    url = parse_url(exc.request.url if exc.request else "")
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}"
