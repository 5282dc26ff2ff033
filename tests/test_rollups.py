"""Rollups give the same figures as the raw tables: counts exactly, percentiles within METRICS.md's
1%, on every engine; a period is tiled without gaps or overlaps; changed days fall back to the raw
tables until the next refresh."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas.testing as pd_testing
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from data_access import Filters, Scope, ServiceRules, aggregates, histograms, rollups
from data_access.distributions import DEFAULT_RESPONSE_EDGES, first_reply_attainment, response_time_distribution
from data_access.escalations import escalation_counts
from data_access.metrics import compute_metrics
from data_access.satisfaction import follow_up_coverage, score_by_first_reply
from data_access.schema import create_schema
from engines import write_dataset
from test_metrics_contract import PERIOD, SELECTIONS, random_dataset

D = dt.date
RULES = ServiceRules()
PERCENTILE_KEYS = {
    "median_minutes", "p90_minutes", "median_hours", "p90_hours",
    "first_response_median_minutes", "resolution_median_hours",
}
LONG = dict(start=D(2025, 11, 3), end=D(2026, 4, 17))  # part months, whole months, part weeks
# A whole year (2025: its last two months hold data), a quarter (Q1 2026) and months: coarse rows.
YEARS = dict(start=D(2025, 1, 1), end=D(2026, 5, 31))  # its overdue cut (May 1) falls after Q1
# The data runs from 1 November 2025 to 4 May 2026: questions reaching either end read rows
# running on past it (to the year's end), where nothing lies.
TO_THE_LAST_DAY = dict(start=D(2026, 2, 11), end=D(2026, 5, 4))
FROM_BEFORE_THE_FIRST = dict(start=D(2025, 10, 20), end=D(2026, 3, 15))
ROLLUP_SELECTIONS = {**SELECTIONS, "to-the-last-day": TO_THE_LAST_DAY, "from-before-the-first": FROM_BEFORE_THE_FIRST,
                     "to-the-last-day-one-estate": {**TO_THE_LAST_DAY, "estates": {"E02"}},
                     "five-months": LONG, "five-months-one-area": {**LONG, "areas": {"repair"}}, "years": YEARS,
                     "years-two-estates": {**YEARS, "estates": {"E01", "E02"}}}


def differences(rolled, raw, path="") -> list[str]:
    """Counts and means equal, percentiles within 1% (null exactly where raw is null)."""
    if isinstance(raw, dict):
        return [d for key in raw for d in differences(rolled[key], raw[key], f"{path}.{key}")]
    key = path.rsplit(".", 1)[-1]
    if raw is None or rolled is None:
        return [] if raw is rolled else [f"{path}: {rolled!r} != {raw!r}"]
    if key in PERCENTILE_KEYS:
        return [] if abs(rolled - raw) <= 0.01 * abs(raw) else [f"{path}: {rolled} not within 1% of {raw}"]
    if isinstance(raw, float):
        return [] if rolled == pytest.approx(raw, rel=1e-9) else [f"{path}: {rolled} != {raw}"]
    return [] if rolled == raw else [f"{path}: {rolled!r} != {raw!r}"]


@pytest.fixture
def raw_only(monkeypatch):
    """Run a function as if no rollup existed."""

    def run(function, *args, **kwargs):
        with monkeypatch.context() as m:
            m.setattr(rollups, "current_state", lambda db: None)
            return function(*args, **kwargs)

    return run


@pytest.fixture(scope="module")
def rolled_db(engine_name, scratch_databases):
    db = scratch_databases.new(engine_name)
    write_dataset(db, random_dataset())
    report = rollups.refresh(db, RULES)
    assert report.full and report.rows > 0
    return db


def read_rollups(db, function, *args, tickets_only: bool = False, **kwargs):
    """The result, and whether any rollup table (of tickets only, if asked) was read to get it."""
    db.trace.clear()
    result = function(*args, **kwargs)
    marker = ("rollup_area", "rollup_estate") if tickets_only else ("rollup_",)
    return result, any(m in q.sql for q in db.trace for m in marker)


@pytest.mark.parametrize("selection", ROLLUP_SELECTIONS)
def test_metrics_from_rollups_equal_the_raw_tables(rolled_db, raw_only, selection):
    chosen = dict(ROLLUP_SELECTIONS[selection])
    filters = Filters(chosen.pop("start"), chosen.pop("end"), **chosen)
    rolled, used = read_rollups(rolled_db, compute_metrics, rolled_db, RULES, filters, Scope.everything())
    raw = raw_only(compute_metrics, rolled_db, RULES, filters, Scope.everything())
    assert not differences(rolled, raw), differences(rolled, raw)
    if filters.days >= 28 and not filters.channels and not filters.request_types:
        assert used, "a month-long question without channel or type filters should read the rollups"


@pytest.mark.parametrize("selection", ["five-months", "five-months-one-area", "years", "to-the-last-day"])
def test_percentiles_per_area_and_over_all_from_one_read(rolled_db, selection):
    """compute_metrics reads the areas' histograms once for both its areas and its headline: the
    same figures as asking for each, from one histogram statement fewer."""
    chosen = dict(ROLLUP_SELECTIONS[selection])
    filters = Filters(chosen.pop("start"), chosen.pop("end"), **chosen)
    everything = Scope.everything()
    rolled_db.trace.clear()
    per_area, overall = aggregates.ticket_percentiles_with_total(rolled_db, RULES, filters, everything, ["service_area"])
    together = sum("_hist" in q.sql for q in rolled_db.trace)
    rolled_db.trace.clear()
    asked_apart = (aggregates.ticket_percentiles(rolled_db, RULES, filters, everything, ["service_area"]),
                   aggregates.ticket_percentiles(rolled_db, RULES, filters, everything))
    apart = sum("_hist" in q.sql for q in rolled_db.trace)
    pd_testing.assert_frame_equal(per_area, asked_apart[0])
    pd_testing.assert_frame_equal(overall, asked_apart[1])
    assert (together, apart) == (1, 2)


@pytest.mark.parametrize("selection", ["five-months", "years-two-estates", "to-the-last-day"])
def test_some_counts_and_sums_equal_those_of_all(rolled_db, raw_only, selection):
    """The league asks for the counts and survey sums its columns need, not all: each is the same
    number as when all are asked, from the rollups and from the raw tables."""
    from data_access.league import LEAGUE_COUNTS, LEAGUE_SURVEY_SUMS

    chosen = dict(ROLLUP_SELECTIONS[selection])
    filters = Filters(chosen.pop("start"), chosen.pop("end"), **chosen)
    args = (rolled_db, RULES, filters, Scope.everything(), ["estate_id"])
    for read in (lambda f, *a, **k: f(*a, **k), raw_only):
        every = read(aggregates.ticket_counts, *args)
        some = read(aggregates.ticket_counts, *args, counts=LEAGUE_COUNTS)
        assert list(some.columns) == ["estate_id", *LEAGUE_COUNTS]
        pd_testing.assert_frame_equal(some, every[["estate_id", *LEAGUE_COUNTS]])
        every = read(aggregates.survey_summary, *args[:1], *args[2:])
        some = read(aggregates.survey_summary, *args[:1], *args[2:], sums=LEAGUE_SURVEY_SUMS)
        assert "attitude_mean" not in some
        pd_testing.assert_frame_equal(some, every[list(some.columns)])


def test_years_and_quarters_are_read_as_sums_of_their_months(rolled_db):
    before_the_last_day = Filters(YEARS["start"], D(2026, 4, 30))  # YEARS runs past it: 2026 would be a year row
    plan = rollups.plan_tickets(rolled_db, RULES, before_the_last_day, Scope.everything(), ["service_area"], histograms=True)
    assert [s.source for s in plan.segments] == ["year", "quarter", "month"]  # 2025, Q1 2026, April
    table, histogram = rollups.TABLES["area"]

    def tickets(grain, first, last):
        return rolled_db.rows(sa.select(sa.func.sum(table.c.tickets)).where(
            table.c.grain == grain, table.c.period >= sa.literal(first, sa.Date), table.c.period <= sa.literal(last, sa.Date)))[0][0]

    def counted(grain, first, last):  # every bucket of the packed histogram rows, added up
        h = histogram.c
        packed = rolled_db.frame(sa.select(h.buckets, h.counts, h.zero_sum).where(
            h.grain == grain, h.period >= sa.literal(first, sa.Date), h.period <= sa.literal(last, sa.Date)))
        row, bucket, count = histograms.unpack(packed)
        return np.bincount(bucket, weights=count).tolist(), pytest.approx(packed["zero_sum"].sum())

    assert tickets("year", D(2025, 1, 1), D(2025, 1, 1)) == tickets("month", D(2025, 1, 1), D(2025, 12, 1)) > 0
    assert tickets("quarter", D(2026, 1, 1), D(2026, 1, 1)) == tickets("month", D(2026, 1, 1), D(2026, 3, 1)) > 0
    assert counted("year", D(2025, 1, 1), D(2025, 1, 1)) == counted("month", D(2025, 1, 1), D(2025, 12, 1))
    assert counted("quarter", D(2026, 1, 1), D(2026, 1, 1)) == counted("month", D(2026, 1, 1), D(2026, 3, 1))
    assert counted("month", D(2026, 1, 1), D(2026, 1, 1)) == counted("day", D(2026, 1, 1), D(2026, 1, 31))
    assert sum(counted("quarter", D(2026, 1, 1), D(2026, 1, 1))[0]) > 0


def test_a_scoped_user_gets_the_same_figures(rolled_db, raw_only):
    scope = Scope.of({"E01", "E02", "E11"})
    filters = Filters(*PERIOD)
    rolled, used = read_rollups(rolled_db, compute_metrics, rolled_db, RULES, filters, scope)
    assert used
    assert not differences(rolled, raw_only(compute_metrics, rolled_db, RULES, filters, scope))


GROUPINGS = [("week",), ("week", "service_area"), ("month", "service_area"), ("service_area", "priority"), ("channel",), ("estate_id",),
             ("estate_id", "service_area"), ("weekday",)]


@pytest.mark.parametrize("period", [LONG, YEARS], ids=["months", "years"])
@pytest.mark.parametrize("by", GROUPINGS, ids=["-".join(b) for b in GROUPINGS])
def test_grouped_answers_equal_the_raw_tables(rolled_db, raw_only, by, period):
    filters = Filters(**period)
    scope = Scope.everything()
    checks = [
        (aggregates.ticket_counts, (rolled_db, RULES, filters, scope, by)),
        (escalation_counts, (rolled_db, filters, scope, by)),
        (follow_up_coverage, (rolled_db, RULES, filters, scope, by)),
        (response_time_distribution, (rolled_db, filters, scope, DEFAULT_RESPONSE_EDGES, by)),
        (first_reply_attainment, (rolled_db, filters, scope, RULES.first_response_target_minutes, by)),
    ]
    if all(d in aggregates.SURVEY_DIMENSIONS for d in by):
        checks.append((aggregates.survey_summary, (rolled_db, filters, scope, by)))
    for function, args in checks:
        rolled = function(*args)
        raw = raw_only(function, *args)
        order = [c for c in rolled.columns if c in (*by, "bucket")]
        rolled = rolled.sort_values(order).reset_index(drop=True) if order else rolled
        raw = raw.sort_values(order).reset_index(drop=True) if order else raw
        assert rolled.astype(str).equals(raw.astype(str)), f"{function.__name__} by {by}:\n{rolled}\n{raw}"
    if "weekday" not in by:
        rolled = aggregates.ticket_percentiles(rolled_db, RULES, filters, scope, by).set_index(list(by)).sort_index()
        raw = raw_only(aggregates.ticket_percentiles, rolled_db, RULES, filters, scope, by).set_index(list(by)).sort_index()
        assert list(rolled.index) == list(raw.index)
        for column in raw.columns:
            exact, close = raw[column].astype(float), rolled[column].astype(float)
            assert ((close - exact).abs() <= 0.01 * exact.abs()).all() and (close.isna() == exact.isna()).all(), column


@pytest.mark.parametrize("period", [LONG, YEARS], ids=["months", "years"])
def test_the_weekday_hour_map_reads_months_and_years_not_only_days(rolled_db, raw_only, period):
    """area_hour keeps the weekday, so a long period's map of first replies (Response page)
    reads month, quarter and year rows and day rows only at its edges, and counts as the tickets."""
    filters = Filters(**period)
    by = ["weekday", "hour"]
    plan = rollups._plan(rolled_db, "tickets", None, filters, Scope.everything(), by)  # as ticket_sums plans it
    assert plan.rollup.name == "area_hour" and not plan.raw
    assert {s.source for s in plan.rolled_up} & {"month", "year"}  # YEARS reaches the data's ends: year rows only
    edge_months = {filters.start.replace(day=1), filters.end.replace(day=1)}
    assert all({s.first.replace(day=1), s.last.replace(day=1)} <= edge_months for s in plan.rolled_up if s.source == "day")
    args = (rolled_db, filters, Scope.everything(), RULES.first_response_target_minutes, by)
    rolled, used = read_rollups(rolled_db, first_reply_attainment, *args)
    raw = raw_only(first_reply_attainment, *args)
    assert used and rolled["tickets"].sum() > 0
    assert rolled.sort_values(by).reset_index(drop=True).astype(str).equals(raw.sort_values(by).reset_index(drop=True).astype(str))
    hours = aggregates.ticket_counts(rolled_db, RULES, filters, Scope.everything(), ["hour"])  # the weekday summed away
    raw_hours = raw_only(aggregates.ticket_counts, rolled_db, RULES, filters, Scope.everything(), ["hour"])
    assert hours.sort_values("hour").reset_index(drop=True).astype(str).equals(raw_hours.sort_values("hour").reset_index(drop=True).astype(str))


@pytest.mark.parametrize("areas", [frozenset(), frozenset({"repair"})], ids=["all-areas", "one-area"])
def test_estate_sums_read_the_rollups_and_the_edge_days_from_the_tickets(rolled_db, raw_only, areas):
    """Per estate and area the rollup keeps no days: a period starting or ending mid-week counts
    those days from the tickets and the rest from the rollup, never the whole period from the
    tickets. Over all areas (estate_overall) those days are day rows."""
    filters = Filters(**LONG, areas=areas)  # ends on a Friday: its last five days are no whole week
    plan = rollups.plan_tickets(rolled_db, RULES, filters, Scope.everything(), ["estate_id"])
    assert plan.rollup.name == ("estate" if areas else "estate_overall")
    assert bool(plan.raw) == bool(areas) and any(s.source == "day" for s in plan.rolled_up) != bool(areas)
    rolled, used = read_rollups(rolled_db, escalation_counts, rolled_db, filters, Scope.everything(), ["estate_id"])
    assert used
    raw = raw_only(escalation_counts, rolled_db, filters, Scope.everything(), ["estate_id"])
    key = "estate_id"
    assert rolled.sort_values(key).reset_index(drop=True).astype(str).equals(raw.sort_values(key).reset_index(drop=True).astype(str))
    with pytest.raises(ValueError, match="service rules"):
        rollups.ticket_sums(rolled_db, filters, Scope.everything(), ["estate_id"], ["within_sla"])


@pytest.mark.parametrize("by", [(), ("service_area",), ("estate_id",)], ids=["none", "area", "estate"])
def test_whole_rows_count_the_overdue_days_complaints_apart(rolled_db, raw_only, by):
    """Counts over whole rows, the row holding the overdue rule's day (Q1 2026 holds March 21)
    among them: its complaints left unresolved before that day come from the tickets, and with
    the rest of the rows they equal the raw tables, grouped or not. Per estate this is the plan taken."""
    filters = Filters(start=D(2025, 11, 1), end=D(2026, 4, 19))
    cut = rollups.overdue_cut(RULES, filters)
    plan = rollups._plan(rolled_db, "tickets", RULES, filters, Scope.everything(), by)
    assert rollups._rows_holding(plan, cut) == [("quarter", D(2026, 1, 1))] and not plan.raw
    unresolved = rolled_db.frame(rollups._unresolved_complaints(rolled_db, filters.with_period(D(2026, 1, 1), cut - dt.timedelta(days=1)), Scope.everything(), ()))
    assert unresolved["overdue_30d"].sum() > 1  # enough of them to tell a count from a row
    rolled = rollups.ticket_counts(rolled_db, RULES, plan, filters, Scope.everything(), by)
    raw = raw_only(aggregates.ticket_counts, rolled_db, RULES, filters, Scope.everything(), by)
    if by:
        rolled, raw = (f.sort_values(list(by)).reset_index(drop=True) for f in (rolled, raw))
    assert rolled.astype(str).equals(raw.astype(str)), f"{rolled}\n{raw}"
    if by == ("estate_id",):
        assert rollups.plan_tickets(rolled_db, RULES, filters, Scope.everything(), by) == plan


@pytest.fixture
def parallel_plans(rolled_db):
    """On PostgreSQL, every query planned in parallel and with little memory, as on a big table:
    a group's packed rows are then joined from workers' partial results and spilled hashes, and
    buckets and counts must still line up."""
    if rolled_db.dialect != "postgresql":
        yield
        return
    settings = ("parallel_setup_cost = 0", "parallel_tuple_cost = 0", "min_parallel_table_scan_size = 0",
                "min_parallel_index_scan_size = 0", "work_mem = '64kB'")

    def configure(dbapi_conn, _record):
        with dbapi_conn.cursor() as cur:
            for setting in settings:
                cur.execute(f"SET {setting}")
        dbapi_conn.commit()

    rolled_db.engine.dispose()
    sa.event.listen(rolled_db.engine, "connect", configure)
    yield
    sa.event.remove(rolled_db.engine, "connect", configure)
    rolled_db.engine.dispose()


@pytest.mark.parametrize("read_as", ["joined", "row by row"])
@pytest.mark.parametrize("selection", ["five-months", "five-months-one-area", "years", "years-two-estates"])
def test_estate_medians_from_packed_histograms_are_within_one_percent(rolled_db, raw_only, selection, read_as, parallel_plans, monkeypatch):
    """The league's medians per estate add up packed week, month, quarter and year rows and, at
    a period's ends, days of tickets (five months end on a Friday); the packed rows read joined
    per group by PostgreSQL (many rows a group) or as stored (a few)."""
    from data_access.league import estate_medians

    monkeypatch.setattr(rollups, "JOINED_ABOVE_ROWS", 0 if read_as == "joined" else 10**9)

    chosen = dict(ROLLUP_SELECTIONS[selection])
    filters = Filters(chosen.pop("start"), chosen.pop("end"), **chosen)
    plan = rollups.plan_tickets(rolled_db, RULES, filters, Scope.everything(), ["estate_id"], histograms=True)
    assert plan.rollup.name == ("estate" if filters.areas else "estate_overall") and plan.rolled_up
    rolled, used = read_rollups(rolled_db, estate_medians, rolled_db, RULES, filters, Scope.everything(), tickets_only=True)
    raw = raw_only(estate_medians, rolled_db, RULES, filters, Scope.everything())
    assert used and len(raw) > 1
    rolled, raw = (f.set_index("estate_id").sort_index().astype(float) for f in (rolled, raw))
    assert list(rolled.index) == list(raw.index)
    assert ((rolled - raw).abs() <= 0.01 * raw.abs()).all().all() and (rolled.isna() == raw.isna()).all().all()


@pytest.mark.parametrize("read_as", ["joined", "row by row"])
def test_counts_stored_in_any_width_give_the_same_medians(rolled_db, read_as, parallel_plans, monkeypatch):
    """Each packed row keeps its counts in 1, 2 or 4 bytes (the narrowest holding them): an
    estate's rows of several widths, read as stored or joined per group by PostgreSQL (rows of
    one width at a time), give the medians of the same rows all in one width."""
    from data_access.league import estate_medians

    monkeypatch.setattr(rollups, "JOINED_ABOVE_ROWS", 0 if read_as == "joined" else 10**9)
    filters = Filters(YEARS["start"], YEARS["end"])
    narrow = estate_medians(rolled_db, RULES, filters, Scope.everything())
    h = rollups.TABLES["estate_overall"][1].c
    keys = [h.grain, h.period, h.estate_id, h.measure]
    stored = rolled_db.rows(sa.select(*keys, h.buckets, h.counts).order_by(*keys))
    assert all(len(counts) * 2 == len(buckets) for *_, buckets, counts in stored)  # the test's few tickets: 1 byte
    update = rollups.TABLES["estate_overall"][1].update().where(*[c == sa.bindparam(f"k_{c.name}") for c in keys]).values(counts=sa.bindparam("v_counts"))

    def write(rows):
        with rolled_db.engine.begin() as conn:
            conn.execute(update, [{**{f"k_{c.name}": v for c, v in zip(keys, row[:4])}, "v_counts": counts} for row, counts in rows])

    widths = ["<u1", "<u2", "<u4"]
    write([(row, np.frombuffer(row[5], "<u1").astype(widths[i % 3]).tobytes()) for i, row in enumerate(stored)])
    try:
        mixed = estate_medians(rolled_db, RULES, filters, Scope.everything())
    finally:
        write([(row, row[5]) for row in stored])
    assert len(narrow) > 1 and narrow[["response_median", "resolution_median"]].notna().all().all()
    pd_testing.assert_frame_equal(mixed, narrow)


@pytest.mark.parametrize("selection", ["five-months", "five-months-one-area", "single-estate", "one-week"])
def test_scores_by_first_reply_equal_the_raw_tables(rolled_db, raw_only, selection):
    chosen = dict(ROLLUP_SELECTIONS[selection])
    filters = Filters(chosen.pop("start"), chosen.pop("end"), **chosen)
    rolled, used = read_rollups(rolled_db, score_by_first_reply, rolled_db, RULES, filters, Scope.everything())
    raw = raw_only(score_by_first_reply, rolled_db, RULES, filters, Scope.everything())
    assert rolled.astype(str).equals(raw.astype(str)), f"{rolled}\n{raw}"
    assert raw["surveys"].sum() > 0
    assert used


@pytest.mark.parametrize("selection", ["whole-period", "one-week", "single-estate", "two-areas", "channels", "last-day-only"])
@pytest.mark.parametrize("overdue_days", [30, 7])
def test_complaints_to_watch_equal_the_raw_count(rolled_db, raw_only, selection, overdue_days):
    from data_access.ticket_lists import complaint_watchlist_count

    chosen = dict(ROLLUP_SELECTIONS[selection])
    filters = Filters(chosen.pop("start"), chosen.pop("end"), **chosen)
    counted, used = read_rollups(rolled_db, complaint_watchlist_count, rolled_db, filters, Scope.everything(), overdue_days=overdue_days)
    raw = raw_only(complaint_watchlist_count, rolled_db, filters, Scope.everything(), overdue_days=overdue_days)
    assert counted == raw
    assert used or filters.estates  # estates keep month rows only: the days after the cut read raw
    assert raw > 0 or selection == "last-day-only"


def test_other_rules_are_answered_from_the_raw_tables(rolled_db, raw_only):
    """Rollups count "within target" with the rules they were built with: a new target must not
    reuse their ticket figures (until the next refresh); survey figures know no rules."""
    rules = ServiceRules(first_response_target_minutes=10)
    filters = Filters(*PERIOD)
    figures, used = read_rollups(rolled_db, compute_metrics, rolled_db, rules, filters, Scope.everything(), tickets_only=True)
    assert figures == raw_only(compute_metrics, rolled_db, rules, filters, Scope.everything())
    assert not used


# --- tiling a period -------------------------------------------------------------------
days = st.dates(min_value=D(2023, 1, 1), max_value=D(2027, 12, 31))


@settings(max_examples=500, deadline=None)
@given(start=days, length=st.integers(0, 3000), cuts=st.lists(days, max_size=3),
       grains=st.sets(st.sampled_from(["day", "week", "month", "quarter", "year"]), min_size=0),
       data=st.none() | st.tuples(days, st.integers(0, 1500)), since_1970=st.booleans())
def test_segments_tile_the_period_once(start, length, cuts, grains, data, since_1970):
    """Every day of the period once, in whole rows; past the first or last day of data (`data`)
    the cover may run on over empty days, never over a day holding data outside the period.
    Some periods start in 1970, as the complaints watch list asks."""
    end = start + dt.timedelta(days=length)
    if since_1970:
        start, length = D(1970, 1, 1), (end - D(1970, 1, 1)).days
    data = (data[0], data[0] + dt.timedelta(days=data[1])) if data else None
    parts = rollups.segments(start, end, sorted(grains), cuts, data)
    starts_row = {
        "year": lambda d: (d.month, d.day) == (1, 1),
        "quarter": lambda d: d.month in (1, 4, 7, 10) and d.day == 1,
        "month": lambda d: d.day == 1,
        "week": lambda d: d.weekday() == 0,
    }
    covered = []
    for part in parts:
        assert part.first <= part.last
        if part.source in starts_row:  # whole rows only: the range starts one and ends before the next
            assert starts_row[part.source](part.first) and starts_row[part.source](part.last + dt.timedelta(days=1)), part
        assert part.source in (*grains, "raw") and (part.source != "raw" or "day" not in grains)
        for cut in [c for c in cuts if start < c <= end]:  # no row straddles a cut (the overdue rule's day) in the period
            if part.first < cut <= part.last:
                assert part.source in ("day", "raw") or starts_row[part.source](cut)
        covered += [part.first + dt.timedelta(days=i) for i in range((part.last - part.first).days + 1)]
    asked = [start + dt.timedelta(days=i) for i in range(length + 1)]
    assert covered == [covered[0] + dt.timedelta(days=i) for i in range(len(covered))]  # in order, once, no gap
    holding = set(asked) if not data else {d for d in asked if data[0] <= d <= data[1]}
    assert holding <= set(covered)  # every day asked that may hold data
    assert all(d < data[0] or d > data[1] for d in set(covered) - set(asked))  # beyond it, only empty days
    if not data:
        assert covered == asked
    # Two years and more hold a whole calendar year, read as its row unless weeks without days
    # would have to meet it: a year ends on any weekday, and leaving it for weeks can take raw
    # days, which cost more than rows (the plan then keeps to weeks, months and quarters).
    if "year" in grains and ("day" in grains or "week" not in grains) and length >= 731 and not cuts and not data:
        assert any(part.source == "year" for part in parts)


def test_a_question_to_the_last_day_of_data_reads_rows_past_it(rolled_db, raw_only):
    """The data ends on Monday 4 May 2026: per estate and area (weeks, no days) that day was read
    from the tickets; now its week's rows, which hold nothing after it. Alike at the start: from
    before 1 November 2025, the year's rows."""
    filters = Filters(**TO_THE_LAST_DAY).narrowed(areas=["repair"])
    plan = rollups.plan_tickets(rolled_db, RULES, filters, Scope.everything(), ["estate_id"])
    assert plan.rollup.name == "estate" and [s for s in plan.segments if s.source == "raw"] == [rollups.Segment("raw", D(2026, 2, 11), D(2026, 2, 15))]
    assert plan.segments[-1] == rollups.Segment("week", D(2026, 2, 16), D(2026, 5, 10))
    rolled = rollups.ticket_counts(rolled_db, RULES, plan, filters, Scope.everything(), ["estate_id"])
    raw = raw_only(aggregates.ticket_counts, rolled_db, RULES, filters, Scope.everything(), ["estate_id"])
    assert rolled.astype(str).equals(raw.astype(str)), f"{rolled}\n{raw}"
    early = rollups.plan_tickets(rolled_db, RULES, Filters(**FROM_BEFORE_THE_FIRST), Scope.everything(), ["estate_id"])
    assert early.segments[0].source == "year" and early.segments[0].first == D(2025, 1, 1)


