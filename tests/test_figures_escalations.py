"""Escalations and complaints: every number the page draws is metrics --json's (compute_metrics)
for the same filters; escalation_counts equals ticket_summary's counts on every engine; the
page's callbacks answer as Dash calls them."""

from __future__ import annotations

import datetime as dt

import dash
import pandas as pd
import pytest

from dashboard import i18n
from dashboard.figures import escalations as figures
from data_access import ALL, Database, Filters, ServiceRules
from data_access.aggregates import ticket_summary
from data_access.catalog import estate_list
from data_access.demo import generate_demo
from data_access.escalations import escalation_counts
from data_access.metrics import compute_metrics
from data_access.ticket_lists import complaint_watchlist

D = dt.date
RULES = ServiceRules()
TODAY = D(2026, 11, 23)
OCTOBER = Filters(D(2026, 10, 1), D(2026, 10, 31))
WEEKS = Filters(D(2026, 9, 28), D(2026, 11, 1))  # five whole weeks
NOTHING = Filters(D(2030, 1, 1), D(2030, 1, 7))


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('escalations') / 'demo.sqlite'}"
    generate_demo(
        Database(url), estates=12, tickets=15_000, months=6, seed=3, end=TODAY - dt.timedelta(days=1), progress=False
    )
    return url


@pytest.fixture(scope="module")
def demo_db(demo_url) -> Database:
    return Database(demo_url)


def stacked(fig, name: str) -> dict:
    trace = next(t for t in fig.data if t.name == name)
    return dict(zip(trace.x, trace.y))


# --- escalation_counts: ticket_summary's counts, on every engine -------------------------
@pytest.fixture(scope="module")
def engine_demo(engine_name, scratch_databases) -> Database:
    db = scratch_databases.new(engine_name)
    generate_demo(db, estates=6, tickets=4_000, months=3, seed=9, end=TODAY - dt.timedelta(days=1), progress=False)
    return db


COUNT_COLUMNS = [
    "tickets",
    "escalations",
    "level_1",
    "level_2",
    "level_3",
    "complaints",
    "severity_minor",
    "severity_important",
    "severity_major",
    "severity_unclassified",
    "escalation_rate_pct",
]


@pytest.mark.parametrize("by", [(), ("week",), ("service_area",), ("estate_id",), ("week", "service_area")], ids=str)
@pytest.mark.parametrize("selection", ["all", "one area", "complaints by phone"])
def test_escalation_counts_equal_ticket_summary(engine_demo, by, selection):
    filters = {
        "all": Filters(D(2026, 9, 1), D(2026, 11, 22)),
        "one area": Filters(D(2026, 10, 1), D(2026, 10, 31), areas={"repair"}),
        "complaints by phone": Filters(D(2026, 9, 1), D(2026, 11, 22), request_types={"complaint"}, channels={"phone"}),
    }[selection]
    lean = escalation_counts(engine_demo, filters, ALL, by)
    full = ticket_summary(engine_demo, RULES, filters, ALL, by=by)
    key = list(by)
    got = lean[key + COUNT_COLUMNS].sort_values(key).reset_index(drop=True) if key else lean[COUNT_COLUMNS]
    expected = full[key + COUNT_COLUMNS].sort_values(key).reset_index(drop=True) if key else full[COUNT_COLUMNS]
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert got["tickets"].sum() > 0


def test_escalation_counts_of_nothing_are_zero_with_a_null_rate(demo_db):
    row = escalation_counts(demo_db, NOTHING, ALL).iloc[0]
    assert row["tickets"] == 0 and row["escalations"] == 0
    assert row["escalation_rate_pct"] is None


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_weekly_levels_add_up_to_metrics(demo_db, lang):
    weekly = escalation_counts(demo_db, WEEKS, ALL, ("week",))
    fig = figures.escalations_by_week(weekly, lang)
    figures_json = compute_metrics(demo_db, RULES, WEEKS, ALL)
    for level in (1, 2, 3):
        drawn = stacked(fig, i18n.label("level", level, lang))
        assert list(drawn) == ["2026-09-28", "2026-10-05", "2026-10-12", "2026-10-19", "2026-10-26"]
        assert drawn == weekly.set_index("week")[f"level_{level}"].to_dict()
        assert sum(drawn.values()) == figures_json["escalations"]["by_level"][str(level)]
    assert fig.layout.barmode == "stack"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_weekly_severities_add_up_to_metrics(demo_db, lang):
    weekly = escalation_counts(demo_db, WEEKS, ALL, ("week",))
    fig = figures.complaints_by_severity(weekly, lang)
    by_severity = compute_metrics(demo_db, RULES, WEEKS, ALL)["complaints"]["by_severity"]
    for severity in ("minor", "important", "major", "unclassified"):
        drawn = stacked(fig, i18n.label("severity", severity, lang))
        assert sum(drawn.values()) == by_severity[severity]
    assert sum(by_severity.values()) > 0


