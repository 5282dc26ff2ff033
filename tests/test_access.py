"""Access control at the HTTP boundary: sign-in, estate scope on raw callback requests,
security headers, no stack traces, an audit trail."""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from dash_requests import find_by_id, post_callback, texts
from dashboard.app import create_app
from dashboard.auth import hash_password
from data_access import Database, Filters, Scope, ServiceRules, Settings
from data_access.demo import generate_demo
from data_access.metrics import compute_metrics

TODAY = dt.date(2026, 11, 23)
PASSWORD = "correct horse battery"
OCTOBER = "?period=custom&from=2026-10-01&to=2026-10-31"


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('access') / 'demo.sqlite'}"
    generate_demo(Database(url), estates=8, tickets=8_000, months=4, seed=5, end=TODAY - dt.timedelta(days=1), progress=False)
    return url


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    hashed = hash_password(PASSWORD)
    return Settings(
        today=TODAY,
        data_dir=tmp_path_factory.mktemp("data"),
        secret_key="test-secret-" + "x" * 32,
        users=[
            {"username": "director", "password_hash": hashed, "role": "director"},
            {"username": "manager", "password_hash": hashed, "role": "estate_manager", "estates": ["E001", "E002"]},
            {"username": "supervisor", "password_hash": hashed, "role": "analyst", "personal_data": True},
        ],
    )


@pytest.fixture(scope="module")
def app(settings, demo_url):
    return create_app(settings, demo_url)


def sign_in(client, username: str, password: str = PASSWORD):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"username": username, "password": password, "csrf": token, "next": "/"})


def tickets_tile(client, search: str) -> int:
    result = post_callback(client, "overview-tiles", "children", {"url.search": search, "lang.data": "en"})
    return int(texts(find_by_id(result["overview-tiles.children"], "tile-value-tickets"))[0].replace(",", ""))


@pytest.fixture(scope="module")
def october(demo_url):
    """Tickets in October 2026 for some estates within a scope, straight from the data layer."""

    def count(estates=(), scope=Scope.everything()) -> int:
        filters = Filters(dt.date(2026, 10, 1), dt.date(2026, 10, 31), estates=estates)
        return compute_metrics(Database(demo_url), ServiceRules(), filters, scope)["tickets"]["total"]

    return count


def test_pages_and_callbacks_need_sign_in(app):
    client = app.server.test_client()
    assert client.get("/").status_code == 302
    assert client.get("/").headers["Location"].startswith("/login")
    response = client.post("/_dash-update-component", data="{}", content_type="application/json")
    assert response.status_code == 401
    assert client.get("/_dash-layout").status_code == 401


def test_wrong_password_is_refused_and_audited(app, settings):
    client = app.server.test_client()
    response = sign_in(client, "manager", "wrong password")
    assert response.status_code == 401
    assert 'id="login-error"' in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    lines = [json.loads(line) for line in settings.audit_log_path.read_text(encoding="utf-8").splitlines()]
    assert {"event": "sign_in_failed", "username": "manager"}.items() <= lines[-1].items()
    assert PASSWORD not in settings.audit_log_path.read_text(encoding="utf-8")


def test_manager_gets_only_own_estates_even_when_asking_for_others(app, october):
    client = app.server.test_client()
    assert sign_in(client, "manager").status_code == 302
    own = october(scope=Scope.of({"E001", "E002"}))
    assert 0 < own < october()
    assert tickets_tile(client, OCTOBER) == own
    # Asking the callback for another estate's data gets none of it: the estate is dropped.
    assert tickets_tile(client, OCTOBER + "&estate=E005") == own
    assert tickets_tile(client, OCTOBER + "&estate=E001,E005") == october(estates={"E001"})
    # The estate list offered to the manager holds only the manager's estates.
    layout = client.get("/_dash-layout").get_data(as_text=True)
    assert '"E001"' in layout and '"E002"' in layout and '"E005"' not in layout


def test_director_sees_every_estate(app, october):
    client = app.server.test_client()
    sign_in(client, "director")
    assert tickets_tile(client, OCTOBER) == october()


