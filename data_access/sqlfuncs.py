"""Portable SQL for what the engines spell differently: durations and calendar buckets.

Each construct compiles to the native form on SQLite (timestamps stored as ISO text),
PostgreSQL and MySQL/MariaDB, so the metric queries are written once.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement


class minutes_between(FunctionElement):
    """(end - start) in minutes, as a float; null when either is null."""

    type = sa.Float()
    inherit_cache = True
    name = "minutes_between"


@compiles(minutes_between, "sqlite")
def _minutes_sqlite(element, compiler, **kw):
    start, end = list(element.clauses)
    # julianday carries ~50 microseconds of float noise: round to whole milliseconds.
    days = f"(julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)}))"
    return f"(ROUND({days} * 86400000.0) / 60000.0)"


@compiles(minutes_between, "postgresql")
def _minutes_pg(element, compiler, **kw):
    start, end = list(element.clauses)
    # date_part gives a double (EXTRACT a numeric since PostgreSQL 14): several times faster to
    # aggregate, and exact to the microsecond for any span a ticket can have.
    return f"(date_part('epoch', {compiler.process(end, **kw)} - {compiler.process(start, **kw)}) / 60.0)"


@compiles(minutes_between, "mysql")
def _minutes_mysql(element, compiler, **kw):
    start, end = list(element.clauses)
    # 6e7 is a DOUBLE literal: dividing by the DECIMAL 60000000.0 would round to 4 decimals (div_precision_increment).
    return f"(TIMESTAMPDIFF(MICROSECOND, {compiler.process(start, **kw)}, {compiler.process(end, **kw)}) / 6e7)"


class _calendar(FunctionElement):
    inherit_cache = True


class day_of(_calendar):
    """The calendar date of a timestamp, as 'YYYY-MM-DD' text on every engine."""

    type = sa.String()
    name = "day_of"
    inherit_cache = True


class week_of(_calendar):
    """The Monday starting the ISO week of a timestamp, as 'YYYY-MM-DD' text."""

    type = sa.String()
    name = "week_of"
    inherit_cache = True


class month_of(_calendar):
    """The first day of the month of a timestamp, as 'YYYY-MM-01' text."""

    type = sa.String()
    name = "month_of"
    inherit_cache = True


class hour_of(_calendar):
    """Hour of day 0-23."""

    type = sa.Integer()
    name = "hour_of"
    inherit_cache = True


class weekday_of(_calendar):
    """Day of week, 0 = Monday ... 6 = Sunday."""

    type = sa.Integer()
    name = "weekday_of"
    inherit_cache = True


def _arg(element, compiler, **kw) -> str:
    return compiler.process(list(element.clauses)[0], **kw)


_SQLITE = {
    day_of: "date({x})",
    week_of: "date({x}, 'weekday 0', '-6 days')",
    month_of: "strftime('%Y-%m-01', {x})",
    hour_of: "CAST(strftime('%H', {x}) AS INTEGER)",
    weekday_of: "((CAST(strftime('%w', {x}) AS INTEGER) + 6) % 7)",
}
_POSTGRES = {
    day_of: "to_char({x}, 'YYYY-MM-DD')",
    week_of: "to_char(date_trunc('week', {x}), 'YYYY-MM-DD')",
    month_of: "to_char(date_trunc('month', {x}), 'YYYY-MM-DD')",
    hour_of: "CAST(EXTRACT(HOUR FROM {x}) AS INTEGER)",
    weekday_of: "(CAST(EXTRACT(ISODOW FROM {x}) AS INTEGER) - 1)",
}
_MYSQL = {
    day_of: "DATE_FORMAT({x}, '%%Y-%%m-%%d')",
    week_of: "DATE_FORMAT(DATE_SUB(DATE({x}), INTERVAL WEEKDAY({x}) DAY), '%%Y-%%m-%%d')",
    month_of: "DATE_FORMAT({x}, '%%Y-%%m-01')",
    hour_of: "HOUR({x})",
    weekday_of: "WEEKDAY({x})",
}

for _dialect, _table in (("sqlite", _SQLITE), ("postgresql", _POSTGRES), ("mysql", _MYSQL)):
    for _cls, _template in _table.items():

        def _compile(element, compiler, _template=_template, **kw):
            return _template.format(x=_arg(element, compiler, **kw))

        compiles(_cls, _dialect)(_compile)


class not_indexed(FunctionElement):
    """A column SQLite is not to seek by (a unary plus), so the other conditions choose the
    index. The unresolved complaints of ten months of one area: its (area, day) index reads
    every ticket of the area (1M tickets: 84 ms), the partial index only those complaints (0.4 ms).
    Other engines plan that well by themselves: the column as it is."""

    inherit_cache = True
    name = "not_indexed"


@compiles(not_indexed, "sqlite")
def _not_indexed_sqlite(element, compiler, **kw):
    return f"+{_arg(element, compiler, **kw)}"


@compiles(not_indexed)
def _not_indexed(element, compiler, **kw):
    return _arg(element, compiler, **kw)


class count_sum(FunctionElement):
    """The sum of a count column as a BIGINT. A sum of BIGINT is NUMERIC on PostgreSQL and
    DECIMAL on MySQL, which drivers turn into Decimal objects (their fetch of a league's 40
    columns for 2,000 estates took 60% longer), hence the cast back. PostgreSQL sums each value
    as an INTEGER instead: a sum of INTEGER is a BIGINT kept in a machine word, where a BIGINT's
    sum is kept in a 128-bit state per group and column and made a NUMERIC at the end (a league's
    22 sums over 2,000 estates' year rows: ~20 -> ~10 ms). A count held in one row (one group's
    period, or one part of a union) is far below INTEGER's 2.1 billion."""

    type = sa.BigInteger()
    inherit_cache = True
    name = "count_sum"


@compiles(count_sum, "postgresql")
def _count_sum_pg(element, compiler, **kw):
    return f"sum(CAST({_arg(element, compiler, **kw)} AS INTEGER))"


@compiles(count_sum)
def _count_sum(element, compiler, **kw):
    return compiler.process(sa.cast(sa.func.sum(list(element.clauses)[0]), sa.BigInteger), **kw)


def timestamp_bound(dialect: str, day: dt.date):
    """A bound parameter for midnight starting `day`, comparable with the stored timestamps.

    On SQLite timestamps are text in any ISO form ('2026-11-16 08:00', '2026-11-16T08:00:00.000000'):
    the bare date sorts before every time of that day and after every earlier day, so
    `created_at >= '2026-11-16'` is exact whatever the separator or precision, and the
    index on created_at still serves the range.
    """
    if dialect == "sqlite":
        return sa.literal(day.isoformat(), type_=sa.String())
    return sa.literal(dt.datetime.combine(day, dt.time()), type_=sa.DateTime())


def as_date(value) -> dt.date:
    """A date read back from any engine: a date, a datetime, or ISO text (SQLite)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])