def test_a_week_without_tickets_is_drawn_as_zero_not_skipped():
    weekly = pd.DataFrame(
        {
            "week": ["2026-10-05", "2026-10-19"],
            "tickets": [5, 4],
            "escalations": [2, 1],
            "level_1": [1, 1],
            "level_2": [1, 0],
            "level_3": [0, 0],
        }
    )
    drawn = stacked(figures.escalations_by_week(weekly, "en"), "Supervisor")
    assert drawn == {"2026-10-05": 1, "2026-10-12": 0, "2026-10-19": 1}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_area_bars_are_the_area_escalations(demo_db, lang):
    frame = escalation_counts(demo_db, OCTOBER, ALL, ("service_area",))
    fig = figures.escalations_by_area(frame, lang)
    by_area = compute_metrics(demo_db, RULES, OCTOBER, ALL)["by_area"]
    totals: dict[str, int] = {}
    for trace in fig.data:
        for area, count in zip(trace.customdata, trace.y):
            totals[area] = totals.get(area, 0) + count
    assert totals == {a: by_area[a]["escalations"] for a in totals}
    assert set(totals) == {a for a in by_area if by_area[a]["tickets"] > 0}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_estate_bars_are_the_top_estates(demo_db, lang):
    frame = escalation_counts(demo_db, OCTOBER, ALL, ("estate_id",))
    estates = estate_list(demo_db, ALL)
    labels = figures.estate_labels(estates, lang)
    fig = figures.escalations_by_estate(frame, labels, lang, top=5)
    drawn: dict[str, int] = {}
    for trace in fig.data:
        assert trace.orientation == "h"
        for estate, count in zip(trace.customdata, trace.x):
            drawn[estate] = drawn.get(estate, 0) + count
    ranked = frame[frame["escalations"] > 0].sort_values("escalations", ascending=False)
    assert len(drawn) == min(5, len(ranked))
    assert drawn == {e: ranked.set_index("estate_id").at[e, "escalations"] for e in drawn}
    assert min(drawn.values()) >= ranked["escalations"].iloc[len(drawn) - 1]  # none left out that has more
    most = max(drawn, key=drawn.get)
    assert fig.data[0].customdata[-1] == most  # the most escalations at the top
    row = estates.set_index("estate_id").loc[most]
    assert row["name"] in fig.data[0].y[-1] and row["city"] in fig.data[0].y[-1]


def test_estate_labels_tell_same_names_apart():
    estates = pd.DataFrame(
        {"estate_id": ["A", "B", "C"], "name": ["翠湖居", "翠湖居", "锦绣华庭"], "city": ["深圳", "深圳", None]}
    )
    labels = figures.estate_labels(estates, "zh")
    assert labels == {"A": "翠湖居（深圳） A", "B": "翠湖居（深圳） B", "C": "锦绣华庭"}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("by", [(), ("service_area",)], ids=["total", "summed_over_areas"])
def test_ladder_is_the_metrics_escalation_levels(demo_db, lang, by):
    fig = figures.escalation_ladder(ticket_summary(demo_db, RULES, OCTOBER, ALL, by=by), lang)
    m = compute_metrics(demo_db, RULES, OCTOBER, ALL)
    levels = m["escalations"]["by_level"]
    assert list(fig.data[0].x) == [
        m["tickets"]["total"],
        m["escalations"]["total"],
        levels["2"] + levels["3"],
        levels["3"],
    ]
    assert fig.data[0].y[0] == i18n.t("escalations.rung_all", lang)
    assert fig.data[0].text[1].startswith(i18n.number(m["escalations"]["total"], lang))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_selection_without_tickets_says_so(demo_db, lang):
    weekly = escalation_counts(demo_db, NOTHING, ALL, ("week",))
    for fig in (
        figures.escalations_by_week(weekly, lang),
        figures.complaints_by_severity(weekly, lang),
        figures.escalations_by_area(escalation_counts(demo_db, NOTHING, ALL, ("service_area",)), lang),
        figures.escalations_by_estate(escalation_counts(demo_db, NOTHING, ALL, ("estate_id",)), {}, lang),
        figures.escalation_ladder(escalation_counts(demo_db, NOTHING, ALL), lang),
    ):
        assert not fig.data
        assert fig.layout.annotations[0].text == i18n.t("app.no_data", lang)


