"""Faults: a database that disappears and comes back, and queries that run too long."""
from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from dash_requests import find_by_id, post_callback, texts
from dashboard.app import create_app
from data_access import Database, DataSourceError, Settings
from data_access.demo import generate_demo
from tcp_proxy import TcpProxy

TODAY = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def proxied_postgres(scratch_databases):
    """A small demo database on PostgreSQL, reached through a proxy the test can cut."""
    db = scratch_databases.new("postgresql")
    generate_demo(db, estates=6, tickets=3_000, months=3, seed=2, end=TODAY - dt.timedelta(days=1), progress=False)
    proxy = TcpProxy(db.url.host or "127.0.0.1", db.url.port or 5432)
    proxy.start()
    yield proxy, db.url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    proxy.stop()


@pytest.mark.engines
def test_banner_while_the_database_is_down_then_recovery(proxied_postgres, tmp_path):
    proxy, url = proxied_postgres
    app = create_app(Settings(today=TODAY, data_dir=tmp_path, statement_timeout_seconds=5), url)
    client = app.server.test_client()

    def overview():
        return post_callback(client, "overview-tiles", "children", {"url.search": "?period=last_month", "lang.data": "en"})

    healthy = overview()
    assert healthy["db-error:overview.data"] is None
    tickets = texts(find_by_id(healthy["overview-tiles.children"], "tile-value-tickets"))[0]
    with app.server.app_context():
        app.server.extensions["estate_dashboard"].cache.clear()  # the next answers must come from the database

    proxy.stop()
    down = overview()
    assert "cannot reach the database" in down["db-error:overview.data"]
    assert client.get("/health").status_code == 503
    # The retry poll says "not yet" while the database is away.
    assert post_callback(client, "db-recovered", "data", {"db-retry.n_intervals": 1})["db-recovered.data"] is False

    proxy.start()
    assert post_callback(client, "db-recovered", "data", {"db-retry.n_intervals": 2})["db-recovered.data"] is True
    back = overview()
    assert back["db-error:overview.data"] is None
    assert texts(find_by_id(back["overview-tiles.children"], "tile-value-tickets"))[0] == tickets
    assert client.get("/health").status_code == 200


@pytest.mark.engines
@pytest.mark.parametrize(
    "engine, slow_query",
    [
        ("sqlite", "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"),
        ("postgresql", "SELECT pg_sleep(5)"),
        ("mariadb", "SELECT SLEEP(5)"),
    ],
)
def test_a_slow_query_is_stopped_by_its_time_limit(scratch_databases, engine, slow_query):
    fresh = scratch_databases.new(engine)
    db = Database(fresh.url.render_as_string(hide_password=False), statement_timeout=0.5)
    with pytest.raises(DataSourceError, match="longer than 0.5 s"):
        db.rows(sa.text(slow_query))
    assert db.rows(sa.text("SELECT 1"))[0][0] == 1  # the connection is usable again


def test_unreachable_database_at_start_shows_the_banner(tmp_path):
    app = create_app(Settings(today=TODAY, data_dir=tmp_path), "postgresql://postgres@127.0.0.1:1/none")
    client = app.server.test_client()
    layout = json.dumps(client.get("/_dash-layout").get_json(), ensure_ascii=False)
    assert "暂时无法连接数据库" in layout  # Chinese: no language cookie yet
    result = post_callback(client, "overview-tiles", "children", {"url.search": "", "lang.data": "en"})
    assert "cannot reach the database" in result["db-error:overview.data"]

