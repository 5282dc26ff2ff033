"""Finished page outputs come from the cache: a repeated filter change touches no database and
draws nothing anew, yet every user still sees their own estates, language and personal-data
rights, a new annotation shows at once, and a database problem is never remembered."""
from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import flask
import pytest
from plotly.io.json import to_json_plotly

from dash_requests import find_by_id, post_callback, texts
from dashboard.app import create_app
from dashboard.auth import SESSION_KEY, hash_password
from dashboard.services import EXTENSION
from data_access import Database, Scope, Settings
from data_access.annotations import annotation_store
from data_access.demo import generate_demo

TODAY = dt.date(2026, 11, 23)
PASSWORD = "correct horse battery"
AUTUMN = "?period=custom&from=2026-09-01&to=2026-11-22"
RESPONSE_OUTPUTS = ("response-reply-trend", "response-distribution", "response-slow-heatmap")  # one per callback


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("output-cache") / "demo.sqlite"
    generate_demo(Database(f"sqlite:///{path}"), estates=6, tickets=5_000, months=4, seed=7,
                  end=TODAY - dt.timedelta(days=1), progress=False)
    return path


def make_app(demo_file: Path, data_dir: Path):
    hashed = hash_password(PASSWORD)
    settings = Settings(
        today=TODAY,
        data_dir=data_dir,
        secret_key="test-secret-" + "x" * 32,
        users=[
            {"username": "director", "password_hash": hashed, "role": "director"},
            {"username": "manager", "password_hash": hashed, "role": "estate_manager", "estates": ["E001", "E002"]},
            {"username": "supervisor", "password_hash": hashed, "role": "analyst", "personal_data": True},
        ],
    )
    return create_app(settings, f"sqlite:///{demo_file}")


@pytest.fixture(scope="module")
def app(demo_file, tmp_path_factory):
    return make_app(demo_file, tmp_path_factory.mktemp("data"))


def services(app):
    return app.server.extensions[EXTENSION]


def clear_cache(app) -> None:
    with app.server.app_context():
        services(app).cache.clear()


def signed_in(app, username: str):
    client = app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    form = {"username": username, "password": PASSWORD, "csrf": token, "next": "/"}
    assert client.post("/login", data=form).status_code == 302
    return client


def response_page(client, search: str, lang: str = "en") -> dict:
    """Every output of the Response times page's three data callbacks, as the browser gets them."""
    found = {}
    for output in RESPONSE_OUTPUTS:
        found.update(post_callback(client, output, "figure", {"url.search": search, "lang.data": lang}))
    return found


def annotation_labels(outputs: dict) -> list[str]:
    return [a.get("text", "") for a in outputs["response-reply-trend.figure"]["layout"].get("annotations", [])]


def test_a_repeated_filter_change_is_answered_from_the_cache_without_the_database(app, monkeypatch):
    from dashboard.figures import response as figures

    drawn_trends = []
    draw = figures.reply_trend
    monkeypatch.setattr(figures, "reply_trend", lambda *a, **k: drawn_trends.append(1) or draw(*a, **k))
    client = signed_in(app, "director")
    db = services(app).db
    clear_cache(app)
    search = "?period=last_month&area=repair,cleaning"
    first = response_page(client, search)
    assert first["db-error:response-trend.data"] is None and "Oct" in first["response-caption.children"]
    assert len(db.trace) > 0 and len(drawn_trends) == 1

    db.trace.clear()
    again = response_page(client, search)
    assert len(db.trace) == 0 and len(drawn_trends) == 1  # neither queried nor drawn again
    assert json.dumps(again, sort_keys=True) == json.dumps(first, sort_keys=True)

    # The key is the question, not the URL's wording: the same month and areas spelled otherwise.
    reworded = response_page(client, "?area=cleaning&area=repair&period=custom&from=2026-10-01&to=2026-10-31")
    assert len(db.trace) == 0 and len(drawn_trends) == 1
    assert json.dumps(reworded, sort_keys=True) == json.dumps(first, sort_keys=True)

    # What the cache gives is exactly what the callback draws.
    from dashboard.pages.response import update_trends  # pages register with an app: import after one exists

    with app.server.test_request_context():
        flask.session[SESSION_KEY] = "director"
        drawn = json.loads(to_json_plotly(list(update_trends(search, "en"))))
    assert drawn[1] == again["response-reply-trend.figure"] and drawn[0] == again["response-caption.children"]