def test_a_period_leaves_the_fewest_raw_days_worth_reading():
    """From a Thursday in late November, weeks running on through December leave four days to
    the tickets where coarsest-first tiling (December as a month) left eight; a single raw day
    is kept where avoiding it would take many more rows (25 weeks instead of two quarters)."""
    parts = rollups.segments(D(2023, 11, 23), D(2026, 11, 22), ["week", "month", "quarter", "year"])
    raw_days = [(p.first, p.last) for p in parts if p.source == "raw"]
    assert raw_days == [(D(2023, 11, 23), D(2023, 11, 26)), (D(2026, 11, 1), D(2026, 11, 1))]
    assert ("year", D(2024, 1, 1), D(2025, 12, 31)) in [(p.source, p.first, p.last) for p in parts]


# --- changed days ----------------------------------------------------------------------
def shell_note(db, tmp_path) -> str:
    """The "data up to" note of the dashboard's shell, in English."""
    import json

    from dashboard.app import create_app
    from data_access import Settings

    app = create_app(Settings(today=D(2026, 4, 1), data_dir=tmp_path), db.url.render_as_string(hide_password=False))
    client = app.server.test_client()
    client.set_cookie("lang", "en")
    layout = json.dumps(client.get("/_dash-layout").get_json(), ensure_ascii=False)
    start = layout.index("Data up to")
    return layout[start:layout.index('"', start)]


