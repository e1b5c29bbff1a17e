"""Fixtures of the browser tests: Debian's Chromium driven by Playwright, and signing in.

Playwright's sync API runs an event loop in the test's thread; the tests also use the ORM there,
which Django refuses next to a running loop unless told it is safe (it is: one thread, sync code)."""

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The screenshots in docs/ are refreshed with `make screenshots` (UPDATE_SCREENSHOTS=1); an ordinary
# test run takes them too, into a temporary folder, so that running the suite changes no file.
DOCS_SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def signed_in(chromium, live_server, settings):
    """signed_in(username, password, viewport=None) -> a page of a fresh browser context, signed in
    (1400×900 unless another viewport is given, e.g. a phone's 390×844)."""
    settings.MAP_TILE_URL = ""  # no tile server in tests: the maps draw on a plain background
    contexts = []
    script_errors = []  # an uncaught error in a page's JavaScript fails the test

    def sign_in(username, password, viewport=None):
        context = chromium.new_context(viewport=viewport or {"width": 1400, "height": 900}, timezone_id="UTC")
        context.set_default_timeout(30_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: script_errors.append(f"{username}: {error}"))
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login/" not in url)
        return page

    yield sign_in
    for context in contexts:
        context.close()
    assert not script_errors, script_errors


def screenshot(page, name):
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        folder = DOCS_SCREENSHOTS
    else:
        folder = Path(tempfile.gettempdir()) / "airspace-screenshots"
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name), full_page=True)
    return folder / name
