"""Lists of individual tickets (drill-down, watch lists), always with owners' details masked
unless the caller holds the personal-data permission."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from .aggregates import _in
from .database import Database
from .filters import Filters, Scope
from .privacy import mask_name, mask_phone, mask_room
from .schema import estates, tickets
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


def complaint_watchlist(
    db: Database, filters: Filters, scope: Scope, *, overdue_days: int = 30, limit: int = 200, personal_data: bool = False
) -> pd.DataFrame:
    """Complaints still unresolved at the end of the period that are major or older than the
    overdue rule, received at any time before the period ended, oldest first."""
    end = timestamp_bound(db.dialect, filters.end_exclusive)
    cutoff = timestamp_bound(db.dialect, filters.end_exclusive - dt.timedelta(days=overdue_days))
    conditions = [
        T.request_type == "complaint",
        T.created_at < end,
        sa.or_(T.status.is_(None), T.status != "cancelled"),
        sa.or_(T.resolved_at.is_(None), minutes_between(T.created_at, T.resolved_at) < 0),
        sa.or_(T.severity == "major", T.created_at < cutoff),
    ]
    allowed = scope.allowed_estates(filters.estates)
    if allowed is not None:
        conditions.append(_in(T.estate_id, allowed) if allowed else sa.false())
    if filters.areas:
        conditions.append(_in(T.service_area, filters.areas))
    if filters.channels:
        conditions.append(_in(T.channel, filters.channels))
    statement = (
        sa.select(
            T.ticket_id, T.estate_id, E.name.label("estate_name"), T.service_area, T.severity, T.status,
            T.escalation_level, T.created_at, T.owner_name, T.owner_phone, T.room, T.summary,
        )
        .select_from(tickets.outerjoin(estates, E.estate_id == T.estate_id))
        .where(*conditions)
        .order_by(T.created_at, T.ticket_id)
        .limit(limit)
    )
    frame = db.frame(statement)
    frame["created_at"] = _to_datetime(frame["created_at"])
    period_end = pd.Timestamp(filters.end_exclusive)
    frame["days_open"] = ((period_end - frame["created_at"]).dt.total_seconds() / 86400).astype(float).round(1)
    return mask_personal(frame, personal_data)
