"""Distributions of first-reply times computed in the database: bucket counts for a
histogram, and attainment of the first-reply target by any grouping (hour x weekday).

A histogram of first-reply times needs only a dozen numbers, so the database counts the
tickets per bucket (a CASE expression names each ticket's bucket) and nothing but those
counts leaves it. Buckets are closed on the right, (lower, upper], with the first one
[0, upper], so the buckets up to the first-reply target add up to exactly the
"within target" count of METRICS.md.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa

from .aggregates import TICKET_DIMENSIONS, _check_dimensions, _count_if, _pct, _valid_duration, ticket_conditions
from .database import Database
from .filters import Filters, Scope
from .schema import tickets
from .sqlfuncs import minutes_between

T = tickets.c

# Minutes: fine steps around the 15-minute target, then hours up to a day.
DEFAULT_RESPONSE_EDGES = (5, 10, 15, 20, 30, 45, 60, 120, 240, 480, 1440)


def bucket_edges(edges: Sequence[float], *, must_include: Sequence[float] = ()) -> tuple[float, ...]:
    """Sorted positive upper bounds, with `must_include` (e.g. the target) added."""
    values = sorted({float(e) for e in (*edges, *must_include)})
    if not values or values[0] <= 0:
        raise ValueError(f"bucket edges must be positive: {values}")
    return tuple(values)


def response_time_distribution(
    db: Database,
    filters: Filters,
    scope: Scope,
    edges: Sequence[float] = DEFAULT_RESPONSE_EDGES,
    by: Sequence[str] = (),
) -> pd.DataFrame:
    """Tickets of the selection per first-reply bucket, over valid replies only (a reply
    before creation is invalid and treated as missing; unanswered tickets are in no bucket).

    One row per bucket (and group of `by`), every bucket present even when empty:
    columns *by, bucket (0..len(edges)), lower, upper (None for the open last bucket), tickets.
    """
    from . import rollups

    edges = bucket_edges(edges)
    by = list(by)
    _check_dimensions(by, TICKET_DIMENSIONS)
    if set(edges) <= set(rollups.REPLY_EDGES):
        within = [f"reply_le_{e:g}" for e in edges]
        sums = rollups.ticket_sums(db, filters, scope, by, ("responded", *within))
        if sums is not None:
            return _every_bucket(_buckets_from_cumulative(sums, within, by), edges, by)
    minutes = _valid_duration(minutes_between(T.created_at, T.first_response_at))
    bucket = sa.case(
        *[(minutes <= sa.literal(edge), sa.literal(i)) for i, edge in enumerate(edges)],
        else_=sa.literal(len(edges)),
    )
    # Bucket in a subquery, grouping outside: PostgreSQL cannot match a GROUP BY expression
    # whose bound parameters are numbered differently from the SELECT list's.
    replies = (
        sa.select(*[TICKET_DIMENSIONS[d](T).label(d) for d in by], bucket.label("bucket"))
        .where(*ticket_conditions(db.dialect, filters, scope), minutes.is_not(None))
        .subquery("replies")
    )
    keys = [replies.c[d] for d in by] + [replies.c.bucket]
    counts = db.frame(sa.select(*keys, sa.func.count().label("tickets")).group_by(*keys))
    counts["bucket"] = pd.to_numeric(counts["bucket"]).astype("int64")
    return _every_bucket(counts, edges, by)


def _buckets_from_cumulative(sums: pd.DataFrame, within: list[str], by: list[str]) -> pd.DataFrame:
    """Bucket counts from "replied within edge" counts: each bucket is the difference of two."""
    rows = []
    for _, group in sums.iterrows():
        cumulative = [int(group[c]) for c in within] + [int(group["responded"])]
        for i, total in enumerate(cumulative):
            count = total - (cumulative[i - 1] if i else 0)
            if count:
                rows.append({**{d: group[d] for d in by}, "bucket": i, "tickets": count})
    return pd.DataFrame(rows, columns=[*by, "bucket", "tickets"])


def _every_bucket(counts: pd.DataFrame, edges: tuple[float, ...], by: list[str]) -> pd.DataFrame:
    """Zero-filled so a histogram keeps its shape; groups without any reply stay absent."""
    buckets = pd.DataFrame(
        {
            "bucket": range(len(edges) + 1),
            "lower": [0.0, *edges],
            "upper": [*edges, None],
        }
    )
    groups = counts[by].drop_duplicates() if by else pd.DataFrame(index=[0])
    frame = groups.merge(buckets, how="cross") if by else buckets
    frame = frame.merge(counts, on=[*by, "bucket"], how="left")
    frame["tickets"] = frame["tickets"].fillna(0).astype("int64")
    frame["upper"] = frame["upper"].astype(object).where(frame["upper"].notna(), None)
    return frame.sort_values([*by, "bucket"]).reset_index(drop=True)


def first_reply_attainment(
    db: Database, filters: Filters, scope: Scope, target_minutes: float, by: Sequence[str]
) -> pd.DataFrame:
    """Per group: tickets, responded, within_target and within_target_pct exactly as
    ticket_summary counts them (an unanswered ticket is a miss; null without any reply), in
    one counting query: no percentiles, so a 168-cell hour x weekday grid stays cheap."""
    from . import rollups

    by = list(by)
    _check_dimensions(by, TICKET_DIMENSIONS)
    if float(target_minutes) in {float(e) for e in rollups.REPLY_EDGES}:
        within = f"reply_le_{float(target_minutes):g}"
        frame = rollups.ticket_sums(db, filters, scope, by, ("tickets", "responded", within))
        if frame is not None:
            frame = frame.rename(columns={within: "within_target"})
            frame["within_target_pct"] = _pct(frame["within_target"], frame["tickets"], frame["responded"] > 0)
            return frame
    minutes = _valid_duration(minutes_between(T.created_at, T.first_response_at))
    keys = [TICKET_DIMENSIONS[d](T).label(d) for d in by]
    grouped = (
        sa.select(*keys, minutes.label("minutes"))
        .where(*ticket_conditions(db.dialect, filters, scope))
        .subquery("replies")
    )
    g = grouped.c
    columns = [g[d] for d in by]
    statement = sa.select(
        *columns,
        sa.func.count().label("tickets"),
        sa.func.count(g.minutes).label("responded"),
        _count_if(g.minutes <= sa.literal(float(target_minutes))).label("within_target"),
    ).group_by(*columns)
    frame = db.frame(statement)
    counts = ["tickets", "responded", "within_target"]
    frame[counts] = frame[counts].fillna(0).astype("int64")
    frame["within_target_pct"] = _pct(frame["within_target"], frame["tickets"], frame["responded"] > 0)
    return frame
