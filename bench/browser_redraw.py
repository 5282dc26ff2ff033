"""How long a filter change takes to redraw a page in headless Chromium, on the demo database.

    .venv/bin/python bench/browser_redraw.py [--db URL] [--repeat 5]

Serves the dashboard on a loopback port, opens each page, then changes a filter by choosing an
area in the filter bar. A page is drawn at its last change on screen once Dash has no callback
pending and the network has been quiet for half a second: the first load counts from the start
of navigation (the browser's own clock), a change from the click. The quiet half second is
waited for, not counted. The cache is cleared before every change, so the times include the
database.
"""
from __future__ import annotations

import argparse
import datetime as dt
import socket
import statistics
import threading

from werkzeug.serving import make_server

from dashboard.app import create_app
from dashboard.services import EXTENSION
from data_access import Settings

PAGES = ("/", "/response", "/escalations", "/satisfaction", "/estates", "/tickets")
AREAS = ("Security", "Cleaning", "Greening", "Repair", "Other")
IDLE = "() => !document.querySelector('[data-dash-is-loading=\"true\"]')"
# The time of the page's last change on screen, on the page's clock (ms since navigation began).
LAST_CHANGE = """
window.__lastChange = 0;
new MutationObserver(() => { window.__lastChange = performance.now(); })
    .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
"""


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def serve_dashboard(db: str | None, today: dt.date | None):
    """The dashboard on a free loopback port: (app, port, its cache, the server to shut down)."""
    settings = Settings(today=today) if today else Settings()
    app = create_app(settings, db or settings.embedded_db_url)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = make_server("127.0.0.1", port, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return app, port, app.server.extensions[EXTENSION].cache, server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default=None, help="database URL (default: the embedded demo database)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=None)
    args = parser.parse_args()
    app, port, cache, server = serve_dashboard(args.db, args.today)

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=CHROMIUM_ARGS,
        )
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.add_init_script(LAST_CHANGE)
        page.context.add_cookies([{"name": "lang", "value": "en", "domain": "127.0.0.1", "path": "/"}])
        print(f"{'page':<14} {'first load ms':>14} {'filter change ms (median / max)':>34}")
        for path in PAGES:
            page.goto(f"http://127.0.0.1:{port}{path}?period=last_4_weeks")
            page.wait_for_function(IDLE)
            page.wait_for_load_state("networkidle")
            first = page.evaluate("window.__lastChange")
            changes = []
            for i in range(args.repeat):
                with app.server.app_context():
                    cache.clear()
                page.click("#filter-areas")
                option = page.locator(f".dash-dropdown-option:has-text('{AREAS[i % len(AREAS)]}')")
                started = page.evaluate("performance.now()")
                option.click()
                page.wait_for_timeout(30)
                page.wait_for_function(IDLE)
                page.wait_for_load_state("networkidle")
                changes.append(page.evaluate("window.__lastChange") - started)
                page.keyboard.press("Escape")
            print(f"{path:<14} {first:>14.0f} {statistics.median(changes):>20.0f} / {max(changes):.0f}")
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
