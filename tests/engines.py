"""Test helpers: scratch databases on every engine, and loaders for the canonical tables.

A scratch database is a fresh, uniquely named database on a real server (or a temporary
SQLite file), dropped when the test session ends. Datasets are three pandas frames
(estates, tickets, surveys) written either through our own schema or the way other tools
write them (pandas.to_sql, a DBA's hand-written DDL).
"""
from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from data_access import Database
from data_access.schema import create_schema

ENGINES = ("sqlite", "postgresql", "mariadb")

SERVER_URL_VARIABLES = {"postgresql": "ESTATE_TEST_PG_URL", "mariadb": "ESTATE_TEST_MYSQL_URL"}
DEFAULT_SERVER_URLS = {
    "postgresql": "postgresql://postgres@127.0.0.1:5432/test",
    "mariadb": "mysql://root@127.0.0.1:3306/test",
}
SERVER_NAMES = {"postgresql": "PostgreSQL", "mariadb": "MariaDB"}

TIMESTAMP_COLUMNS = {
    "estates": (),
    "tickets": ("created_at", "first_response_at", "resolved_at", "closed_at", "escalated_at"),
    "surveys": ("surveyed_at",),
}
INTEGER_COLUMNS = {
    "estates": ("households",),
    "tickets": ("escalation_level", "reopened_count"),
    "surveys": ("score", "attitude", "speed", "result", "professionalism"),
}


def running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def server_url(engine: str) -> str:
    return os.environ.get(SERVER_URL_VARIABLES[engine]) or DEFAULT_SERVER_URLS[engine]


def engine_unavailable(reason: str):
    """Skip locally; under CI=true a missing engine is a failure, never a silent skip."""
    if running_in_ci():
        pytest.fail(f"{reason} (CI=true: engines may not be skipped)", pytrace=False)
    pytest.skip(reason)


# --- scratch databases ---------------------------------------------------------------
class ScratchDatabases:
    """Creates fresh databases on demand and drops all of them in `close()`."""

    def __init__(self, tmp_dir: Path) -> None:
        self.tmp_dir = tmp_dir
        self._admins: dict[str, Database] = {}
        self._unreachable: dict[str, str] = {}
        self._created: list[tuple[str, str, Database]] = []  # (engine, database name, handle)

    def new(self, engine: str) -> Database:
        """A fresh, empty database on `engine` (skips, or fails under CI, when the server is down)."""
        name = f"estate_test_{uuid.uuid4().hex[:12]}"
        if engine == "sqlite":
            db = Database(f"sqlite:///{self.tmp_dir / (name + '.sqlite')}")
        else:
            admin = self._admin(engine)
            url = admin.url.set(database=name)
            with _autocommit(admin) as conn:
                if engine == "postgresql":
                    conn.execute(sa.text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))
                else:
                    conn.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
            db = Database(url.render_as_string(hide_password=False))
        self._created.append((engine, name, db))
        return db

    def _admin(self, engine: str) -> Database:
        if engine in self._unreachable:
            engine_unavailable(self._unreachable[engine])
        if engine not in self._admins:
            url = server_url(engine)
            admin = Database(url)
            try:
                with _autocommit(admin) as conn:
                    conn.execute(sa.text("SELECT 1"))
            except Exception as exc:  # any failure to connect means "not reachable"
                admin.dispose()
                first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                self._unreachable[engine] = (
                    f"{SERVER_NAMES[engine]} not reachable at {admin.describe()}; "
                    f"set {SERVER_URL_VARIABLES[engine]} ({first_line})"
                )
            if engine in self._unreachable:
                engine_unavailable(self._unreachable[engine])  # outside `except`: no chained traceback
            self._admins[engine] = admin
        return self._admins[engine]

    def close(self) -> None:
        for engine, name, db in reversed(self._created):
            db.dispose()
            if engine == "postgresql":
                self._drop(engine, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            elif engine == "mariadb":
                self._drop(engine, f"DROP DATABASE IF EXISTS `{name}`")
        self._created.clear()
        for admin in self._admins.values():
            admin.dispose()
        self._admins.clear()

    def _drop(self, engine: str, statement: str) -> None:
        with _autocommit(self._admins[engine]) as conn:
            conn.execute(sa.text(statement))


def _autocommit(admin: Database) -> sa.Connection:
    # CREATE/DROP DATABASE cannot run inside a transaction on PostgreSQL.
    return admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT")


# --- datasets ------------------------------------------------------------------------
@dataclass(frozen=True)
class Dataset:
    """The three canonical tables as pandas frames (timestamps as datetime64, missing as NaT/NaN)."""

    estates: pd.DataFrame
    tickets: pd.DataFrame
    surveys: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"estates": self.estates, "tickets": self.tickets, "surveys": self.surveys}

    def restricted_to(self, estate_ids) -> Dataset:
        """Only the rows of these estates: what a user scoped to them may see."""
        keep = set(estate_ids)
        return Dataset(
            estates=self.estates[self.estates["estate_id"].isin(keep)].reset_index(drop=True),
            tickets=self.tickets[self.tickets["estate_id"].isin(keep)].reset_index(drop=True),
            surveys=self.surveys[self.surveys["estate_id"].isin(keep)].reset_index(drop=True),
        )


