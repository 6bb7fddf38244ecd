"""Our request checks agree with the emulator's task_post, which follows the vendor."""

from __future__ import annotations

import typing as t

import pytest

from tests.test_money import call
from tests.test_prompts import FLASH, post, prompts_file

if t.TYPE_CHECKING:
    from pathlib import Path

    from fake_dataforseo import Emulator

SONNET = "claude-sonnet-4-0"
REASONING = {"use_reasoning": True, "max_output_tokens": 1025}


class Case(t.NamedTuple):
    """A task of one LLM and model, its prompts-file settings, whether it is valid."""

    llm: str
    model: str
    settings: dict[str, t.Any]
    valid: bool

    @property
    def name(self) -> str:
        """The test id."""
        verdict = "taken" if self.valid else "refused"
        return f"{self.model}-{'-'.join(self.settings) or 'plain'}-{verdict}"


CASES = [
    Case("gemini", FLASH, {}, True),
    Case("gemini", FLASH, {"user_prompt": "x" * 501}, False),
    Case("gemini", FLASH, {"temperature": 0.5, "top_p": 0.9}, True),
    Case("gemini", FLASH, {"temperature": 2.5}, False),
    Case("gemini", FLASH, {"use_reasoning": True, "max_output_tokens": 1000}, False),
    Case("gemini", FLASH, {"force_web_search": True}, False),
    Case("gemini", "gemini-2.0-flash-lite", {"web_search": True}, False),
    Case("chat_gpt", "gpt-4.1-mini", {"max_output_tokens": 8}, False),
    Case("chat_gpt", "gpt-4.1-mini", {"max_output_tokens": 16}, True),
    Case("chat_gpt", "gpt-4.1", {"temperature": 0.5, "top_p": 0.9}, False),
    Case("chat_gpt", "gpt-4.1-mini", {"force_web_search": True}, False),
    Case(
        "chat_gpt",
        "gpt-4.1-mini",
        {
            "web_search": True,
            "force_web_search": True,
            "web_search_country_iso_code": "FR",
            "web_search_city": "Lyon",
        },
        True,
    ),
    Case("chat_gpt", "gpt-4.1-mini", {"web_search_country_iso_code": "fr"}, False),
    Case("chat_gpt", "o3-mini", {"max_output_tokens": 512}, False),
    Case("chat_gpt", "o3-mini", {"temperature": 0.5}, False),
    Case("claude", SONNET, {"temperature": 1.5}, False),
    Case("claude", SONNET, {"temperature": 0.5, "top_p": 0.9}, False),
    Case("claude", SONNET, {"use_reasoning": True, "max_output_tokens": 1024}, False),
    Case("claude", SONNET, REASONING, True),
    Case("claude", SONNET, {**REASONING, "temperature": 0.5}, False),
    Case("claude", SONNET, {**REASONING, "force_web_search": True}, False),
]


def our_checks_accept(
    emulator: Emulator,
    prompts_folder: Path,
    capsys: pytest.CaptureFixture[str],
    case: Case,
) -> bool:
    """Whether a dry run with credentials (file and models checks) takes the set."""
    llm, model, settings, _ = case
    options = {k: v for k, v in settings.items() if k != "user_prompt"}
    prompt = settings.get("user_prompt", "Best CRM?")
    prompts = prompts_file(
        prompts_folder, llms={llm: [model]}, prompts=[prompt], **options
    )
    code, _, _ = post(emulator, prompts, capsys, "--dry-run")
    return code == 0


def task_post_takes(emulator: Emulator, case: Case) -> bool:
    """Whether the emulator creates the task of the settings, sent unchecked."""
    llm, model, settings, _ = case
    body = {"user_prompt": "Best CRM?", "model_name": model, **settings}
    path = f"/v3/ai_optimization/{llm}/llm_responses/task_post"
    (task,) = call(emulator, "POST", path, [body])["tasks"]
    return task["status_code"] == 20100


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_our_checks_refuse_exactly_what_task_post_refuses(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: Case
) -> None:
    ours = our_checks_accept(emulator, tmp_path, capsys, case)
    theirs = task_post_takes(emulator, case)

    assert (ours, theirs) == (case.valid, case.valid)


@pytest.mark.parametrize(
    ("llm", "item", "status", "message"),
    [
        ("gemini", {"web_search_city": "Lyon"}, 40506, "Unknown Fields in POST Data."),
        ("claude", {"temperature": 1.5}, 40501, "Invalid Field: 'temperature'."),
        (
            "chat_gpt",
            {"max_output_tokens": 8},
            40501,
            "Invalid Field: 'max_output_tokens'.",
        ),
        (
            "gemini",
            {"message_chain": [{"role": "x", "message": "Hi"}]},
            40501,
            "Invalid Field: 'message_chain'.",
        ),
    ],
)
def test_task_post_answers_a_refused_task_with_the_vendors_status(
    emulator: Emulator, llm: str, item: dict[str, t.Any], status: int, message: str
) -> None:
    model = {"gemini": FLASH, "claude": SONNET, "chat_gpt": "gpt-4.1-mini"}[llm]
    body = [{"user_prompt": "Best CRM?", "model_name": model, **item}]
    path = f"/v3/ai_optimization/{llm}/llm_responses/task_post"

    (task,) = call(emulator, "POST", path, body)["tasks"]

    assert (task["status_code"], task["status_message"]) == (status, message)
    assert emulator.task_ids(llm) == []
