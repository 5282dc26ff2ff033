"""Lists of individual tickets (drill-down, watch lists), always with owners' details masked
unless the caller holds the personal-data permission."""
from __future__ import annotations

import datetime as dt
import time

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.sql import visitors

from .aggregates import _in, _valid_duration, ticket_conditions, unresolved_complaint, where_tickets_in
from .database import Database, QueryTrace
from .filters import Filters, Scope
from .privacy import mask_name, mask_phone, mask_room
from .schema import PRIORITIES, REQUEST_TYPES, SERVICE_AREAS, SEVERITIES, STATUSES, TICKET_CHANNELS, estates, tickets
from .sqlfuncs import minutes_between, timestamp_bound

T = tickets.c
E = estates.c


def _to_datetime(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series.astype("string"), errors="coerce", format="mixed")


def mask_personal(frame: pd.DataFrame, personal_data: bool) -> pd.DataFrame:
    if personal_data:
        return frame
    frame = frame.copy()
    for column, mask in (("owner_name", mask_name), ("owner_phone", mask_phone), ("room", mask_room)):
        if column in frame:
            frame[column] = frame[column].map(mask)
    return frame


def _watchlist_conditions(db: Database, filters: Filters, scope: Scope, overdue_days: int) -> list:
    dialect = db.dialect
    end = timestamp_bound(dialect, filters.end_exclusive)
    cutoff = timestamp_bound(dialect, filters.end_exclusive - dt.timedelta(days=overdue_days))
    return [
        unresolved_complaint(db),
        T.created_at < end,
        sa.or_(T.status.is_(None), T.status != "cancelled"),
        sa.or_(T.severity == "major", T.created_at < cutoff),
        *where_tickets_in(filters, scope, by_date=db.source_views is None),  # read through the partial index
    ]


def complaint_watchlist_count(db: Database, filters: Filters, scope: Scope, *, overdue_days: int = 30) -> int:
    from . import rollups

    counted = rollups.complaints_to_watch(db, filters, scope, overdue_days)
    if counted is not None:
        return counted
    statement = sa.select(sa.func.count()).select_from(tickets).where(*_watchlist_conditions(db, filters, scope, overdue_days))
    return int(db.rows(statement)[0][0])


def complaint_watchlist(
    db: Database, filters: Filters, scope: Scope, *, overdue_days: int = 30, limit: int = 200, personal_data: bool = False
) -> pd.DataFrame:
    """Complaints still unresolved at the end of the period that are major or older than the
    overdue rule, received at any time before the period ended, oldest first."""
    statement = (
        sa.select(
            T.ticket_id, T.estate_id, E.name.label("estate_name"), T.service_area, T.severity, T.status,
            T.escalation_level, T.created_at, T.owner_name, T.owner_phone, T.room, T.summary,
        )
        .select_from(tickets.outerjoin(estates, E.estate_id == T.estate_id))
        .where(*_watchlist_conditions(db, filters, scope, overdue_days))
        .order_by(T.created_at, T.ticket_id)
        .limit(limit)
    )
    frame = db.frame(statement)
    frame["created_at"] = _to_datetime(frame["created_at"])
    period_end = pd.Timestamp(filters.end_exclusive)
    frame["days_open"] = ((period_end - frame["created_at"]).dt.total_seconds() / 86400).astype(float).round(1)
    return mask_personal(frame, personal_data)


# --- the ticket list behind a selection (drill-down grid and exports) ------------------

# Columns of the list, in display order. Keys are what the grid sorts on (its colId).
TICKET_LIST_COLUMNS = (
    "ticket_id", "estate_name", "city", "created_at", "service_area", "request_type", "channel",
    "priority", "severity", "status", "first_response_minutes", "resolution_hours",
    "escalation_level", "reopened_count", "owner_name", "owner_phone", "room", "summary",
)
MAX_PAGE_ROWS = 1_000  # one grid block is 100 rows; anything far larger is not a page


def _domain_order(column, codes: tuple):
    """Coded values sort in the domain's order (urgent before normal, open before closed), not alphabetically."""
    return sa.case(*[(column == code, index) for index, code in enumerate(codes)], else_=sa.null())


def _response_minutes():
    return _valid_duration(minutes_between(T.created_at, T.first_response_at))


def _resolution_hours():
    return _valid_duration(minutes_between(T.created_at, T.resolved_at)) / 60.0


