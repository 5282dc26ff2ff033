"""Lookups of reference data within a scope: estates (for filters) and their households."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from .aggregates import _in
from .database import Database
from .filters import Scope
from .schema import estates, tickets


def known_estate_ids(db: Database, candidates: frozenset[str]) -> frozenset[str]:
    """Those of `candidates` that exist in the estates table."""
    if not candidates:
        return frozenset()
    rows = db.rows(sa.select(estates.c.estate_id).where(_in(estates.c.estate_id, frozenset(candidates))))
    return frozenset(r[0] for r in rows)


def estate_list(db: Database, scope: Scope) -> pd.DataFrame:
    """Estates the scope allows, with city and region, sorted by city then name."""
    statement = sa.select(estates.c.estate_id, estates.c.name, estates.c.city, estates.c.region, estates.c.households)
    allowed = scope.allowed_estates(frozenset())
    if allowed is not None:
        statement = statement.where(_in(estates.c.estate_id, allowed) if allowed else sa.false())
    return db.frame(statement.order_by(estates.c.city, estates.c.name))


def latest_ticket_time(db: Database) -> dt.datetime | None:
    """When the newest ticket was received: what "data up to" shows."""
    value = db.rows(sa.select(sa.func.max(tickets.c.created_at)))[0][0]
    if value is None or isinstance(value, dt.datetime):
        return value
    return pd.Timestamp(str(value)).to_pydatetime()  # SQLite text from other tools