def dataset_from_records(estates: list[dict], tickets: list[dict], surveys: list[dict]) -> Dataset:
    """Frames with every canonical column, typed like tables read back from a database."""
    frames = {}
    for name, records in (("estates", estates), ("tickets", tickets), ("surveys", surveys)):
        columns = list(_canonical_columns(name))
        frames[name] = normalise_table(name, pd.DataFrame.from_records(records, columns=columns))
    return Dataset(**frames)


def _canonical_columns(table: str) -> list[str]:
    from data_access import schema

    return [c.name for c in getattr(schema, table).columns]


def normalise_table(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Same dtypes whatever wrote or read the table: datetime64 timestamps, float integers (NaN = null)."""
    frame = frame.copy()
    for column in TIMESTAMP_COLUMNS[table]:
        if column in frame:
            frame[column] = pd.to_datetime(frame[column].astype(object), format="ISO8601").astype("datetime64[us]")
    for column in INTEGER_COLUMNS[table]:
        if column in frame:
            frame[column] = pd.to_numeric(frame[column].astype(object)).astype(float)
    return frame


def _python_value(value):
    """A value every driver understands: None, str, int, float or datetime.datetime."""
    if value is None:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _records(table: str, frame: pd.DataFrame) -> list[dict]:
    integers = set(INTEGER_COLUMNS[table])
    records = []
    for row in frame.astype(object).to_dict("records"):
        record = {k: _python_value(v) for k, v in row.items()}
        for column in integers & record.keys():
            if record[column] is not None:
                record[column] = int(record[column])
        records.append(record)
    return records


def write_dataset(db: Database, data: Dataset) -> None:
    """Write `data` into the canonical tables created by our own schema (replacing their rows)."""
    create_schema(db.engine)
    insert_into_existing_tables(db, data)


def insert_into_existing_tables(db: Database, data: Dataset) -> None:
    """Replace the rows of already existing tables named estates/tickets/surveys, whatever their DDL."""
    reflected = sa.MetaData()
    reflected.reflect(db.engine, only=list(data.tables()))
    with db.engine.begin() as conn:
        for name, frame in data.tables().items():
            table = reflected.tables[name]
            conn.execute(table.delete())
            records = _records(name, frame)
            if records:
                conn.execute(table.insert(), records)


def write_dataset_with_pandas(db: Database, data: Dataset, *, timestamp_format: str) -> None:
    """Write the tables as pandas.DataFrame.to_sql does, timestamps as text in `timestamp_format`."""
    for name, frame in data.tables().items():
        frame = frame.copy()
        for column in TIMESTAMP_COLUMNS[name]:
            frame[column] = [None if pd.isna(v) else v.strftime(timestamp_format) for v in frame[column]]
        for column in INTEGER_COLUMNS[name]:
            frame[column] = frame[column].astype("Int64")
        frame.to_sql(name, db.engine, if_exists="replace", index=False)


def execute_ddl(db: Database, statements: list[str]) -> None:
    with db.engine.begin() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))


def read_dataset(db: Database) -> Dataset:
    """The full canonical tables as stored, read into pandas (timestamps parsed from any ISO text)."""
    frames = {}
    with db.engine.connect() as conn:
        for name in ("estates", "tickets", "surveys"):
            result = conn.execute(sa.text(f"SELECT * FROM {name}"))
            frame = pd.DataFrame.from_records([tuple(r) for r in result], columns=list(result.keys()))
            frames[name] = normalise_table(name, frame)
    return Dataset(**frames)