def test_an_import_marks_its_days_and_refresh_brings_them_back(tmp_path, scratch_databases, raw_only):
    from data_access.importer import import_files
    from data_access.mapping import load_mapping

    db = scratch_databases.new("sqlite")
    write_dataset(db, random_dataset(tickets=800, periodic_surveys=50))
    rollups.refresh(db, RULES)
    filters = Filters(*PERIOD)
    before = compute_metrics(db, RULES, filters, Scope.everything())

    csv = tmp_path / "late.csv"
    csv.write_text(
        "ticket_id,estate_id,created_at,channel,request_type,service_area,priority,status,first_response_at\n"
        "LATE-1,E01,2026-02-10 09:00:00,phone,repair,repair,normal,open,2026-02-10 09:05:00\n",
        encoding="utf-8",
    )
    assert "rollups refreshed" in shell_note(db, tmp_path)
    import_files(db, [csv], mapping=load_mapping(None), kind="tickets")
    rollups.forget_state(db)
    assert rollups.current_state(db).dirty == (D(2026, 2, 10),)
    assert "1 changed day(s) read from the raw tables" in shell_note(db, tmp_path)
    # February holds a changed day: the period reads the raw tables, so the new ticket counts at once.
    during, used = read_rollups(db, compute_metrics, db, RULES, filters, Scope.everything())
    assert not used and during["tickets"]["total"] == before["tickets"]["total"] + 1
    # A period without the changed day still reads the rollups.
    _, used = read_rollups(db, compute_metrics, db, RULES, Filters(D(2026, 3, 1), D(2026, 3, 31)), Scope.everything())
    assert used

    report = rollups.refresh(db, RULES)
    assert not report.full and report.months >= 1
    after, used = read_rollups(db, compute_metrics, db, RULES, filters, Scope.everything())
    assert used and rollups.current_state(db).dirty == ()
    assert not differences(after, raw_only(compute_metrics, db, RULES, filters, Scope.everything()))
    assert after["tickets"]["total"] == before["tickets"]["total"] + 1