def test_tickets_without_escalations_say_so_rather_than_draw_zeros(demo_db):
    filters = OCTOBER.narrowed(request_types={"praise"})
    weekly = escalation_counts(demo_db, filters, ALL, ("week",))
    assert weekly["tickets"].sum() > 0 and weekly["complaints"].sum() == 0
    fig = figures.complaints_by_severity(weekly, "zh")
    assert not fig.data and fig.layout.annotations[0].text == i18n.t("escalations.no_complaints", "zh")
    quiet = pd.DataFrame(
        {
            "service_area": ["repair"],
            "tickets": [3],
            "escalations": [0],
            "level_1": [0],
            "level_2": [0],
            "level_3": [0],
            "escalation_rate_pct": [0.0],
        }
    )
    fig = figures.escalations_by_area(quiet, "en")
    assert not fig.data and fig.layout.annotations[0].text == i18n.t("escalations.none", "en")


# --- the page's callbacks, called as Dash calls them ------------------------------------
# Called as plain functions inside the app's request context, not through a test client: a
# first request would hand dash's process-wide callback registry to this app and leave none
# for an app created later in the same process (the browser tests' one).
@pytest.fixture(scope="module")
def app(demo_url, tmp_path_factory):
    from dashboard.app import create_app
    from data_access import Settings

    return create_app(Settings(today=TODAY, data_dir=tmp_path_factory.mktemp("data")), demo_url)


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


PAGE_MODULE = "dashboard.pages.escalations"
OCTOBER_LINK = "?period=custom&from=2026-10-01&to=2026-10-31"


def test_callbacks_draw_the_selection(app, demo_db):
    search = OCTOBER_LINK + "&area=repair"
    m = compute_metrics(demo_db, RULES, OCTOBER.narrowed(areas={"repair"}), ALL)
    ladder, by_area, by_estate, problem = call(app, "update_where", search, "en")
    levels = m["escalations"]["by_level"]
    assert list(ladder.data[0].x) == [
        m["tickets"]["total"],
        m["escalations"]["total"],
        levels["2"] + levels["3"],
        levels["3"],
    ]
    assert [list(t.customdata) for t in by_area.data] == [["repair"]] * 3
    assert sum(sum(t.x) for t in by_estate.data) <= m["escalations"]["total"]
    assert problem is None
    caption, _by_week, complaints, problem = call(app, "update_weekly", search, "zh")
    assert "2026年10月1日" in caption and problem is None
    trend = Filters(D(2026, 8, 3), D(2026, 10, 31), areas={"repair"})  # 13 whole weeks to the period's end
    assert sum(sum(t.y) for t in complaints.data) == compute_metrics(demo_db, RULES, trend, ALL)["complaints"]["total"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_overdue_list_is_the_watch_list_past_30_days(app, demo_db, lang):
    from dash_requests import find_by_id

    children, problem = call(app, "update_overdue", OCTOBER_LINK, lang)
    assert problem is None
    grid = find_by_id(serialised(children), "escalations-overdue-table")
    shown = [str(value) for row in grid["props"]["rowData"] for value in row.values()]
    watch = complaint_watchlist(demo_db, OCTOBER, ALL, limit=10_000)
    overdue = watch[watch["days_open"] > 30]
    assert len(overdue) > 0
    assert [t for t in shown if t in set(watch["ticket_id"])] == list(overdue["ticket_id"])
    owners = [name for name in overdue["owner_name"].dropna() if name]
    assert owners and all(name in shown and "*" in name for name in owners)  # shown, masked


def test_overdue_list_is_empty_when_complaints_are_filtered_out(app):
    from dash_requests import texts

    children, _ = call(app, "update_overdue", OCTOBER_LINK + "&type=repair", "en")
    assert texts(serialised(children)) == [i18n.t("escalations.overdue_none", "en", days=30)]


def test_clicking_a_bar_narrows_the_view(app, demo_db):
    estate = estate_list(demo_db, ALL)["estate_id"].iloc[0]

    def click(graph: str, code: str, search: str):
        clicks = {"escalations-by-area": None, "escalations-by-estate": None, graph: {"points": [{"customdata": code}]}}
        return call(
            app,
            "narrow_to_clicked_bar",
            clicks["escalations-by-area"],
            clicks["escalations-by-estate"],
            search,
            triggered=f"{graph}.clickData",
        )

    city = estate_list(demo_db, ALL)["city"].iloc[0]
    assert (
        click("escalations-by-estate", estate, f"?period=last_month&city={city}&area=repair")
        == f"?period=last_month&estate={estate}&area=repair"
    )
    assert click("escalations-by-area", "cleaning", "?estate=" + estate) == f"?estate={estate}&area=cleaning"
    assert click("escalations-by-estate", "nope", "") is dash.no_update