# The only expressions a client may sort by: a sort model never reaches SQL as text.
SORTABLE = {
    "ticket_id": lambda: T.ticket_id,
    "estate_name": lambda: E.name,
    "city": lambda: E.city,
    "created_at": lambda: T.created_at,
    "service_area": lambda: _domain_order(T.service_area, SERVICE_AREAS),
    "request_type": lambda: _domain_order(T.request_type, REQUEST_TYPES),
    "channel": lambda: _domain_order(T.channel, TICKET_CHANNELS),
    "priority": lambda: _domain_order(T.priority, PRIORITIES),
    "severity": lambda: _domain_order(T.severity, SEVERITIES),
    "status": lambda: _domain_order(T.status, STATUSES),
    "first_response_minutes": _response_minutes,
    "resolution_hours": _resolution_hours,
    "escalation_level": lambda: T.escalation_level,
    "reopened_count": lambda: T.reopened_count,
}
NOT_NULL = {"ticket_id", "created_at"}
DEFAULT_SORT = ({"colId": "created_at", "sort": "desc"},)


def selection_conditions(dialect: str, filters: Filters, scope: Scope, include_cancelled: bool = False) -> list:
    """The WHERE clauses of T (the same as every figure), optionally with cancelled tickets kept."""
    conditions = ticket_conditions(dialect, filters, scope)
    if include_cancelled:
        # T's only clause on status is the one leaving cancelled tickets out: drop it, keep period, filters and scope.
        conditions = [c for c in conditions if not any(element is T.status for element in visitors.iterate(c))]
    return conditions


def _order_by(sort_model) -> list:
    """ORDER BY from an AG Grid sort model ([{colId, sort}]), whitelisted; nulls last on every engine."""
    clauses = []
    for item in list(sort_model or ()) or list(DEFAULT_SORT):
        if not isinstance(item, dict):
            continue
        column, direction = item.get("colId"), item.get("sort")
        if column not in SORTABLE or direction not in ("asc", "desc"):
            continue
        expression = SORTABLE[column]()
        if column not in NOT_NULL:  # MySQL has no NULLS LAST: sort on "is missing" first
            clauses.append(sa.case((expression.is_(None), 1), else_=0))
        clauses.append(expression.desc() if direction == "desc" else expression.asc())
    if not clauses:
        return _order_by(DEFAULT_SORT)
    return clauses + [T.ticket_id]  # a unique tie-breaker keeps pages from overlapping


def _list_columns() -> list:
    # Timestamps come back raw (text on SQLite, whatever tool wrote them) and are parsed in one place.
    return [
        T.ticket_id, E.name.label("estate_name"), E.city, sa.type_coerce(T.created_at, sa.String()).label("created_at"),
        T.service_area, T.request_type, T.channel, T.priority, T.severity, T.status,
        _response_minutes().label("first_response_minutes"), _resolution_hours().label("resolution_hours"),
        T.escalation_level, T.reopened_count, T.owner_name, T.owner_phone, T.room, T.summary,
    ]


def _list_statement(dialect: str, filters: Filters, scope: Scope, include_cancelled: bool, sort_model):
    return (
        sa.select(*_list_columns())
        .select_from(tickets.outerjoin(estates, E.estate_id == T.estate_id))
        .where(*selection_conditions(dialect, filters, scope, include_cancelled))
        .order_by(*_order_by(sort_model))
    )


def _page_statement(dialect: str, filters: Filters, scope: Scope, include_cancelled: bool, sort_model, start: int, rows: int):
    """A deep page stays cheap: the database sorts and skips narrow rows (the sort keys and the ticket
    id), then reads the full rows of this page only (a "deferred join")."""
    by_estate = any(isinstance(i, dict) and i.get("colId") in ("estate_name", "city") for i in sort_model or ())
    source = tickets.outerjoin(estates, E.estate_id == T.estate_id) if by_estate else tickets
    page = (
        sa.select(T.ticket_id)
        .select_from(source)
        .where(*selection_conditions(dialect, filters, scope, include_cancelled))
        .order_by(*_order_by(sort_model))
        .limit(rows)
        .offset(start)
        .subquery("page")
    )
    return (
        sa.select(*_list_columns())
        .select_from(page.join(tickets, T.ticket_id == page.c.ticket_id).outerjoin(estates, E.estate_id == T.estate_id))
        .order_by(*_order_by(sort_model))
    )