def test_a_replaced_demo_rebuilds_its_rollups(tmp_path, raw_only):
    """`demo --replace` writes no changed days: its rollups must be rebuilt whole, not kept."""
    from dashboard.cli import main
    from data_access import Database

    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    common = ["demo", "--db", url, "--estates", "4", "--tickets", "3000", "--months", "3", "--end", "2026-03-31"]
    assert main(common) == 0
    assert main([*common, "--replace", "--seed", "11", "--tickets", "2000"]) == 0
    db = Database(url)
    filters = Filters(D(2026, 1, 1), D(2026, 3, 31))
    rolled, used = read_rollups(db, compute_metrics, db, RULES, filters, Scope.everything())
    assert used
    raw = raw_only(compute_metrics, db, RULES, filters, Scope.everything())
    assert rolled["tickets"]["total"] == raw["tickets"]["total"] and not differences(rolled, raw)


def test_tables_made_before_an_index_was_defined_get_it(engine_name, scratch_databases):
    """Rollups per estate are read by period for every estate: without their period index a
    question about last week reads every week ever kept (seconds at a group's scale)."""
    db = scratch_databases.new(engine_name)
    create_schema(db.engine)
    rollups.refresh(db, RULES)  # tables and their state, so nothing is left to rebuild
    drop = "DROP INDEX ix_rollup_estate_period_area" + (" ON rollup_estate" if db.dialect == "mysql" else "")
    with db.engine.begin() as conn:
        conn.execute(sa.text(drop))
    assert "ix_rollup_estate_period_area" not in {i["name"] for i in sa.inspect(db.engine).get_indexes("rollup_estate")}
    assert rollups.ensure_tables(db) == []  # nothing to rebuild: the definition of the rows is the same
    indexes = {i["name"]: i["column_names"] for i in sa.inspect(db.engine).get_indexes("rollup_estate")}
    assert indexes["ix_rollup_estate_period_area"] == ["grain", "period", "service_area"]


