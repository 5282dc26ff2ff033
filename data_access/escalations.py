"""Escalation and complaint counts by any grouping, in one counting query.

The same numbers as ticket_summary's `tickets`, `escalations`, `level_<n>`, `complaints` and
`severity_<s>` columns (METRICS.md: escalations.*, complaints.by_severity.*), without its
percentile queries, which the Escalations page never shows: a weekly chart over a quarter
then costs one grouped scan instead of three.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa

from .aggregates import TICKET_DIMENSIONS, _check_dimensions, _count_if, _pct, ticket_conditions
from .database import Database
from .filters import Filters, Scope
from .schema import ESCALATION_LEVELS, SEVERITIES, tickets

T = tickets.c


def escalation_counts(db: Database, filters: Filters, scope: Scope, by: Sequence[str] = ()) -> pd.DataFrame:
    """One row per group (one row in all when `by` is empty): tickets, escalations, level_1..3,
    escalation_rate_pct, complaints, severity_minor/important/major/unclassified."""
    from . import rollups

    by = list(by)
    _check_dimensions(by, TICKET_DIMENSIONS)
    frame = rollups.ticket_sums(db, filters, scope, by, ESCALATION_COUNTS)
    if frame is None:
        frame = _raw_escalation_counts(db, filters, scope, by)
    frame["escalation_rate_pct"] = _pct(frame["escalations"], frame["tickets"], frame["tickets"] > 0)
    return frame


ESCALATION_COUNTS = (
    "tickets", "escalations", *[f"level_{n}" for n in ESCALATION_LEVELS], "complaints",
    *[f"severity_{s}" for s in SEVERITIES], "severity_unclassified",
)


def _raw_escalation_counts(db: Database, filters: Filters, scope: Scope, by: list[str]) -> pd.DataFrame:
    complaint = T.request_type == "complaint"
    keys = [TICKET_DIMENSIONS[d](T).label(d) for d in by]
    counts = [
        sa.func.count().label("tickets"),
        _count_if(T.escalation_level >= 1).label("escalations"),
        *[_count_if(T.escalation_level == n).label(f"level_{n}") for n in ESCALATION_LEVELS],
        _count_if(complaint).label("complaints"),
        *[_count_if(sa.and_(complaint, T.severity == s)).label(f"severity_{s}") for s in SEVERITIES],
        _count_if(sa.and_(complaint, sa.or_(T.severity.is_(None), T.severity.not_in(SEVERITIES)))).label(
            "severity_unclassified"
        ),
    ]
    statement = sa.select(*keys, *counts).where(*ticket_conditions(db.dialect, filters, scope))
    if by:
        statement = statement.group_by(*[TICKET_DIMENSIONS[d](T) for d in by])
    frame = db.frame(statement)
    values = [c for c in frame.columns if c not in by]
    frame[values] = frame[values].fillna(0).astype("int64")
    if not by and frame.empty:
        frame = pd.DataFrame([{c: 0 for c in values}])
    return frame
