"""Response times: the bucket counts of data_access.distributions equal a plain pandas count on
every engine, and every number the page's figures draw is ticket_summary's for the same filters."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from engines import dataset_from_records, write_dataset

from dashboard import i18n
from dashboard.figures import response as figures
from data_access import ALL, Database, Filters, Scope, ServiceRules
from data_access.aggregates import ticket_summary
from data_access.demo import generate_demo
from data_access.distributions import (
    DEFAULT_RESPONSE_EDGES,
    bucket_edges,
    first_reply_attainment,
    response_time_distribution,
)

D = dt.date
RULES = ServiceRules()
TODAY = D(2026, 11, 23)
EDGES = bucket_edges(DEFAULT_RESPONSE_EDGES, must_include=(15,))


# --- the distribution in SQL against pandas, on every engine ---------------------------
PERIOD = (D(2026, 3, 2), D(2026, 3, 29))
AREAS = ["security", "cleaning", "greening", "repair", "other"]


def distribution_dataset(seed: int = 5):
    """~800 tickets over March 2026 with replies of every length, exact bucket edges, replies
    before creation (invalid), none at all, cancelled tickets and tickets outside the period."""
    rng = np.random.default_rng(seed)
    estates = [
        {"estate_id": f"E{i}", "name": f"小区{i}", "city": "深圳", "region": "华南", "households": 100}
        for i in range(4)
    ]
    tickets = []
    start = dt.datetime(2026, 2, 25)
    for i in range(800):
        created = start + dt.timedelta(seconds=int(rng.integers(0, 40 * 86400)))
        kind = rng.random()
        if kind < 0.15:  # exactly on an edge: belongs to the bucket it closes
            reply = dt.timedelta(minutes=float(rng.choice(EDGES)))
        elif kind < 0.22:
            reply = -dt.timedelta(minutes=int(rng.integers(1, 90)))  # before creation: invalid
        elif kind < 0.30:
            reply = None
        else:
            reply = dt.timedelta(seconds=int(rng.lognormal(6.5, 1.6)))
        tickets.append(
            {
                "ticket_id": f"t{i:04d}",
                "estate_id": f"E{i % 4}",
                "created_at": created,
                "channel": "phone",
                "request_type": "repair",
                "service_area": AREAS[i % 5],
                "priority": "normal",
                "status": "cancelled" if i % 37 == 0 else "open",
                "severity": None,
                "first_response_at": None if reply is None else created + reply,
                "resolved_at": None,
                "escalation_level": 0,
                "reopened_count": 0,
            }
        )
    tickets.append({**tickets[0], "ticket_id": "zero", "first_response_at": tickets[0]["created_at"]})  # 0 minutes
    return dataset_from_records(estates, tickets, [])


def pandas_distribution(data, filters: Filters, scope: Scope, by: list[str]) -> pd.DataFrame:
    t = data.tickets
    t = t[(t["created_at"] >= pd.Timestamp(filters.start)) & (t["created_at"] < pd.Timestamp(filters.end_exclusive))]
    t = t[t["status"] != "cancelled"]
    allowed = scope.allowed_estates(filters.estates)
    if allowed is not None:
        t = t[t["estate_id"].isin(allowed)]
    if filters.areas:
        t = t[t["service_area"].isin(filters.areas)]
    minutes = (t["first_response_at"] - t["created_at"]).dt.total_seconds() / 60
    t = t.assign(minutes=minutes)[minutes >= 0]
    t = t.assign(bucket=np.searchsorted(np.array(EDGES), t["minutes"].to_numpy(), side="left"))
    return t.groupby([*by, "bucket"]).size().rename("tickets").reset_index()


@pytest.fixture(scope="module")
def distribution_db(engine_name, scratch_databases):
    data = distribution_dataset()
    db = scratch_databases.new(engine_name)
    write_dataset(db, data)
    return db, data


SELECTIONS = {
    "everything": (Filters(*PERIOD), ALL),
    "two areas": (Filters(*PERIOD, areas={"repair", "cleaning"}), ALL),
    "one estate": (Filters(*PERIOD, estates={"E2"}), ALL),
    "scoped": (Filters(*PERIOD), Scope.of({"E1", "E3"})),
    "one day": (Filters(D(2026, 3, 10), D(2026, 3, 10)), ALL),
}


@pytest.mark.parametrize("name", list(SELECTIONS))
@pytest.mark.parametrize("by", [[], ["service_area"]], ids=["total", "by_area"])
def test_bucket_counts_equal_pandas(distribution_db, name, by):
    db, data = distribution_db
    filters, scope = SELECTIONS[name]
    sql = response_time_distribution(db, filters, scope, EDGES, by=by)
    expected = pandas_distribution(data, filters, scope, by)
    got = sql[sql["tickets"] > 0][[*by, "bucket", "tickets"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected.sort_values([*by, "bucket"]).reset_index(drop=True), check_dtype=False)
    assert expected["tickets"].sum() > 0


def test_buckets_up_to_the_target_are_the_within_target_count(distribution_db):
    db, _ = distribution_db
    filters = Filters(*PERIOD)
    buckets = response_time_distribution(db, filters, ALL, EDGES)
    summary = ticket_summary(db, RULES, filters, ALL).iloc[0]
    within = buckets[buckets["upper"].map(lambda u: u is not None and u <= RULES.first_response_target_minutes)]
    assert within["tickets"].sum() == summary["within_target"]
    assert buckets["tickets"].sum() == summary["responded"]


def test_every_bucket_is_present_and_labelled(distribution_db):
    db, _ = distribution_db
    buckets = response_time_distribution(db, Filters(D(2030, 1, 1), D(2030, 1, 7)), ALL, EDGES)
    assert list(buckets["bucket"]) == list(range(len(EDGES) + 1))
    assert buckets["tickets"].sum() == 0
    assert list(buckets["lower"]) == [0.0, *EDGES]
    assert list(buckets["upper"]) == [*EDGES, None]


@pytest.mark.parametrize("name", list(SELECTIONS))
def test_attainment_by_hour_equals_ticket_summary(distribution_db, name):
    db, _ = distribution_db
    filters, scope = SELECTIONS[name]
    lean = first_reply_attainment(db, filters, scope, RULES.first_response_target_minutes, ("weekday", "hour"))
    full = ticket_summary(db, RULES, filters, scope, by=("weekday", "hour"))
    columns = ["weekday", "hour", "tickets", "responded", "within_target", "within_target_pct"]
    key = ["weekday", "hour"]
    got = lean[columns].sort_values(key).reset_index(drop=True)
    expected = full[columns].sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert len(got) > 0


def test_attainment_is_null_without_replies_not_zero(distribution_db):
    db, data = distribution_db
    unanswered = data.tickets.loc[
        data.tickets["first_response_at"].isna() & (data.tickets["status"] != "cancelled"), "ticket_id"
    ]
    assert len(unanswered) > 0
    frame = first_reply_attainment(db, Filters(*PERIOD), ALL, 15, ("service_area",))
    assert frame["within_target_pct"].notna().all()
    empty = first_reply_attainment(db, Filters(D(2030, 1, 1), D(2030, 1, 7)), ALL, 15, ())
    assert empty.empty or empty["within_target_pct"].iloc[0] is None


def test_edges_are_checked():
    assert bucket_edges([30, 5, 15], must_include=(15, 12.5)) == (5.0, 12.5, 15.0, 30.0)
    with pytest.raises(ValueError):
        bucket_edges([0, 5])


# --- figures against ticket_summary on demo data --------------------------------------
@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Database:
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('response') / 'demo.sqlite'}")
    generate_demo(db, estates=12, tickets=15_000, months=6, seed=3, end=TODAY - dt.timedelta(days=1), progress=False)
    return db


OCTOBER = Filters(D(2026, 10, 1), D(2026, 10, 31))


def test_trend_window_is_whole_weeks_to_the_period_end():
    last_week = figures.trend_filters(Filters(D(2026, 11, 16), D(2026, 11, 22), areas={"repair"}))
    assert (last_week.start, last_week.end) == (D(2026, 8, 24), D(2026, 11, 22))
    assert last_week.days == 13 * 7
    assert last_week.areas == {"repair"}  # only the period changes
    long = figures.trend_filters(Filters(D(2026, 1, 1), D(2026, 11, 22)))
    assert long.start == D(2026, 1, 1)  # a longer period is kept whole
    midweek = figures.trend_filters(Filters(D(2026, 11, 23), D(2026, 11, 25)), weeks=2)
    assert midweek.start == D(2026, 11, 16)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_reply_trend_draws_the_weekly_percentiles(demo_db, lang):
    weekly = ticket_summary(demo_db, RULES, OCTOBER, ALL, by=("week", "service_area"))
    fig = figures.reply_trend(weekly, 15, lang)
    lines = {(t.xaxis, t.name): t for t in fig.data}
    for axis, column in (("x", "response_median"), ("x2", "response_p90")):
        trace = lines[(axis, i18n.area("repair", lang))]
        expected = weekly[weekly["service_area"] == "repair"].set_index("week")[column]
        drawn = dict(zip(trace.x, trace.y))
        for week, value in expected.items():
            assert drawn[week] == pytest.approx(value)
    assert [s.y0 for s in fig.layout.shapes] == [15, 15]  # the target on both panels
    assert i18n.t("response.target_line", lang, target="15") in [a.text for a in fig.layout.annotations]


def test_a_week_without_replies_is_a_gap_not_zero():
    weekly = pd.DataFrame(
        {
            "week": ["2026-10-05", "2026-10-19"],
            "service_area": ["repair", "repair"],
            "tickets": [3, 2],
            "responded": [3, 2],
            "resolved": [1, 0],
            "response_median": [4.0, 6.0],
            "response_p90": [9.0, None],
            "resolution_median": [30.0, None],
        }
    )
    fig = figures.reply_trend(weekly, 15, "en")
    median = next(t for t in fig.data if t.xaxis == "x")
    assert list(median.x) == ["2026-10-05", "2026-10-12", "2026-10-19"]
    assert list(median.y) == [4.0, None, 6.0]
    p90 = next(t for t in fig.data if t.xaxis == "x2")
    assert list(p90.y) == [9.0, None, None]
    resolution = figures.resolution_trend(weekly, "en").data[0]
    assert list(resolution.y) == [30.0, None, None]
    assert "—" in resolution.hovertext[2]


def test_resolution_trend_draws_the_weekly_median_hours(demo_db):
    weekly = ticket_summary(demo_db, RULES, OCTOBER, ALL, by=("week", "service_area"))
    fig = figures.resolution_trend(weekly, "en")
    trace = next(t for t in fig.data if t.name == "Cleaning")
    expected = weekly[weekly["service_area"] == "cleaning"].set_index("week")["resolution_median"]
    assert dict(zip(trace.x, trace.y)) == pytest.approx(expected.to_dict())


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_distribution_bars_are_the_bucket_counts(demo_db, lang):
    buckets = response_time_distribution(demo_db, OCTOBER, ALL, EDGES)
    summary = ticket_summary(demo_db, RULES, OCTOBER, ALL).iloc[0]
    unreplied = int(summary["tickets"] - summary["responded"])
    fig = figures.reply_distribution(buckets, 15, lang, unreplied=unreplied)
    bars = fig.data[0]
    assert list(bars.y) == list(buckets["tickets"])
    within = [colour == figures.CURRENT_COLOUR for colour in bars.marker.color]
    assert sum(y for y, w in zip(bars.y, within) if w) == summary["within_target"]
    assert fig.layout.shapes[0].x0 == within.count(True) - 0.5  # the target line between 10–15 and 15–20
    assert bars.x[:4] == ("≤5", "5–10", "10–15", "15–20")
    assert bars.x[-1] == (">24 h" if lang == "en" else ">24小时")
    if unreplied:
        assert any(i18n.number(unreplied, lang) in a.text for a in fig.layout.annotations)


def test_bucket_labels():
    assert figures.bucket_label(0, 5, "en") == "≤5"
    assert figures.bucket_label(45, 60, "en") == "45–60"
    assert figures.bucket_label(60, 120, "en") == "1–2 h"
    assert figures.bucket_label(240, 480, "zh") == "4–8小时"
    assert figures.bucket_label(12.5, 15, "en") == "12.5–15"
    assert figures.bucket_label(90, None, "en") == ">1.5 h"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_sla_bars_are_within_sla_pct(demo_db, lang):
    frame = ticket_summary(demo_db, RULES, OCTOBER, ALL, by=("service_area", "priority"))
    fig = figures.sla_by_area_priority(frame, lang, target_pct=90)
    urgent = next(t for t in fig.data if t.name == i18n.label("priority", "urgent", lang))
    expected = frame[frame["priority"] == "urgent"].set_index("service_area")["within_sla_pct"]
    for area, value in zip(urgent.customdata, urgent.y):
        assert value == pytest.approx(expected[area])
    assert set(urgent.customdata) <= set(AREAS)  # the click carries the area code
    assert fig.layout.shapes[0].y0 == 90

    by_channel = ticket_summary(demo_db, RULES, OCTOBER, ALL, by=("channel",))
    bars = figures.sla_by_channel(by_channel, lang, target_pct=90).data[0]
    expected = by_channel.set_index("channel")["within_sla_pct"]
    assert {c: v for c, v in zip(bars.customdata, bars.y)} == pytest.approx({c: expected[c] for c in bars.customdata})


@pytest.mark.parametrize("chart", ["area_priority", "channel"])
def test_sla_target_label_stays_clear_of_the_bars_labels(demo_db, chart):
    # Bars a few points off the target put their labels where a label inside the plot would be:
    # the target's label goes in the right margin, level with its line, and the bars' labels
    # inside their tops where they fit.
    if chart == "channel":
        fig = figures.sla_by_channel(ticket_summary(demo_db, RULES, OCTOBER, ALL, by=("channel",)), "en", target_pct=90)
    else:
        fig = figures.sla_by_area_priority(ticket_summary(demo_db, RULES, OCTOBER, ALL, by=("service_area", "priority")), "en", target_pct=90)
    label = next(a for a in fig.layout.annotations if a.text == i18n.t("response.sla_target", "en", target="90"))
    assert (label.xref, label.x, label.xanchor, label.y, label.yanchor) == ("x domain", 1, "left", 90, "middle")
    assert fig.layout.margin.r >= 70  # room for "Target 90%" / "目标 90%"
    assert all(bar.textposition == "auto" and bar.insidetextanchor == "end" for bar in fig.data)


def test_sla_null_shows_as_dash_not_zero():
    frame = pd.DataFrame(
        {
            "service_area": ["repair", "repair"],
            "priority": ["urgent", "normal"],
            "tickets": [4, 3],
            "resolved": [2, 0],
            "within_sla": [1, 0],
            "within_sla_pct": [25.0, None],
        }
    )
    fig = figures.sla_by_area_priority(frame, "en")
    normal = next(t for t in fig.data if t.name == "Normal")
    assert list(normal.y) == [None]
    assert list(normal.text) == ["—"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_heatmap_is_the_share_missing_the_target(demo_db, lang):
    frame = ticket_summary(demo_db, RULES, OCTOBER, ALL, by=("weekday", "hour"))
    fig = figures.slow_reply_heatmap(frame, 15, lang)
    heat = fig.data[0]
    assert len(heat.z) == 7 and all(len(row) == 24 for row in heat.z)
    assert heat.y[0] == i18n.t("weekday.0", lang)
    for r in frame.itertuples():
        drawn = heat.z[r.weekday][r.hour]
        if r.within_target_pct is None:
            assert drawn is None
        else:
            assert drawn == pytest.approx(100 - r.within_target_pct)
    present = set(zip(frame["weekday"], frame["hour"]))
    assert all(heat.z[d][h] is None for d in range(7) for h in range(24) if (d, h) not in present)


EMPTY_SELECTION_DRAWERS = {
    "reply_trend": (("week", "service_area"), lambda f, lang: figures.reply_trend(f, 15, lang)),
    "resolution_trend": (("week", "service_area"), figures.resolution_trend),
    "sla_area": (("service_area", "priority"), figures.sla_by_area_priority),
    "sla_channel": (("channel",), figures.sla_by_channel),
    "heatmap": (("weekday", "hour"), lambda f, lang: figures.slow_reply_heatmap(f, 15, lang)),
}


@pytest.mark.parametrize("name", list(EMPTY_SELECTION_DRAWERS))
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_selection_without_tickets_says_so(demo_db, name, lang):
    by, draw = EMPTY_SELECTION_DRAWERS[name]
    frame = ticket_summary(demo_db, RULES, Filters(D(2030, 1, 1), D(2030, 1, 7)), ALL, by=by)
    fig = draw(frame, lang)
    assert not fig.data
    assert fig.layout.annotations[0].text == i18n.t("app.no_data", lang)


def test_empty_distribution_says_so(demo_db):
    buckets = response_time_distribution(demo_db, Filters(D(2030, 1, 1), D(2030, 1, 7)), ALL, EDGES)
    fig = figures.reply_distribution(buckets, 15, "zh")
    assert not fig.data
    assert fig.layout.annotations[0].text == i18n.t("app.no_data", "zh")


# --- the page's callbacks, called as Dash calls them ------------------------------------
# Called as plain functions inside the app's request context, not through a test client: a
# first request would hand dash's process-wide callback registry to this app and leave none
# for an app created later in the same process (the browser tests' one).
@pytest.fixture(scope="module")
def app(demo_db, tmp_path_factory):
    from dashboard.app import create_app
    from data_access import Settings

    return create_app(Settings(today=TODAY, data_dir=tmp_path_factory.mktemp("data")), demo_db.describe())


def call(app, callback_name: str, *args, triggered: str | None = None):
    """Run a callback of the page as Dash would, with `triggered` as the input that fired it."""
    import importlib
    from contextvars import copy_context

    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    function = getattr(importlib.import_module(PAGE_MODULE), callback_name)

    def run():
        context_value.set(AttributeDict(triggered_inputs=[{"prop_id": triggered or "url.search", "value": None}]))
        with app.server.test_request_context():
            return function(*args)

    return copy_context().run(run)


def serialised(component):
    import json

    from plotly.io.json import to_json_plotly

    return json.loads(to_json_plotly(component))


PAGE_MODULE = "dashboard.pages.response"
OCTOBER_LINK = "?period=custom&from=2026-10-01&to=2026-10-31"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_callbacks_draw_the_selection(app, demo_db, lang):
    filters = OCTOBER.narrowed(areas={"repair", "cleaning"})
    distribution, sla_area, _sla_channel, problem = call(
        app, "update_attainment", OCTOBER_LINK + "&area=repair,cleaning", lang
    )
    assert problem is None
    assert list(distribution.data[0].y) == list(response_time_distribution(demo_db, filters, ALL, EDGES)["tickets"])
    normal = next(t for t in sla_area.data if t.name == i18n.label("priority", "normal", lang))
    assert set(normal.customdata) == {"repair", "cleaning"}
    expected = ticket_summary(demo_db, RULES, filters, ALL, by=("service_area", "priority")).set_index(
        ["service_area", "priority"]
    )
    assert dict(zip(normal.customdata, normal.y))["repair"] == pytest.approx(
        expected.at[("repair", "normal"), "within_sla_pct"]
    )

    caption, reply_trend, _resolution, problem = call(app, "update_trends", OCTOBER_LINK, lang)
    assert i18n.date(D(2026, 10, 31), lang) in caption and problem is None
    weekly = ticket_summary(demo_db, RULES, figures.trend_filters(OCTOBER), ALL, by=("week", "service_area"))
    median = next(t for t in reply_trend.data if t.xaxis == "x" and t.name == i18n.area("security", lang))
    expected = weekly[weekly["service_area"] == "security"].set_index("week")["response_median"].to_dict()
    assert dict(zip(median.x, median.y)) == pytest.approx(expected)

    heatmap, problem = call(app, "update_slow_hours", OCTOBER_LINK, lang)
    by_hour = ticket_summary(demo_db, RULES, figures.trend_filters(OCTOBER), ALL, by=("weekday", "hour"))
    for r in by_hour.itertuples():
        drawn = heatmap.data[0].z[r.weekday][r.hour]
        assert drawn == (None if r.within_target_pct is None else pytest.approx(100 - r.within_target_pct))


def test_clicking_a_bar_narrows_the_url(app):
    import dash

    def click(graph: str, code: str, search: str):
        clicks = {"response-sla-area": None, "response-sla-channel": None, graph: {"points": [{"customdata": code}]}}
        return call(
            app,
            "narrow_to_clicked_bar",
            clicks["response-sla-area"],
            clicks["response-sla-channel"],
            search,
            triggered=f"{graph}.clickData",
        )

    assert (
        click("response-sla-area", "greening", "?period=last_month&area=repair") == "?period=last_month&area=greening"
    )
    assert click("response-sla-channel", "app", "?estate=E001&channel=phone") == "?estate=E001&channel=app"
    assert click("response-sla-area", "not-an-area", "") is dash.no_update