def test_sign_out_ends_the_session(app):
    client = app.server.test_client()
    sign_in(client, "director")
    assert client.get("/").status_code == 200
    client.get("/logout")
    assert client.get("/").status_code == 302


def test_next_parameter_cannot_send_users_elsewhere(app):
    client = app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": "director", "password": PASSWORD, "csrf": token, "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_login_form_without_its_token_is_refused(app):
    client = app.server.test_client()
    response = client.post("/login", data={"username": "director", "password": PASSWORD})
    assert response.status_code == 400


def test_security_headers_and_cookie_flags(app):
    client = app.server.test_client()
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_failing_callback_shows_no_stack_trace(app):
    client = app.server.test_client()
    sign_in(client, "director")
    response = client.post("/_dash-update-component", data=json.dumps({"output": "nope.children", "outputs": {"id": "nope", "property": "children"}, "inputs": [], "changedPropIds": []}), content_type="application/json")
    body = response.get_data(as_text=True)
    assert response.status_code >= 400
    assert "Traceback" not in body and 'File "' not in body


def test_sign_in_without_secret_key_refuses_to_start(demo_url, tmp_path):
    from data_access import DataSourceError

    settings = Settings(data_dir=tmp_path, users=[{"username": "a", "password_hash": hash_password(PASSWORD)}])
    with pytest.raises(DataSourceError, match="SECRET_KEY"):
        create_app(settings, demo_url)


def ticket_rows(client, search: str) -> dict:
    request = {"startRow": 0, "endRow": 100, "sortModel": [], "filterModel": {}}
    result = post_callback(
        client, "tickets-grid", "getRowsResponse",
        {"tickets-grid.getRowsRequest": request, "url.search": search, "tickets-include-cancelled.value": [], "lang.data": "en"},
    )
    return result["tickets-grid.getRowsResponse"]


def test_ticket_list_of_a_manager_holds_only_own_estates(app, october):
    client = app.server.test_client()
    sign_in(client, "manager")
    response = ticket_rows(client, OCTOBER + "&estate=E005")
    assert response["rowCount"] == october(scope=Scope.of({"E001", "E002"}))
    names = {row["estate_name"] for row in response["rowData"]}
    director = app.server.test_client()
    sign_in(director, "director")
    e005 = {row["estate_name"] for row in ticket_rows(director, OCTOBER + "&estate=E005")["rowData"]}
    assert names and e005 and not names & e005


def test_personal_data_only_with_the_permission(app):
    masked, full = app.server.test_client(), app.server.test_client()
    sign_in(masked, "director")
    sign_in(full, "supervisor")
    masked_rows = ticket_rows(masked, OCTOBER)["rowData"]
    full_rows = ticket_rows(full, OCTOBER)["rowData"]
    assert all(re.fullmatch(r"1\d{2}\*{4}\d{4}", row["owner_phone"]) for row in masked_rows if row["owner_phone"])
    assert all("*" not in row["owner_name"] for row in full_rows if row["owner_name"])
    assert any(re.fullmatch(r"1\d{10}", row["owner_phone"] or "") for row in full_rows)


def test_exports_are_scoped_masked_and_audited(app, settings, october):
    client = app.server.test_client()
    sign_in(client, "manager")
    result = post_callback(
        client, "tickets-download", "data",
        {"tickets-export-csv.n_clicks": 1, "url.search": OCTOBER + "&estate=E005", "tickets-include-cancelled.value": [],
         "tickets-grid.getRowsRequest": None, "lang.data": "en"},
        trigger="tickets-export-csv.n_clicks",
    )
    import base64

    content = base64.b64decode(result["tickets-download.data"]["content"]).decode("utf-8-sig")
    assert len(content.strip().splitlines()) - 1 == october(scope=Scope.of({"E001", "E002"}))
    assert not re.search(r"1\d{10}", content)  # no phone number in full
    last = json.loads(settings.audit_log_path.read_text(encoding="utf-8").splitlines()[-1])
    assert last["event"] == "export" and last["username"] == "manager" and last["kind"] == "csv"
