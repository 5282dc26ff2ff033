"""Alembic environment: the connection handed over by upgrade_to_head, or a URL (-x url=... / ESTATE_DB_URL)."""
from __future__ import annotations

import os

import sqlalchemy as sa
from alembic import context

from data_access.database import _normalise_url
from data_access.migrations import target_metadata

config = context.config


def _configure(**kwargs) -> None:
    context.configure(target_metadata=target_metadata(), compare_type=True, **kwargs)


def run(connection: sa.Connection) -> None:
    # SQLite alters tables by copying them ("batch" mode).
    _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get("ESTATE_DB_URL")
    if not url:
        raise SystemExit("give the database: alembic -x url=sqlite:////path/to.sqlite ... (or set ESTATE_DB_URL)")
    return _normalise_url(url)


shared = config.attributes.get("connection")
if shared is not None:
    run(shared)
elif context.is_offline_mode():
    _configure(url=_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = sa.create_engine(_url())
    with engine.connect() as connection:
        run(connection)
        connection.commit()
    engine.dispose()
