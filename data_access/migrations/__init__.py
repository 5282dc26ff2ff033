"""Schema versions of the embedded database, with Alembic (env.py and versions/ beside this file).

`upgrade_to_head(engine)` brings a database the application writes (the embedded SQLite
file, or any database given to `demo` or `import`) to the newest schema: a fresh one gets
every revision; one written before schema versions existed (the canonical tables are there,
no `alembic_version`) is first stamped at the base revision, then upgraded, keeping its rows.
Source databases that are only read (serve, metrics, check) are never migrated.

New revision (from the repository root, against a scratch database):
    .venv/bin/alembic -c data_access/migrations/alembic.ini -x url=sqlite:////tmp/x.sqlite revision --autogenerate -m "..."
"""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

BASE_REVISION = "0001_canonical_schema"
HERE = Path(__file__).resolve().parent


def target_metadata() -> sa.MetaData:
    """What the newest revision creates: the canonical tables plus the importer's bookkeeping."""
    from .. import import_log, schema

    combined = sa.MetaData()
    for source in (schema.metadata, import_log.metadata):
        for table in source.tables.values():
            table.to_metadata(combined)
    return combined


def alembic_config(connection: sa.Connection | None = None):
    from alembic.config import Config

    config = Config(str(HERE / "alembic.ini"))
    config.set_main_option("script_location", str(HERE))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: sa.Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _written_before_versions(connection: sa.Connection) -> bool:
    from ..schema import CANONICAL_TABLES

    present = set(sa.inspect(connection).get_table_names())
    return "alembic_version" not in present and all(t in present for t in CANONICAL_TABLES)


def upgrade_to_head(engine: sa.Engine) -> str:
    """Migrate `engine`'s database to the newest schema; returns the revision it is at."""
    from alembic import command

    with engine.begin() as connection:
        config = alembic_config(connection)
        if _written_before_versions(connection):
            command.stamp(config, BASE_REVISION)
        command.upgrade(config, "head")
        return current_revision(connection)
