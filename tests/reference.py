"""METRICS.md computed the plain way: whole tables in pandas, one figure at a time.

Written from the contract alone (not from data_access.aggregates), so the SQL can be
checked against it. Returns the dict shape of `data_access.metrics.compute_metrics`.
Scope is not modelled here: a scoped user's figures are the reference over the data
restricted to their estates (`Dataset.restricted_to`).
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from engines import Dataset

SERVICE_AREAS = ("security", "cleaning", "greening", "repair", "other")
REQUEST_TYPES = ("repair", "complaint", "inquiry", "suggestion", "praise")
SEVERITIES = ("minor", "important", "major")
DIMENSIONS = ("attitude", "speed", "result", "professionalism")

FIRST_RESPONSE_TARGET_MINUTES = 15.0
# The default SLA table of METRICS.md: request type -> (urgent hours, normal hours).
SLA_HOURS = {
    "repair": (4, 48),
    "complaint": (24, 72),
    "inquiry": (4, 24),
    "suggestion": (72, 168),
    "praise": (72, 168),
}
COMPLAINT_OVERDUE = pd.Timedelta(days=30)


def reference_metrics(
    data: Dataset,
    start: dt.date,
    end: dt.date,
    *,
    estates=(),
    areas=(),
    channels=(),
    request_types=(),
    target_minutes: float = FIRST_RESPONSE_TARGET_MINUTES,
    sla_hours: dict[str, tuple[float, float]] = SLA_HOURS,
) -> dict:
    """Every figure of METRICS.md for the period [start, end] and the filters (empty = all)."""
    period_start = pd.Timestamp(start)
    period_end = pd.Timestamp(end) + pd.Timedelta(days=1)  # midnight after `to`

    tickets = _selected_tickets(data.tickets, period_start, period_end, estates, areas, channels, request_types)
    surveys = _selected_surveys(data, period_start, period_end, estates, areas, channels, request_types)
    estate_rows = data.estates if not estates else data.estates[data.estates["estate_id"].isin(set(estates))]
    household_total = estate_rows["households"].sum()
    followed_up_ids = set(data.surveys["ticket_id"].dropna())

    total = len(tickets)
    figures = {
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "filters": {
            "estates": sorted(estates),
            "areas": sorted(areas),
            "channels": sorted(channels),
            "request_types": sorted(request_types),
        },
        "tickets": {
            "total": total,
            "by_type": {t: int((tickets["request_type"] == t).sum()) for t in REQUEST_TYPES},
            "open": int(tickets["status"].isin(["open", "in_progress"]).sum()),
            "per_1000_households": 1000.0 * total / household_total if household_total > 0 else None,
        },
        "first_response": {
            "responded": int(tickets["response_minutes"].notna().sum()),
            "median_minutes": _percentile(tickets["response_minutes"], 50),
            "p90_minutes": _percentile(tickets["response_minutes"], 90),
            "target_minutes": target_minutes,
            "within_target_pct": _within_target_pct(tickets, target_minutes),
        },
        "resolution": {
            "resolved": int(tickets["resolution_hours"].notna().sum()),
            "median_hours": _percentile(tickets["resolution_hours"], 50),
            "p90_hours": _percentile(tickets["resolution_hours"], 90),
            "within_sla_pct": _within_sla_pct(tickets, sla_hours),
        },
        "escalations": {
            "total": int((tickets["escalation_level"] >= 1).sum()),
            "rate_pct": _percent((tickets["escalation_level"] >= 1).sum(), total),
            "by_level": {str(level): int((tickets["escalation_level"] == level).sum()) for level in (1, 2, 3)},
        },
        "complaints": _complaints(tickets, period_end),
        "satisfaction": {
            **_satisfaction(surveys),
            "dimensions": {d: _mean(surveys[d]) for d in DIMENSIONS},
            "follow_up_coverage_pct": _follow_up_coverage_pct(tickets, followed_up_ids),
        },
        "by_area": {
            area: _area_figures(
                tickets[tickets["service_area"] == area],
                surveys[surveys["service_area"] == area],
                target_minutes,
                sla_hours,
            )
            for area in SERVICE_AREAS
        },
    }
    return figures


# --- selections ----------------------------------------------------------------------
def _in_period(timestamps: pd.Series, period_start, period_end) -> pd.Series:
    day = timestamps.dt.normalize()  # the calendar date of the timestamp
    return (day >= period_start) & (day < period_end)


def _selected_tickets(tickets, period_start, period_end, estates, areas, channels, request_types) -> pd.DataFrame:
    keep = _in_period(tickets["created_at"], period_start, period_end) & (tickets["status"] != "cancelled")
    for column, wanted in (
        ("estate_id", estates),
        ("service_area", areas),
        ("channel", channels),
        ("request_type", request_types),
    ):
        if wanted:
            keep &= tickets[column].isin(set(wanted))
    selected = tickets[keep].copy()
    selected["response_minutes"] = _valid_duration(selected["created_at"], selected["first_response_at"]) / 60.0
    selected["resolution_hours"] = _valid_duration(selected["created_at"], selected["resolved_at"]) / 3600.0
    return selected


def _valid_duration(created_at: pd.Series, later: pd.Series) -> pd.Series:
    """Seconds from creation; a time before creation is invalid and treated as missing."""
    seconds = (later - created_at).dt.total_seconds()
    return seconds.where(seconds >= 0)


def _selected_surveys(data: Dataset, period_start, period_end, estates, areas, channels, request_types):
    surveys = data.surveys
    keep = _in_period(surveys["surveyed_at"], period_start, period_end)
    if estates:
        keep &= surveys["estate_id"].isin(set(estates))
    if areas:
        keep &= surveys["service_area"].isin(set(areas))
    if channels or request_types:
        # Channel and request type describe tickets: only follow-up surveys of matching tickets
        # can match (the rule data_access documents; METRICS.md leaves it open).
        matching = data.tickets
        if channels:
            matching = matching[matching["channel"].isin(set(channels))]
        if request_types:
            matching = matching[matching["request_type"].isin(set(request_types))]
        keep &= surveys["ticket_id"].isin(set(matching["ticket_id"]))
    return surveys[keep]


# --- figures -------------------------------------------------------------------------
def _percentile(values: pd.Series, q: float):
    values = values.dropna().to_numpy(dtype=float)
    return float(np.percentile(values, q)) if len(values) else None


def _percent(part, whole):
    return 100.0 * float(part) / float(whole) if whole else None


def _mean(values: pd.Series):
    values = values.dropna()
    return float(values.mean()) if len(values) else None


def _within_target_pct(tickets: pd.DataFrame, target_minutes: float):
    minutes = tickets["response_minutes"]
    if minutes.notna().sum() == 0:
        return None  # the source records no replies: "no data", not 0%
    return _percent((minutes <= target_minutes).sum(), len(tickets))


def _sla_of(tickets: pd.DataFrame, sla_hours) -> pd.Series:
    return pd.Series(
        [
            sla_hours[t][0 if p == "urgent" else 1] if t in sla_hours else np.nan
            for t, p in zip(tickets["request_type"], tickets["priority"])
        ],
        index=tickets.index,
        dtype=float,
    )


def _within_sla_pct(tickets: pd.DataFrame, sla_hours):
    hours = tickets["resolution_hours"]
    if hours.notna().sum() == 0:
        return None
    return _percent((hours <= _sla_of(tickets, sla_hours)).sum(), len(tickets))


def _complaints(tickets: pd.DataFrame, period_end: pd.Timestamp) -> dict:
    complaints = tickets[tickets["request_type"] == "complaint"]
    hours = complaints["resolution_hours"]
    resolved_late = hours > COMPLAINT_OVERDUE.total_seconds() / 3600.0
    open_too_long = hours.isna() & (complaints["created_at"] < period_end - COMPLAINT_OVERDUE)
    return {
        "total": len(complaints),
        "by_severity": {
            **{s: int((complaints["severity"] == s).sum()) for s in SEVERITIES},
            "unclassified": int(complaints["severity"].isna().sum()),
        },
        "overdue_30d": int((resolved_late | open_too_long).sum()),
    }


def _satisfaction(surveys: pd.DataFrame) -> dict:
    scores = surveys["score"].dropna()
    return {
        "responses": len(scores),
        "mean_score": _mean(scores),
        "csat_pct": _percent((scores >= 4).sum(), len(scores)),
    }


def _follow_up_coverage_pct(tickets: pd.DataFrame, followed_up_ids: set):
    resolved = tickets[tickets["resolution_hours"].notna()]
    return _percent(resolved["ticket_id"].isin(followed_up_ids).sum(), len(resolved))


def _area_figures(tickets: pd.DataFrame, surveys: pd.DataFrame, target_minutes, sla_hours) -> dict:
    satisfaction = _satisfaction(surveys)
    return {
        "tickets": len(tickets),
        "first_response_median_minutes": _percentile(tickets["response_minutes"], 50),
        "first_response_within_target_pct": _within_target_pct(tickets, target_minutes),
        "resolution_median_hours": _percentile(tickets["resolution_hours"], 50),
        "within_sla_pct": _within_sla_pct(tickets, sla_hours),
        "escalations": int((tickets["escalation_level"] >= 1).sum()),
        "responses": satisfaction["responses"],
        "mean_score": satisfaction["mean_score"],
        "csat_pct": satisfaction["csat_pct"],
    }