def _tidy(frame: pd.DataFrame, personal_data: bool) -> pd.DataFrame:
    frame = frame.reindex(columns=list(TICKET_LIST_COLUMNS))
    frame["created_at"] = _to_datetime(frame["created_at"])
    for column in ("first_response_minutes", "resolution_hours"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    for column in ("escalation_level", "reopened_count"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
    return mask_personal(frame, personal_data)


def ticket_count(db: Database, filters: Filters, scope: Scope, *, include_cancelled: bool = False) -> int:
    """How many tickets the selection holds: tickets.total of the metrics when cancelled ones are left out."""
    statement = sa.select(sa.func.count()).select_from(tickets).where(
        *selection_conditions(db.dialect, filters, scope, include_cancelled)
    )
    return int(db.rows(statement)[0][0] or 0)


def ticket_page(
    db: Database, filters: Filters, scope: Scope, start_row: int, end_row: int, sort_model=None, personal_data: bool = False,
    *, include_cancelled: bool = False,
) -> pd.DataFrame:
    """Rows [start_row, end_row) of the selection in the requested order, owners' details masked."""
    start_row = max(0, int(start_row or 0))
    end_row = max(start_row, min(int(end_row or 0), start_row + MAX_PAGE_ROWS))
    if end_row == start_row:
        return _tidy(pd.DataFrame(), personal_data)
    statement = _page_statement(db.dialect, filters, scope, include_cancelled, sort_model, start_row, end_row - start_row)
    return _tidy(db.frame(statement), personal_data)


def iter_ticket_rows(
    db: Database, filters: Filters, scope: Scope, sort_model=None, personal_data: bool = False, *,
    include_cancelled: bool = False, chunk_rows: int = 20_000, max_rows: int | None = None,
):
    """The whole selection as DataFrames of `chunk_rows`, read through a server-side cursor
    (PostgreSQL named cursor, MySQL unbuffered cursor), so an export never holds it all at once."""
    statement = _list_statement(db.dialect, filters, scope, include_cancelled, sort_model)
    if max_rows is not None:
        statement = statement.limit(max_rows)
    views = getattr(db, "source_views", None)
    if views is not None:  # a mapped source: the canonical tables are views, as in Database.rows
        statement = views(statement)
    started = time.perf_counter()
    delivered, sql = 0, ""
    try:
        with db.engine.connect() as conn:
            _lengthen_mysql_limit(db, conn, EXPORT_SECONDS)
            try:
                result = conn.execution_options(stream_results=True, yield_per=chunk_rows).execute(statement)
                columns = list(result.keys())
                sql = getattr(result.context, "statement", "") or ""
                for rows in result.partitions():
                    _renew_sqlite_deadline(db, conn)
                    delivered += len(rows)
                    yield _tidy(pd.DataFrame.from_records([tuple(r) for r in rows], columns=columns), personal_data)
            finally:
                _lengthen_mysql_limit(db, conn, db.statement_timeout)  # the pooled connection goes back as it came
    except sa.exc.SQLAlchemyError as exc:
        raise db._translate(exc) from exc
    db.trace.append(QueryTrace(sql=sql, seconds=time.perf_counter() - started, rows=delivered))


# The statement limit guards each query; an export's one streamed statement lives as long as writing a
# million rows into a file takes. PostgreSQL applies the limit to each FETCH of the named cursor already.
EXPORT_SECONDS = 900.0


def _renew_sqlite_deadline(db: Database, conn: sa.Connection) -> None:
    """SQLite's limit is a deadline set per statement (Database._install_timeouts): renew it per chunk."""
    if db.dialect == "sqlite":
        info = conn.connection._connection_record.info
        if info.get("deadline") is not None:
            info["deadline"] = time.monotonic() + db.statement_timeout


def _lengthen_mysql_limit(db: Database, conn: sa.Connection, seconds: float) -> None:
    """MariaDB/MySQL stop an unbuffered statement whose reader is slow: give the export its own limit."""
    if db.dialect != "mysql":
        return
    with conn.connection.dbapi_connection.cursor() as cursor:
        try:  # MariaDB: seconds
            cursor.execute(f"SET SESSION max_statement_time = {float(seconds)}")
        except conn.dialect.loaded_dbapi.Error:  # MySQL: milliseconds
            cursor.execute(f"SET SESSION max_execution_time = {int(seconds * 1000)}")


def ticket_codes(db: Database, scope: Scope, ticket_id: str) -> dict | None:
    """The coded attributes a click on a ticket narrows the filters by; None outside the scope."""
    statement = sa.select(T.estate_id, T.service_area, T.request_type, T.channel).where(T.ticket_id == ticket_id)
    allowed = scope.allowed_estates(frozenset())
    if allowed is not None:
        statement = statement.where(_in(T.estate_id, allowed) if allowed else sa.false())
    rows = db.rows(statement)
    return dict(rows[0]._mapping) if rows else None
