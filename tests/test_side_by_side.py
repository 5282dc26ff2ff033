"""Database.side_by_side: a question's independent reads run at once, on every engine, and
their answers and problems come back as if they had run one after another."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from data_access import Database, DataSourceError


def test_reads_run_at_once_and_answer_in_order(database: Database):
    # Each read waits for the other at a barrier: run one after another, the first would wait alone.
    meet = threading.Barrier(3, timeout=10)

    def read(n: int):
        def call():
            value = database.rows(sa.select(sa.literal(n) + 1))[0][0]
            meet.wait()
            return value
        return call

    assert database.side_by_side(read(1), read(2), read(3)) == (2, 3, 4)


def test_a_failed_read_is_the_callers_problem(database: Database):
    missing = sa.table("no_such_table", sa.column("x"))
    with pytest.raises(DataSourceError, match="no_such_table"):
        database.side_by_side(lambda: database.rows(sa.select(sa.literal(1))), lambda: database.rows(sa.select(missing.c.x)))


def test_sqlite_in_memory_reads_one_after_another():
    # Each thread would get an empty database of its own: the reads stay in the caller's thread.
    db = Database("sqlite://")
    with db.engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (x INTEGER)"))
        conn.execute(sa.text("INSERT INTO t VALUES (7)"))
    caller = threading.get_ident()
    seen = []

    def read():
        seen.append(threading.get_ident())
        return db.rows(sa.text("SELECT x FROM t"))[0][0]

    assert db.side_by_side(read, read) == (7, 7)
    assert seen == [caller, caller]
