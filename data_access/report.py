"""The data of the meeting pack (weekly) and of the complaint analysis report (monthly), for one
selection and scope. Built only from the aggregates every page uses (compute_metrics,
ticket_summary, survey_summary, escalation_counts, estate_league, complaint_watchlist), so the
report shows the same numbers as `metrics --json`, the Overview and the other pages."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import pandas as pd

from .aggregates import survey_summary, survey_totals, ticket_summary
from .catalog import estate_list, latest_ticket_time
from .database import Database
from .escalations import escalation_counts
from .filters import FilterError, Filters, Scope
from .league import estate_league
from .metrics import compute_metrics
from .rules import ServiceRules
from .ticket_lists import complaint_watchlist, complaint_watchlist_count

WEEKLY, MONTHLY, CUSTOM = "week", "month", "custom"
TREND_PERIODS = {WEEKLY: 4, MONTHLY: 6, CUSTOM: 4}
STEP_NAMES = ("metrics", "trend", "complaints", "estates", "monthly")  # what report_data reports, in order
WATCHLIST_ROWS = 40  # the oldest; the Tickets page and its export list them all
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


class PeriodError(FilterError):
    """A report period that cannot be read (malformed or impossible week or month)."""


def _month_end(start: dt.date) -> dt.date:
    following = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def _add_months(start: dt.date, months: int) -> dt.date:
    index = start.year * 12 + start.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class ReportPeriod:
    """A week (ISO, Monday to Sunday), a calendar month, or any other range (the dashboard's
    current period), with the period it is compared with."""

    kind: str
    start: dt.date
    end: dt.date
    compare_start: dt.date
    compare_end: dt.date

    @classmethod
    def week(cls, text: str) -> ReportPeriod:
        match = _WEEK.match(text.strip())
        if not match:
            raise PeriodError(f"not an ISO week (YYYY-Www, e.g. 2026-W47): {text!r}")
        try:
            start = dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
        except ValueError:
            raise PeriodError(f"no such ISO week: {text!r}") from None
        return cls.of_week(start)

    @classmethod
    def of_week(cls, monday: dt.date) -> ReportPeriod:
        previous = monday - dt.timedelta(days=7)
        return cls(WEEKLY, monday, monday + dt.timedelta(days=6), previous, previous + dt.timedelta(days=6))

    @classmethod
    def month(cls, text: str) -> ReportPeriod:
        match = _MONTH.match(text.strip())
        if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1900:
            raise PeriodError(f"not a month (YYYY-MM, e.g. 2026-10): {text!r}")
        return cls.of_month(dt.date(int(match[1]), int(match[2]), 1))

    @classmethod
    def of_month(cls, first: dt.date) -> ReportPeriod:
        previous = _add_months(first, -1)
        return cls(MONTHLY, first, _month_end(first), previous, _month_end(previous))

    @classmethod
    def custom(cls, start: dt.date, end: dt.date, compare_start: dt.date, compare_end: dt.date) -> ReportPeriod:
        """A dashboard period: a whole ISO week or calendar month becomes that kind of report."""
        if end < start:
            raise PeriodError(f"period ends ({end}) before it starts ({start})")
        kind = CUSTOM
        if start.weekday() == 0 and end == start + dt.timedelta(days=6):
            kind = WEEKLY
        elif start.day == 1 and end == _month_end(start):
            kind = MONTHLY
        return cls(kind, start, end, compare_start, compare_end)

    @property
    def label(self) -> str:
        if self.kind == WEEKLY:
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == MONTHLY:
            return f"{self.start:%Y-%m}"
        return f"{self.start:%Y%m%d}-{self.end:%Y%m%d}"

    def filters(self, base: Filters | None = None) -> Filters:
        base = base or Filters(self.start, self.end)
        return base.with_period(self.start, self.end)

    def comparison(self, base: Filters | None = None) -> Filters:
        return self.filters(base).with_period(self.compare_start, self.compare_end)

    def trend_buckets(self) -> tuple[str, list[tuple[dt.date, dt.date]]]:
        """("week" or "month", the periods of the trend, oldest first, the last ending with this one)."""
        count = TREND_PERIODS[self.kind]
        if self.kind == MONTHLY:
            months = [_add_months(self.start, -n) for n in reversed(range(count))]
            return "month", [(m, _month_end(m)) for m in months]
        last_monday = self.end - dt.timedelta(days=self.end.weekday())
        mondays = [last_monday - dt.timedelta(weeks=n) for n in reversed(range(count))]
        return "week", [(m, min(m + dt.timedelta(days=6), self.end) if m == last_monday else m + dt.timedelta(days=6)) for m in mondays]


@dataclass
class ReportData:
    """Everything a report shows, as plain dicts and tidy frames (no language, no formatting)."""

    period: ReportPeriod
    filters: Filters
    comparison_filters: Filters
    current: dict
    previous: dict
    trend_unit: str
    trend: pd.DataFrame  # one row per trend period: start, end and the headline figures
    escalations_by_area: pd.DataFrame  # escalation_counts by service_area
    watchlist: pd.DataFrame  # complaint_watchlist (owners masked unless personal_data)
    watchlist_total: int
    league: pd.DataFrame  # estate_league: the input of "estates needing attention"
    satisfaction_by_area: pd.DataFrame  # survey_summary by service_area
    satisfaction_total: pd.DataFrame  # one row: the sums and means over every area
    estates: pd.DataFrame  # the estates in the selection (id, name, city)
    data_as_of: dt.datetime | None
    personal_data: bool = False
    # Monthly complaint analysis only.
    complaints_previous_by_area: pd.DataFrame | None = None
    complaints_current: dict | None = None  # compute_metrics over complaints only
    complaints_previous: dict | None = None
    annotations: list = field(default_factory=list)

    @property
    def has_data(self) -> bool:
        return bool(self.current["tickets"]["total"] or self.current["satisfaction"]["responses"])

    @property
    def monthly(self) -> bool:
        return self.period.kind == MONTHLY


TREND_COLUMNS = (
    "tickets", "within_target_pct", "response_median", "within_sla_pct", "escalations", "escalation_rate_pct",
    "severity_major", "follow_up_coverage_pct",
)  # not overdue_30d: it depends on the end of the period asked about, so a grouped query cannot give it per week
SURVEY_TREND_COLUMNS = ("responses", "csat_pct", "mean_score")


def headline_trend(db: Database, rules: ServiceRules, period: ReportPeriod, base: Filters, scope: Scope) -> tuple[str, pd.DataFrame]:
    """The headline figures per week (or month) of the trend: one grouped ticket and survey query
    over the whole window, the same figures `metrics --json` gives for each of those periods."""
    unit, buckets = period.trend_buckets()
    window = base.with_period(buckets[0][0], buckets[-1][1])
    tickets = ticket_summary(db, rules, window, scope, by=[unit])
    surveys = survey_summary(db, window, scope, by=[unit])
    rows = []
    for start, end in buckets:
        key = start.isoformat()
        t = tickets[tickets[unit].astype(str) == key]
        s = surveys[surveys[unit].astype(str) == key]
        row = {"start": start, "end": end}
        for column in TREND_COLUMNS:
            row[column] = _value(t.iloc[0][column]) if len(t) else (0 if column in ("tickets", "escalations", "severity_major") else None)
        for column in SURVEY_TREND_COLUMNS:
            row[column] = _value(s.iloc[0][column]) if len(s) else (0 if column == "responses" else None)
        rows.append(row)
    return unit, pd.DataFrame(rows)


def _value(value):
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value.item() if hasattr(value, "item") else value


def report_data(
    db: Database, rules: ServiceRules, period: ReportPeriod, scope: Scope, *,
    base: Filters | None = None, personal_data: bool = False, watchlist_rows: int = WATCHLIST_ROWS, progress=None,
) -> ReportData:
    """Every query of the report for `period`, narrowed by `base`'s estates, areas, channels and
    request types, within `scope`. `progress(step)` is called as each group of queries finishes."""
    step = progress or (lambda _name: None)
    filters = period.filters(base)
    comparison = period.comparison(base)
    current = compute_metrics(db, rules, filters, scope)
    previous = compute_metrics(db, rules, comparison, scope)
    step("metrics")
    unit, trend = headline_trend(db, rules, period, filters, scope)
    step("trend")
    by_area = escalation_counts(db, filters, scope, by=["service_area"])
    days = rules.complaint_overdue_days
    watchlist = complaint_watchlist(db, filters, scope, overdue_days=days, limit=watchlist_rows, personal_data=personal_data)
    watch_total = complaint_watchlist_count(db, filters, scope, overdue_days=days)
    step("complaints")
    league = estate_league(db, rules, filters, scope)
    satisfaction = survey_summary(db, filters, scope, by=["service_area"])
    step("estates")
    estates = estate_list(db, scope)
    allowed = scope.allowed_estates(filters.estates)
    if allowed is not None:
        estates = estates[estates["estate_id"].isin(allowed)]
    data = ReportData(
        period=period, filters=filters, comparison_filters=comparison, current=current, previous=previous,
        trend_unit=unit, trend=trend, escalations_by_area=by_area, watchlist=watchlist, watchlist_total=watch_total,
        league=league, satisfaction_by_area=satisfaction, satisfaction_total=survey_totals(satisfaction),
        estates=estates.reset_index(drop=True), data_as_of=latest_ticket_time(db), personal_data=personal_data,
    )
    if period.kind == MONTHLY:
        data.complaints_previous_by_area = escalation_counts(db, comparison, scope, by=["service_area"])
        complaints = filters.narrowed(request_types=("complaint",))
        data.complaints_current = compute_metrics(db, rules, complaints, scope)
        data.complaints_previous = compute_metrics(db, rules, comparison.narrowed(request_types=("complaint",)), scope)
        step("monthly")
    return data
