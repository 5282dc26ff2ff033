"""`estate-dashboard serve`: the embedded demo database on first run, then the development
server (one worker) or gunicorn (several workers sharing the Redis cache)."""
from __future__ import annotations

import datetime as dt
import os
import sys

from data_access import Database, DataSourceError, Settings


def prepare_embedded_database(settings: Settings) -> str:
    """Create and fill the embedded SQLite demo database unless it already holds tickets."""
    from data_access import ServiceRules
    from data_access.demo import generate_demo
    from data_access.rollups import refresh

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.embedded_db_url
    db = Database(url)
    try:
        if not db.missing_tables():
            with db.engine.connect() as conn:
                if conn.exec_driver_sql("SELECT COUNT(*) FROM tickets").scalar():
                    return url
        print(f"First run: writing the demo database to {settings.embedded_db_path} …", file=sys.stderr, flush=True)
        generate_demo(db, end=(settings.today or dt.date.today()) - dt.timedelta(days=1), replace=True, progress=True)
        print("Building the rollups (pre-aggregates for long periods) …", file=sys.stderr, flush=True)
        refresh(db, ServiceRules.from_settings(settings), full=True, progress=True)
    finally:
        db.dispose()
    return url


def serve(settings: Settings, *, db_url: str | None, host: str, port: int, workers: int, debug: bool) -> int:
    url = db_url or settings.db_url
    if not url:
        url = prepare_embedded_database(settings)
    probe = Database(url, statement_timeout=settings.statement_timeout_seconds)
    if settings.mapping_file:
        from data_access.mapping import attach_source_mapping, load_mapping

        attach_source_mapping(probe, load_mapping(settings.mapping_file), settings.timezone)
    probe.require_tables()  # a clear error now rather than an empty dashboard
    probe.dispose()
    os.environ["ESTATE_DB_URL"] = url  # gunicorn workers build their app from the environment
    print(f"Serving {probe.describe()} on http://{host}:{port}/", file=sys.stderr, flush=True)
    if workers <= 1:
        from .app import create_app
        from .heap import freeze_startup_heap

        app = create_app(settings, url)
        freeze_startup_heap()
        app.run(host=host, port=port, debug=debug)
        return 0
    from gunicorn.app.base import BaseApplication

    class _Gunicorn(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("timeout", int(settings.statement_timeout_seconds) + 30)

        def load(self):
            from .app import create_app
            from .heap import freeze_startup_heap

            server = create_app(Settings(), url).server
            freeze_startup_heap()
            return server

    _Gunicorn().run()
    return 0


__all__ = ["serve", "prepare_embedded_database", "DataSourceError"]
