"""Pre-aggregated rollups: ticket and survey figures summed per day, ISO week or month over a
few dimensions, so a question about three years reads thousands of rows instead of millions.

Callers never see them. `ticket_counts`, `ticket_percentiles` and `survey_summary` ask
`plan_tickets` / `plan_surveys` whether a rollup answers the question (it keeps every
dimension the question filters or groups by, it was built with today's service rules, and no
day of the period changed since the last refresh); if so they read it, else the raw tables.
A period is tiled by whole rows (years, quarters, months, weeks, days) and, where a rollup
keeps no days, a few days of raw tickets, choosing the cheapest cover, so any closed date range
is answered exactly. Rollups per city answer questions about whole cities' estates.

Counts are exact sums. Percentiles come from log-scale histograms: a value v > 0.01 minute
falls in bucket 1 + floor(ln(v / 0.01) / ln(1.02)), whose geometric middle is within 1% of
every value in it, so a percentile interpolated between two bucket middles is within 1% of
the exact one (METRICS.md allows 1%). A group's histogram of a period is one packed row
(data_access.histograms), not a row per bucket.

Rollups are derived data, rebuilt by `estate-dashboard refresh`: their tables are made here,
not by the schema migrations, and are dropped and rebuilt whenever their definition changes.
Writers (import, demo) record the days they touched in `rollup_dirty`; a period holding a
dirty day is answered from the raw tables until the next refresh, so a figure is never stale.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import sqlalchemy as sa

# aggregates imports this module only inside its functions, so this import is not circular.
from .aggregates import (
    MEASURES, PERCENTILES, SURVEY_DIMENSIONS, TICKET_COUNTS, TICKET_DIMENSIONS, _count_if, _in, _resolved_late, _valid_duration,
    count_aggregates, raw_counts_select, raw_survey_select, survey_aggregates, survey_conditions, ticket_base, ticket_conditions,
    unresolved_complaint,
)
from . import histograms
from .database import Database
from .filters import ALL, Filters, Scope
from .rules import ServiceRules
from .schema import SATISFACTION_DIMENSIONS, estates, surveys, tickets
from .sqlfuncs import as_date, count_sum, day_of, minutes_between, month_of, week_of, weekday_of

# Histogram buckets: ratio 1.02 keeps the bucket middle within 1% (sqrt(1.02) = 1.00995).
BUCKET_RATIO = 1.02
BUCKET_FLOOR_MINUTES = 0.01  # below 0.6 s everything shares bucket 0, represented by its mean
STATE_SECONDS = 5.0  # how long a process trusts what it read of the rollup state

# Which grains of rows can answer a grouping by time: a row must lie inside one group.
GRAINS_FOR = {"day": ("day",), "weekday": ("day",), "week": ("week", "day"), "month": ("month", "day")}
# Rows of these grains are sums of month rows, written after them (no time grouping reads them).
COARSE_GRAINS = ("quarter", "year")


@dataclass(frozen=True)
class Rollup:
    name: str
    kind: str  # "tickets" or "surveys"
    dims: tuple[str, ...]
    grains: tuple[str, ...]  # "day", "week" (ISO, Monday first), "month", "quarter", "year"
    histogram_grains: tuple[str, ...] = ()  # none: no percentiles from this rollup
    # Dimensions a question must group by to use this rollup: it holds only some rows.
    requires: tuple[str, ...] = ()

    @property
    def histograms(self) -> bool:
        return bool(self.histogram_grains)

    @property
    def stores_percentiles(self) -> bool:
        """Week and month rows carry their own percentiles (from their histogram), so a trend
        by week and every dimension reads one row per point instead of hundreds of buckets.
        Not per estate: thousands of estates would make the refresh write row by row."""
        return self.histograms and "estate_id" not in self.dims

    @property
    def table_name(self) -> str:
        return f"rollup_{self.name}"


# Smallest first: a question takes the first rollup that keeps all its dimensions. Names say
# what a rollup keeps (estate_overall: per estate, areas summed; survey_estate_totals: per
# estate and area, scores summed).
# Fine grains only where rows stay few: days of every estate and area would be about as many
# as the tickets (estate_overall and survey_estate_overall, areas summed, are the per-estate
# rollups that keep days).
# Quarters and years (sums of months) let a question about years read a few rows per group
# where months would give thirty-six: histograms above all, hundreds of buckets a row.
DAYS_UP = ("day", "week", "month", *COARSE_GRAINS)
WEEKS_UP = ("week", "month", *COARSE_GRAINS)
ROLLUPS = (
    Rollup("area", "tickets", ("service_area",), DAYS_UP, DAYS_UP),
    # First replies by weekday and hour (the Response page's map). The weekday is kept, so
    # months, quarters and years answer it too. No weeks: a week's row for one weekday holds a
    # single day, as its day row does (three years at 10M: 131,000 day rows -> ~12,000 rows).
    Rollup("area_hour", "tickets", ("service_area", "weekday", "hour"), ("day", "month", *COARSE_GRAINS)),
    # Percentiles by priority or channel (the Response page) from small histograms of their own;
    # one histogram over all four detail dimensions would be as large as the tickets.
    Rollup("area_priority", "tickets", ("service_area", "priority"), DAYS_UP, ("week", "month", *COARSE_GRAINS)),
    Rollup("area_channel", "tickets", ("service_area", "channel"), DAYS_UP, ("week", "month", *COARSE_GRAINS)),
    Rollup("area_detail", "tickets", ("service_area", "request_type", "priority", "channel"), DAYS_UP),
    # Per city, for the filter bar's whole cities ("all of 上海"): a city's trends and its
    # breakdowns without the tickets. Used when the estates asked are exactly some whole cities.
    # Days too, a few dozen rows a day: a quarter starting or ending mid-week read those days of
    # the city's tickets (its pages at 10M: ~60-200 ms each, of ~230-510 ms).
    Rollup("city", "tickets", ("city", "service_area"), DAYS_UP, DAYS_UP),
    Rollup("city_detail", "tickets", ("city", "service_area", "request_type", "priority", "channel"), WEEKS_UP),
    # A city's first replies by hour and weekday (the Response page's map), by day (a city's
    # quarter at 10M read from the tickets: ~0.7 s; from these ~10,000 day rows: ~60 ms).
    Rollup("city_hour", "tickets", ("city", "service_area", "hour"), ("day",)),
    # Per estate: weeks too ("last week", the directors' daily question, without the tickets).
    # estate_overall, over all areas (the league, the attention list), reads a fifth of the rows,
    # and keeps days: at a group's scale an estate has a handful of tickets a day, so its day rows
    # are a fifth of the tickets (10M: 2.2M), and a period starting mid-week reads a few day rows
    # per estate, not those days' tickets (three years from a Thursday: ~17,000 day rows, not 64,000 bucket rows).
    Rollup("estate_overall", "tickets", ("estate_id",), DAYS_UP, DAYS_UP),
    Rollup("estate", "tickets", ("estate_id", "service_area"), WEEKS_UP, WEEKS_UP),
    Rollup("survey_area", "surveys", ("service_area", "score"), DAYS_UP),
    Rollup("survey_city", "surveys", ("city", "service_area", "score"), DAYS_UP),
    # Per estate over all areas, with days (as estate_overall): the league's and the attention
    # list's sums over long periods read a fifth of the per-area rows and no raw edge days
    # (three years of 2,000 estates at 10M: ~100 ms of rows and ~100 ms of edge days' surveys).
    Rollup("survey_estate_overall", "surveys", ("estate_id",), DAYS_UP),
    # Per estate without the score: the league's and the heatmap's sums read a third of the rows
    # (10M tickets: 2.0M rows against 5.3M; three years of 2,000 estates 150-200 ms -> 90 ms).
    Rollup("survey_estate_totals", "surveys", ("estate_id", "service_area"), WEEKS_UP),
    Rollup("survey_estate", "surveys", ("estate_id", "service_area", "score"), WEEKS_UP),
    # Follow-up surveys by their ticket's first-reply bucket (satisfaction.score_by_first_reply).
    Rollup("survey_reply", "surveys", ("service_area", "reply_bucket"), DAYS_UP, requires=("reply_bucket",)),
    Rollup("survey_reply_estate", "surveys", ("estate_id", "service_area", "reply_bucket"), ("month", *COARSE_GRAINS),
           requires=("reply_bucket",)),
)
# The first-reply buckets of survey_reply: (.., 5], (5, 15], (15, 30], (30, 60], (60, 240], > 240,
# then no valid reply. Questions with other edges (another target) read the raw tables.
SURVEY_REPLY_EDGES = (5.0, 15.0, 30.0, 60.0, 240.0)

# First replies within each of these minutes: the reply histogram's edges and any first-reply
# target among them (the Response page's buckets, DEFAULT_RESPONSE_EDGES of distributions).
REPLY_EDGES = (5, 10, 15, 20, 30, 45, 60, 120, 240, 480, 1440)
# overdue_30d depends on the period's end, so rollups keep its two parts.
TICKET_MEASURES = (
    *[c for c in TICKET_COUNTS if c != "overdue_30d"], "complaints_late", "complaints_unresolved", "complaints_unresolved_major",
    *[f"reply_le_{e}" for e in REPLY_EDGES],
)
SURVEY_MEASURES = (
    "surveys", "responses", "score_sum", "csat", *[f"{d}_{part}" for d in SATISFACTION_DIMENSIONS for part in ("sum", "n")],
)
# Measures whose counting follows the service rules (targets, SLAs, the overdue days).
RULE_DEPENDENT = {"within_target", "within_sla", "overdue_30d", "complaints_late"}
HISTOGRAM_MEASURES = ("response", "resolution")  # both stored in minutes
STORED_PERCENTILES = ("response_median", "response_p90", "resolution_median", "resolution_p90")

metadata = sa.MetaData()

rollup_state = sa.Table(
    "rollup_state",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("definition", sa.String(64), nullable=False),
    sa.Column("rules", sa.String(64), nullable=False),  # what else the rows depend on: _inputs (rules/cities)
    sa.Column("refreshed_at", sa.DateTime, nullable=False),
    sa.Column("rows", sa.BigInteger, nullable=False),
)

# Days whose tickets or surveys changed after the last refresh (by created_at / surveyed_at).
rollup_dirty = sa.Table("rollup_dirty", metadata, sa.Column("day", sa.Date, primary_key=True))


def _dim_type(dim: str):
    return sa.Integer if dim in ("hour", "weekday", "score", "reply_bucket") else sa.String(100) if dim == "city" else sa.String(64)


def _tables(rollup: Rollup) -> tuple[sa.Table, sa.Table | None]:
    measures = TICKET_MEASURES if rollup.kind == "tickets" else SURVEY_MEASURES
    keys = [sa.Column("grain", sa.String(8), nullable=False), sa.Column("period", sa.Date, nullable=False)]
    keys += [sa.Column(d, _dim_type(d)) for d in rollup.dims]
    lead = [d for d in ("estate_id", "city") if d in rollup.dims]
    stored = [sa.Column(c, sa.Float) for c in STORED_PERCENTILES] if rollup.stores_percentiles else []
    table = sa.Table(
        rollup.table_name,
        metadata,
        *keys,
        *[sa.Column(m, sa.BigInteger, nullable=False) for m in measures],
        *stored,
        *_indexes(rollup.table_name, lead, rollup.dims),
    )
    histogram = None
    if rollup.histograms:
        # One row per group, period and measure: its buckets packed (data_access.histograms).
        histogram = sa.Table(
            f"{rollup.table_name}_hist",
            metadata,
            *[c._copy() for c in keys],
            sa.Column("measure", sa.String(10), nullable=False),
            sa.Column("buckets", sa.LargeBinary, nullable=False),
            sa.Column("counts", sa.LargeBinary, nullable=False),
            sa.Column("zero_sum", sa.Float, nullable=False),
            *_indexes(f"{rollup.table_name}_hist", lead, rollup.dims),
        )
    return table, histogram


def _indexes(table_name: str, lead: list[str], dims: Sequence[str]) -> list[sa.Index]:
    """By lead (estate or city) then period, and by period (then area) where there is a lead: a
    question about every estate would otherwise read every row of every period (millions at a
    group's scale). With the area, a question about one area reads only its rows' pages, as
    rows are written area by area (area_first)."""
    indexes = [sa.Index(f"ix_{table_name}", *lead, "grain", "period")]
    if lead:
        area = ["service_area"] if "service_area" in dims else []
        indexes.append(sa.Index(f"ix_{table_name}_period" + "_area" * bool(area), "grain", "period", *area))
    return indexes


def area_first(dims: Sequence[str]) -> list[str]:
    """A rollup's dimensions in the order its rows are written, after the grain and period: the
    service area first. One area's rows of a period then sit together, a fifth of the pages a
    league of one area over a year reads (10M tickets, per estate: 3,412 -> 707 pages, from
    disk ~120 -> ~20 ms; interleaved, every page held a row of each area). Rollups that store
    their percentiles update their week and month rows afterwards, which PostgreSQL may move:
    those have no estates, and few rows."""
    return sorted(dims, key=lambda d: d != "service_area")


TABLES = {r.name: _tables(r) for r in ROLLUPS}


@functools.cache  # asked by every plan; the columns' types compile to text slowly (~1 ms)
def _definition(rollup: Rollup) -> str:
    table, histogram = TABLES[rollup.name]
    columns = [[(c.name, str(c.type)) for c in t.columns] for t in (table, histogram) if t is not None]
    text = repr((rollup, columns, BUCKET_RATIO, BUCKET_FLOOR_MINUTES, histograms.FORMAT))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def rules_fingerprint(rules: ServiceRules) -> str:
    """Rollups count "within target" and "within SLA" with the rules they were built with."""
    return hashlib.sha256(repr(rules).encode()).hexdigest()[:16]


# --- reading the state ---------------------------------------------------------------------


@dataclass(frozen=True)
class Cities:
    """Which estates each city holds, as the estates table says now."""

    estates: dict[str, frozenset[str]]

    @classmethod
    def read(cls, db: Database) -> Cities:
        by_city: dict[str, set[str]] = {}
        for estate_id, city in db.rows(sa.select(estates.c.estate_id, estates.c.city)):
            by_city.setdefault(city, set()).add(estate_id)  # None: estates without a city
        return cls({city: frozenset(ids) for city, ids in by_city.items()})

    @functools.cached_property
    def fingerprint(self) -> str:
        """City rollups were built with this grouping of estates; another means rebuild them."""
        text = repr(sorted((str(city), sorted(ids)) for city, ids in self.estates.items()))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def whole(self, wanted: frozenset[str]) -> frozenset[str] | None:
        """The cities whose estates are exactly `wanted`, or None when `wanted` is no union of
        whole cities (part of one, or an estate without a city)."""
        cities = frozenset(city for city, ids in self.estates.items() if ids & wanted)
        if not wanted or None in cities or frozenset().union(*(self.estates[c] for c in cities)) != wanted:
            return None
        return cities


def _inputs(rollup: Rollup, rules: ServiceRules, cities: Cities) -> str:
    """What a rollup's rows depend on besides its definition, as stored in rollup_state.rules:
    the service rules (ticket counts) / which estates make each city (city rollups)."""
    return "/".join((rules_fingerprint(rules) if rollup.kind == "tickets" else "", cities.fingerprint if "city" in rollup.dims else ""))


@dataclass(frozen=True)
class State:
    rollups: dict[str, tuple[str, str]]  # name -> (definition, _inputs)
    refreshed_at: dt.datetime | None
    dirty: tuple[dt.date, ...]
    cities: Cities
    data: tuple[dt.date, dt.date] | None = None  # the first and last day of any ticket or survey, as read now

    def usable(self, rollup: Rollup, rules: ServiceRules | None) -> bool:
        built = self.rollups.get(rollup.name)
        if built is None or built[0] != _definition(rollup):
            return False
        built_rules, _, built_cities = built[1].partition("/")
        if "city" in rollup.dims and built_cities != self.cities.fingerprint:
            return False  # an estate moved city (or came or went) since they were built
        return rules is None or rollup.kind != "tickets" or built_rules == rules_fingerprint(rules)

    def dirty_between(self, start: dt.date, end: dt.date) -> bool:
        return any(start <= day <= end for day in self.dirty)


def read_state(db: Database) -> State | None:
    """What refresh built, or None when this database has no rollups (or they cannot be read)."""
    try:
        present = set(sa.inspect(db.engine).get_table_names())
    except sa.exc.SQLAlchemyError:
        return None
    if "rollup_state" not in present or "rollup_dirty" not in present:
        return None
    rows = db.rows(sa.select(rollup_state.c.name, rollup_state.c.definition, rollup_state.c.rules, rollup_state.c.refreshed_at))
    dirty = tuple(sorted(as_date(r[0]) for r in db.rows(sa.select(rollup_dirty.c.day))))
    refreshed = [r[3] for r in rows if r[3] is not None]
    return State({r[0]: (r[1], r[2]) for r in rows}, max(refreshed) if refreshed else None, dirty, Cities.read(db), _data_days(db))


def _data_days(db: Database) -> tuple[dt.date, dt.date] | None:
    """The first and last day holding a ticket or a survey, or None when empty: four index
    probes, each its own subquery, as SQLite reads the index's end only for a lone min or max
    (both in one select scanned every row: ~200 ms at 1M tickets, every STATE_SECONDS)."""
    first_ticket, last_ticket, first_survey, last_survey = db.rows(_data_days_probes())[0]
    firsts = [as_date(d) for d in (first_ticket, first_survey) if d is not None]
    lasts = [as_date(d) for d in (last_ticket, last_survey) if d is not None]
    return (min(firsts), max(lasts)) if firsts else None


def _data_days_probes() -> sa.Select:
    edges = [sa.select(edge(at)).scalar_subquery() for at in (tickets.c.created_at, surveys.c.surveyed_at) for edge in (sa.func.min, sa.func.max)]
    return sa.select(*edges)


def current_state(db: Database) -> State | None:
    """`read_state`, remembered for a few seconds so one filter change reads it once."""
    if db.source_views is not None:  # a mapped source is read-only: nothing is rolled up
        return None
    memo = getattr(db, "_rollup_state", None)
    now = time.monotonic()
    if memo is None or now - memo[0] > STATE_SECONDS:
        memo = (now, read_state(db))
        db._rollup_state = memo
    return memo[1]


def forget_state(db: Database) -> None:
    db._rollup_state = None


# --- planning a question --------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    source: str  # a grain ("year" .. "day": rows of the rollup) or "raw" (the tickets/surveys table)
    first: dt.date
    last: dt.date

    @property
    def rows(self) -> int:
        """How many rows of its grain it spans (whole rows: it starts one and ends another)."""
        months = (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1
        days = (self.last - self.first).days + 1
        return {"day": days, "week": days // 7, "month": months, "quarter": months // 3,
                "year": self.last.year - self.first.year + 1}.get(self.source, 0)


@dataclass(frozen=True)
class Plan:
    rollup: Rollup
    segments: tuple[Segment, ...]
    cities: frozenset[str] | None = None  # a city rollup answering for exactly these cities' estates

    @property
    def rolled_up(self) -> list[Segment]:
        return [s for s in self.segments if s.source != "raw"]

    @property
    def raw(self) -> list[Segment]:
        return [s for s in self.segments if s.source == "raw"]

    @property
    def rows_per_group(self) -> int:
        """Rollup rows read per group (and measure): a year and two months are three. Per value
        of the question's keys if they are all the rollup's dimensions (the per-estate medians);
        with a dimension filtered but not grouped by (two areas of the `estate` rollup) there are
        more, which only leaves the rows read as stored where joining them would be quicker."""
        return sum(s.rows for s in self.rolled_up)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _next_week(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=7 - day.weekday())


def _next_quarter(day: dt.date) -> dt.date:
    month = ((day.month - 1) // 3) * 3 + 4
    return dt.date(day.year + (month > 12), (month - 1) % 12 + 1, 1)


def _next_year(day: dt.date) -> dt.date:
    return dt.date(day.year + 1, 1, 1)


# The calendar grains: (the next row's first day from any day, whether a day starts a row).
STEPS = {
    "year": (_next_year, lambda d: d.month == 1 and d.day == 1),
    "quarter": (_next_quarter, lambda d: d.month in (1, 4, 7, 10) and d.day == 1),
    "month": (_next_month, lambda d: d.day == 1),
    "week": (_next_week, lambda d: d.weekday() == 0),
}


YEAR_ROW = dt.timedelta(days=366)  # the longest row


def segments(start: dt.date, end: dt.date, grains: Sequence[str], cuts: Iterable[dt.date] = (),
             data: tuple[dt.date, dt.date] | None = None) -> list[Segment]:
    """[start, end] cut at `cuts`, then tiled by whole rows of the rollup's grains and single days
    (day rows, or raw tickets where it keeps no days): the cheapest cover (`_tile`).

    `data` is the first and last day holding any ticket or survey. Where the period reaches one
    of them, nothing lies beyond it, so the cover may begin or stop anywhere in the empty days
    up to that calendar year's end: a question "until yesterday" of data loaded up to yesterday
    reads this month's row, not its days; three years from the first day of data, four year rows."""
    if data and end >= data[0] and start <= data[1]:
        # No row lies wholly before the data or after it, so a cover need not reach further than
        # a row's length beyond them: a span from 1970 (the complaints watch list) had _tile
        # walk 20,000 empty days (~150 ms a question).
        start, end = max(start, data[0] - YEAR_ROW), min(end, data[1] + YEAR_ROW)
    first = min(start, dt.date(data[0].year, 1, 1)) if data and start <= data[0] else None
    last = max(end, dt.date(data[1].year, 12, 31)) if data and end >= data[1] else None
    free = (first, data[0] if first else None, data[1] if last else None, last)
    return list(_segments(start, end, tuple(sorted(set(grains))), tuple(sorted(set(cuts))), free))


@functools.lru_cache(maxsize=4096)  # a page plans the same period for many queries
def _segments(start: dt.date, end: dt.date, grains: tuple[str, ...], cuts: tuple[dt.date, ...], free=(None,) * 4) -> tuple[Segment, ...]:
    earliest, start_by, end_from, latest = free
    bounds = sorted({start, end + dt.timedelta(days=1), *[c for c in cuts if start < c <= end]})
    pieces = list(zip(bounds, bounds[1:]))
    out: list[Segment] = []
    for n, (a, b) in enumerate(pieces):
        # The first piece may start anywhere from `earliest` to `start_by` (no data before it),
        # the last stop anywhere from `end_from` to `latest`; inner pieces are exact.
        starts = (earliest, min(start_by, b - dt.timedelta(days=1))) if n == 0 and earliest else (a, a)
        stops = (max(end_from, a), latest) if n == len(pieces) - 1 and latest else (b - dt.timedelta(days=1),) * 2
        out += _tile_long(starts, (stops[0] + dt.timedelta(days=1), stops[1] + dt.timedelta(days=1)), grains)
    merged: list[Segment] = []  # neighbours of one source read as one range: a shorter WHERE
    for s in out:
        if merged and merged[-1].source == s.source and merged[-1].last + dt.timedelta(days=1) == s.first:
            merged[-1] = Segment(s.source, merged[-1].first, s.last)
        else:
            merged.append(s)
    return tuple(merged)


# One raw day costs about as much as this many rollup rows (per estate at 10M: a day's tickets
# ~50 ms where one more period's rows of every estate take ~5 ms).
RAW_DAY_ROWS = 8


def _tile_long(starts: tuple[dt.date, dt.date], stops: tuple[dt.date, dt.date], grains: tuple[str, ...]) -> list[Segment]:
    """`_tile`, with the whole years more than a year from either end taken as year rows
    directly: the cheapest cover holds them anyway, and a span from 1970 (the complaints watch
    list) would otherwise walk twenty thousand days."""
    first, last = dt.date(starts[1].year + 2, 1, 1), dt.date(stops[0].year - 1, 1, 1)
    if "year" not in grains or first >= last:
        return _tile(starts, stops, grains)
    years = [Segment("year", dt.date(y, 1, 1), dt.date(y, 12, 31)) for y in range(first.year, last.year)]
    return [*_tile(starts, (first, first), grains), *years, *_tile((last, last), stops, grains)]


def _tile(starts: tuple[dt.date, dt.date], stops: tuple[dt.date, dt.date], grains: tuple[str, ...]) -> list[Segment]:
    """Cover the days from a start in `starts` to before a stop in `stops` (both ranges of days,
    usually a single day each) with whole rows and single days, the cheapest path over the days:
    a raw day (that day's tickets) costs as much as RAW_DAY_ROWS rows. Coarsest first is not
    always cheapest: a period from a Thursday in late November leaves that month's last eight
    days raw, where weeks running on through December leave four."""
    a = starts[0]
    n, first_stop = (stops[1] - a).days, (stops[0] - a).days
    one_day = "day" if "day" in grains else "raw"
    rows = [g for g in ("year", "quarter", "month", "week") if g in grains]
    best: list[tuple[int, int, int, str] | None] = [None] * (n + 1)  # (cost, raw days, from, source)
    for i in range((starts[1] - a).days + 1):
        best[i] = (0, 0, -1, "")  # any of these days may begin the cover
    for i in range(n):
        if best[i] is None:
            continue
        cost, raw = best[i][0], best[i][1]
        day = a + dt.timedelta(days=i)
        steps = [(i + 1, one_day, raw + (one_day == "raw"))]
        for grain in rows:
            step, begins = STEPS[grain]
            if begins(day):
                j = (step(day) - a).days
                if j <= n:
                    steps.append((j, grain, raw))
        for j, source, raw_after in steps:
            candidate = (cost + 1 + RAW_DAY_ROWS * (raw_after - raw), raw_after, i, source)
            if best[j] is None or candidate[:2] < best[j][:2]:
                best[j] = candidate
    j = min(range(first_stop, n + 1), key=lambda k: (*best[k][:2], k))  # every day is reached; the nearest of the cheapest
    out: list[Segment] = []
    while best[j][2] >= 0:
        _, _, i, source = best[j]
        out.append(Segment(source, a + dt.timedelta(days=i), a + dt.timedelta(days=j - 1)))
        j = i
    return out[::-1]


def _needed(filters: Filters, scope: Scope, by: Sequence[str], *, surveys_only: bool) -> set[str] | None:
    """The dimensions a rollup must keep; None when no rollup can (a survey question filtered
    by ticket channel or type)."""
    needed: set[str] = set()
    if scope.allowed_estates(filters.estates) is not None:
        needed.add("estate_id")
    if filters.areas:
        needed.add("service_area")
    if filters.channels:
        needed.add("channel")
    if filters.request_types:
        needed.add("request_type")
    if surveys_only and (filters.channels or filters.request_types):
        return None  # those filters follow the survey to its ticket: only the raw join knows
    return needed | {d for d in by if d not in GRAINS_FOR}


def _grains_answering(rollup: Rollup, by: Sequence[str]) -> set[str]:
    """The grains of a rollup's rows that can answer a question by `by`: a calendar group
    (day, weekday, week, month) needs rows within it, unless the rollup keeps it (weekday)."""
    allowed = {"day", "week", "month", *COARSE_GRAINS}
    for d in by:
        if d in GRAINS_FOR and d not in rollup.dims:
            allowed &= set(GRAINS_FOR[d])
    return allowed


def _plan(db: Database, kind: str, rules: ServiceRules | None, filters: Filters, scope: Scope, by, *, histograms=False, cuts=()):
    state = current_state(db)
    if state is None or state.dirty_between(filters.start, filters.end):
        return None
    needed = _needed(filters, scope, by, surveys_only=kind == "surveys")
    if needed is None:
        return None
    asked = scope.allowed_estates(filters.estates)  # None: every estate
    whole = state.cities.whole(asked) if asked else None
    data = state.data  # rows may run on past the data's ends, unless days there changed since the refresh
    if data and state.dirty_between(dt.date(data[0].year, 1, 1), dt.date(data[1].year, 12, 31)):
        data = None
    for rollup in ROLLUPS:
        want = needed
        if "city" in rollup.dims and asked is not None:
            if whole is None or "estate_id" in by:
                continue  # not whole cities, or answered per estate
            want = (needed - {"estate_id"}) | {"city"}
        if rollup.kind != kind or not want <= set(rollup.dims) or (histograms and not rollup.histograms):
            continue
        if not set(rollup.requires) <= set(by):
            continue
        if not state.usable(rollup, rules if kind == "tickets" else None):
            continue
        allowed = _grains_answering(rollup, by)
        grains = [g for g in (rollup.histogram_grains if histograms else rollup.grains) if g in allowed]
        if not grains:
            continue
        parts = segments(filters.start, filters.end, grains, cuts, data)
        if all(p.source == "raw" for p in parts):
            return None  # nothing to gain: the raw tables answer exactly
        return Plan(rollup, tuple(parts), whole if "city" in rollup.dims and asked is not None else None)
    return None


def overdue_cut(rules: ServiceRules, filters: Filters) -> dt.date:
    """Complaints unresolved and received before this day are overdue at the period's end."""
    return filters.end_exclusive - dt.timedelta(days=rules.complaint_overdue_days)


def plan_tickets(db: Database, rules: ServiceRules, filters: Filters, scope: Scope, by: Sequence[str], *, histograms: bool = False):
    """Counts: whole rows, the one holding the overdue rule's day counted apart (ticket_counts:
    one small read of the unresolved complaints' partial index), or rows cut at that day, which
    reads its week or month as days in every group. From a per-estate rollup (thousands of
    groups) whole rows are cheaper (a year of 2,000 estates at 10M: 67 -> 36 ms); over areas
    or cities, a few rows a day, the cut is (6 against 9 ms). Either way no raw days where a
    plan without them exists. Percentiles do not depend on that day."""
    if histograms:
        return _plan(db, "tickets", rules, filters, scope, by, histograms=True)
    cut = _plan(db, "tickets", rules, filters, scope, by, cuts=(overdue_cut(rules, filters),))
    if cut is not None and not cut.raw and "estate_id" not in cut.rollup.dims:
        return cut
    whole = _plan(db, "tickets", rules, filters, scope, by)
    for plan in (whole, cut):  # whole rows first from here on, the first without raw days
        if plan is not None and not plan.raw:
            return plan
    return whole or cut


def reply_bucket_sums(db: Database, filters: Filters, scope: Scope, edges: Sequence[float]) -> pd.DataFrame | None:
    """Survey sums per first-reply bucket of the surveyed ticket, or None when no rollup
    answers exactly (other edges, ticket channel or type filters, changed days)."""
    if tuple(float(e) for e in edges) != SURVEY_REPLY_EDGES:
        return None
    plan = plan_surveys(db, filters, scope, ["reply_bucket"])
    if plan is None or plan.raw:
        return None
    table, _ = TABLES[plan.rollup.name]
    return added_up(db, [_grouped(table, plan, filters, scope, ["reply_bucket"], [count_sum(table.c[m]).label(m) for m in SURVEY_MEASURES])],
                    ["reply_bucket"], SURVEY_MEASURES)


def plan_surveys(db: Database, filters: Filters, scope: Scope, by: Sequence[str]):
    return _plan(db, "surveys", None, filters, scope, by)


# --- answering from a plan ------------------------------------------------------------------


def _key(table: sa.Table, dim: str, plan: Plan):
    period = table.c.period
    if dim in ("day", "week", "month") and {s.source for s in plan.rolled_up} == {dim}:
        return day_of(period)  # rows of exactly that grain: the period is the group already
    calendar = {"day": day_of, "week": week_of, "month": month_of, "weekday": weekday_of}
    if dim in calendar and dim not in plan.rollup.dims:  # kept by the rollup: its own column
        return calendar[dim](period)
    return table.c[dim]


def _where(table: sa.Table, plan: Plan, filters: Filters, scope: Scope) -> list:
    periods = [
        sa.and_(table.c.grain == s.source, table.c.period >= sa.literal(s.first, sa.Date), table.c.period <= sa.literal(s.last, sa.Date))
        for s in plan.rolled_up
    ]
    conditions = [sa.or_(*periods)]
    estates = scope.allowed_estates(filters.estates)
    if plan.cities is not None:
        conditions.append(_in(table.c.city, plan.cities, "r_cities"))
    elif estates is not None:
        conditions.append(_in(table.c.estate_id, estates, "r_estates") if estates else sa.false())
    for dim, values in (("service_area", filters.areas), ("channel", filters.channels), ("request_type", filters.request_types)):
        if values:
            conditions.append(_in(table.c[dim], values, f"r_{dim}"))
    return conditions


def _grouped(table: sa.Table, plan: Plan, filters: Filters, scope: Scope, by: Sequence[str], columns: list):
    """The plan's rows of `table` summed per group: a SELECT, one of the parts `added_up` reads."""
    keys = [_key(table, d, plan).label(d) for d in by]
    statement = sa.select(*keys, *columns).where(*_where(table, plan, filters, scope))
    return statement.group_by(*[_key(table, d, plan) for d in by]) if keys else statement


def added_up(db: Database, parts: list, by: Sequence[str], columns: Sequence[str]) -> pd.DataFrame:
    """The same counts from several SELECTs (rollup rows, raw edge days, ...) summed per group by
    the database in one statement: one round trip and one frame per question, not one per part
    (a league of 2,000 estates for one area over a year at 10M: 4 statements -> 1). Groups are
    sorted by their keys, missing ones last."""
    by, columns = list(by), list(columns)
    if len(parts) == 1:
        statement = parts[0]
    else:
        aligned = []  # the same columns in the same order in every part, as UNION wants
        for i, part in enumerate(parts):
            p = part.subquery(f"part_{i}")
            aligned.append(sa.select(*[p.c[d] for d in by], *[p.c[c] for c in columns]))
        union = sa.union_all(*aligned).subquery("parts")
        keys = [union.c[d] for d in by]
        statement = sa.select(*keys, *[count_sum(union.c[c]).label(c) for c in columns])
        if keys:
            statement = statement.group_by(*keys)
    names, rows = db.result(statement)
    # One conversion for all the sums, which arrive as Decimal, int or None depending on the
    # engine; not through a frame of the rows, whose guess of each column's type took 3x as
    # long (2,000 estates' 37 sums: 9 -> 3 ms). Only the keys' types are guessed.
    width = len(by)
    if names[:width] != by or sorted(names[width:]) != sorted(columns):
        raise ValueError(f"added_up expects the keys {by} and then the sums {columns}, not {names}")
    sums = np.array([row[width:] for row in rows], dtype=float).reshape(len(rows), len(columns))
    values = pd.DataFrame(np.nan_to_num(sums).astype("int64"), columns=names[width:])[columns]
    if not by:
        return values if len(values) else pd.DataFrame([{c: 0 for c in columns}])
    keys = pd.DataFrame.from_records([row[:width] for row in rows], columns=by)
    summed = pd.concat([keys, values], axis=1)
    return summed.sort_values(by, na_position="last", kind="stable").reset_index(drop=True)


def ticket_counts(db: Database, rules: ServiceRules, plan: Plan, filters: Filters, scope: Scope, by: Sequence[str],
                  counts: Sequence[str] = TICKET_COUNTS) -> pd.DataFrame:
    """The `counts` of `aggregates.ticket_counts` from the plan's rows and raw days. overdue_30d
    counts complaints resolved late (any row) and those unresolved received before the overdue
    rule's day: whole rows before it, and of the one row holding that day (a week, month...)
    its complaints before the day from the tickets: a handful of rows, where cutting the period
    there would read the tickets of whole days (per estate, a week of them)."""

    table, _ = TABLES[plan.rollup.name]
    cut = overdue_cut(rules, filters)
    holding = _rows_holding(plan, cut)
    parts = []  # SELECTs, added up in one statement
    if plan.rolled_up:
        before_cut = table.c.period < sa.literal(cut, sa.Date)
        if holding:
            before_cut = sa.and_(before_cut, sa.not_(sa.or_(*[
                sa.and_(table.c.grain == grain, table.c.period == sa.literal(first, sa.Date)) for grain, first in holding
            ])))
        overdue = count_sum(table.c.complaints_late) + count_sum(sa.case((before_cut, table.c.complaints_unresolved), else_=0))
        columns = [(overdue if m == "overdue_30d" else count_sum(table.c[m])).label(m) for m in counts]
        parts.append(_grouped(table, plan, filters, scope, by, columns))
    for s in plan.raw:
        parts.append(raw_counts_select(db.dialect, rules, filters.with_period(s.first, s.last), scope, by, overdue_from=filters.end_exclusive,
                                       counts=counts))
    if "overdue_30d" in counts:
        for _grain, first in holding:
            parts.append(_unresolved_complaints(db, filters.with_period(first, cut - dt.timedelta(days=1)), scope, by, counts))
    return added_up(db, parts, by, counts)[[*by, *counts]]


def _row_start(grain: str, day: dt.date) -> dt.date:
    """The first day of the row of `grain` holding `day`."""
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return dt.date(day.year, ((day.month - 1) // 3) * 3 + 1, 1)
    if grain == "year":
        return dt.date(day.year, 1, 1)
    return day


def _rows_holding(plan: Plan, cut: dt.date) -> list[tuple[str, dt.date]]:
    """(grain, first day) of the plan's rows that start before `cut` and end on or after it."""
    rows = []
    for s in plan.rolled_up:
        if s.first < cut <= s.last and _row_start(s.source, cut) != cut:
            rows.append((s.source, _row_start(s.source, cut)))
    return rows


def _unresolved_complaints(db: Database, filters: Filters, scope: Scope, by: Sequence[str], counts: Sequence[str] = TICKET_COUNTS):
    """overdue_30d's unresolved part for some days, from the tickets (every other count 0), a SELECT:
    complaints without a valid resolution, read through their partial index."""
    T = tickets.c
    rows = (
        sa.select(*[TICKET_DIMENSIONS[d](T).label(d) for d in by], T.ticket_id)
        .where(*ticket_conditions(db.dialect, filters, scope, by_date=db.source_views is None), unresolved_complaint(db))
        .subquery("unresolved")
    )
    keys = [rows.c[d] for d in by]
    columns = [sa.func.count().label(c) if c == "overdue_30d" else sa.literal(0, sa.BigInteger).label(c) for c in counts]
    statement = sa.select(*keys, *columns).select_from(rows)  # FROM even without keys
    return statement.group_by(*keys) if keys else statement


def _bucket(minutes):
    """The histogram bucket of a duration in minutes (null stays null)."""
    scaled = sa.func.floor(sa.func.ln(minutes / BUCKET_FLOOR_MINUTES) / math.log(BUCKET_RATIO))
    return sa.case((minutes < BUCKET_FLOOR_MINUTES, 0), else_=1 + scaled)


def _raw_histograms(db: Database, rules: ServiceRules, filters: Filters, scope: Scope, by: Sequence[str]) -> list:
    """Histogram rows (by..., measure, bucket, tickets, value_sum) straight from the tickets:
    one SELECT per measure, to be joined with UNION ALL (SQLite nests no compound selects)."""

    dims = list(by)
    base, _ = ticket_base(db.dialect, rules, filters, scope, dims)
    b = base.c
    selects = []
    for measure, column in (("response", b.response_minutes), ("resolution", b.resolution_hours * 60.0)):
        valued = sa.select(*[b[d] for d in dims], column.label("v")).where(column.is_not(None)).subquery(f"h_{measure}")
        v = valued.c
        bucket = sa.cast(_bucket(v.v), sa.Integer).label("bucket")
        inner = sa.select(*[v[d] for d in dims], sa.literal(measure).label("measure"), bucket, v.v).subquery(f"b_{measure}")
        keys = [inner.c[d] for d in dims]
        selects.append(
            sa.select(*keys, inner.c.measure, inner.c.bucket, sa.func.count().label("tickets"), sa.func.sum(inner.c.v).label("value_sum"))
            .group_by(*keys, inner.c.measure, inner.c.bucket)
        )
    return selects


def _stored_grain(plan: Plan, by: Sequence[str]) -> str | None:
    """The grain whose rows each answer one group by themselves (their stored percentiles)."""
    time_dims = [d for d in by if d in ("week", "month")]
    dims = set(plan.rollup.dims) - ({"city"} if plan.cities is not None and len(plan.cities) == 1 else set())  # one city: its rows
    if not plan.rollup.stores_percentiles or len(time_dims) != 1 or set(by) != {time_dims[0], *dims}:
        return None
    return time_dims[0] if any(s.source == time_dims[0] for s in plan.segments) else None


def ticket_percentiles(db: Database, rules: ServiceRules, plan: Plan, filters: Filters, scope: Scope, by: Sequence[str]) -> pd.DataFrame:

    grain = _stored_grain(plan, by)
    if grain is None:
        return _percentiles_from_plan(db, rules, plan, filters, scope, by)
    table, _ = TABLES[plan.rollup.name]
    rows_of_grain = replace(plan, segments=tuple(s for s in plan.segments if s.source == grain))
    names = [f"{prefix}_{p}" for _, prefix in MEASURES for p in PERCENTILES]
    keys = [_key(table, d, rows_of_grain).label(d) for d in by]
    stored = db.frame(sa.select(*keys, *[table.c[n] for n in names]).where(*_where(table, rows_of_grain, filters, scope)))
    rest = tuple(s for s in plan.segments if s.source != grain)  # groups made of day rows (part weeks)
    if not rest:
        return stored
    others = _percentiles_from_plan(db, rules, replace(plan, segments=rest), filters, scope, by)
    return pd.concat([stored, others], ignore_index=True)[[*by, *names]]


def _percentiles_from_plan(db: Database, rules: ServiceRules, plan: Plan, filters: Filters, scope: Scope, by: Sequence[str]) -> pd.DataFrame:
    """The plan's packed histogram rows (a few per group: one per year, quarter, month...) added
    up in memory with its edge days' buckets, summed in SQL from the tickets."""
    return _ranked_percentiles(*_histogram_rows(db, rules, plan, filters, scope, by), by)


def ticket_percentiles_with_total(db: Database, rules: ServiceRules, plan: Plan, filters: Filters, scope: Scope,
                                  by: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`ticket_percentiles` per group and over all groups from one read of the histograms: the
    groups together hold every ticket of the question, so theirs added up are its histogram."""
    packed, edges = _histogram_rows(db, rules, plan, filters, scope, by)
    whole_packed = packed.drop(columns=list(by))
    whole_edges = None if edges is None else edges.drop(columns=list(by))
    return _ranked_percentiles(packed, edges, by), _ranked_percentiles(whole_packed, whole_edges, [])


def _histogram_rows(db: Database, rules: ServiceRules, plan: Plan, filters: Filters, scope: Scope, by: Sequence[str]):
    """(packed rows, edge days' bucket rows or None) of the plan: what _ranked_percentiles adds up."""
    _, histogram = TABLES[plan.rollup.name]
    h = histogram.c
    if plan.rolled_up:
        keys = [_key(histogram, d, plan).label(d) for d in by]
        where = _where(histogram, plan, filters, scope)
        if db.dialect == "postgresql" and plan.rows_per_group > JOINED_ABOVE_ROWS:
            # a row per group; not through a cursor, which plans for its first rows
            packed = db.frame(_packed_per_group(histogram, plan, keys, by, where), binary=True)
        else:  # per estate over years: up to ~16 MB of buckets in ~70,000 rows
            statement = sa.select(*keys, h.measure, *[h[c] for c in histograms.PACKED]).where(*where)
            packed = db.frame(statement, binary=True, objects=True) if db.dialect == "postgresql" else db.frame(statement, stream=True, objects=True)
    else:
        packed = pd.DataFrame(columns=[*by, "measure", *histograms.PACKED])
    edges = None
    if plan.raw:
        parts = [p for s in plan.raw for p in _raw_histograms(db, rules, filters.with_period(s.first, s.last), scope, by)]
        edges = db.frame(_summed(parts, by))
    return packed, edges


def _ranked_percentiles(packed: pd.DataFrame, edges: pd.DataFrame | None, by: Sequence[str]) -> pd.DataFrame:
    by = list(by)
    out = percentiles_from_ranked(histograms.ranked(packed, edges, [*by, "measure"], PERCENTILES.values()), by)
    out[by] = out[by].astype(object).where(out[by].notna(), None)  # pandas made a missing key NaN
    return out


# Past this many rows per group and measure PostgreSQL joins a group's packed rows faster than
# the driver hands them over one by one (2,000 estates at 10M: 4 year rows each, 130 -> 85 ms
# read as they are; 18-23 rows of days to years, 100-220 ms joined against 145-300 ms).
JOINED_ABOVE_ROWS = 8


def _packed_per_group(histogram: sa.Table, plan: Plan, keys: list, by: Sequence[str], where: list):
    """A group's packed rows joined into one by PostgreSQL (string_agg of bytea), so a driver
    hands over a row per group and measure, not per period: per estate over three years 4,000
    rows instead of ~70,000, the same bytes. Entries need no order within a group (they are
    added up per bucket), but buckets and counts must be joined in the same order. No ORDER BY
    says so (one would sort ~16 MB per question: 0.2 s -> 3.7 s at 10M): PostgreSQL feeds each
    row to both aggregates at once, and merges workers' partial results a group at a time, both
    halves together (tests/test_rollups.py plans in parallel; histograms checks the lengths).
    Rows are joined per width of their counts (histograms.COUNTS), so a joined row's width is
    still its counts' length over its buckets'."""
    h = histogram.c
    counted, entries = sa.func.length(h.counts), sa.func.length(h.buckets)  # bytes: counts n * width, buckets n * 2
    width = sa.case((counted < entries, 1), (counted == entries, 2), else_=4)
    return (
        sa.select(
            *keys, h.measure,
            sa.func.string_agg(h.buckets, sa.literal(b"", sa.LargeBinary)).label("buckets"),
            sa.func.string_agg(h.counts, sa.literal(b"", sa.LargeBinary)).label("counts"),
            sa.func.sum(h.zero_sum).label("zero_sum"),
        )
        .where(*where)
        .group_by(*[_key(histogram, d, plan) for d in by], h.measure, width)
    )


def _summed(parts: list, by: Sequence[str]):
    """The histogram rows of `parts` added up per group, measure and bucket."""
    union = (sa.union_all(*parts) if len(parts) > 1 else parts[0]).subquery("h")
    keys = [union.c[d] for d in by]
    return (
        sa.select(*keys, union.c.measure, union.c.bucket, count_sum(union.c.tickets).label("tickets"), sa.func.sum(union.c.value_sum).label("value_sum"))
        .group_by(*keys, union.c.measure, union.c.bucket)
    )


def bucket_middles(buckets: np.ndarray) -> np.ndarray:
    """The geometric middle of each bucket > 0, in minutes."""
    return BUCKET_FLOOR_MINUTES * np.power(BUCKET_RATIO, buckets - 1) * math.sqrt(BUCKET_RATIO)


def percentiles_from_ranked(h: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """response_median/p90 (minutes) and resolution_median/p90 (hours) per group, interpolated
    between closest ranks like percentile_cont, each rank read as its bucket's middle.
    In arrays indexed by group, not merges: this runs for every percentile a page shows."""

    by = list(by)
    names = [f"{prefix}_{p}" for _, prefix in MEASURES for p in PERCENTILES]
    if h.empty:
        return pd.DataFrame([{n: None for n in names}]) if not by else pd.DataFrame(columns=[*by, *names])
    bucket, tickets, above, total = (pd.to_numeric(h[c]).to_numpy(dtype=np.int64) for c in ("bucket", "tickets", "above", "total"))
    value_sum = pd.to_numeric(h["value_sum"]).to_numpy(dtype=float)
    below = above - tickets  # first rank (0-based) in this bucket
    middle = np.where(bucket == 0, value_sum / np.maximum(tickets, 1), bucket_middles(bucket))
    if by:
        group = h.groupby(by, dropna=False, sort=True).ngroup().to_numpy()
        out = h[by].iloc[np.unique(group, return_index=True)[1]].reset_index(drop=True)
    else:
        group = np.zeros(len(h), dtype=np.int64)
        out = pd.DataFrame(index=[0])
    measure = h["measure"].to_numpy()
    for name, prefix, scale in (("response", "response", 1.0), ("resolution", "resolution", 60.0)):
        mine = measure == name
        for p_name, p in PERCENTILES.items():
            rank = (total - 1) * p
            lo_rank, hi_rank = np.floor(rank), np.ceil(rank)
            lo, hi, frac = (np.full(len(out), np.nan) for _ in range(3))
            at_lo = mine & (below <= lo_rank) & (lo_rank < above)
            at_hi = mine & (below <= hi_rank) & (hi_rank < above)
            lo[group[at_lo]] = middle[at_lo]
            hi[group[at_hi]] = middle[at_hi]
            frac[group[mine]] = (rank - lo_rank)[mine]
            out[f"{prefix}_{p_name}"] = (lo + frac * (hi - lo)) / scale
    if not by:
        out = out.astype(object).where(out.notna(), None)
    return out[[*by, *names]].reset_index(drop=True)


def ticket_sums(db: Database, filters: Filters, scope: Scope, by: Sequence[str], columns: Sequence[str]) -> pd.DataFrame | None:
    """Sums of rule-free ticket measures (counts that do not depend on targets or SLAs) per
    group from the rollups, edge days of the period from the tickets; None when no rollup answers."""
    if set(columns) & RULE_DEPENDENT:
        raise ValueError(f"{sorted(set(columns) & RULE_DEPENDENT)} depend on the service rules: use ticket_counts")
    plan = _plan(db, "tickets", None, filters, scope, list(by))
    if plan is None:
        return None
    table, _ = TABLES[plan.rollup.name]
    parts = []
    if plan.rolled_up:
        parts.append(_grouped(table, plan, filters, scope, by, [count_sum(table.c[c]).label(c) for c in columns]))
    for s in plan.raw:
        parts.append(_raw_sums(db, filters.with_period(s.first, s.last), scope, by, columns))
    return added_up(db, parts, by, columns)[[*by, *columns]]


def _raw_sums(db: Database, filters: Filters, scope: Scope, by: Sequence[str], columns: Sequence[str]):
    """`ticket_sums` of some days from the tickets table, counted as the rollups count them (a SELECT)."""
    rules = ServiceRules()  # the measures summed here depend on no rule; the expressions need some
    base, cutoff = ticket_base(db.dialect, rules, filters, scope, by)
    b = base.c
    measures = _ticket_measures(b, rules, cutoff)
    keys = [b[d] for d in by]
    statement = sa.select(*keys, *[sa.func.coalesce(measures[c], 0).label(c) for c in columns])
    return statement.group_by(*keys) if keys else statement


EPOCH = dt.date(1970, 1, 1)  # "since the beginning": whole months from here merge into one range


def complaints_to_watch(db: Database, filters: Filters, scope: Scope, overdue_days: int) -> int | None:
    """How many complaints are unresolved at the end of the period and either major or received
    more than `overdue_days` before its end (ticket_lists.complaint_watchlist_count), or None when
    no rollup answers exactly. Complaints of any earlier date count, so the rollup is read from
    the beginning of time to the period's end."""
    cut = filters.end_exclusive - dt.timedelta(days=overdue_days)
    since_ever = filters.with_period(min(EPOCH, filters.start), filters.end).narrowed(request_types=())
    plan = _plan(db, "tickets", None, since_ever, scope, [], cuts=(cut,))
    if plan is None or plan.raw:
        return None
    table, _ = TABLES[plan.rollup.name]
    before_cut = table.c.period < sa.literal(cut, sa.Date)
    watched = sa.func.sum(sa.case((before_cut, table.c.complaints_unresolved), else_=table.c.complaints_unresolved_major))
    return int(db.rows(sa.select(watched).where(*_where(table, plan, since_ever, scope)))[0][0] or 0)


def survey_sums(db: Database, plan: Plan, filters: Filters, scope: Scope, by: Sequence[str],
                sums: Sequence[str] = SURVEY_MEASURES) -> pd.DataFrame:

    table, _ = TABLES[plan.rollup.name]
    parts = []
    if plan.rolled_up:
        parts.append(_grouped(table, plan, filters, scope, by, [count_sum(table.c[m]).label(m) for m in sums]))
    for s in plan.raw:
        parts.append(raw_survey_select(db.dialect, filters.with_period(s.first, s.last), scope, by, sums))
    return added_up(db, parts, by, sums)[[*by, *sums]]


# --- building -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefreshReport:
    months: int
    rows: int
    seconds: float
    full: bool


def ensure_tables(db: Database) -> list[Rollup]:
    """Create missing rollup tables; drop and re-create those whose definition changed.
    Returns the rollups that must be built from scratch."""
    rebuilt = []
    known = {t.name for pair in TABLES.values() for t in pair if t is not None} | {"rollup_state", "rollup_dirty"}
    with db.engine.begin() as conn:
        rollup_state.create(conn, checkfirst=True)
        rollup_dirty.create(conn, checkfirst=True)
        for name in sa.inspect(conn).get_table_names():  # a rollup (or its histogram) no longer defined
            if name.startswith("rollup_") and name not in known:
                sa.Table(name, sa.MetaData()).drop(conn)
        conn.execute(rollup_state.delete().where(rollup_state.c.name.not_in([r.name for r in ROLLUPS])))
        built = {r[0]: r[1] for r in conn.execute(sa.select(rollup_state.c.name, rollup_state.c.definition))}
        for rollup in ROLLUPS:
            table, histogram = TABLES[rollup.name]
            if built.get(rollup.name) != _definition(rollup):
                for t in (histogram, table):
                    if t is not None:
                        t.drop(conn, checkfirst=True)
                conn.execute(rollup_state.delete().where(rollup_state.c.name == rollup.name))
                rebuilt.append(rollup)
            for t in (table, histogram):
                if t is not None:
                    t.create(conn, checkfirst=True)
                    for index in t.indexes:  # tables made before an index was defined get it now
                        index.create(conn, checkfirst=True)
                    _drop_undefined_indexes(conn, t)
    return rebuilt


def _drop_undefined_indexes(conn: sa.Connection, table: sa.Table) -> None:
    """Indexes of a rollup table that it no longer defines (one replaced by another)."""
    defined = {index.name for index in table.indexes}
    stale = {index["name"] for index in sa.inspect(conn).get_indexes(table.name)} - defined
    if stale:
        for index in sa.Table(table.name, sa.MetaData(), autoload_with=conn).indexes:
            if index.name in stale:
                index.drop(conn)


def mark_dirty(conn: sa.Connection, days: Iterable[dt.date]) -> None:
    """Record days whose tickets or surveys changed (no-op where no rollups were ever built)."""
    days = sorted({as_date(d) for d in days if d is not None})
    if not days or not sa.inspect(conn).has_table("rollup_dirty"):
        return
    present = {as_date(r[0]) for r in conn.execute(sa.select(rollup_dirty.c.day).where(rollup_dirty.c.day.in_(days)))}
    fresh = [{"day": d} for d in days if d not in present]
    if fresh:
        conn.execute(rollup_dirty.insert(), fresh)


def _months_with_data(db: Database) -> list[dt.date]:
    days = _data_days(db)
    if days is None:
        return []
    first, last = days
    month = min(_months_of(first))
    out = []
    while month <= last:
        out.append(month)
        month = _next_month(month)
    return out


def _as_period(db: Database, expression):
    # SQLite keeps dates as ISO text already; CAST(... AS DATE) there would make a number.
    return expression if db.dialect == "sqlite" else sa.cast(expression, sa.Date)


def _ticket_measures(b, rules: ServiceRules, cutoff) -> dict:
    """Every TICKET_MEASURES column as an aggregate over the ticket_base columns `b`."""
    measures = {c.name: c for c in count_aggregates(b, rules, cutoff)}
    complaint = b.request_type == "complaint"
    measures["complaints_late"] = _count_if(sa.and_(complaint, _resolved_late(b, rules))).label("complaints_late")
    measures["complaints_unresolved"] = _count_if(sa.and_(complaint, b.resolution_hours.is_(None))).label("complaints_unresolved")
    measures["complaints_unresolved_major"] = _count_if(
        sa.and_(complaint, b.resolution_hours.is_(None), b.severity == "major")
    ).label("complaints_unresolved_major")
    for edge in REPLY_EDGES:
        measures[f"reply_le_{edge}"] = _count_if(b.response_minutes <= edge).label(f"reply_le_{edge}")
    return measures


# --- a month's tickets, staged once for every ticket rollup ----------------------------------
# Each ticket rollup used to read the month's tickets itself and work out ~35 conditions per
# ticket (reply and resolution times, SLAs, whether it was surveyed): at 10M tickets about 3 s
# per rollup and month, three times that with histograms. The stage holds every ticket of the
# month once, its measures already 0 or 1 and its histogram buckets found, so a rollup's rows
# are plain sums over it.

STAGE = "rollup_stage"


def _stage_span(month: dt.date) -> Filters:
    """The days of every row a month's rebuild writes: the month, and its last week's days in
    the next month (a week belongs to the month of its Monday)."""
    last_day = _next_month(month) - dt.timedelta(days=1)
    return Filters(month, max(last_day, _grain_span(month, "week").end))


def _stage_dims(rollups: Sequence[Rollup]) -> list[str]:
    wanted = {d for r in rollups for d in r.dims}
    return ["day", "week", "month", *sorted(wanted)]


def _stage_month(conn: sa.Connection, db: Database, rules: ServiceRules, month: dt.date, rollups: Sequence[Rollup]) -> sa.Table:
    """A temporary table of the month's tickets (one row each): the dimensions the rollups keep,
    every TICKET_MEASURES column (0 or 1), and each histogram measure's value and bucket."""
    dims = _stage_dims(rollups)
    base, cutoff = ticket_base(db.dialect, rules, _stage_span(month), ALL, dims, ticket_id=True)
    b = base.c
    measures = _ticket_measures(b, rules, cutoff)
    # One ticket per group: the aggregates of the rollups give its own 0 or 1 (the same words
    # as the raw queries, so the rollups cannot drift from them).
    values = {"response": sa.func.max(b.response_minutes), "resolution": sa.func.max(b.resolution_hours) * 60.0}
    histogram_columns = []
    for measure, value in values.items():
        bucket = sa.case((value.is_(None), sa.null()), else_=_bucket(value))  # no ln() of nothing: SQLite's raises
        histogram_columns += [sa.cast(bucket, sa.Integer).label(f"{measure}_bucket"), value.label(f"{measure}_value")]
    select = sa.select(
        *[b[d] for d in dims], *[sa.func.coalesce(measures[m], 0).label(m) for m in TICKET_MEASURES], *histogram_columns
    ).group_by(b.ticket_id, *[b[d] for d in dims])
    stage = sa.Table(
        STAGE,
        sa.MetaData(),
        *[sa.Column(d, sa.String(10) if d in ("day", "week", "month") else _dim_type(d)) for d in dims],
        *[sa.Column(m, sa.Integer, nullable=False) for m in TICKET_MEASURES],
        *[c for measure in values for c in (sa.Column(f"{measure}_bucket", sa.Integer), sa.Column(f"{measure}_value", sa.Double))],
        prefixes=["TEMPORARY"],
    )
    _drop_stage(conn)  # one left by a refresh that failed on this pooled connection
    stage.create(conn)
    conn.execute(stage.insert().from_select([c.name for c in stage.columns], select))
    return stage


def _drop_stage(conn: sa.Connection, name: str = STAGE) -> None:
    temporary = " TEMPORARY" if conn.dialect.name in ("mysql", "mariadb") else ""
    conn.execute(sa.text(f"DROP{temporary} TABLE IF EXISTS {name}"))


def _in_span(stage: sa.Table, month: dt.date, grain: str) -> list:
    span = _grain_span(month, grain)
    return [stage.c.day >= span.start.isoformat(), stage.c.day <= span.end.isoformat()]


def _ticket_rows(db: Database, stage: sa.Table, rollup: Rollup, grain: str, month: dt.date):
    """INSERT ... SELECT of one month of a ticket rollup at one grain, from the month's stage."""
    table, _ = TABLES[rollup.name]
    s = stage.c
    keys = [s[d] for d in rollup.dims]
    select = (
        sa.select(
            sa.literal(grain).label("grain"),
            _as_period(db, s[grain]).label("period"),
            *keys,
            *[sa.func.coalesce(sa.func.sum(s[m]), 0).label(m) for m in TICKET_MEASURES],
        )
        .where(*_in_span(stage, month, grain))
        .group_by(s[grain], *keys)
        .order_by(s[grain], *[s[d] for d in area_first(rollup.dims)])
    )
    return table.insert().from_select(["grain", "period", *rollup.dims, *TICKET_MEASURES], select)


def _histogram_select(db: Database, stage: sa.Table, rollup: Rollup, grain: str, month: dt.date, measure: str):
    """One measure's histogram rows of a month at one grain, from the stage (one statement per
    measure: MySQL/MariaDB cannot refer to a temporary table twice in one)."""
    s = stage.c
    bucket, value = s[f"{measure}_bucket"], s[f"{measure}_value"]
    keys = [s[d] for d in rollup.dims]
    return (
        sa.select(
            sa.literal(grain).label("grain"), _as_period(db, s[grain]).label("period"), *keys, sa.literal(measure).label("measure"),
            bucket.label("bucket"), sa.func.count().label("tickets"), sa.func.sum(value).label("value_sum"),
        )
        .where(*_in_span(stage, month, grain), value.is_not(None))
        .group_by(s[grain], *keys, bucket)
    )


def _write_histogram(conn: sa.Connection, db: Database, stage: sa.Table, rollup: Rollup, grain: str, month: dt.date, measure: str) -> None:
    _, histogram = TABLES[rollup.name]
    select = _histogram_select(db, stage, rollup, grain, month, measure)
    keys = ["grain", "period", *rollup.dims, "measure"]
    result = conn.execute(select)
    packed = histograms.pack(pd.DataFrame(result.fetchall(), columns=list(result.keys())), keys)
    packed["period"] = packed["period"].map(as_date)  # SQLite gives the text it keeps
    _insert_packed(conn, histogram, packed)


def _insert_packed(conn: sa.Connection, histogram: sa.Table, packed: pd.DataFrame) -> None:
    if packed.empty:
        return
    dims = [c for c in packed.columns if c not in ("grain", "period", "measure", *histograms.PACKED)]
    packed = packed.sort_values(["grain", "period", *area_first(dims), "measure"], kind="stable")  # rows area by area (area_first)
    packed = packed.astype(object).where(packed.notna(), None)  # NaN is no NULL to a driver
    conn.execute(histogram.insert(), packed.to_dict("records"))


# --- a month's surveys, staged once for every survey rollup ----------------------------------
# Each survey rollup read the month's surveys itself, and the two by first reply joined every
# survey to its ticket again (at 10M tickets ~24 s of a month's ~64 s of refresh). The stage
# holds each survey once, with its ticket's first-reply bucket already found.

SURVEY_STAGE = "rollup_survey_stage"


def _reply_bucket(ticket: sa.FromClause):
    """The first-reply bucket of a surveyed ticket (SURVEY_REPLY_EDGES, then "no valid reply"),
    null for a survey without a ticket (periodic surveys): those stay out of the reply rollups."""
    minutes = _valid_duration(minutes_between(ticket.c.created_at, ticket.c.first_response_at))
    n = len(SURVEY_REPLY_EDGES)
    return sa.case(
        (ticket.c.ticket_id.is_(None), sa.null()),
        (minutes.is_(None), n + 1),
        *[(minutes <= e, i) for i, e in enumerate(SURVEY_REPLY_EDGES)],
        else_=n,
    )


def _stage_surveys(conn: sa.Connection, db: Database, month: dt.date, rollups: Sequence[Rollup]) -> sa.Table:
    """A temporary table of the month's surveys (one row each): the dimensions the rollups keep,
    the score and every satisfaction dimension."""
    dims = _stage_dims(rollups)
    S = surveys.c
    source = surveys
    columns = []
    for d in dims:
        if d == "reply_bucket":
            ticket = tickets.alias("surveyed_ticket")
            source = surveys.outerjoin(ticket, ticket.c.ticket_id == S.ticket_id)
            columns.append(_reply_bucket(ticket).label(d))
        else:
            columns.append(SURVEY_DIMENSIONS[d](S).label(d))
    scores = [S[c] for c in ("score", *SATISFACTION_DIMENSIONS) if c not in dims]  # some rollups keep the score as a dimension
    select = sa.select(*columns, *scores).select_from(source).where(*survey_conditions(db.dialect, _stage_span(month), ALL))
    stage = sa.Table(
        SURVEY_STAGE,
        sa.MetaData(),
        *[sa.Column(d, sa.String(10) if d in ("day", "week", "month") else _dim_type(d)) for d in dims],
        *[sa.Column(c.name, sa.Integer) for c in scores],
        prefixes=["TEMPORARY"],
    )
    _drop_stage(conn, SURVEY_STAGE)
    stage.create(conn)
    conn.execute(stage.insert().from_select([c.name for c in stage.columns], select))
    return stage


def _survey_rows(db: Database, stage: sa.Table, rollup: Rollup, grain: str, month: dt.date):
    """INSERT ... SELECT of a survey rollup's rows at one grain for one month, from the stage."""
    table, _ = TABLES[rollup.name]
    s = stage.c
    sums = {c.name: c for c in survey_aggregates(s)}
    keys = [s[d] for d in rollup.dims]
    ticketed = [s.reply_bucket.is_not(None)] if "reply_bucket" in rollup.dims else []
    select = (
        sa.select(sa.literal(grain), _as_period(db, s[grain]), *keys, *[sums[m] for m in SURVEY_MEASURES])
        .where(*_in_span(stage, month, grain), *ticketed)
        .group_by(s[grain], *keys)
        .order_by(s[grain], *[s[d] for d in area_first(rollup.dims)])
    )
    return table.insert().from_select(["grain", "period", *rollup.dims, *SURVEY_MEASURES], select)


def _grain_span(month: dt.date, grain: str) -> Filters:
    """The days whose rows a month's rebuild writes at `grain`: a week belongs to the month of
    its Monday, so week rows reach up to six days past the month's end."""
    last = _next_month(month) - dt.timedelta(days=1)
    if grain == "week":
        first_monday = month if month.weekday() == 0 else _next_week(month)
        last_monday = last - dt.timedelta(days=last.weekday())
        return Filters(first_monday, last_monday + dt.timedelta(days=6))
    return Filters(month, last)


def _months_of(day: dt.date) -> set[dt.date]:
    """The months whose rebuild writes rows holding `day`: its own, and its week's Monday's."""
    return {day.replace(day=1), (day - dt.timedelta(days=day.weekday())).replace(day=1)}


def _from_day_rows(db: Database, table: sa.Table, rollup: Rollup, grain: str, month: dt.date, values: Sequence[str]):
    """Week or month rows summed from the day rows already built: no second pass over tickets."""
    span = _grain_span(month, grain)
    key = {"week": week_of, "month": month_of}[grain](table.c.period)
    keys = [table.c[d] for d in rollup.dims]
    select = (
        sa.select(sa.literal(grain), _as_period(db, key), *keys, *[sa.func.sum(table.c[v]) for v in values])
        .where(table.c.grain == "day", table.c.period >= sa.literal(span.start, sa.Date), table.c.period <= sa.literal(span.end, sa.Date))
        .group_by(key, *keys)
        .order_by(key, *[table.c[d] for d in area_first(rollup.dims)])
    )
    return table.insert().from_select(["grain", "period", *rollup.dims, *values], select)


def _rebuild_from_source(conn: sa.Connection, db: Database, rollup: Rollup, month: dt.date, stage: sa.Table) -> None:
    """First pass over a month: drop its rows, then write what only the raw tables (through the
    month's stage of tickets or surveys) can give (day rows, or every grain of a rollup that keeps no days)."""
    after = _next_month(month)
    for t in TABLES[rollup.name]:
        if t is not None:  # quarters and years stay until the third pass rewrites them from the months
            conn.execute(t.delete().where(t.c.period >= sa.literal(month, sa.Date), t.c.period < sa.literal(after, sa.Date),
                                          t.c.grain.not_in(COARSE_GRAINS)))
    for grain in ("day",) if "day" in rollup.grains else _fine(rollup.grains):
        if rollup.kind == "surveys":
            conn.execute(_survey_rows(db, stage, rollup, grain, month))
        else:
            conn.execute(_ticket_rows(db, stage, rollup, grain, month))
    for grain in ("day",) if "day" in rollup.histogram_grains else _fine(rollup.histogram_grains):
        for measure in HISTOGRAM_MEASURES:
            _write_histogram(conn, db, stage, rollup, grain, month, measure)


def _rebuild_from_days(conn: sa.Connection, db: Database, rollup: Rollup, month: dt.date) -> None:
    """Second pass, once every month's day rows exist (a week reaches into the next month)."""
    table, _ = TABLES[rollup.name]
    measures = TICKET_MEASURES if rollup.kind == "tickets" else SURVEY_MEASURES
    if "day" in rollup.grains:
        for grain in (g for g in _fine(rollup.grains) if g != "day"):
            conn.execute(_from_day_rows(db, table, rollup, grain, month, measures))
    if "day" in rollup.histogram_grains:
        for grain in (g for g in _fine(rollup.histogram_grains) if g != "day"):
            span = _grain_span(month, grain)
            _add_packed(conn, rollup, grain, "day", span.start, span.end, {"week": week_of, "month": month_of}[grain])
    if rollup.stores_percentiles:
        for grain in (g for g in rollup.grains if g in ("week", "month") and g in rollup.histogram_grains):
            _store_percentiles(conn, rollup, grain, month)


def _fine(grains: Sequence[str]) -> list[str]:
    return [g for g in grains if g not in COARSE_GRAINS]


def _rebuild_coarse(conn: sa.Connection, db: Database, rollup: Rollup, grain: str, first: dt.date) -> None:
    """Third pass: a quarter's or a year's rows, the sums of its month rows (written by then)."""
    after = STEPS[grain][0](first)
    table, histogram = TABLES[rollup.name]
    measures = TICKET_MEASURES if rollup.kind == "tickets" else SURVEY_MEASURES
    if grain in rollup.grains:
        conn.execute(table.delete().where(table.c.grain == grain, table.c.period == sa.literal(first, sa.Date)))
        keys = [table.c[d] for d in rollup.dims]
        select = (
            sa.select(sa.literal(grain), sa.literal(first, sa.Date), *keys, *[sa.func.sum(table.c[v]) for v in measures])
            .where(table.c.grain == "month", table.c.period >= sa.literal(first, sa.Date), table.c.period < sa.literal(after, sa.Date))
            .group_by(*keys)
            .order_by(*[table.c[d] for d in area_first(rollup.dims)])
        )
        conn.execute(table.insert().from_select(["grain", "period", *rollup.dims, *measures], select))
    if histogram is not None and grain in rollup.histogram_grains:
        conn.execute(histogram.delete().where(histogram.c.grain == grain, histogram.c.period == sa.literal(first, sa.Date)))
        _add_packed(conn, rollup, grain, "month", first, after - dt.timedelta(days=1), lambda period: sa.literal(first, sa.Date))


def _add_packed(conn: sa.Connection, rollup: Rollup, grain: str, source: str, first: dt.date, last: dt.date, period_of) -> None:
    """Packed histogram rows of `grain` added up in memory from the `source` rows between two
    days (weeks and months from days, quarters and years from months); `period_of` gives the
    row a source row belongs to."""
    _, histogram = TABLES[rollup.name]
    h = histogram.c
    keys = ["period", *rollup.dims, "measure"]
    result = conn.execute(
        sa.select(period_of(h.period).label("period"), *[h[k] for k in keys[1:]], *[h[c] for c in histograms.PACKED])
        .where(h.grain == source, h.period >= sa.literal(first, sa.Date), h.period <= sa.literal(last, sa.Date))
    )
    summed = histograms.combined(pd.DataFrame(result.fetchall(), columns=list(result.keys())), keys)
    summed["period"] = summed["period"].map(as_date)
    summed.insert(0, "grain", grain)
    _insert_packed(conn, histogram, summed)


def _coarse_periods(months: Iterable[dt.date], grain: str) -> list[dt.date]:
    """The first days of the quarters or years holding `months`."""
    return sorted({_row_start(grain, m) for m in months})


def _store_percentiles(conn: sa.Connection, rollup: Rollup, grain: str, month: dt.date) -> None:
    """Each week or month row's own percentiles, read from its histogram."""
    table, histogram = TABLES[rollup.name]
    span = _grain_span(month, grain)
    h = histogram.c
    result = conn.execute(
        sa.select(h.period, *[h[d] for d in rollup.dims], h.measure, *[h[c] for c in histograms.PACKED]).where(
            h.grain == grain, h.period >= sa.literal(span.start, sa.Date), h.period <= sa.literal(span.end, sa.Date)
        )
    )
    frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    if frame.empty:
        return
    frame["period"] = frame["period"].map(as_date)
    group = ["period", *rollup.dims]
    values = percentiles_from_ranked(histograms.ranked(frame, None, [*group, "measure"], PERCENTILES.values()), group)
    keys = {"k_period": table.c.period, **{f"k_{d}": table.c[d] for d in rollup.dims}}
    update = (
        table.update()
        # IS NOT DISTINCT FROM: a group with no area or channel recorded has its percentiles too
        .where(table.c.grain == grain, *[column.is_not_distinct_from(sa.bindparam(name)) for name, column in keys.items()])
        .values({c: sa.bindparam(f"v_{c}") for c in STORED_PERCENTILES})
    )
    records = []
    for row in values.to_dict("records"):
        record = {"k_period": row["period"], **{f"k_{d}": None if pd.isna(row[d]) else row[d] for d in rollup.dims}}  # NaN is no NULL to a driver
        record.update({f"v_{c}": None if pd.isna(row[c]) else float(row[c]) for c in STORED_PERCENTILES})
        records.append(record)
    conn.execute(update, records)


def refresh(db: Database, rules: ServiceRules, *, full: bool = False, since: dt.date | None = None, progress: bool = False) -> RefreshReport:
    """Bring the rollups up to date: every month for a rollup never built (or built with other
    rules, or a changed definition), else the months holding a dirty day or after `since`."""
    from tqdm import tqdm

    started = time.perf_counter()
    rebuilt = ensure_tables(db)
    state = read_state(db)
    cities = state.cities if state is not None else Cities.read(db)
    stale = [r for r in ROLLUPS if full or r in rebuilt or state is None or not state.usable(r, rules if r.kind == "tickets" else None)]
    all_months = _months_with_data(db)
    dirty = state.dirty if state else ()
    touched = {m for d in dirty for m in _months_of(d)}
    if since is not None:
        touched |= {m for m in all_months if m >= min(_months_of(since))}
    months = sorted(set(all_months) | touched)  # a dirty month may have lost all its rows
    work = [(r, m) for r in ROLLUPS for m in months if (r in stale and m in all_months) or (r not in stale and m in touched)]
    coarse = [
        (rollup, grain, first)
        for rollup in ROLLUPS
        for grain in COARSE_GRAINS
        if grain in rollup.grains
        for first in _coarse_periods([m for r, m in work if r is rollup], grain)
    ]
    bar = tqdm(total=2 * len(work) + len(coarse), unit="step", desc="rollups", disable=not progress)
    # While rows are rewritten, readers must not take them for complete: a rollup being rebuilt
    # whole loses its state (so it is not used), and the days after `since` count as changed
    # (so periods holding them are read raw) until the end.
    since_days = []
    if since is not None and all_months:
        last = _next_month(all_months[-1])
        since_days = [since + dt.timedelta(days=i) for i in range((last - since).days)]
    with db.engine.begin() as conn:
        conn.execute(rollup_state.delete().where(rollup_state.c.name.in_([r.name for r in stale])))
        mark_dirty(conn, since_days)
        for rollup in stale:  # whole tables: drop rows of months that no longer hold data too
            for t in TABLES[rollup.name]:
                if t is not None:
                    conn.execute(t.delete())
    forget_state(db)
    dirty = tuple(sorted({*dirty, *since_days}))
    by_month: dict[dt.date, list[Rollup]] = {}
    for rollup, month in work:
        by_month.setdefault(month, []).append(rollup)
    for month, rollups in sorted(by_month.items()):
        kinds = {r.kind for r in rollups}
        with db.engine.connect() as conn:  # one connection: the stages are temporary, its own
            stages: dict[str, sa.Table] = {}
            try:
                with conn.begin():
                    if "tickets" in kinds:
                        stages["tickets"] = _stage_month(conn, db, rules, month, [r for r in rollups if r.kind == "tickets"])
                    if "surveys" in kinds:
                        stages["surveys"] = _stage_surveys(conn, db, month, [r for r in rollups if r.kind == "surveys"])
                for rollup in rollups:
                    with conn.begin():
                        _rebuild_from_source(conn, db, rollup, month, stages[rollup.kind])
                    bar.update(1)
            finally:  # also a stage whose filling failed; a broken connection takes them with it
                for kind, name in (("tickets", STAGE), ("surveys", SURVEY_STAGE)):
                    if kind in kinds:
                        with contextlib.suppress(sa.exc.SQLAlchemyError), conn.begin():
                            _drop_stage(conn, name)
    for rollup, month in work:
        with db.engine.begin() as conn:
            _rebuild_from_days(conn, db, rollup, month)
        bar.update(1)
    for rollup, grain, first in coarse:
        with db.engine.begin() as conn:
            _rebuild_coarse(conn, db, rollup, grain, first)
        bar.update(1)
    bar.close()
    now = dt.datetime.now().replace(microsecond=0)
    rows = 0
    with db.engine.begin() as conn:
        if dirty:
            conn.execute(rollup_dirty.delete().where(rollup_dirty.c.day.in_(list(dirty))))
        for rollup in ROLLUPS:
            count = sum(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in TABLES[rollup.name] if t is not None)
            rows += count
            conn.execute(rollup_state.delete().where(rollup_state.c.name == rollup.name))
            conn.execute(
                rollup_state.insert().values(
                    name=rollup.name, definition=_definition(rollup), rules=_inputs(rollup, rules, cities), refreshed_at=now, rows=count
                )
            )
    db.analyze([t.name for r in ROLLUPS for t in TABLES[r.name] if t is not None])
    forget_state(db)
    return RefreshReport(months=len({m for _, m in work}), rows=rows, seconds=time.perf_counter() - started, full=bool(stale))
