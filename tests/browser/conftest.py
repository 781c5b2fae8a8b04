"""End-to-end tests in Debian's Chromium, driven by Playwright (no browser download)."""

import os
import shutil

import pytest

from coordination.demo import load_demo_commitments
from meetings.demo import load_demo_meetings, load_demo_minutes
from meetings.models import Meeting
from members.demo import load_demo_platform

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser():
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop; Django must still allow ORM calls in tests.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def demo(db):
    """The demo platform of `make run`; returns its upcoming plenary meeting."""
    load_demo_platform()
    load_demo_meetings()
    load_demo_minutes()
    load_demo_commitments()
    return Meeting.objects.filter(kind=Meeting.Kind.PLENARY).upcoming().get()
