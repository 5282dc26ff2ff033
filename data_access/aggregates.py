"""Ticket and survey aggregates computed in the database, grouped by any of a few dimensions.

Every function takes the user's estate `Scope`; nothing reads whole tables into Python.
Percentiles are exact (linear interpolation between closest ranks, as PostgreSQL's
percentile_cont) and portable: ROW_NUMBER() picks the two neighbouring ranks on every
engine, and the interpolation of those two values happens here.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd
import sqlalchemy as sa

from .database import Database
from .filters import Filters, Scope
from .rules import ServiceRules
from .schema import (
    ESCALATION_LEVELS, REQUEST_TYPES, SATISFACTION_DIMENSIONS, SEVERITIES, UNRESOLVED_COMPLAINT_TICKETS, estates, surveys, tickets,
)
from .sqlfuncs import day_of, hour_of, minutes_between, month_of, not_indexed, timestamp_bound, week_of, weekday_of

T = tickets.c
S = surveys.c

def _city_of(c):
    """The city of the row's estate (the estates table holds it)."""
    return sa.select(estates.c.city).where(estates.c.estate_id == c.estate_id).scalar_subquery()


# Dimensions a summary can be grouped by: name -> expression on tickets (or surveys).
TICKET_DIMENSIONS = {
    "estate_id": lambda c: c.estate_id,
    "city": _city_of,
    "service_area": lambda c: c.service_area,
    "request_type": lambda c: c.request_type,
    "priority": lambda c: c.priority,
    "channel": lambda c: c.channel,
    "severity": lambda c: c.severity,
    "escalation_level": lambda c: c.escalation_level,
    "day": lambda c: day_of(c.created_at),
    "week": lambda c: week_of(c.created_at),
    "month": lambda c: month_of(c.created_at),
    "hour": lambda c: hour_of(c.created_at),
    "weekday": lambda c: weekday_of(c.created_at),
}
SURVEY_DIMENSIONS = {
    "estate_id": lambda c: c.estate_id,
    "city": _city_of,
    "service_area": lambda c: c.service_area,
    "score": lambda c: c.score,
    "day": lambda c: day_of(c.surveyed_at),
    "week": lambda c: week_of(c.surveyed_at),
    "month": lambda c: month_of(c.surveyed_at),
}
PERCENTILES = {"median": 0.5, "p90": 0.9}
# Every count of ticket_counts, in its columns' order.
TICKET_COUNTS = (
    "tickets", "open", *[f"type_{t}" for t in REQUEST_TYPES], "responded", "within_target", "resolved",
    "within_sla", "escalations", *[f"level_{n}" for n in ESCALATION_LEVELS], "complaints",
    *[f"severity_{s}" for s in SEVERITIES], "severity_unclassified", "overdue_30d", "followed_up",
)
MEASURES = (("response_minutes", "response"), ("resolution_hours", "resolution"))


# Kept for building the city rollups only: a question about a city filters by its estates.
ROLLUP_ONLY_DIMENSIONS = {"city"}


def _check_dimensions(by: Sequence[str], known: dict) -> None:
    unknown = [d for d in by if d not in known or d in ROLLUP_ONLY_DIMENSIONS]
    if unknown:
        raise ValueError(f"cannot group by {unknown}; known: {sorted(set(known) - ROLLUP_ONLY_DIMENSIONS)}")


def _in(column, values: frozenset[str], name: str | None = None):
    """column IN (values), one expanding parameter; `name` keeps it apart from another
    filter on a same-named column in one statement (a rollup's rows beside raw tickets)."""
    return column.in_(sa.bindparam(name or f"in_{column.name}", sorted(values), expanding=True))


def ticket_conditions(dialect: str, filters: Filters, scope: Scope, *, by_date: bool = False) -> list:
    """WHERE clauses selecting T: period on created_at, filters, scope, cancelled left out.
    `by_date`: only the dates choose the index (the partial index of unresolved complaints)."""
    conditions = [
        T.created_at >= timestamp_bound(dialect, filters.start),
        T.created_at < timestamp_bound(dialect, filters.end_exclusive),
        sa.or_(T.status.is_(None), T.status != "cancelled"),
        *where_tickets_in(filters, scope, by_date=by_date),
    ]
    if filters.request_types:
        conditions.append(_in(T.request_type, filters.request_types))
    return conditions


