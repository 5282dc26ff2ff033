"""Satisfaction questions beyond survey_summary: how fast the owner got a first reply against
the score (follow-up surveys joined to their tickets; periodic surveys have no ticket and are
left out here only), and follow-up coverage without the cost of ticket_summary's percentiles."""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa

from .aggregates import TICKET_DIMENSIONS, _count_if, _pct, _ratio, _valid_duration, survey_conditions, ticket_base
from .database import Database
from .filters import Filters, Scope
from .rules import ServiceRules
from .schema import surveys, tickets
from .sqlfuncs import minutes_between

S = surveys.c
# Minutes; the configured first-reply target is always added as an edge.
DEFAULT_EDGES = (5, 15, 30, 60, 240)


def reply_edges(rules: ServiceRules, edges: Sequence[float] | None = None) -> tuple[float, ...]:
    """Sorted, distinct, positive bucket edges in minutes (the default ones plus the target)."""
    chosen = set(DEFAULT_EDGES if edges is None else edges)
    if edges is None:
        chosen.add(rules.first_response_target_minutes)
    cleaned = tuple(sorted(float(e) for e in chosen if e > 0))
    if not cleaned:
        raise ValueError("first-reply buckets need at least one positive edge")
    return cleaned


def score_by_first_reply(
    db: Database, rules: ServiceRules, filters: Filters, scope: Scope, edges: Sequence[float] | None = None
) -> pd.DataFrame:
    """Survey responses of the selection (S of METRICS.md) whose ticket exists, grouped by that
    ticket's first-reply minutes.

    Bucket i (0..n-1) holds replies in (edge[i-1], edge[i]] (a closed upper bound, like the
    target: 15.0 minutes is within 15); bucket n holds replies slower than the last edge and
    bucket n+1 tickets with no valid reply (missing or before creation). Every bucket is
    returned. Columns: bucket, lower, upper (minutes; None when open), surveys, responses,
    score_sum, csat, mean_score and csat_pct (None over no responses).
    """
    from . import rollups

    edges = reply_edges(rules, edges)
    n = len(edges)
    counts = rollups.reply_bucket_sums(db, filters, scope, edges)
    if counts is not None:
        counts = counts.rename(columns={"reply_bucket": "bucket"})[["bucket", "surveys", "responses", "score_sum", "csat"]]
        return _reply_frame(counts, edges)
    # An alias, so the channel/type EXISTS of survey_conditions keeps its own tickets table.
    ticket = tickets.alias("surveyed_ticket")
    minutes = _valid_duration(minutes_between(ticket.c.created_at, ticket.c.first_response_at))
    joined = (
        sa.select(S.score.label("score"), minutes.label("minutes"))
        .select_from(surveys.join(ticket, ticket.c.ticket_id == S.ticket_id))
        .where(*survey_conditions(db.dialect, filters, scope))
        .subquery("surveyed")
    )
    j = joined.c
    bucket = sa.case(
        (j.minutes.is_(None), n + 1),
        *[(j.minutes <= sa.literal(edge), i) for i, edge in enumerate(edges)],
        else_=n,
    ).label("bucket")
    statement = sa.select(
        bucket,
        sa.func.count().label("surveys"),
        sa.func.count(j.score).label("responses"),
        sa.func.sum(j.score).label("score_sum"),
        _count_if(j.score >= 4).label("csat"),
    ).group_by(bucket)
    return _reply_frame(db.frame(statement), edges)


def _reply_frame(counts: pd.DataFrame, edges: tuple[float, ...]) -> pd.DataFrame:
    """Every bucket, with its bounds, sums and ratios (zero and None where no survey fell)."""
    n = len(edges)
    frame = pd.DataFrame({"bucket": range(n + 2)})
    frame["lower"] = [None, *edges, None]
    frame["upper"] = [*edges, None, None]
    counts["bucket"] = pd.to_numeric(counts["bucket"]).astype(int)
    frame = frame.merge(counts, on="bucket", how="left")
    for column in ("surveys", "responses", "score_sum", "csat"):
        frame[column] = pd.to_numeric(frame[column]).fillna(0).astype("int64")
    frame["mean_score"] = _ratio(frame["score_sum"], frame["responses"])
    frame["csat_pct"] = _pct(frame["csat"], frame["responses"], frame["responses"] > 0)
    frame.loc[0, "lower"] = 0.0
    for column in ("lower", "upper"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


def follow_up_coverage(
    db: Database, rules: ServiceRules, filters: Filters, scope: Scope, by: Sequence[str] = ("service_area",)
) -> pd.DataFrame:
    """Per group: resolved tickets, those followed up (a survey of theirs at any date) and
    follow_up_coverage_pct (None without resolved tickets). The same ticket_base, hence the same
    numbers, as ticket_summary, without its percentiles (seconds on a year of tickets)."""
    from . import rollups

    by = list(by)
    unknown = [d for d in by if d not in TICKET_DIMENSIONS]
    if unknown:
        raise ValueError(f"cannot group by {unknown}")
    frame = rollups.ticket_sums(db, filters, scope, by, ("resolved", "followed_up"))
    if frame is None:
        base, _ = ticket_base(db.dialect, rules, filters, scope, by)
        b = base.c
        keys = [b[d] for d in by]
        counts = [sa.func.count(b.resolution_hours).label("resolved"), sa.func.sum(b.followed_up).label("followed_up")]
        statement = sa.select(*keys, *counts).group_by(*keys) if keys else sa.select(*counts)
        frame = db.frame(statement)
    for column in ("resolved", "followed_up"):
        frame[column] = pd.to_numeric(frame[column]).fillna(0).astype("int64")
    frame["follow_up_coverage_pct"] = _pct(frame["followed_up"], frame["resolved"], frame["resolved"] > 0)
    return frame