def test_scope_language_and_personal_data_never_leak_between_users(app):
    director, manager, supervisor = (signed_in(app, name) for name in ("director", "manager", "supervisor"))
    clear_cache(app)
    everyone = response_page(director, AUTUMN)
    own = response_page(manager, AUTUMN)
    chinese = response_page(director, AUTUMN, "zh")
    assert own["response-reply-trend.figure"] != everyone["response-reply-trend.figure"]
    assert "周" in chinese["response-caption.children"]
    assert chinese["response-caption.children"] != everyone["response-caption.children"]
    # Each equals what that user gets when nothing is cached.
    for client, lang, cached in ((manager, "en", own), (director, "zh", chinese), (director, "en", everyone)):
        clear_cache(app)
        assert json.dumps(response_page(client, AUTUMN, lang), sort_keys=True) == json.dumps(cached, sort_keys=True)

    # Owners' names: shown to the supervisor, masked for the director asking the same question after.
    def owners(client) -> list[str]:
        table = post_callback(client, "overview-watchlist", "children", {"url.search": AUTUMN, "lang.data": "en"})
        return [cells[-1] for cells in body_rows(find_by_id(table["overview-watchlist.children"], "watchlist-table"))]

    clear_cache(app)
    named = owners(supervisor)
    masked = owners(director)
    assert named and len(named) == len(masked)
    assert not any("*" in name for name in named) and all("*" in name for name in masked)


def body_rows(table) -> list[list[str]]:
    """The text of each body row's cells of a table as the browser gets it."""
    rows = []

    def walk(node, in_body: bool) -> None:
        if isinstance(node, list):
            for child in node:
                walk(child, in_body)
        elif isinstance(node, dict):
            props = node.get("props", {})
            if in_body and node.get("type") == "Tr":
                rows.append(["".join(texts(cell)) for cell in props["children"]])
            else:
                walk(props.get("children"), in_body or node.get("type") == "Tbody")

    walk(table, False)
    return rows


def test_a_new_annotation_shows_at_once_on_a_cached_trend(app):
    client = signed_in(app, "director")
    db = services(app).db
    before = response_page(client, AUTUMN)
    assert not any("Typhoon" in label for label in annotation_labels(before))

    added = post_callback(client, "annotation-feedback", "children", {
        "annotation-add.n_clicks": 1, "annotation-start.value": "2026-10-12", "annotation-end.value": "2026-10-14",
        "annotation-label.value": "Typhoon Koinu", "annotations-version.data": 0, "lang.data": "en",
    }, trigger="annotation-add.n_clicks")
    assert added["annotation-feedback.color"] == "success"
    db.trace.clear()
    after = response_page(client, AUTUMN)
    assert "▍Typhoon Koinu" in annotation_labels(after)
    assert len(db.trace) == 0  # the figures are drawn anew from cached query results
    assert after["response-distribution.figure"] == before["response-distribution.figure"]

    store = annotation_store(services(app).settings.data_dir)
    (note,) = [a for a in store.list(Scope.everything()) if a.label == "Typhoon Koinu"]
    store.delete(note.annotation_id, Scope.everything())
    assert not any("Typhoon" in label for label in annotation_labels(response_page(client, AUTUMN)))


def test_a_database_problem_is_not_remembered(demo_file, tmp_path):
    copy = tmp_path / "tickets.sqlite"
    shutil.copy(demo_file, copy)
    app = make_app(copy, tmp_path / "data")
    client = signed_in(app, "director")
    db = services(app).db
    assert response_page(client, "?period=last_month")["db-error:response-trend.data"] is None  # estates now cached

    # The database goes away: its file is moved, so a new connection finds no tables.
    copy.rename(tmp_path / "away.sqlite")
    db.engine.dispose()
    down = response_page(client, AUTUMN)
    assert down["db-error:response-trend.data"] and down["db-error:response-attainment.data"]
    assert "response-reply-trend.figure" not in down  # no_update: the charts keep what they showed

    db.engine.dispose()
    copy.unlink()  # the empty file the failed connection left
    (tmp_path / "away.sqlite").rename(copy)
    back = response_page(client, AUTUMN)
    assert back["db-error:response-trend.data"] is None and back["db-error:response-hours.data"] is None
    assert back["response-reply-trend.figure"]["data"] and "Sep" in back["response-caption.children"]
    db.trace.clear()
    assert response_page(client, AUTUMN) == back and len(db.trace) == 0  # and now it is cached
