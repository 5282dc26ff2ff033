"""Every headline figure per estate: the league table, heatmaps and "needs attention"."""
from __future__ import annotations

import pandas as pd

from .aggregates import (
    PERCENTILES, add_ticket_ratios, combine_counts_and_percentiles, survey_summary, ticket_counts, ticket_percentiles,
)
from .catalog import estate_list
from .database import Database
from .filters import Filters, Scope
from .rules import ServiceRules

LEAGUE_COLUMNS = [
    "estate_id", "name", "city", "region", "households", "tickets", "per_1000_households",
    "within_target_pct", "response_median", "within_sla_pct", "resolution_median", "escalations",
    "escalation_rate_pct", "complaints", "severity_major", "overdue_30d", "surveys", "responses", "csat_pct", "mean_score",
    "follow_up_coverage_pct",
]


# The sums the league's columns are made of (of every count and survey sum: a third of them
# to add up, fetch and convert for thousands of estates).
LEAGUE_COUNTS = ("tickets", "responded", "within_target", "resolved", "within_sla", "escalations", "complaints", "severity_major",
                 "overdue_30d", "followed_up")
LEAGUE_SURVEY_SUMS = ("surveys", "responses", "score_sum", "csat")


def estate_league(
    db: Database, rules: ServiceRules, filters: Filters, scope: Scope, by_area: bool = False, *, medians: bool = True,
    estates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per estate in scope and filter (per estate and area when `by_area`), estates
    without tickets included with null figures, so nobody silently drops off the table.
    Without `medians` the two median columns stay null and their (costlier) query is skipped.
    `estates` is the scope's estate_list when the caller holds it already."""
    by = ("estate_id", "service_area") if by_area else ("estate_id",)
    counts = ticket_counts(db, rules, filters, scope, by=by, counts=LEAGUE_COUNTS)
    if medians:
        tickets = combine_counts_and_percentiles(counts, ticket_percentiles(db, rules, filters, scope, by=by), list(by))
    else:
        tickets = add_ticket_ratios(counts.assign(**{f"{m}_{p}": None for m in ("response", "resolution") for p in PERCENTILES}))
    surveys = survey_summary(db, filters, scope, by=by, sums=LEAGUE_SURVEY_SUMS)[[*by, "surveys", "responses", "csat_pct", "mean_score"]]
    estates = estate_list(db, scope) if estates is None else estates
    allowed = scope.allowed_estates(filters.estates)
    if allowed is not None:
        estates = estates[estates["estate_id"].isin(allowed)]
    frame = tickets.merge(surveys, on=list(by), how="outer")
    frame = estates.merge(frame, on="estate_id", how="left" if not by_area else "inner")
    frame["tickets"] = frame["tickets"].fillna(0).astype(int)
    for column in ("escalations", "complaints", "severity_major", "overdue_30d", "surveys", "responses"):
        frame[column] = frame[column].fillna(0).astype(int)
    households = pd.to_numeric(frame["households"], errors="coerce")
    frame["per_1000_households"] = (1000.0 * frame["tickets"] / households).where(households > 0)
    columns = LEAGUE_COLUMNS + (["service_area"] if by_area else [])
    frame = frame[columns].copy()
    numeric = [c for c in columns if c not in ("estate_id", "name", "city", "region", "service_area")]
    for column in numeric:  # the ratios come as objects (None for null); the counts are numbers already
        if not pd.api.types.is_numeric_dtype(frame[column]):
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame.sort_values(["city", "name"]).reset_index(drop=True)


def league_of_one_area(league: pd.DataFrame, area: str) -> pd.DataFrame:
    """estate_league(by_area=True) of a question asking for `area` alone, from that question's
    estate_league: per estate and area is then per estate, for the estates with tickets or
    surveys in it (those by_area finds). The Estates page draws its heatmap from the table's
    rows instead of asking the database for the same sums again."""
    rows = league[(league["tickets"] > 0) | (league["surveys"] > 0)]
    return rows.assign(service_area=area)[[*LEAGUE_COLUMNS, "service_area"]].reset_index(drop=True)


def areas_with_data(db: Database, rules: ServiceRules, filters: Filters, scope: Scope) -> list[str]:
    """The service areas where the selection has tickets or surveys: the columns of the league
    by area (estate_league(by_area=True)) of every estate, from a few rows per area."""
    tickets = ticket_counts(db, rules, filters, scope, by=("service_area",), counts=("tickets",))
    surveys = survey_summary(db, filters, scope, by=("service_area",), sums=("surveys", "responses"))
    present = set(tickets.loc[tickets["tickets"] > 0, "service_area"].dropna()) | set(surveys["service_area"].dropna())
    return sorted(present)


MEDIAN_COLUMNS = ["response_median", "resolution_median"]


def estate_medians(db: Database, rules: ServiceRules, filters: Filters, scope: Scope) -> pd.DataFrame:
    """The league's two median columns per estate with tickets: the costliest figures of the
    table at a group's scale (per estate they need every ticket's time or a histogram per
    estate), so the dashboard asks for them after the rest of the table is drawn."""
    medians = ticket_percentiles(db, rules, filters, scope, by=("estate_id",))
    return medians[["estate_id", *MEDIAN_COLUMNS]].reset_index(drop=True)