# --- whole cities ------------------------------------------------------------------------
GUANGZHOU = {"E01", "E04", "E07", "E10"}  # every estate of 广州 in random_dataset
DONGGUAN = {"E02", "E05", "E08"}
CITY_SELECTIONS = {"one-city": GUANGZHOU, "two-cities": GUANGZHOU | DONGGUAN, "part-of-a-city": {"E01", "E04"}}


def read_city_rollups(db, function, *args):
    db.trace.clear()
    result = function(*args)
    return result, any("rollup_city" in q.sql or "rollup_survey_city" in q.sql for q in db.trace)


@pytest.mark.parametrize("period", [LONG, YEARS], ids=["months", "years"])
@pytest.mark.parametrize("selection", CITY_SELECTIONS)
def test_whole_cities_are_answered_from_the_city_rollups(rolled_db, raw_only, selection, period):
    filters = Filters(**period, estates=CITY_SELECTIONS[selection])
    whole = selection != "part-of-a-city"
    rolled, used = read_city_rollups(rolled_db, compute_metrics, rolled_db, RULES, filters, Scope.everything())
    assert used == whole
    assert not differences(rolled, raw_only(compute_metrics, rolled_db, RULES, filters, Scope.everything()))
    for by in (("week", "service_area"), ("service_area", "priority"), ("channel",)):
        rolled, used = read_city_rollups(rolled_db, aggregates.ticket_counts, rolled_db, RULES, filters, Scope.everything(), by)
        raw = raw_only(aggregates.ticket_counts, rolled_db, RULES, filters, Scope.everything(), by)
        assert used == whole, by
        key = list(by)
        assert rolled.sort_values(key).reset_index(drop=True).astype(str).equals(raw.sort_values(key).reset_index(drop=True).astype(str)), by
    by = ["weekday", "hour"]  # the Response page's map of first replies
    args = (rolled_db, filters, Scope.everything(), RULES.first_response_target_minutes, by)
    rolled, used = read_city_rollups(rolled_db, first_reply_attainment, *args)
    raw = raw_only(first_reply_attainment, *args)
    assert used == whole
    assert rolled.sort_values(by).reset_index(drop=True).astype(str).equals(raw.sort_values(by).reset_index(drop=True).astype(str))
    by = ["week", "service_area"]
    rolled = aggregates.ticket_percentiles(rolled_db, RULES, filters, Scope.everything(), by).set_index(by).sort_index()
    raw = raw_only(aggregates.ticket_percentiles, rolled_db, RULES, filters, Scope.everything(), by).set_index(by).sort_index()
    assert list(rolled.index) == list(raw.index)
    for column in raw.columns:
        exact, close = raw[column].astype(float), rolled[column].astype(float)
        assert (close.isna() == exact.isna()).all(), column  # a week without resolutions has none either way
        assert ((close - exact).abs() <= 0.01 * exact.abs())[exact.notna()].all(), column


