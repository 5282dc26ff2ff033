"""WSGI entry point for gunicorn: `gunicorn dashboard.wsgi:server` (database from ESTATE_DB_URL)."""
from .app import create_app
from .heap import freeze_startup_heap

app = create_app()
server = app.server
freeze_startup_heap()