def where_tickets_in(filters: Filters, scope: Scope, *, by_date: bool = False) -> list:
    """The tickets' estates (scope and filter), areas and channels asked for. `by_date`: estates
    and areas choose no index (sqlfuncs.not_indexed), so the dates choose it."""
    keyed = not_indexed if by_date else (lambda column: column)
    conditions = []
    estates = scope.allowed_estates(filters.estates)
    if estates is not None:
        conditions.append(_in(keyed(T.estate_id), estates, "in_estate_id") if estates else sa.false())
    if filters.areas:
        conditions.append(_in(keyed(T.service_area), filters.areas, "in_service_area"))
    if filters.channels:
        conditions.append(_in(T.channel, filters.channels))
    return conditions


def unresolved_complaint(db: Database):
    """A complaint without a valid resolution (none, or one before it was received), in the words
    of its partial index on our canonical tables, so the engines read that index."""
    if db.source_views is None:  # our canonical tables: timestamps of one type (or one text form on SQLite)
        return sa.text(UNRESOLVED_COMPLAINT_TICKETS)
    # A mapped source may keep timestamps as text in mixed forms: compare them as times.
    return sa.and_(T.request_type == "complaint", sa.or_(T.resolved_at.is_(None), minutes_between(T.created_at, T.resolved_at) < 0))


def survey_conditions(dialect: str, filters: Filters, scope: Scope) -> list:
    """WHERE clauses selecting S. Channel and request-type filters describe tickets, so with
    either set only follow-up surveys of matching tickets count (periodic ones have no channel)."""
    conditions = [
        S.surveyed_at >= timestamp_bound(dialect, filters.start),
        S.surveyed_at < timestamp_bound(dialect, filters.end_exclusive),
    ]
    estates = scope.allowed_estates(filters.estates)
    if estates is not None:
        conditions.append(_in(S.estate_id, estates) if estates else sa.false())
    if filters.areas:
        conditions.append(_in(S.service_area, filters.areas))
    if filters.channels or filters.request_types:
        linked = sa.select(T.ticket_id).where(T.ticket_id == S.ticket_id)
        if filters.channels:
            linked = linked.where(_in(T.channel, filters.channels))
        if filters.request_types:
            linked = linked.where(_in(T.request_type, filters.request_types))
        conditions.append(sa.exists(linked))
    return conditions


def _valid_duration(minutes):
    """A reply or resolution before creation is invalid and treated as missing."""
    return sa.case((minutes >= 0, minutes), else_=sa.null())


def _sla_hours(rules: ServiceRules):
    whens = []
    for request_type, urgent, normal in rules.sla_hours:
        whens.append((sa.and_(T.request_type == request_type, T.priority == "urgent"), sa.literal(urgent)))
        whens.append((T.request_type == request_type, sa.literal(normal)))
    return sa.case(*whens, else_=sa.null())


def ticket_base(dialect: str, rules: ServiceRules, filters: Filters, scope: Scope, by: Sequence[str], *, ticket_id: bool = False):
    """The selected tickets with their derived measures, as a subquery (with each ticket's id
    when asked: the rollups' staging groups by it)."""
    response_minutes = _valid_duration(minutes_between(T.created_at, T.first_response_at))
    resolution_hours = _valid_duration(minutes_between(T.created_at, T.resolved_at)) / 60.0
    followed_up = sa.exists(sa.select(sa.literal(1)).where(S.ticket_id == T.ticket_id))
    columns = [TICKET_DIMENSIONS[d](T).label(d) for d in by] + ([T.ticket_id] if ticket_id else [])
    columns += [
        T.request_type,
        T.status,
        T.severity,
        T.escalation_level,
        T.created_at,
        response_minutes.label("response_minutes"),
        resolution_hours.label("resolution_hours"),
        _sla_hours(rules).label("sla_hours"),
        # Only validly resolved tickets count: the denominator (resolved) ignores resolved_at < created_at.
        sa.case((sa.and_(resolution_hours.is_not(None), followed_up), 1), else_=0).label("followed_up"),
    ]
    overdue_cutoff = filters.end_exclusive - dt.timedelta(days=rules.complaint_overdue_days)
    base = sa.select(*columns).where(*ticket_conditions(dialect, filters, scope)).subquery("t")
    return base, timestamp_bound(dialect, overdue_cutoff)


