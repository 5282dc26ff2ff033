"""Schema versions (Alembic, data_access/migrations): a fresh database migrates to head, one written
before versions existed is stamped and upgraded without losing rows, and the head schema is
exactly what data_access.schema (plus the importer's bookkeeping) defines."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from data_access import Database
from data_access.demo import generate_demo
from data_access.migrations import BASE_REVISION, alembic_config, current_revision, head_revision, target_metadata, upgrade_to_head
from data_access.schema import metadata
from engines import insert_into_existing_tables, read_dataset
from test_metrics_contract import random_dataset

pytestmark = pytest.mark.engines


def schema_differences(db: Database) -> list:
    """What `alembic check` reports: the database against the models (types included)."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
        return compare_metadata(context, target_metadata())


def revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return current_revision(conn)


def tables(db: Database) -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def test_the_revisions_are_in_a_line():
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    assert [r.revision for r in script.walk_revisions()] == [head_revision(), "0003_unresolved_complaints", "0002_import_batches", BASE_REVISION]
    assert head_revision() == "0004_unresolved_covering"


def test_fresh_database_migrates_to_head_matching_the_models(engine_name, scratch_databases):
    db = scratch_databases.new(engine_name)
    assert upgrade_to_head(db.engine) == head_revision()
    assert tables(db) == {"alembic_version", "estates", "tickets", "surveys", "import_batches"}
    assert schema_differences(db) == []
    assert upgrade_to_head(db.engine) == head_revision()  # a second run changes nothing
    assert schema_differences(db) == []


def test_database_written_before_versions_is_stamped_and_upgraded_keeping_its_rows(engine_name, scratch_databases):
    db = scratch_databases.new(engine_name)
    metadata.create_all(db.engine)  # what create_schema did before schema versions
    data = random_dataset(tickets=800, periodic_surveys=50)
    insert_into_existing_tables(db, data)
    before = read_dataset(db)
    assert "alembic_version" not in tables(db)

    assert upgrade_to_head(db.engine) == head_revision()

    after = read_dataset(db)
    for name, frame in before.tables().items():
        assert len(after.tables()[name]) == len(frame) > 0
        assert after.tables()[name].equals(frame), name
    assert "import_batches" in tables(db)
    assert schema_differences(db) == []


def test_downgrade_to_base_and_up_again(engine_name, scratch_databases):
    db = scratch_databases.new(engine_name)
    upgrade_to_head(db.engine)
    data = random_dataset(tickets=50, periodic_surveys=5)
    insert_into_existing_tables(db, data)
    with db.engine.begin() as conn:
        command.downgrade(alembic_config(conn), BASE_REVISION)
    assert revision(db) == BASE_REVISION and "import_batches" not in tables(db)
    assert upgrade_to_head(db.engine) == head_revision()
    assert len(read_dataset(db).tickets) == len(data.tickets)


def test_demo_on_an_old_embedded_file_upgrades_it(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'old-demo.sqlite'}")
    metadata.create_all(db.engine)
    generate_demo(db, estates=3, tickets=300, months=1, end=dt.date(2026, 10, 31), progress=False, replace=True)
    assert revision(db) == head_revision()
    assert schema_differences(db) == []


def test_reading_commands_never_migrate(tmp_path):
    from test_cli import run_cli

    path = tmp_path / "old.sqlite"
    db = Database(f"sqlite:///{path}")
    metadata.create_all(db.engine)
    insert_into_existing_tables(db, random_dataset(tickets=100, periodic_surveys=5))
    for args in (["metrics", "--from", "2026-01-01", "--to", "2026-03-31", "--json"], ["check", "--json"]):
        done = run_cli(*args, "--db", f"sqlite:///{path}")
        assert done.returncode == 0, done.stderr
    assert tables(db) == {"estates", "tickets", "surveys"}
