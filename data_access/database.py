"""The one place that runs SQL: engine creation, statement time limits, timing, clear errors.

Everything in data_access goes through `Database.frame` / `Database.rows`, so a
statement timeout, the trace of what ran and the translation of driver errors into
`DataSourceError` apply to every query (the habit borrowed from datasette).
"""
from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy import event

from .schema import CANONICAL_TABLES

log = logging.getLogger(__name__)
STREAM_ROWS = 5_000


class DataSourceError(RuntimeError):
    """The database cannot answer: unreachable, missing tables, timed out. Message is user-safe."""


@dataclass(frozen=True)
class QueryTrace:
    sql: str
    seconds: float
    rows: int


def _safe_url(url: sa.URL) -> str:
    return url.render_as_string(hide_password=True)


def _normalise_url(url: str) -> str:
    # Pick the drivers we ship rather than the dialect defaults (psycopg2, mysqlclient).
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("mysql://") or url.startswith("mariadb://"):
        return "mysql+pymysql://" + url.split("://", 1)[1]
    return url


class Database:
    def __init__(self, url: str, *, statement_timeout: float = 30.0, echo: bool = False) -> None:
        try:
            self.url = sa.make_url(_normalise_url(url))
        except sa.exc.ArgumentError as exc:
            raise DataSourceError(f"not a database URL: {url!r}") from exc
        self.statement_timeout = statement_timeout
        kwargs: dict = {"pool_pre_ping": True, "echo": echo}
        if self.dialect == "sqlite":
            kwargs.pop("pool_pre_ping")
        elif self.dialect == "postgresql":
            kwargs["connect_args"] = {"connect_timeout": 5}
        elif self.dialect == "mysql":
            kwargs["connect_args"] = {"connect_timeout": 5, "charset": "utf8mb4"}
        try:
            self.engine = sa.create_engine(self.url, **kwargs)
        except (sa.exc.ArgumentError, ImportError, sa.exc.NoSuchModuleError) as exc:
            raise DataSourceError(f"unsupported database URL {_safe_url(self.url)}: {exc}") from exc
        self.trace: deque[QueryTrace] = deque(maxlen=200)
        # Set by data_access.mapping.attach_source_mapping: canonical tables read through a mapping (CTEs).
        self.source_views = None
        self._install_timeouts()

    @property
    def dialect(self) -> str:
        return self.url.get_backend_name()

    def describe(self) -> str:
        return _safe_url(self.url)

    # --- time limits -------------------------------------------------------------
    def _install_timeouts(self) -> None:
        limit = self.statement_timeout
        if self.dialect == "postgresql":

            @event.listens_for(self.engine, "do_execute")
            def _pg_binary(cursor, statement, parameters, context):
                # Large results in the binary protocol: bytea as its bytes, not hex text of twice the size
                # (a three-year question per estate: 33 MB -> 16 MB, and no hex to decode).
                if context.execution_options.get("binary_results"):
                    cursor.execute(statement, parameters, binary=True)
                    return True
                return None

            @event.listens_for(self.engine, "connect")
            def _pg_timeout(dbapi_conn, _record):
                with dbapi_conn.cursor() as cur:
                    cur.execute(f"SET statement_timeout = {int(limit * 1000)}")
                    # JIT compiles for a second or more on big tables: longer than our grouped scans run.
                    cur.execute("SET jit = off")
                dbapi_conn.commit()

        elif self.dialect == "mysql":

            @event.listens_for(self.engine, "connect")
            def _mysql_timeout(dbapi_conn, _record):
                with dbapi_conn.cursor() as cur:
                    try:  # MariaDB: seconds
                        cur.execute(f"SET SESSION max_statement_time = {float(limit)}")
                    except Exception:  # MySQL: milliseconds, SELECT only
                        cur.execute(f"SET SESSION max_execution_time = {int(limit * 1000)}")

        elif self.dialect == "sqlite":

            @event.listens_for(self.engine, "connect")
            def _sqlite_setup(dbapi_conn, record):
                record.info["deadline"] = None
                dbapi_conn.set_progress_handler(
                    lambda: int(record.info["deadline"] is not None and time.monotonic() > record.info["deadline"]),
                    10_000,
                )

            @event.listens_for(self.engine, "before_cursor_execute")
            def _sqlite_deadline(conn, _cursor, _stmt, _params, _context, _many):
                conn.connection._connection_record.info["deadline"] = time.monotonic() + limit

    # --- running statements ------------------------------------------------------
    def _run(self, statement, params: dict | None = None, stream: bool = False, binary: bool = False):
        started = time.perf_counter()
        if self.source_views is not None and isinstance(statement, (sa.Select, sa.CompoundSelect)):
            statement = self.source_views(statement)
        try:
            with self.engine.connect() as conn:
                if stream:  # a server-side cursor: the driver holds a few thousand rows at a time, not all
                    conn = conn.execution_options(stream_results=True, max_row_buffer=STREAM_ROWS)
                if stream or binary:
                    conn = conn.execution_options(binary_results=True)
                result = conn.execute(statement, params or {})
                columns = list(result.keys())
                rows = [row for part in result.partitions(STREAM_ROWS) for row in part] if stream else result.fetchall()
                sql = getattr(result.context, "statement", "") or ""
        except sa.exc.SQLAlchemyError as exc:
            raise self._translate(exc) from exc
        elapsed = time.perf_counter() - started
        self.trace.append(QueryTrace(sql=sql, seconds=elapsed, rows=len(rows)))
        log.debug("query %.1f ms, %d rows: %s", elapsed * 1000, len(rows), sql.splitlines()[0][:120])
        return columns, rows

    def rows(self, statement, params: dict | None = None) -> list[sa.Row]:
        return self._run(statement, params)[1]

    def result(self, statement, params: dict | None = None) -> tuple[list[str], list[sa.Row]]:
        """The statement's column names and rows."""
        return self._run(statement, params)

    def frame(self, statement, params: dict | None = None, *, stream: bool = False, binary: bool = False,
              objects: bool = False) -> pd.DataFrame:
        """The statement's rows. `stream` for many of them (tens of MB): the driver's copy of the
        whole result, beside the Python objects made of it, would double the memory they take.
        `binary` (implied by `stream`) for large bytes: PostgreSQL's binary protocol sends them as
        they are, not as hex text of twice the size. `objects`: every column holds the driver's
        Python values as they are, no type guessed (half the time for tens of thousands of rows)."""
        columns, rows = self._run(statement, params, stream, binary)
        if objects:
            values = list(zip(*rows)) or [()] * len(columns)
            return pd.DataFrame({c: np.array(v, dtype=object) for c, v in zip(columns, values)}, columns=columns)
        return pd.DataFrame.from_records([tuple(r) for r in rows], columns=columns)

    def _translate(self, exc: sa.exc.SQLAlchemyError) -> DataSourceError:
        text = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else type(exc).__name__
        lowered = text.lower()
        where = self.describe()
        if "interrupted" in lowered or "statement timeout" in lowered or "max_statement_time" in lowered or "maximum statement execution time" in lowered or "canceling statement" in lowered:
            return DataSourceError(f"the query took longer than {self.statement_timeout:g} s and was stopped")
        if "no such table" in lowered or "doesn't exist" in lowered or "does not exist" in lowered and "relation" in lowered:
            return DataSourceError(f"{where} lacks the canonical tables ({text})")
        if isinstance(exc, (sa.exc.OperationalError, sa.exc.InterfaceError)) or "connect" in lowered:
            return DataSourceError(f"cannot reach the database {where}: {text}")
        return DataSourceError(f"database error on {where}: {text}")

    def analyze(self, tables) -> None:
        """Fresh planner statistics after a bulk write. Without them PostgreSQL guesses a third
        of the table for any date range and scans it whole (its autovacuum may be off, or behind),
        and SQLite has none unless asked. PostgreSQL vacuums too: rows written in bulk are not
        yet marked visible to all, so each index-only probe (a ticket's follow-up survey, say)
        reads the table as well (three times slower at 10M), until a vacuum marks their pages.
        Best effort: the data is written already, so a failure here is logged, never reported
        as a failed write."""
        statement = {"mysql": "ANALYZE TABLE {}", "postgresql": "VACUUM (ANALYZE) {}"}.get(self.dialect, "ANALYZE {}")
        quote = self.engine.dialect.identifier_preparer.quote
        try:
            # VACUUM runs outside a transaction only
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                if self.dialect == "sqlite":  # sample, as the other engines do, instead of reading every index whole
                    conn.exec_driver_sql("PRAGMA analysis_limit = 2000")
                for name in tables:
                    conn.exec_driver_sql(statement.format(quote(name)))
        except sa.exc.SQLAlchemyError as exc:
            log.warning("could not refresh planner statistics of %s: %s", ", ".join(tables), self._translate(exc))

    # --- health ------------------------------------------------------------------
    def missing_tables(self) -> list[str]:
        try:
            present = set(sa.inspect(self.engine).get_table_names())
        except sa.exc.SQLAlchemyError as exc:
            raise self._translate(exc) from exc
        mapped = set(self.source_views.tables) if self.source_views is not None else set()
        return [t for t in CANONICAL_TABLES if t not in present and t not in mapped]

    def require_tables(self) -> None:
        missing = self.missing_tables()
        if missing:
            raise DataSourceError(f"{self.describe()} lacks the canonical table(s): {', '.join(missing)}")

    def dispose(self) -> None:
        self.engine.dispose()
