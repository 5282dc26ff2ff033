"""The Dash app factory: one app per database, pages from dashboard/pages, a shell around them."""
from __future__ import annotations

from importlib import import_module
from pathlib import Path

import dash
import flask

from data_access import Database, Settings

from . import layout
from .services import Services

ROOT = Path(__file__).resolve().parent.parent
BOOTSTRAP_STATIC = Path(__import__("flask_bootstrap").__file__).parent / "static" / "bootstrap5"


def create_app(settings: Settings | None = None, db_url: str | None = None) -> dash.Dash:
    settings = settings or Settings()
    db = Database(db_url or settings.db_url or settings.embedded_db_url, statement_timeout=settings.statement_timeout_seconds)
    server = flask.Flask(__name__)
    server.config["SECRET_KEY"] = settings.secret_key or "estate-dashboard-demo"
    Services(settings, db).init_app(server)

    @server.route("/vendor/bootstrap/<path:filename>")
    def bootstrap_static(filename: str):  # Bootstrap served locally: meeting rooms may have no internet
        return flask.send_from_directory(BOOTSTRAP_STATIC, filename, max_age=86400)

    app = dash.Dash(
        __name__,
        server=server,
        use_pages=True,
        pages_folder="",  # pages register on import below, once per process however many apps
        assets_folder=str(ROOT / "assets"),
        external_stylesheets=["/vendor/bootstrap/css/bootstrap.min.css", "/vendor/bootstrap/css/font/bootstrap-icons.min.css"],
        suppress_callback_exceptions=True,
        title="Estate service dashboard",
        update_title=None,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.layout = layout.shell
    import_module("dashboard.pages")
    return app
