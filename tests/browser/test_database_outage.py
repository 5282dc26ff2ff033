"""A database that goes away mid-use: the page says so, and heals itself when it is back."""
from __future__ import annotations

import datetime as dt
import socket
import threading

import pytest
from werkzeug.serving import make_server

from conftest import TODAY, wait_for_dash
from data_access import Settings
from data_access.demo import generate_demo
from tcp_proxy import TcpProxy


@pytest.fixture
def outage_dashboard(scratch_databases, tmp_path):
    from dashboard.app import create_app

    db = scratch_databases.new("postgresql")
    generate_demo(db, estates=5, tickets=2_000, months=2, seed=4, end=TODAY - dt.timedelta(days=1), progress=False)
    proxy = TcpProxy(db.url.host or "127.0.0.1", db.url.port or 5432)
    proxy.start()
    url = db.url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    app = create_app(Settings(today=TODAY, data_dir=tmp_path, statement_timeout_seconds=5, cache_seconds=0), url)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = make_server("127.0.0.1", port, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{port}", proxy
    server.shutdown()
    proxy.stop()


@pytest.mark.engines
def test_banner_then_recovery_without_a_reload_by_hand(browser, request, outage_dashboard):
    base, proxy = outage_dashboard
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    context.add_cookies([{"name": "lang", "value": "en", "domain": "127.0.0.1", "path": "/"}])
    page = context.new_page()
    page.goto(base + "/?period=last_month")
    wait_for_dash(page)
    assert not page.is_visible("#db-alert")

    proxy.stop()
    page.goto(base + "/?period=last_month&area=repair")  # a new question while the database is away
    page.wait_for_selector("#db-alert", state="visible", timeout=20_000)
    assert "cannot be reached" in page.inner_text("#db-alert")

    proxy.start()  # back: the page polls, sees it, and reloads itself
    page.wait_for_selector("#tile-value-tickets", timeout=30_000)
    page.wait_for_function("() => !document.querySelector('#db-alert')", timeout=30_000)
    assert page.inner_text("#tile-value-tickets").replace(",", "").isdigit()
    context.close()
