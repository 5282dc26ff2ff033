"""The figures of METRICS.md as one plain dict: what `metrics --json`, the Overview and the
report all show. Built from the grouped aggregates, so every surface agrees by construction."""
from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa

from .aggregates import _in, combine_counts_and_percentiles, survey_summary, survey_totals, ticket_counts, ticket_percentiles_with_total
from .database import Database
from .filters import Filters, Scope
from .rules import ServiceRules
from .schema import ESCALATION_LEVELS, REQUEST_TYPES, SATISFACTION_DIMENSIONS, SERVICE_AREAS, SEVERITIES, estates


def _plain(value: Any) -> Any:
    """numpy scalars and NaN to JSON-ready Python values."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):
        value = value.item()
    return value


def households(db: Database, filters: Filters, scope: Scope) -> int:
    """Sum of households of the filtered estates (all estates in scope when unfiltered)."""
    statement = sa.select(sa.func.coalesce(sa.func.sum(estates.c.households), 0))
    allowed = scope.allowed_estates(filters.estates)
    if allowed is not None:
        statement = statement.where(_in(estates.c.estate_id, allowed) if allowed else sa.false())
    return int(db.rows(statement)[0][0] or 0)


def _ticket_figures(row: dict, target_minutes: float, household_total: int) -> dict:
    total = int(row["tickets"])
    return {
        "tickets": {
            "total": total,
            "by_type": {t: int(row[f"type_{t}"]) for t in REQUEST_TYPES},
            "open": int(row["open"]),
            "per_1000_households": (1000.0 * total / household_total) if household_total > 0 else None,
        },
        "first_response": {
            "responded": int(row["responded"]),
            "median_minutes": _plain(row["response_median"]),
            "p90_minutes": _plain(row["response_p90"]),
            "target_minutes": target_minutes,
            "within_target_pct": _plain(row["within_target_pct"]),
        },
        "resolution": {
            "resolved": int(row["resolved"]),
            "median_hours": _plain(row["resolution_median"]),
            "p90_hours": _plain(row["resolution_p90"]),
            "within_sla_pct": _plain(row["within_sla_pct"]),
        },
        "escalations": {
            "total": int(row["escalations"]),
            "rate_pct": _plain(row["escalation_rate_pct"]),
            "by_level": {str(n): int(row[f"level_{n}"]) for n in ESCALATION_LEVELS},
        },
        "complaints": {
            "total": int(row["complaints"]),
            "by_severity": {
                **{s: int(row[f"severity_{s}"]) for s in SEVERITIES},
                "unclassified": int(row["severity_unclassified"]),
            },
            "overdue_30d": int(row["overdue_30d"]),
        },
    }


def _area_figures(tickets_row: dict | None, survey_row: dict | None) -> dict:
    def t(column, default=None):
        return default if tickets_row is None else _plain(tickets_row[column])

    def s(column, default=None):
        return default if survey_row is None else _plain(survey_row[column])

    return {
        "tickets": int(t("tickets", 0)),
        "first_response_median_minutes": t("response_median"),
        "first_response_within_target_pct": t("within_target_pct"),
        "resolution_median_hours": t("resolution_median"),
        "within_sla_pct": t("within_sla_pct"),
        "escalations": int(t("escalations", 0)),
        "responses": int(s("responses", 0)),
        "mean_score": s("mean_score"),
        "csat_pct": s("csat_pct"),
    }


def _rows_by_area(frame: pd.DataFrame) -> dict[str, dict]:
    """A frame by service area as plain rows: a pandas row lookup per figure costs more than the query."""
    return {row["service_area"]: row for row in frame.to_dict("records")}


def compute_metrics(db: Database, rules: ServiceRules, filters: Filters, scope: Scope) -> dict:
    """Every figure of METRICS.md for one selection, in the `metrics --json` shape."""
    # Counts and survey sums per area add up to the totals (tickets outside the five areas
    # form their own group); so do the rollups' histograms, but not exact percentiles, which
    # then need a query of their own for the totals.
    area_counts = ticket_counts(db, rules, filters, scope, by=["service_area"])
    area_percentiles, overall_percentiles = ticket_percentiles_with_total(db, rules, filters, scope, ["service_area"])
    by_area_tickets = _rows_by_area(combine_counts_and_percentiles(area_counts, area_percentiles, ["service_area"]))
    total_counts = area_counts.drop(columns="service_area").sum().to_frame().T.astype("int64")
    overall = combine_counts_and_percentiles(total_counts, overall_percentiles, []).to_dict("records")[0]
    area_surveys = survey_summary(db, filters, scope, by=["service_area"])
    by_area_surveys = _rows_by_area(area_surveys)
    survey_overall = survey_totals(area_surveys).to_dict("records")[0]

    figures = _ticket_figures(overall, rules.first_response_target_minutes, households(db, filters, scope))
    figures["satisfaction"] = {
        "responses": int(survey_overall["responses"]),
        "mean_score": _plain(survey_overall["mean_score"]),
        "csat_pct": _plain(survey_overall["csat_pct"]),
        "dimensions": {d: _plain(survey_overall[f"{d}_mean"]) for d in SATISFACTION_DIMENSIONS},
        "follow_up_coverage_pct": _plain(overall["follow_up_coverage_pct"]),
    }
    figures["by_area"] = {area: _area_figures(by_area_tickets.get(area), by_area_surveys.get(area)) for area in SERVICE_AREAS}
    return {
        "period": {"from": filters.start.isoformat(), "to": filters.end.isoformat()},
        "filters": {
            "estates": sorted(filters.estates),
            "areas": sorted(filters.areas),
            "channels": sorted(filters.channels),
            "request_types": sorted(filters.request_types),
        },
        **figures,
    }
