"""Browser fixtures: the dashboard served on a free loopback port over a small demo database,
and headless Chromium (Debian's, via Playwright) that fails a test on any console error and
saves a screenshot when a test fails (the vizro habit)."""
from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from data_access import Database, Settings

CHROMIUM = os.environ.get("ESTATE_CHROMIUM", "/usr/bin/chromium")
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"
TODAY = dt.date(2026, 11, 23)  # a Monday: "last week" is 2026-11-16 .. 2026-11-22
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                 "--no-first-run", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def demo_db_url(tmp_path_factory) -> str:
    from data_access.demo import generate_demo

    path = tmp_path_factory.mktemp("browser") / "demo.sqlite"
    db = Database(f"sqlite:///{path}")
    generate_demo(db, estates=24, tickets=40_000, months=14, seed=11, end=TODAY - dt.timedelta(days=1), progress=False)
    db.dispose()
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def dashboard_settings(tmp_path_factory) -> Settings:
    return Settings(today=TODAY, data_dir=tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
def dashboard_url(demo_db_url, dashboard_settings) -> str:
    from werkzeug.serving import make_server

    from dashboard.app import create_app

    app = create_app(dashboard_settings, demo_db_url)
    port = _free_port()
    server = make_server("127.0.0.1", port, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        message = f"Chromium not found at {CHROMIUM}: install Debian's chromium (see .ci/run) or set ESTATE_CHROMIUM"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report


def _open_page(browser, request, lang: str, viewport: dict):
    context = browser.new_context(viewport=viewport, locale="zh-CN" if lang == "zh" else "en-GB")
    context.add_cookies([{"name": "lang", "value": lang, "domain": "127.0.0.1", "path": "/"}])
    page = context.new_page()
    track_callbacks(page)
    page.console_errors = []
    page.on("console", lambda msg: page.console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
    yield page
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    if failed:
        (OUTPUT / "failures").mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(OUTPUT / "failures" / f"{request.node.name}.png"), full_page=True)
    errors = list(page.console_errors)
    context.close()
    if not failed:
        assert errors == [], f"browser console errors: {errors}"


@pytest.fixture
def page(browser, request):
    yield from _open_page(browser, request, "en", {"width": 1366, "height": 768})


@pytest.fixture
def page_zh(browser, request):
    yield from _open_page(browser, request, "zh", {"width": 1366, "height": 768})


def screenshot(page, name: str) -> None:
    """A full-page screenshot under test-output/screenshots, for people to look at."""
    (OUTPUT / "screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / "screenshots" / f"{name}.png"), full_page=True)


def track_callbacks(page) -> None:
    """Count the page's callback requests in flight, so tests can wait for quiet."""
    page.pending_callbacks = 0

    def started(request):
        if "_dash-update-component" in request.url:
            page.pending_callbacks += 1

    def ended(request):
        if "_dash-update-component" in request.url:
            page.pending_callbacks -= 1

    page.on("request", started)
    page.on("requestfinished", ended)
    page.on("requestfailed", ended)


def wait_for_dash(page, timeout: float = 20_000) -> None:
    """Until the page is drawn and no callback has been in flight for 400 ms. A slow machine
    starts callbacks late; waiting for quiet rather than for a first idle moment avoids races."""
    if not hasattr(page, "pending_callbacks"):
        track_callbacks(page)
    page.wait_for_function("() => document.querySelector('#_pages_content') !== null", timeout=timeout)
    deadline = time.monotonic() + timeout / 1000
    quiet_since = None
    while time.monotonic() < deadline:
        page.wait_for_timeout(100)
        busy = page.pending_callbacks > 0 or page.evaluate("() => !!document.querySelector('[data-dash-is-loading=\"true\"]')")
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= 0.4:
            return
    raise AssertionError(f"Dash callbacks still running after {timeout / 1000:.0f} s")
