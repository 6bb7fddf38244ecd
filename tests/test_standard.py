"""The SDK's standard tap tests, against the emulator."""

from __future__ import annotations

import pytest
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from fake_dataforseo import Emulator
from tap_dataforseo_gemini.tap import TapDataForSEOGemini
from tests.harness import LOGIN, PASSWORD, config_for

# The standard tests build their class at import, so the emulator starts here.
EMULATOR = Emulator(login=LOGIN, password=PASSWORD, seed=11).start()
EMULATOR.add_tasks(25, web_search=True)


@pytest.fixture(scope="module", autouse=True)
def _stop_emulator():
    yield
    EMULATOR.stop()


# max_records_limit=None: a record limit makes a dry run, which never collects.
TestTapDataForSEOGemini = get_tap_test_class(
    TapDataForSEOGemini,
    config=config_for(EMULATOR.url),
    suite_config=SuiteConfig(max_records_limit=None),
)
