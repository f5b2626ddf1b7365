"""Debian's Chromium, headless, driven by Playwright, for the tests that need a real browser.

`chromium_path()` finds the browser; `launch()` starts it with background networking off so
a test run never reaches the internet. With SWITCHBOARD_TEST_REQUIRE_BROWSER=1 (CI) a missing
browser fails the run instead of skipping.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Browser, sync_playwright

REQUIRE_BROWSER = os.environ.get("SWITCHBOARD_TEST_REQUIRE_BROWSER") == "1"
_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--metrics-recording-only",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str:
    """The Chromium binary, or skip (fail in CI) when it is not installed."""
    found = os.environ.get("SWITCHBOARD_TEST_CHROMIUM") or shutil.which("chromium")
    if found is None:
        message = "Chromium is not installed (apt-get install -y chromium)"
        if REQUIRE_BROWSER:
            pytest.fail(message)
        pytest.skip(message)
    return found


@contextmanager
def launch() -> Iterator[Browser]:
    """A headless Chromium, closed when the block ends."""
    path = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True, args=_ARGS)
        try:
            yield browser
        finally:
            browser.close()
