"""The portable calendar and duration functions give the same values on every engine."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from data_access.sqlfuncs import count_sum, day_of, hour_of, minutes_between, month_of, week_of, weekday_of

moments_metadata = sa.MetaData()
moments = sa.Table(
    "sqlfuncs_moments",
    moments_metadata,
    sa.Column("moment_id", sa.String(40), primary_key=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("later", sa.DateTime),
)

T = dt.datetime
# name -> (at, later): calendar edges, and durations across them
MOMENTS = {
    "sunday-night": (T(2026, 3, 1, 23, 59, 59), T(2026, 3, 2, 0, 0, 1)),
    "monday-midnight": (T(2026, 3, 2, 0, 0, 0), T(2026, 3, 2, 0, 15, 0)),
    "month-end": (T(2026, 1, 31, 23, 30, 0), T(2026, 2, 1, 0, 45, 30)),
    "leap-day": (T(2024, 2, 29, 12, 34, 56), T(2024, 3, 1, 12, 34, 56)),
    "new-year-thursday": (T(2026, 1, 1, 8, 0, 0), T(2026, 12, 31, 8, 0, 0)),  # ISO week starts in 2025
    "saturday-noon": (T(2026, 2, 7, 12, 0, 0), T(2026, 2, 7, 11, 59, 0)),  # later is earlier: negative
    "unanswered": (T(2026, 2, 8, 9, 7, 0), None),
}

EXPECTED = {  # worked out by hand: day, week (Monday), month, hour, weekday (0 = Monday), minutes
    "sunday-night": ("2026-03-01", "2026-02-23", "2026-03-01", 23, 6, 2 / 60),
    "monday-midnight": ("2026-03-02", "2026-03-02", "2026-03-01", 0, 0, 15.0),
    "month-end": ("2026-01-31", "2026-01-26", "2026-01-01", 23, 5, 75.5),
    "leap-day": ("2024-02-29", "2024-02-26", "2024-02-01", 12, 3, 1440.0),
    "new-year-thursday": ("2026-01-01", "2025-12-29", "2026-01-01", 8, 3, 364 * 1440.0),
    "saturday-noon": ("2026-02-07", "2026-02-02", "2026-02-01", 12, 5, -1.0),
    "unanswered": ("2026-02-08", "2026-02-02", "2026-02-01", 9, 6, None),
}


@pytest.fixture(scope="module")
def moments_db(database):
    moments_metadata.create_all(database.engine)
    with database.engine.begin() as conn:
        conn.execute(moments.delete())
        rows = [{"moment_id": name, "at": at, "later": later} for name, (at, later) in MOMENTS.items()]
        conn.execute(moments.insert(), rows)
    return database


def calendar_values(db, statement) -> dict:
    return {row[0]: tuple(row[1:]) for row in db.rows(statement)}


@pytest.mark.filterwarnings("error::sqlalchemy.exc.SAWarning")  # e.g. a construct that defeats the SQL cache
def test_calendar_buckets_and_durations(moments_db):
    m = moments.c
    statement = sa.select(
        m.moment_id, day_of(m.at), week_of(m.at), month_of(m.at), hour_of(m.at), weekday_of(m.at),
        minutes_between(m.at, m.later),
    )
    actual = calendar_values(moments_db, statement)
    assert set(actual) == set(EXPECTED)
    for name, (day, week, month, hour, weekday, minutes) in EXPECTED.items():
        got_day, got_week, got_month, got_hour, got_weekday, got_minutes = actual[name]
        assert (str(got_day), str(got_week), str(got_month), int(got_hour), int(got_weekday)) == (
            day, week, month, hour, weekday), name
        if minutes is None:
            assert got_minutes is None, name
        else:
            assert float(got_minutes) == pytest.approx(minutes, rel=1e-12, abs=1e-12), name


def test_calendar_functions_group_and_filter_with_bound_parameters(moments_db):
    """Used in GROUP BY and next to bound parameters (MySQL's % escaping, PostgreSQL's casts)."""
    m = moments.c
    week = week_of(m.at)
    statement = (
        sa.select(week, sa.func.count())
        .where(m.moment_id != sa.bindparam("excluded", "unanswered"))
        .group_by(week)
        .order_by(week)
    )
    assert [(str(w), n) for w, n in moments_db.rows(statement)] == [
        ("2024-02-26", 1), ("2025-12-29", 1), ("2026-01-26", 1),
        ("2026-02-02", 1), ("2026-02-23", 1), ("2026-03-02", 1),
    ]


counts_metadata = sa.MetaData()
counted = sa.Table(
    "sqlfuncs_counts", counts_metadata,
    sa.Column("grp", sa.String(8), nullable=False),
    sa.Column("n", sa.BigInteger, nullable=False),
)


def test_count_sum_is_a_whole_number_past_the_range_of_one_row(database):
    """Rows' counts each fit an INTEGER (PostgreSQL sums them as such); their sum may not, and
    comes back exact as a Python int on every engine, not a Decimal; over no rows it is null."""
    counts_metadata.create_all(database.engine)
    with database.engine.begin() as conn:
        conn.execute(counted.delete())
        conn.execute(counted.insert(), [{"grp": "a", "n": 2_000_000_000}, {"grp": "a", "n": 2_000_000_001}, {"grp": "b", "n": 7}])
    c = counted.c
    sums = dict(database.rows(sa.select(c.grp, count_sum(c.n)).group_by(c.grp)))
    assert sums == {"a": 4_000_000_001, "b": 7}
    assert all(type(v) is int for v in sums.values())
    assert database.rows(sa.select(count_sum(c.n)).where(c.grp == "none"))[0][0] is None
