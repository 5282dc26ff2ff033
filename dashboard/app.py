"""The Dash app factory: one app per database, pages from dashboard/pages, a shell around them."""
from __future__ import annotations

import secrets
from importlib import import_module
from pathlib import Path

import dash
import flask

from data_access import Database, DataSourceError, Settings, histograms

from . import audit, layout
from .auth import init_auth
from .heap import freeze_when_warm
from .hardening import init_hardening
from .index_page import DashboardApp
from .services import Services

ROOT = Path(__file__).resolve().parent.parent
BOOTSTRAP_STATIC = Path(__import__("flask_bootstrap").__file__).parent / "static" / "bootstrap5"


def _secret_key(settings: Settings) -> str:
    if settings.secret_key:
        return settings.secret_key
    if settings.sign_in_required:
        raise DataSourceError("sign-in is configured but ESTATE_SECRET_KEY is not: set a long random secret")
    return secrets.token_hex(32)  # demo without sign-in: sessions only carry the CSRF token


def create_app(settings: Settings | None = None, db_url: str | None = None) -> dash.Dash:
    settings = settings or Settings()
    db = Database(db_url or settings.db_url or settings.embedded_db_url, statement_timeout=settings.statement_timeout_seconds)
    if settings.mapping_file:  # a group's own ticket tables, read in place through the mapping
        from data_access.mapping import attach_source_mapping, load_mapping

        attach_source_mapping(db, load_mapping(settings.mapping_file), settings.timezone)
    server = flask.Flask(__name__)
    server.config["SECRET_KEY"] = _secret_key(settings)
    Services(settings, db).init_app(server)
    audit.configure(settings.audit_log_path)
    init_hardening(server, settings)
    init_auth(server, settings)
    freeze_when_warm(server)
    histograms.compile_ranking()

    @server.route("/vendor/bootstrap/<path:filename>")
    def bootstrap_static(filename: str):  # Bootstrap served locally: meeting rooms may have no internet
        return flask.send_from_directory(BOOTSTRAP_STATIC, filename, max_age=86400)

    @server.route("/health")
    def health():  # for load balancers: is this worker able to reach its database?
        up = server.extensions["estate_dashboard"].database_is_up()
        return flask.jsonify({"database": "ok" if up else "unreachable"}), 200 if up else 503

    app = DashboardApp(
        __name__,
        server=server,
        use_pages=True,
        pages_folder="",  # pages register on import below, once per process however many apps
        assets_folder=str(ROOT / "assets"),
        assets_ignore=r"^plotly-dashboard-",  # run by the first chart, not by the page (index_page)
        external_stylesheets=["/vendor/bootstrap/css/bootstrap.min.css", "/vendor/bootstrap/css/font/bootstrap-icons.min.css"],
        suppress_callback_exceptions=True,
        title="Estate service dashboard",
        update_title=None,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.layout = layout.shell
    import_module("dashboard.pages")
    _share_callbacks()
    return app


_registered_callbacks: tuple[dict, list, list] | None = None


def _share_callbacks() -> None:
    """Give every app of this process the callbacks registered with `dash.callback`.

    Dash hands those module-level callbacks to the first app that starts and then forgets
    them; the tests (and anyone serving two databases) create several apps per process.
    """
    global _registered_callbacks
    from dash import _callback

    if _registered_callbacks is None:
        _registered_callbacks = (
            dict(_callback.GLOBAL_CALLBACK_MAP),
            list(_callback.GLOBAL_CALLBACK_LIST),
            list(_callback.GLOBAL_INLINE_SCRIPTS),
        )
        return
    callback_map, callback_list, inline_scripts = _registered_callbacks
    _callback.GLOBAL_CALLBACK_MAP.update(callback_map)
    _callback.GLOBAL_CALLBACK_LIST[:] = callback_list
    _callback.GLOBAL_INLINE_SCRIPTS[:] = inline_scripts