def test_a_scoped_user_asking_for_a_whole_city_gets_its_figures(rolled_db, raw_only):
    """A user who may see only 广州 and asks for everything: the city rollup answers (whole)."""
    scope = Scope.of(GUANGZHOU)
    rolled, used = read_city_rollups(rolled_db, compute_metrics, rolled_db, RULES, Filters(**LONG), scope)
    assert used
    assert not differences(rolled, raw_only(compute_metrics, rolled_db, RULES, Filters(**LONG), scope))


def test_an_estate_moving_city_keeps_the_city_rollups_out_until_refreshed(tmp_path, raw_only):
    from data_access import Database

    db = Database(f"sqlite:///{tmp_path / 'moving.sqlite'}")
    write_dataset(db, random_dataset(tickets=1500, periodic_surveys=100))
    rollups.refresh(db, RULES)
    with db.engine.begin() as conn:  # E01 leaves 广州 for 东莞
        conn.execute(sa.text("UPDATE estates SET city = '东莞' WHERE estate_id = 'E01'"))
    rollups.forget_state(db)
    filters = Filters(**LONG, estates=GUANGZHOU - {"E01"})  # now the whole of 广州
    rolled, used = read_city_rollups(db, compute_metrics, db, RULES, filters, Scope.everything())
    assert not used  # built when 广州 held E01 too
    assert not differences(rolled, raw_only(compute_metrics, db, RULES, filters, Scope.everything()))
    report = rollups.refresh(db, RULES)
    assert report.full  # the city rollups were rebuilt whole
    rolled, used = read_city_rollups(db, compute_metrics, db, RULES, filters, Scope.everything())
    assert used
    assert not differences(rolled, raw_only(compute_metrics, db, RULES, filters, Scope.everything()))


