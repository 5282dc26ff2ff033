"""First page loads in headless Chromium: each page opened once per round, a fresh browser per
round (so the first page of a round pays for cold JavaScript), the server's cache cleared before
each page. Prints every round and the median, from the start of navigation to the page's last
change on screen.

    .venv/bin/python bench/first_load.py --db URL [--rounds 3] [--today 2026-11-23] [--period last_4_weeks]
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics

from browser_redraw import CHROMIUM_ARGS, IDLE, LAST_CHANGE, PAGES, serve_dashboard


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default=None, help="database URL (default: the embedded demo database)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=None)
    parser.add_argument("--period", default="last_4_weeks")
    args = parser.parse_args()
    app, port, cache, server = serve_dashboard(args.db, args.today)

    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = {path: [] for path in PAGES}
    with sync_playwright() as playwright:
        for _ in range(args.rounds):
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.add_init_script(LAST_CHANGE)
            page.context.add_cookies([{"name": "lang", "value": "en", "domain": "127.0.0.1", "path": "/"}])
            for path in PAGES:
                with app.server.app_context():
                    cache.clear()
                page.goto(f"http://127.0.0.1:{port}{path}?period={args.period}")
                page.wait_for_function(IDLE)
                page.wait_for_load_state("networkidle")
                times[path].append(page.evaluate("window.__lastChange"))
            browser.close()
    print(f"{'page':<14} {'rounds (ms)':>30} {'median ms':>10}")
    for path, values in times.items():
        print(f"{path:<14} {' '.join(f'{v:6.0f}' for v in values):>30} {statistics.median(values):>10.0f}")
    server.shutdown()


if __name__ == "__main__":
    main()