def _count_if(condition):
    return sa.func.sum(sa.case((condition, 1), else_=0))


def count_aggregates(b, rules: ServiceRules, overdue_cutoff) -> list:
    """Every count column of `ticket_counts` over the ticket_base columns `b`."""
    complaint = b.request_type == "complaint"
    target = sa.literal(rules.first_response_target_minutes)
    return [
        sa.func.count().label("tickets"),
        _count_if(b.status.in_(("open", "in_progress"))).label("open"),
        *[_count_if(b.request_type == t).label(f"type_{t}") for t in REQUEST_TYPES],
        sa.func.count(b.response_minutes).label("responded"),
        _count_if(b.response_minutes <= target).label("within_target"),
        sa.func.count(b.resolution_hours).label("resolved"),
        _count_if(b.resolution_hours <= b.sla_hours).label("within_sla"),
        _count_if(b.escalation_level >= 1).label("escalations"),
        *[_count_if(b.escalation_level == n).label(f"level_{n}") for n in ESCALATION_LEVELS],
        _count_if(complaint).label("complaints"),
        *[_count_if(sa.and_(complaint, b.severity == s)).label(f"severity_{s}") for s in SEVERITIES],
        _count_if(sa.and_(complaint, sa.or_(b.severity.is_(None), b.severity.not_in(SEVERITIES)))).label("severity_unclassified"),
        _count_if(
            sa.and_(
                complaint,
                sa.or_(
                    _resolved_late(b, rules),
                    sa.and_(b.resolution_hours.is_(None), b.created_at < overdue_cutoff),
                ),
            )
        ).label("overdue_30d"),
        sa.func.sum(b.followed_up).label("followed_up"),
    ]


def _resolved_late(b, rules: ServiceRules):
    """Resolved after the complaint overdue rule's days: overdue whatever the period."""
    return b.resolution_hours > rules.complaint_overdue_days * 24


def ticket_counts(db: Database, rules: ServiceRules, filters: Filters, scope: Scope, by: Sequence[str] = (),
                  counts: Sequence[str] | None = None) -> pd.DataFrame:
    """The counting half of `ticket_summary`: every count column (or only `counts`, of
    TICKET_COUNTS), one row per group. Answered from the rollups where they cover the question
    (data_access.rollups)."""
    from . import rollups

    by = list(by)
    counts = list(counts or TICKET_COUNTS)
    _check_dimensions(by, TICKET_DIMENSIONS)
    plan = rollups.plan_tickets(db, rules, filters, scope, by)
    if plan is not None:
        return rollups.ticket_counts(db, rules, plan, filters, scope, by, counts)
    return raw_ticket_counts(db, rules, filters, scope, by, counts)


def raw_ticket_counts(db: Database, rules: ServiceRules, filters: Filters, scope: Scope, by: Sequence[str] = (),
                      counts: Sequence[str] | None = None) -> pd.DataFrame:
    """`ticket_counts` from the tickets table itself."""
    by = list(by)
    return _whole_counts(db.frame(raw_counts_select(db.dialect, rules, filters, scope, by, counts=counts)), by)


def raw_counts_select(
    dialect: str, rules: ServiceRules, filters: Filters, scope: Scope, by: Sequence[str], *, overdue_from: dt.date | None = None,
    counts: Sequence[str] | None = None,
):
    """`raw_ticket_counts`'s SELECT, to be read alone or beside rollup rows (rollups.ticket_counts).
    `overdue_from` is the end of the period the complaint overdue rule looks back from, when
    `filters` is only a slice of that period."""
    base, overdue_cutoff = ticket_base(dialect, rules, filters, scope, by)
    if overdue_from is not None:
        overdue_cutoff = timestamp_bound(dialect, overdue_from - dt.timedelta(days=rules.complaint_overdue_days))
    b = base.c
    keys = [b[d] for d in by]
    every = {a.name: a for a in count_aggregates(b, rules, overdue_cutoff)}
    aggregates = [every[c] for c in counts or TICKET_COUNTS]
    return sa.select(*keys, *aggregates).group_by(*keys) if keys else sa.select(*aggregates)