def test_groups_without_an_area_keep_their_stored_percentiles(engine_name, scratch_databases, raw_only):
    """Week rows store their own percentiles; a group with no area recorded (null) has them too."""
    db = scratch_databases.new(engine_name)
    write_dataset(db, random_dataset(tickets=1500, periodic_surveys=50))
    with db.engine.begin() as conn:  # every tenth ticket without a service area
        conn.execute(sa.text("UPDATE tickets SET service_area = NULL WHERE ticket_id LIKE '%0'"))
    rollups.refresh(db, RULES)
    by = ["week", "service_area"]
    filters = Filters(D(2025, 11, 3), D(2026, 3, 29))  # whole weeks: every group read off its stored row
    plan = rollups.plan_tickets(db, RULES, filters, Scope.everything(), by, histograms=True)
    assert rollups._stored_grain(plan, by) == "week"
    rolled = aggregates.ticket_percentiles(db, RULES, filters, Scope.everything(), by)
    raw = raw_only(aggregates.ticket_percentiles, db, RULES, filters, Scope.everything(), by)
    nulls_rolled, nulls_raw = rolled[rolled["service_area"].isna()], raw[raw["service_area"].isna()]
    assert len(nulls_raw) > 10 and len(nulls_rolled) == len(nulls_raw)
    merged = nulls_rolled.merge(nulls_raw, on="week", suffixes=("_rolled", "_raw"))
    exact, close = merged["response_median_raw"].astype(float), merged["response_median_rolled"].astype(float)
    assert exact.notna().all() and ((close - exact).abs() <= 0.01 * exact.abs()).all()


