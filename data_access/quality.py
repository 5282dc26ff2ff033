"""The data-quality report of a source (`estate-dashboard check`, the "Data quality" page).

Counts what makes figures wrong or incomplete: values outside the canonical codes, missing
or unparseable timestamps, replies and resolutions before creation, surveys of unknown
tickets, tickets and surveys of unknown estates, estates without households, duplicate
ids, and the indexes the period filters need. Every count is one SQL statement run through
`Database` (so a mapping's views and the statement time limit apply); nothing is written.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from . import schema
from .database import Database, DataSourceError
from .sqlfuncs import minutes_between

EXAMPLES = 20  # values / estates listed per finding

CODED_COLUMNS = {
    "tickets": {
        "channel": schema.TICKET_CHANNELS,
        "request_type": schema.REQUEST_TYPES,
        "service_area": schema.SERVICE_AREAS,
        "priority": schema.PRIORITIES,
        "severity": schema.SEVERITIES,
        "status": schema.STATUSES,
        "escalation_level": (0, 1, 2, 3),
    },
    "surveys": {
        "service_area": schema.SERVICE_AREAS,
        "channel": schema.SURVEY_CHANNELS,
        **{name: (1, 2, 3, 4, 5) for name in ("score", *schema.SATISFACTION_DIMENSIONS)},
    },
}
TIMESTAMP_COLUMNS = {
    "tickets": ("created_at", "first_response_at", "resolved_at", "closed_at", "escalated_at"),
    "surveys": ("surveyed_at",),
}
BEFORE_CREATION = ("first_response_at", "resolved_at", "closed_at", "escalated_at")
RECOMMENDED_INDEXES = (("tickets", ("created_at",)), ("tickets", ("estate_id", "created_at")), ("surveys", ("ticket_id",)))

# The order of the report; each key has a label in the dashboard's catalogue (quality.check.<key>).
CHECKS = (
    "values_outside_codes",
    "tickets_missing_created_at",
    "surveys_missing_surveyed_at",
    "unparseable_timestamps",
    "first_response_at_before_creation",
    "resolved_at_before_creation",
    "closed_at_before_creation",
    "escalated_at_before_creation",
    "resolved_without_time",
    "surveys_unknown_ticket",
    "tickets_unknown_estate",
    "surveys_unknown_estate",
    "estates_without_households",
    "duplicate_ids",
    "missing_indexes",
)
LABELS = {
    "values_outside_codes": "values outside the canonical codes",
    "tickets_missing_created_at": "tickets without a creation time",
    "surveys_missing_surveyed_at": "surveys without a survey time",
    "unparseable_timestamps": "timestamps that are not dates",
    "first_response_at_before_creation": "first replies before creation",
    "resolved_at_before_creation": "resolutions before creation",
    "closed_at_before_creation": "closings before creation",
    "escalated_at_before_creation": "escalations before creation",
    "resolved_without_time": "resolved or closed tickets without a resolution time",
    "surveys_unknown_ticket": "surveys pointing at unknown tickets",
    "tickets_unknown_estate": "tickets of unknown estates",
    "surveys_unknown_estate": "surveys of unknown estates",
    "estates_without_households": "estates with no households",
    "duplicate_ids": "ids used more than once",
    "missing_indexes": "recommended indexes missing",
}


def _count(db: Database, statement) -> int:
    return int(db.rows(statement)[0][0] or 0)


def _count_where(db: Database, table: sa.Table, *conditions) -> int:
    return _count(db, sa.select(sa.func.count()).select_from(table).where(*conditions))


def _plain(value):
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if value is not None and not isinstance(value, (int, float, str)):
        return str(pd.Timestamp(str(value)))
    return value


def quality_report(db: Database) -> dict:
    """The health of the canonical tables of `db` (as read, through a mapping if attached)."""
    missing = set(db.missing_tables())
    present = [t for t in schema.CANONICAL_TABLES if t not in missing]
    tables = {name: getattr(schema, name) for name in present}
    report: dict = {
        "database": db.describe(),
        "mapped_tables": sorted(db.source_views.tables) if db.source_views is not None else [],
        "missing_tables": sorted(missing),
        "row_counts": {name: (_count(db, sa.select(sa.func.count()).select_from(tables[name])) if name in tables else None)
                       for name in schema.CANONICAL_TABLES},
        "first_ticket_at": None,
        "last_ticket_at": None,
        "checks": {},
        "recent_imports": _recent_imports(db),
    }
    checks: dict[str, dict] = {}

    def put(key: str, count: int, details=None) -> None:
        checks[key] = {"count": int(count), "details": details if details is not None else {}}

    tickets, surveys, estates = tables.get("tickets"), tables.get("surveys"), tables.get("estates")
    t, s = schema.tickets.c, schema.surveys.c
    if tickets is not None:
        created, readable = t.created_at, []
        if db.dialect == "sqlite":  # text there: read it as text, and only what is a date
            created, readable = sa.type_coerce(t.created_at, sa.String), [sa.func.julianday(t.created_at).is_not(None)]
        first, last = db.rows(sa.select(sa.func.min(created), sa.func.max(created)).where(*readable))[0]
        report["first_ticket_at"], report["last_ticket_at"] = _plain(first), _plain(last)

    outside: dict[str, dict[str, int]] = {}
    total_outside = 0
    for name, columns in CODED_COLUMNS.items():
        if name not in tables:
            continue
        table = tables[name]
        for column_name, codes in columns.items():
            column = table.c[column_name]
            if db.dialect == "mysql" and isinstance(column.type, sa.String):
                column = column.collate("utf8mb4_bin")  # 'Open' is not 'open', as on the other engines
            condition = sa.and_(column.is_not(None), column.not_in(codes))
            n = _count_where(db, table, condition)
            if n:
                total_outside += n
                top = db.rows(
                    sa.select(column, sa.func.count().label("n")).where(condition)
                    .group_by(column).order_by(sa.func.count().desc(), column).limit(EXAMPLES)
                )
                outside[f"{name}.{column_name}"] = {"rows": n, "values": {str(v): int(c) for v, c in top}}
    put("values_outside_codes", total_outside, outside)

    put("tickets_missing_created_at", _count_where(db, tickets, t.created_at.is_(None)) if tickets is not None else 0)
    put("surveys_missing_surveyed_at", _count_where(db, surveys, s.surveyed_at.is_(None)) if surveys is not None else 0)

    unparseable: dict[str, int] = {}
    if db.dialect == "sqlite":  # timestamps are text there; the server engines have typed columns
        for name, columns in TIMESTAMP_COLUMNS.items():
            if name in tables:
                for column_name in columns:
                    column = tables[name].c[column_name]
                    n = _count_where(db, tables[name], column.is_not(None), sa.func.julianday(column).is_(None))
                    if n:
                        unparseable[f"{name}.{column_name}"] = n
    put("unparseable_timestamps", sum(unparseable.values()), unparseable)

    for column_name in BEFORE_CREATION:
        n = _count_where(db, tickets, minutes_between(t.created_at, t[column_name]) < 0) if tickets is not None else 0
        put(f"{column_name}_before_creation", n)
    put("resolved_without_time",
        _count_where(db, tickets, t.status.in_(("resolved", "closed")), t.resolved_at.is_(None)) if tickets is not None else 0)

    if surveys is not None and tickets is not None:
        linked = sa.exists(sa.select(sa.literal(1)).select_from(tickets).where(t.ticket_id == s.ticket_id))
        put("surveys_unknown_ticket", _count_where(db, surveys, s.ticket_id.is_not(None), ~linked))
    else:
        put("surveys_unknown_ticket", 0)

    for name, key in (("tickets", "tickets_unknown_estate"), ("surveys", "surveys_unknown_estate")):
        table = tables.get(name)
        if table is None:
            put(key, 0)
            continue
        if estates is None:
            put(key, report["row_counts"][name] or 0, {"reason": "no estates table"})
            continue
        known = sa.exists(sa.select(sa.literal(1)).select_from(estates).where(schema.estates.c.estate_id == table.c.estate_id))
        n = _count_where(db, table, ~known)
        top = db.rows(
            sa.select(table.c.estate_id, sa.func.count().label("n")).where(~known)
            .group_by(table.c.estate_id).order_by(sa.func.count().desc(), table.c.estate_id).limit(EXAMPLES)
        ) if n else []
        put(key, n, {str(e): int(c) for e, c in top})

    if estates is not None:
        e = schema.estates.c
        condition = sa.or_(e.households.is_(None), e.households <= 0)
        n = _count_where(db, estates, condition)
        examples = [r[0] for r in db.rows(sa.select(e.estate_id).where(condition).order_by(e.estate_id).limit(EXAMPLES))] if n else []
        put("estates_without_households", n, {"estates": examples})
    else:
        put("estates_without_households", 0)

    duplicates: dict[str, int] = {}
    for name, key in (("estates", "estate_id"), ("tickets", "ticket_id"), ("surveys", "survey_id")):
        if name in tables:
            column = tables[name].c[key]
            grouped = sa.select(column).group_by(column).having(sa.func.count() > 1).subquery("dup")
            n = _count(db, sa.select(sa.func.count()).select_from(grouped))
            if n:
                duplicates[name] = n
    put("duplicate_ids", sum(duplicates.values()), duplicates)

    missing_indexes = _missing_indexes(db, present)
    put("missing_indexes", len(missing_indexes or []), {"indexes": missing_indexes} if missing_indexes is not None else {"indexes": None})

    report["checks"] = {key: checks[key] for key in CHECKS}
    report["problems"] = sum(1 for c in report["checks"].values() if c["count"])
    return report


def _missing_indexes(db: Database, present: list[str]) -> list[str] | None:
    """Recommended indexes the source lacks (None when read through a mapping: nothing to inspect)."""
    mapped = set(db.source_views.tables) if db.source_views is not None else set()
    try:
        inspector = sa.inspect(db.engine)
        missing = []
        for table, columns in RECOMMENDED_INDEXES:
            if table not in present:
                continue
            if table in mapped:
                return None
            leading = [tuple(ix["column_names"][: len(columns)]) for ix in inspector.get_indexes(table)]
            primary = tuple(inspector.get_pk_constraint(table).get("constrained_columns") or ())
            leading.append(primary[: len(columns)])
            if tuple(columns) not in leading:
                missing.append(f"{table}({', '.join(columns)})")
        return missing
    except sa.exc.SQLAlchemyError as exc:
        raise db._translate(exc) from exc


def _recent_imports(db: Database, limit: int = 10) -> list[dict]:
    from .import_log import import_batches

    try:
        if "import_batches" not in sa.inspect(db.engine).get_table_names():
            return []
    except sa.exc.SQLAlchemyError as exc:
        raise db._translate(exc) from exc
    b = import_batches.c
    try:
        rows = db.rows(sa.select(b.imported_at, b.file, b.kind, b.rows_read, b.rows_loaded, b.rows_rejected)
                       .order_by(b.id.desc()).limit(limit))
    except DataSourceError:  # bookkeeping only: a role granted SELECT on the canonical tables alone
        return []
    return [
        {"imported_at": _plain(r[0]), "file": r[1], "kind": r[2], "read": r[3], "loaded": r[4], "rejected": r[5]}
        for r in rows
    ]


def format_report(report: dict) -> str:
    """The report as text for a terminal."""
    lines = [f"Data quality of {report['database']}"]
    if report["mapped_tables"]:
        lines.append(f"  read through the mapping: {', '.join(report['mapped_tables'])}")
    counts = report["row_counts"]
    lines.append("Rows: " + " · ".join(f"{name} {'missing' if n is None else f'{n:,}'}" for name, n in counts.items()))
    if report["first_ticket_at"]:
        lines.append(f"Tickets created from {report['first_ticket_at']} to {report['last_ticket_at']}")
    lines.append(f"{report['problems']} kind(s) of problem found" if report["problems"] else "No problem found")
    for key, check in report["checks"].items():
        mark = "!!" if check["count"] else "ok"
        lines.append(f"  [{mark}] {LABELS[key]}: {check['count']:,}")
        details = check["details"]
        if not check["count"] or not details:
            continue
        if key == "values_outside_codes":
            for column, found in details.items():
                values = ", ".join(f"{v!r} x{n:,}" for v, n in found["values"].items())
                lines.append(f"         {column}: {found['rows']:,} rows: {values}")
        elif key == "missing_indexes":
            lines.append(f"         {', '.join(details['indexes'])}")
        elif key == "estates_without_households":
            lines.append(f"         {', '.join(details['estates'])}")
        else:
            lines.append("         " + ", ".join(f"{k}: {v:,}" if isinstance(v, int) else f"{k}: {v}" for k, v in details.items()))
    if report["recent_imports"]:
        lines.append("Recent imports:")
        for item in report["recent_imports"]:
            lines.append(f"  {item['imported_at']}  {item['file']} ({item['kind']}): read {item['read']:,} = "
                         f"loaded {item['loaded']:,} + rejected {item['rejected']:,}")
    return "\n".join(lines)
