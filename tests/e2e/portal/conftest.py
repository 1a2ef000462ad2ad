"""The portal in a real browser: Playwright driving Debian's Chromium (``/usr/bin/chromium``), against a real
``acrlink up``; each flow's result is checked through ARM, not through the page."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Running, arm_client, start, stop

CHROMIUM = os.environ.get("ACRLINK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
LOCALES = {"en": "en-US", "zh": "zh-CN"}
SHOTS = Path(os.environ.get("ACRLINK_PORTAL_SHOTS") or Path(tempfile.gettempdir()) / "acrlink-portal-shots")
"""Where the flows' screenshots go: ``ACRLINK_PORTAL_SHOTS=docs/portal`` refreshes the README's; by default a
temporary directory, so a test run leaves the working tree as it was."""


@pytest.fixture(scope="module")
def portal_acrlink(tmp_path_factory: pytest.TempPathFactory, acrlink: Running, az_path: str) -> Iterator[Running]:
    """A process of the module's own, with az for setting worlds up."""
    os.environ["ACRLINK_AZ"] = az_path
    running = start(tmp_path_factory.mktemp("portal"), "--blackhole-seconds", "1", ca_from=acrlink.data_dir)
    yield running
    stop(running)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one module. Not for the session: Playwright's sync API runs an event loop on the main
    thread while it is open, and later tests that start their own loop (asyncio.run) would fail."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is required: run the README's test command (it installs Debian's chromium).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def open_portal(browser: Any, running: Running, language: str) -> Any:
    """A fresh browser context in ``language`` (``en`` or ``zh``, by Accept-Language) on the portal's home."""
    context = browser.new_context(
        locale=LOCALES[language],
        extra_http_headers={"Accept-Language": LOCALES[language]},
        ignore_https_errors=True,
        viewport={"width": 1280, "height": 800},
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(running.endpoints["portal"])
    return page


def shot(page: Any, name: str) -> None:
    """One screenshot per flow under ``SHOTS``."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def arm_get(running: Running, path: str, api_version: str) -> httpx.Response:
    with arm_client(running) as client:
        return client.get(path, params={"api-version": api_version})
