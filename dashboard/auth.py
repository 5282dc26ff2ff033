"""Sign-in, roles and the estate scope of the signed-in user.

Sign-in is off for the embedded demo (everyone sees every estate, personal data masked) and on
as soon as users are configured. The scope travels into every data_access call through
`Services.scope()`, so a request posted straight to a callback endpoint gets no more than the UI.
"""
from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import urlparse

import flask
from markupsafe import escape
from werkzeug.security import check_password_hash, generate_password_hash

from data_access import ALL, Scope, Settings
from data_access.settings import UserAccount

from . import audit, i18n

OPEN_PATHS = ("/login", "/logout", "/assets/", "/vendor/", "/_dash-component-suites/", "/_favicon.ico", "/health")
SESSION_KEY = "user"


@dataclass(frozen=True)
class User:
    username: str
    role: str
    estates: frozenset[str]
    personal_data: bool
    display_name: str

    @property
    def scope(self) -> Scope:
        return ALL if self.role in ("director", "analyst") else Scope.of(self.estates)


DEMO_USER = User(username="demo", role="analyst", estates=frozenset(), personal_data=False, display_name="")


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def _from_account(account: UserAccount) -> User:
    return User(
        username=account.username, role=account.role, estates=frozenset(account.estates),
        personal_data=account.personal_data, display_name=account.display_name or account.username,
    )


def authenticate(settings: Settings, username: str, password: str) -> User | None:
    account = next((u for u in settings.users if hmac.compare_digest(u.username, username)), None)
    if account is None:
        check_password_hash(generate_password_hash("x"), password)  # same work either way: no user enumeration by timing
        return None
    return _from_account(account) if check_password_hash(account.password_hash, password) else None


def current_user() -> User | None:
    """The signed-in user; the demo user when sign-in is off; None when signed out."""
    from .services import services

    settings = services().settings
    if not settings.sign_in_required:
        return DEMO_USER
    if not flask.has_request_context():
        return None
    username = flask.session.get(SESSION_KEY)
    account = next((u for u in settings.users if u.username == username), None) if username else None
    return _from_account(account) if account else None  # a removed account loses access at once


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect a signed-in user to another host."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _login_page(lang: str, error: str | None, next_path: str, token: str) -> str:
    title = i18n.t("auth.title", lang)
    alert = f'<div class="alert alert-danger py-2" id="login-error">{escape(error)}</div>' if error else ""
    return f"""<!doctype html>
<html lang="{'zh-CN' if lang == 'zh' else 'en'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(title)}</title>
<link rel="stylesheet" href="/vendor/bootstrap/css/bootstrap.min.css"><link rel="stylesheet" href="/assets/style.css"></head>
<body class="login-body"><main class="login-card card shadow-sm"><div class="card-body">
<h1 class="h5 mb-3">{escape(i18n.t("app.title", lang))}</h1>
<p class="text-muted small">{escape(i18n.t("auth.prompt", lang))}</p>{alert}
<form method="post" action="/login" autocomplete="on">
<input type="hidden" name="csrf" value="{escape(token)}"><input type="hidden" name="next" value="{escape(next_path)}">
<label class="form-label small" for="username">{escape(i18n.t("auth.username", lang))}</label>
<input class="form-control mb-2" id="username" name="username" autocomplete="username" required maxlength="100">
<label class="form-label small" for="password">{escape(i18n.t("auth.password", lang))}</label>
<input class="form-control mb-3" id="password" name="password" type="password" autocomplete="current-password" required maxlength="200">
<button class="btn btn-primary w-100" id="sign-in" type="submit">{escape(i18n.t("auth.sign_in", lang))}</button>
</form></div></main></body></html>"""


def _language() -> str:
    return i18n.normalise_language(flask.request.cookies.get("lang") or flask.request.accept_languages.best_match(["zh", "en"]))


def init_auth(server: flask.Flask, settings: Settings) -> None:
    server.permanent_session_lifetime = dt.timedelta(hours=settings.session_hours)

    @server.before_request
    def require_sign_in():
        if not settings.sign_in_required:
            return None
        path = flask.request.path
        if any(path == p or path.startswith(p) for p in OPEN_PATHS if p.endswith("/")) or path in OPEN_PATHS:
            return None
        if current_user() is not None:
            return None
        if path.startswith("/_dash-"):
            return flask.jsonify({"error": "sign-in required"}), 401
        return flask.redirect(f"/login?next={flask.request.full_path.rstrip('?')}")

    @server.route("/login", methods=["GET", "POST"])
    def login():
        lang = _language()
        if flask.request.method == "GET":
            token = flask.session.setdefault("csrf", secrets.token_urlsafe(24))
            return _login_page(lang, None, _safe_next(flask.request.args.get("next")), token)
        form = flask.request.form
        token = flask.session.get("csrf")
        if not token or not hmac.compare_digest(token, form.get("csrf", "")):
            return _login_page(lang, i18n.t("auth.expired", lang), "/", flask.session.setdefault("csrf", secrets.token_urlsafe(24))), 400
        username = form.get("username", "")[:100]
        user = authenticate(settings, username, form.get("password", "")[:200])
        if user is None:
            audit.record("sign_in_failed", username=username)
            return _login_page(lang, i18n.t("auth.failed", lang), _safe_next(form.get("next")), token), 401
        flask.session.clear()  # a fresh session at sign-in: no fixation
        flask.session.permanent = True
        flask.session[SESSION_KEY] = user.username
        audit.record("sign_in", username=user.username)
        return flask.redirect(_safe_next(form.get("next")))

    @server.route("/logout")
    def logout():
        username = flask.session.get(SESSION_KEY)
        flask.session.clear()
        if username:
            audit.record("sign_out", username=username)
        return flask.redirect("/login")
