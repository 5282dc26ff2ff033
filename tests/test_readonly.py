"""A database user granted only SELECT on the canonical tables: `metrics` and `check` work through
it, the dashboard's reading never needs more, and `import` refuses with one clear line, having
changed nothing."""
from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa

from data_access import ALL, Database, Filters, ServiceRules
from data_access.metrics import compute_metrics
from engines import write_dataset
from test_cli import run_cli
from test_metrics_contract import random_dataset

from chinese_exports import TICKET_HEADERS, TICKETS, write_csv

pytestmark = pytest.mark.engines


def _autocommit(db: Database):
    return db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")


@pytest.fixture(params=["postgresql", "mariadb"])
def readonly(request, scratch_databases):
    """(owner's Database, read-only user's URL) on a fresh database holding a dataset (SQLite has no users)."""
    engine_name = request.param
    owner = scratch_databases.new(engine_name)
    write_dataset(owner, random_dataset(tickets=1200, periodic_surveys=80))  # also versions the schema, as a demo would
    role = f"ro_{uuid.uuid4().hex[:10]}"
    database = owner.url.database
    if engine_name == "postgresql":
        grants = [f'CREATE ROLE "{role}" LOGIN', f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"',
                  f'GRANT USAGE ON SCHEMA public TO "{role}"', f'GRANT SELECT ON estates, tickets, surveys TO "{role}"']
        revoke = [f'DROP OWNED BY "{role}"', f'DROP ROLE "{role}"']
    else:
        grants = [f"CREATE USER '{role}'@'%'", f"CREATE USER '{role}'@'localhost'"]
        grants += [f"GRANT SELECT ON `{database}`.`{t}` TO '{role}'@'{host}'" for t in ("estates", "tickets", "surveys")
                   for host in ("%", "localhost")]
        revoke = [f"DROP USER '{role}'@'%'", f"DROP USER '{role}'@'localhost'"]
    with _autocommit(owner) as conn:
        for statement in grants:
            conn.execute(sa.text(statement))
    url = owner.url.set(username=role, password=None).render_as_string(hide_password=False)
    yield owner, url
    with _autocommit(owner) as conn:
        for statement in revoke:
            conn.execute(sa.text(statement))


def test_metrics_and_check_work_through_a_select_only_user(readonly):
    owner, url = readonly
    done = run_cli("metrics", "--db", url, "--from", "2026-01-01", "--to", "2026-06-30", "--json")
    assert done.returncode == 0, done.stderr
    from datetime import date

    expected = compute_metrics(owner, ServiceRules(), Filters(date(2026, 1, 1), date(2026, 6, 30)), ALL)
    assert json.loads(done.stdout) == expected
    check = run_cli("check", "--db", url, "--json")
    assert check.returncode == 0, check.stderr
    report = json.loads(check.stdout)
    assert report["row_counts"]["tickets"] == expected["tickets"]["total"] + _not_in_period(owner, expected)
    assert report["recent_imports"] == []  # import_batches is not granted: left out, not an error


def _not_in_period(owner: Database, expected: dict) -> int:
    with owner.engine.connect() as conn:
        return conn.execute(sa.text("SELECT COUNT(*) FROM tickets")).scalar_one() - expected["tickets"]["total"]


def test_the_user_really_cannot_write(readonly):
    _, url = readonly
    reader = Database(url)
    with pytest.raises(sa.exc.DBAPIError):
        with reader.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM tickets"))
    reader.dispose()


def test_import_through_a_select_only_user_fails_with_one_line_and_changes_nothing(readonly, tmp_path):
    owner, url = readonly
    with owner.engine.connect() as conn:
        before = conn.execute(sa.text("SELECT COUNT(*) FROM tickets")).scalar_one()
        tables_before = set(sa.inspect(conn).get_table_names())
    path = write_csv(tmp_path / "工单.csv", TICKET_HEADERS, TICKETS)
    done = run_cli("import", "--db", url, str(path))
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "the import needs a database it may write to" in done.stderr or "rolled back" in done.stderr, done.stderr
    assert "denied" in done.stderr.lower()
    with owner.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM tickets")).scalar_one() == before
        assert set(sa.inspect(conn).get_table_names()) == tables_before