@pytest.fixture(scope="module")
def rolled_sqlite(scratch_databases):
    db = scratch_databases.new("sqlite")
    write_dataset(db, random_dataset())
    rollups.refresh(db, RULES)
    return db


@pytest.mark.parametrize("narrowed", [{"areas": ["repair"]}, {"estates": ["E01", "E02"]}], ids=["one-area", "two-estates"])
def test_sqlite_reads_unresolved_complaints_through_their_partial_index(rolled_sqlite, narrowed):
    """The overdue count's unresolved complaints over months (the row holding the overdue day
    is a year): SQLite seeks them in their partial index, not in the area's or estates' index
    of every ticket, which it took by itself (PostgreSQL takes the partial index unasked)."""
    filters = Filters(D(2026, 1, 1), D(2026, 3, 31)).narrowed(**narrowed)
    statement = rollups._unresolved_complaints(rolled_sqlite, filters, Scope.everything(), ["estate_id"])
    sql = str(statement.compile(dialect=rolled_sqlite.engine.dialect, compile_kwargs={"literal_binds": True}))
    with rolled_sqlite.engine.connect() as conn:
        plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
    assert "ix_tickets_unresolved_complaints" in plan, plan


def test_sqlite_finds_the_first_and_last_day_of_data_in_the_indexes(rolled_sqlite):
    """Read every few seconds by every process (rollups.current_state): four index probes, not a
    scan of the tickets and surveys (SQLite scans for min and max in one select)."""
    sql = str(rollups._data_days_probes().compile(dialect=rolled_sqlite.engine.dialect))
    with rolled_sqlite.engine.connect() as conn:
        plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
    assert "SCAN" not in plan.replace("SCAN CONSTANT ROW", ""), plan
    assert plan.count("SEARCH") == 4, plan


PHYSICAL_ORDER = {"sqlite": "rowid", "postgresql": "ctid"}  # MariaDB keeps no order a query can name


def test_rows_are_written_area_by_area(rolled_db):
    """Within each grain and period (and measure), a rollup's rows and packed histograms lie in the
    table one area after another: a question about one area reads a fifth of the pages."""
    if rolled_db.dialect not in PHYSICAL_ORDER:
        pytest.skip(f"{rolled_db.dialect} has no row order to read back")
    for name in ("estate", "survey_estate_totals", "survey_reply_estate"):  # per estate: the large ones
        for t in rollups.TABLES[name]:
            if t is None:
                continue
            measure = "measure" if "measure" in t.c else "''"  # a histogram's measures may be written one after the other
            rows = rolled_db.rows(sa.text(f"SELECT grain, period, {measure}, service_area FROM {t.name} ORDER BY {PHYSICAL_ORDER[rolled_db.dialect]}"))
            runs: dict[tuple, list] = {}
            for grain, period, measured, area in rows:
                runs.setdefault((grain, str(period), measured), []).append(area or "")
            assert len(runs) > 10, t.name
            # PostgreSQL may put a row into room left on an earlier page: nearly, not strictly, in order
            blocks = sum(1 + sum(x != y for x, y in zip(areas, areas[1:])) - len(set(areas)) for areas in runs.values())
            assert blocks <= 0.02 * len(rows), (t.name, blocks, len(rows))


def test_the_period_index_of_a_rollup_by_estate_ends_with_the_area(rolled_db):
    """The index a question about every estate of one area seeks in; the one it replaced is dropped."""
    with rolled_db.engine.begin() as conn:
        conn.execute(sa.text("CREATE INDEX ix_rollup_estate_period ON rollup_estate (grain, period)"))  # as built before
    rollups.ensure_tables(rolled_db)
    indexes = {i["name"]: i["column_names"] for i in sa.inspect(rolled_db.engine).get_indexes("rollup_estate")}
    assert indexes == {"ix_rollup_estate": ["estate_id", "grain", "period"], "ix_rollup_estate_period_area": ["grain", "period", "service_area"]}


def test_a_plan_counts_the_rows_it_reads_per_group():
    """What decides whether PostgreSQL joins a group's packed rows before sending them."""
    plan = rollups.Plan(rollups.ROLLUPS[0], (
        rollups.Segment("raw", D(2023, 12, 30), D(2023, 12, 31)),
        rollups.Segment("year", D(2024, 1, 1), D(2025, 12, 31)),
        rollups.Segment("quarter", D(2026, 1, 1), D(2026, 6, 30)),
        rollups.Segment("month", D(2026, 7, 1), D(2026, 8, 31)),
        rollups.Segment("day", D(2026, 9, 1), D(2026, 9, 6)),
        rollups.Segment("week", D(2026, 9, 7), D(2026, 9, 20)),
        rollups.Segment("day", D(2026, 9, 21), D(2026, 9, 23)),
    ))
    assert [s.rows for s in plan.segments] == [0, 2, 2, 2, 6, 2, 3]
    assert plan.rows_per_group == 17