def _whole_counts(counts: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    count_columns = [c for c in counts.columns if c not in by]
    counts[count_columns] = counts[count_columns].fillna(0).astype("int64")
    if not by and counts.empty:
        counts = pd.DataFrame([{c: 0 for c in count_columns}])
    return counts


def ticket_percentiles(db: Database, rules: ServiceRules, filters: Filters, scope: Scope, by: Sequence[str] = ()) -> pd.DataFrame:
    """The percentile half of `ticket_summary`: response_median/p90 (minutes) and
    resolution_median/p90 (hours) per group. Exact from the tickets table; within 1% from the
    rollups' histograms where they cover the question (data_access.rollups)."""
    from . import rollups

    by = list(by)
    _check_dimensions(by, TICKET_DIMENSIONS)
    plan = rollups.plan_tickets(db, rules, filters, scope, by, histograms=True)
    if plan is not None:
        return rollups.ticket_percentiles(db, rules, plan, filters, scope, by)
    return raw_ticket_percentiles(db, rules, filters, scope, by)


def ticket_percentiles_with_total(db: Database, rules: ServiceRules, filters: Filters, scope: Scope,
                                  by: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`ticket_percentiles` by `by`, and over the whole selection: from one read of the rollups'
    histograms where the same rows answer both (the Overview's areas and its headline), else
    two questions."""
    from . import rollups

    by = list(by)
    _check_dimensions(by, TICKET_DIMENSIONS)
    plan = rollups.plan_tickets(db, rules, filters, scope, by, histograms=True)
    if plan is not None and not rollups._stored_grain(plan, by) and plan == rollups.plan_tickets(db, rules, filters, scope, [], histograms=True):
        return rollups.ticket_percentiles_with_total(db, rules, plan, filters, scope, by)
    return ticket_percentiles(db, rules, filters, scope, by), ticket_percentiles(db, rules, filters, scope)


def raw_ticket_percentiles(db: Database, rules: ServiceRules, filters: Filters, scope: Scope, by: Sequence[str] = ()) -> pd.DataFrame:
    """Exact percentiles from the tickets table, both measures ranked in one pass."""
    by = list(by)
    base, _ = ticket_base(db.dialect, rules, filters, scope, by)
    b = base.c
    keys = [b[d] for d in by]
    if db.dialect == "postgresql":
        return _percentile_cont(db, b, by)
    ranks = []
    for measure, prefix in MEASURES:
        value = b[measure]
        # Nulls get a partition of their own, so ranks count only the measured tickets.
        missing = sa.case((value.is_(None), 1), else_=0)
        ranks += [
            value.label(f"{prefix}_v"),
            (sa.func.row_number().over(partition_by=[*keys, missing], order_by=value) - 1).label(f"{prefix}_i"),
            sa.func.count(value).over(partition_by=keys or None).label(f"{prefix}_n"),
        ]
    ranked = sa.select(*keys, *ranks).subquery("ranked")
    r = ranked.c
    columns = []
    for _, prefix in MEASURES:
        v, i, n = r[f"{prefix}_v"], r[f"{prefix}_i"], r[f"{prefix}_n"]
        for name, p in PERCENTILES.items():
            h = (n - 1) * p
            at_lower = sa.and_(v.is_not(None), i <= h, i > h - 1)
            at_upper = sa.and_(v.is_not(None), i >= h, i < h + 1)
            columns += [
                sa.func.max(sa.case((at_lower, v))).label(f"{prefix}_{name}__lo"),
                sa.func.max(sa.case((at_upper, v))).label(f"{prefix}_{name}__hi"),
                sa.func.max(sa.case((at_lower, h - i))).label(f"{prefix}_{name}__frac"),
            ]
    group = [r[d] for d in by]
    statement = sa.select(*group, *columns)
    if group:
        statement = statement.group_by(*group)
    raw = db.frame(statement)
    out = raw[by].copy() if by else pd.DataFrame(index=[0])
    for _, prefix in MEASURES:
        for name in PERCENTILES:
            column = f"{prefix}_{name}"
            if raw.empty:
                out[column] = None
                continue
            lo, hi, frac = (pd.to_numeric(raw[f"{column}__{part}"], errors="coerce").astype(float) for part in ("lo", "hi", "frac"))
            out[column] = (lo + frac * (hi - lo)).to_numpy()
    return out.reset_index(drop=True)


# Grouped by a bare column with an index of its own, PostgreSQL walks that index through every
# ticket of the period, one random read each (per estate over three years at 10M: 40 s), where
# reading the period in order and sorting takes 9 s; an expression of the column has no index.
_INDEXED_DIMENSIONS = {"estate_id", "service_area"}


def _percentile_cont(db: Database, b, by: list[str]) -> pd.DataFrame:
    """PostgreSQL's own percentile_cont: the same interpolation as the ranks above, a sort per
    group instead of two window passes over every ticket (2-3x faster per estate at 10M)."""
    columns = [
        sa.func.percentile_cont(p).within_group(b[measure]).label(f"{prefix}_{name}")
        for measure, prefix in MEASURES for name, p in PERCENTILES.items()
    ]
    keys = [b[d].op("||")(sa.literal_column("''")).label(d) if d in _INDEXED_DIMENSIONS else b[d] for d in by]
    statement = sa.select(*keys, *columns)
    if keys:
        statement = statement.group_by(*keys)
    out = db.frame(statement)
    if out.empty and not by:
        out = pd.DataFrame({c.name: [None] for c in columns})
    return out.reset_index(drop=True)


def ticket_summary(db: Database, rules: ServiceRules, filters: Filters, scope: Scope, by: Sequence[str] = ()) -> pd.DataFrame:
    """One row per group (one row in all when `by` is empty) with every ticket figure's inputs.

    Columns: tickets, open, type_<t>, responded, within_target, resolved, within_sla,
    escalations, level_<n>, complaints, severity_<s>, severity_unclassified, overdue_30d,
    followed_up, response_median/p90 (minutes), resolution_median/p90 (hours), and the
    derived percentages (None where METRICS.md says null).
    """
    counts = ticket_counts(db, rules, filters, scope, by)
    return combine_counts_and_percentiles(counts, ticket_percentiles(db, rules, filters, scope, by), list(by))


def combine_counts_and_percentiles(counts: pd.DataFrame, percentiles: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    if by:
        summary = counts.merge(percentiles, on=by, how="left")
    else:
        summary = pd.concat([counts.reset_index(drop=True), percentiles.reset_index(drop=True)], axis=1)
    return add_ticket_ratios(summary)


def _floats(values) -> np.ndarray:
    return np.asarray(pd.to_numeric(values), dtype=float)


def _nullable(values: np.ndarray, valid: np.ndarray, index) -> pd.Series:
    """Python floats where `valid`, else None (null, never 0). By position: `valid` and
    `values` come from the columns of one frame, whose index the result keeps."""
    out = np.full(len(values), None, dtype=object)
    out[valid] = values[valid].tolist()
    return pd.Series(out, index=index, dtype=object)


def _pct(numerator, denominator, valid) -> pd.Series:
    """100 * numerator / denominator where `valid`, else None (null, never 0). In numpy: a
    summary derives ~20 of these, and each pandas step costs a tenth of a millisecond."""
    num, den = _floats(numerator), _floats(denominator)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = 100.0 * num / den
    return _nullable(value, np.asarray(valid, dtype=bool) & (den > 0), numerator.index)


def add_ticket_ratios(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["within_target_pct"] = _pct(frame["within_target"], frame["tickets"], frame["responded"] > 0)
    frame["within_sla_pct"] = _pct(frame["within_sla"], frame["tickets"], frame["resolved"] > 0)
    frame["escalation_rate_pct"] = _pct(frame["escalations"], frame["tickets"], frame["tickets"] > 0)
    frame["follow_up_coverage_pct"] = _pct(frame["followed_up"], frame["resolved"], frame["resolved"] > 0)
    for column in ("response_median", "response_p90", "resolution_median", "resolution_p90"):
        if column in frame:
            values = _floats(frame[column])
            frame[column] = _nullable(values, ~np.isnan(values), frame.index)
    return frame


def ticket_rates(db: Database, rules: ServiceRules, filters: Filters, scope: Scope, by: Sequence[str] = ()) -> pd.DataFrame:
    """`ticket_summary` without its percentiles, for charts of counts and rates only: the
    percentiles cost more than all the counts together."""
    return add_ticket_ratios(ticket_counts(db, rules, filters, scope, by))


def survey_summary(db: Database, filters: Filters, scope: Scope, by: Sequence[str] = (), sums: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per group: responses, score_sum, csat (scores >= 4), <dim>_sum and <dim>_n,
    with mean_score, csat_pct and <dim>_mean derived (None over an empty set); or only `sums`
    (of SURVEY_SUMS) and what derives from them. Answered from the rollups where they cover the
    question (data_access.rollups)."""
    from . import rollups

    by = list(by)
    sums = list(sums or SURVEY_SUMS)
    _check_dimensions(by, SURVEY_DIMENSIONS)
    plan = rollups.plan_surveys(db, filters, scope, by)
    found = rollups.survey_sums(db, plan, filters, scope, by, sums) if plan is not None else raw_survey_sums(db, filters, scope, by, sums)
    return add_survey_ratios(found)


def survey_aggregates(c) -> list:
    """Every SURVEY_SUMS column as an aggregate over survey columns `c` (the surveys table, or
    the refresh's stage of them: the same words, so the rollups cannot drift from the raw sums)."""
    aggregates = [
        sa.func.count().label("surveys"),
        sa.func.count(c.score).label("responses"),
        sa.func.coalesce(sa.func.sum(c.score), 0).label("score_sum"),
        sa.func.coalesce(_count_if(c.score >= 4), 0).label("csat"),
    ]
    for d in SATISFACTION_DIMENSIONS:
        aggregates += [sa.func.coalesce(sa.func.sum(c[d]), 0).label(f"{d}_sum"), sa.func.count(c[d]).label(f"{d}_n")]
    return aggregates


def raw_survey_sums(db: Database, filters: Filters, scope: Scope, by: Sequence[str] = (), sums: Sequence[str] | None = None) -> pd.DataFrame:
    """The sums and counts behind `survey_summary`, from the surveys table itself."""
    by = list(by)
    frame = db.frame(raw_survey_select(db.dialect, filters, scope, by, sums))
    value_columns = [c for c in frame.columns if c not in by]
    frame[value_columns] = frame[value_columns].fillna(0).astype("int64")
    if not by and frame.empty:
        frame = pd.DataFrame([{c: 0 for c in value_columns}])
    return frame


def raw_survey_select(dialect: str, filters: Filters, scope: Scope, by: Sequence[str], sums: Sequence[str] | None = None):
    """`raw_survey_sums`'s SELECT, to be read alone or beside rollup rows (rollups.survey_sums)."""
    keys = [SURVEY_DIMENSIONS[d](S).label(d) for d in by]
    every = {a.name: a for a in survey_aggregates(S)}
    aggregates = [every[c] for c in sums or SURVEY_SUMS]
    statement = sa.select(*keys, *aggregates).where(*survey_conditions(dialect, filters, scope))
    return statement.group_by(*[SURVEY_DIMENSIONS[d](S) for d in by]) if keys else statement


SURVEY_SUMS = ("surveys", "responses", "score_sum", "csat", *[f"{d}_{part}" for d in SATISFACTION_DIMENSIONS for part in ("sum", "n")])


def survey_totals(grouped: pd.DataFrame) -> pd.DataFrame:
    """The one-row summary of a grouped survey summary: its sums and counts added up."""
    sums = {column: int(grouped[column].sum()) if len(grouped) else 0 for column in SURVEY_SUMS}
    return add_survey_ratios(pd.DataFrame([sums]))


def add_survey_ratios(frame: pd.DataFrame) -> pd.DataFrame:
    """The means and percentages of a frame of survey sums (those its sums allow)."""
    frame = frame.copy()
    responses = frame["responses"]
    if "score_sum" in frame:
        frame["mean_score"] = _ratio(frame["score_sum"], responses)
    if "csat" in frame:
        frame["csat_pct"] = _pct(frame["csat"], responses, responses > 0)
    for d in SATISFACTION_DIMENSIONS:
        if f"{d}_sum" in frame:
            frame[f"{d}_mean"] = _ratio(frame[f"{d}_sum"], frame[f"{d}_n"])
    return frame


def _ratio(numerator, denominator) -> pd.Series:
    num, den = _floats(numerator), _floats(denominator)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = num / den
    return _nullable(value, den > 0, numerator.index)
