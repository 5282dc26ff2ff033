"""Satisfaction: score_by_first_reply (SQL) equals a plain pandas join on every engine, and
every number the page's figures draw is survey_summary's, ticket_summary's or metrics --json's
for the same filters."""
from __future__ import annotations

import datetime as dt
import importlib
from contextvars import copy_context

import numpy as np
import pandas as pd
import pytest
from engines import dataset_from_records, write_dataset
from test_metrics_contract import edge_survey, edge_ticket, random_dataset

from dashboard import i18n
from dashboard.figures import satisfaction as figures
from data_access import ALL, Database, Filters, Scope, ServiceRules
from data_access.aggregates import survey_summary, ticket_summary
from data_access.catalog import estate_list
from data_access.demo import generate_demo
from data_access.metrics import compute_metrics
from data_access.satisfaction import follow_up_coverage, reply_edges, score_by_first_reply

D = dt.date
T = dt.datetime
MINUTE = dt.timedelta(minutes=1)
RULES = ServiceRules()
TODAY = D(2026, 11, 23)
AREAS = ["security", "cleaning", "greening", "repair", "other"]


# --- score_by_first_reply against pandas, on every engine ------------------------------
def pandas_buckets(data, filters: Filters, edges, scope: Scope = ALL) -> pd.DataFrame:
    """The contract read plainly: surveys of the period and filters, joined to their tickets,
    bucketed by the ticket's first-reply minutes (invalid or missing reply: the last bucket)."""
    s = data.surveys
    s = s[(s["surveyed_at"] >= pd.Timestamp(filters.start)) & (s["surveyed_at"] < pd.Timestamp(filters.end_exclusive))]
    allowed = scope.allowed_estates(filters.estates)
    if allowed is not None:
        s = s[s["estate_id"].isin(allowed)]
    if filters.areas:
        s = s[s["service_area"].isin(filters.areas)]
    ticket = data.tickets[["ticket_id", "created_at", "first_response_at", "channel", "request_type"]]
    joined = s.merge(ticket.rename(columns={"channel": "ticket_channel"}), on="ticket_id")
    if filters.channels:
        joined = joined[joined["ticket_channel"].isin(filters.channels)]
    if filters.request_types:
        joined = joined[joined["request_type"].isin(filters.request_types)]
    minutes = (joined["first_response_at"] - joined["created_at"]).dt.total_seconds() / 60
    minutes = minutes.where(minutes >= 0)
    bucket = np.where(minutes.isna(), len(edges) + 1, np.searchsorted(np.asarray(edges), minutes.fillna(0), side="left"))
    rows = []
    for b in range(len(edges) + 2):
        scores = joined["score"][bucket == b].dropna()
        rows.append({
            "bucket": b, "surveys": int((bucket == b).sum()), "responses": len(scores),
            "mean_score": scores.mean() if len(scores) else None,
            "csat_pct": 100.0 * (scores >= 4).sum() / len(scores) if len(scores) else None,
        })
    return pd.DataFrame(rows)


def assert_same_buckets(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(actual["bucket"]) == list(expected["bucket"])
    assert list(actual["surveys"]) == list(expected["surveys"])
    assert list(actual["responses"]) == list(expected["responses"])
    for column in ("mean_score", "csat_pct"):
        for got, want in zip(actual[column], expected[column]):
            want = None if pd.isna(want) else want
            assert (got is None) == (want is None), (column, got, want)  # null is None, never NaN or 0
            if want is not None:
                assert got == pytest.approx(want, rel=1e-9)


@pytest.fixture(scope="module")
def contract_data():
    return random_dataset()


@pytest.fixture(scope="module")
def contract_db(engine_name, scratch_databases, contract_data):
    db = scratch_databases.new(engine_name)
    write_dataset(db, contract_data)
    return db


WHOLE = (D(2026, 1, 1), D(2026, 3, 31))
SELECTIONS = {
    "whole-period": Filters(*WHOLE),
    "one-week": Filters(D(2026, 2, 2), D(2026, 2, 8)),
    "one-estate": Filters(*WHOLE, estates={"E03"}),
    "two-areas": Filters(*WHOLE, areas={"security", "repair"}),
    "channel-and-type": Filters(*WHOLE, channels={"phone", "app"}, request_types={"repair", "complaint"}),
    "empty-period": Filters(D(2001, 1, 1), D(2001, 1, 31)),
}


@pytest.mark.parametrize("selection", SELECTIONS)
def test_buckets_equal_pandas(contract_db, contract_data, selection):
    filters = SELECTIONS[selection]
    edges = reply_edges(RULES)
    assert_same_buckets(score_by_first_reply(contract_db, RULES, filters, ALL), pandas_buckets(contract_data, filters, edges))


def test_buckets_respect_the_scope(contract_db, contract_data):
    scope = Scope.of({"E01", "E02", "E05"})
    filters = Filters(*WHOLE, estates={"E02", "E07"})  # E07 is outside the scope: nothing of it counts
    expected = pandas_buckets(contract_data.restricted_to(scope.estates), filters.narrowed(estates={"E02"}), reply_edges(RULES))
    assert_same_buckets(score_by_first_reply(contract_db, RULES, filters, scope), expected)
    assert score_by_first_reply(contract_db, RULES, Filters(*WHOLE), Scope.of(set()))["surveys"].sum() == 0


def test_only_periodic_surveys_are_left_out(contract_db, contract_data):
    """Follow-up responses in the buckets plus periodic ones are every response of the selection."""
    filters = Filters(*WHOLE)
    buckets = score_by_first_reply(contract_db, RULES, filters, ALL)
    s = contract_data.surveys
    in_period = s[(s["surveyed_at"] >= "2026-01-01") & (s["surveyed_at"] < "2026-04-01")]
    periodic = int(in_period["score"][in_period["ticket_id"].isna()].notna().sum())
    assert periodic > 50
    assert int(buckets["responses"].sum()) + periodic == int(survey_summary(contract_db, filters, ALL)["responses"].iloc[0])


def boundary_dataset():
    """Replies exactly on an edge, before creation, missing; a survey of an unknown ticket."""
    estates = [{"estate_id": "EA", "name": "阳光花园", "city": "深圳", "region": "华南", "households": 100}]
    created = T(2026, 2, 3, 9)
    replies = {"at-5": 5 * MINUTE, "at-15": 15 * MINUTE, "just-over-15": 15 * MINUTE + dt.timedelta(seconds=1),
               "before-creation": -3 * MINUTE, "no-reply": None, "after-4h": 300 * MINUTE}
    tickets = [edge_ticket(name, created, estate_id="EA", reply_after=after, resolved_after=dt.timedelta(hours=2))
               for name, after in replies.items()]
    surveys = [edge_survey(f"s-{name}", T(2026, 2, 4, 10), ticket_id=name, estate_id="EA", score=score)
               for name, score in zip(replies, (5, 4, 3, 2, 1, None))]
    surveys.append(edge_survey("s-orphan", T(2026, 2, 4, 10), ticket_id="not-a-ticket", estate_id="EA", score=5))
    surveys.append(edge_survey("s-periodic", T(2026, 2, 4, 10), estate_id="EA", score=5))
    return dataset_from_records(estates, tickets, surveys)


def test_replies_on_an_edge_belong_to_the_bucket_it_closes(engine_name, scratch_databases):
    db = scratch_databases.new(engine_name)
    write_dataset(db, boundary_dataset())
    buckets = score_by_first_reply(db, RULES, Filters(D(2026, 2, 1), D(2026, 2, 28)), ALL).set_index("bucket")
    assert reply_edges(RULES) == (5.0, 15.0, 30.0, 60.0, 240.0)
    assert list(buckets["surveys"]) == [1, 1, 1, 0, 0, 1, 2]  # ≤5, 5–15, 15–30, 30–60, 1–4 h, > 4 h, no reply
    assert list(buckets["responses"]) == [1, 1, 1, 0, 0, 0, 2]  # the > 4 h survey has no score
    assert buckets.loc[1, "mean_score"] == pytest.approx(4.0) and buckets.loc[2, "mean_score"] == pytest.approx(3.0)
    assert buckets.loc[5, "mean_score"] is None and buckets.loc[5, "csat_pct"] is None  # null, never 0
    assert buckets.loc[6, "mean_score"] == pytest.approx(1.5)  # before creation counts as no reply
    assert buckets.loc[6, "csat_pct"] == 0.0  # a real 0%, not null
    assert (buckets.loc[0, "lower"], buckets.loc[0, "upper"]) == (0.0, 5.0)
    assert (buckets.loc[5, "lower"], buckets.loc[5, "upper"]) == (240.0, None)
    assert (buckets.loc[6, "lower"], buckets.loc[6, "upper"]) == (None, None)


@pytest.mark.parametrize("selection", ["whole-period", "one-estate", "channel-and-type", "empty-period"])
def test_follow_up_coverage_is_ticket_summarys(contract_db, selection):
    """The cheap query counts exactly what ticket_summary (and so metrics --json) counts."""
    filters = SELECTIONS[selection]
    for by in ((), ("service_area",), ("estate_id", "service_area")):
        cheap = follow_up_coverage(contract_db, RULES, filters, ALL, by=by)
        full = ticket_summary(contract_db, RULES, filters, ALL, by=by)
        full = full[full["resolved"] > 0] if by else full
        cheap = cheap[cheap["resolved"] > 0] if by else cheap
        merged = cheap.merge(full, on=list(by), suffixes=("", "_full")) if by else pd.concat([cheap, full.add_suffix("_full")], axis=1)
        assert len(merged) == len(full)
        assert list(merged["resolved"]) == list(merged["resolved_full"])
        assert list(merged["followed_up"]) == list(merged["followed_up_full"])
        for got, want in zip(merged["follow_up_coverage_pct"], merged["follow_up_coverage_pct_full"]):
            assert (got is None and want is None) or got == pytest.approx(want)
    with pytest.raises(ValueError):
        follow_up_coverage(contract_db, RULES, filters, ALL, by=("owner_phone",))


def test_the_configured_target_is_an_edge_and_edges_are_checked():
    assert 20.0 in reply_edges(ServiceRules(first_response_target_minutes=20))
    assert reply_edges(RULES, [60, 10, 10, -1]) == (10.0, 60.0)
    with pytest.raises(ValueError):
        reply_edges(RULES, [0, -5])


# --- figures: the numbers drawn are the aggregates' -------------------------------------
@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Database:
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('satisfaction') / 'demo.sqlite'}")
    generate_demo(db, estates=30, tickets=30_000, months=8, seed=5, end=TODAY - dt.timedelta(days=1), progress=False)
    return db


OCTOBER = Filters(D(2026, 10, 1), D(2026, 10, 31))
LAST_WEEK = Filters(D(2026, 11, 16), D(2026, 11, 22))


def by_name(fig, name):
    return next(t for t in fig.data if t.name == name)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_area_bars_are_csat_and_mean_score(demo_db, lang):
    by_area = survey_summary(demo_db, OCTOBER, ALL, by=("service_area",)).set_index("service_area")
    fig = figures.area_satisfaction(by_area.reset_index(), lang, target_csat=85)
    csat, mean = fig.data[0], fig.data[1]
    assert list(csat.customdata) == AREAS and list(csat.x) == [i18n.area(a, lang) for a in AREAS]
    assert list(csat.y) == pytest.approx([by_area.at[a, "csat_pct"] for a in AREAS])
    assert list(mean.y) == pytest.approx([by_area.at[a, "mean_score"] for a in AREAS])
    for area in ("repair", "greening"):  # and they are metrics --json's figures
        drawn = dict(zip(csat.customdata, csat.y))[area]
        assert drawn == pytest.approx(compute_metrics(demo_db, RULES, OCTOBER, ALL)["by_area"][area]["csat_pct"])
    assert by_name(fig, i18n.t("satisfaction.target", lang, value=i18n.percent(85, lang, 0))).line.dash == "dash"
    assert fig.layout.title.text is None and figures.area_satisfaction(by_area.reset_index(), lang, titled=True).layout.title.text


def test_an_area_without_responses_is_left_out_not_drawn_as_zero(demo_db):
    by_area = survey_summary(demo_db, OCTOBER.narrowed(areas={"cleaning", "repair"}), ALL, by=("service_area",))
    assert list(figures.area_satisfaction(by_area, "en").data[0].customdata) == ["cleaning", "repair"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_selection_without_surveys_says_so(demo_db, lang):
    empty = Filters(D(2001, 1, 1), D(2001, 1, 7))
    frames = {by: survey_summary(demo_db, empty, ALL, by=by) for by in [(), ("service_area",), ("week",), ("week", "service_area"), ("score",), ("estate_id",)]}
    ranked, left_out = figures.rank_estates(frames[("estate_id",)], estate_list(demo_db, ALL))
    drawn = [
        figures.area_satisfaction(frames[("service_area",)], lang),
        figures.weekly_trend(frames[("week", "service_area")], frames[("week",)], lang),
        figures.dimension_heatmap(frames[("service_area",)], frames[()], lang),
        figures.score_distribution(frames[("score",)], lang),
        figures.estate_ranking(ranked, left_out, lang),
        figures.follow_up_coverage(follow_up_coverage(demo_db, RULES, empty, ALL), lang),
        figures.score_by_first_reply(score_by_first_reply(demo_db, RULES, empty, ALL), lang),
    ]
    for fig in drawn:
        assert len(fig.data) == 0
        assert i18n.t("app.no_data", lang) in [a.text for a in fig.layout.annotations]


def test_trend_window_is_at_least_thirteen_weeks_to_the_period_end():
    assert figures.trend_period(D(2026, 11, 16), D(2026, 11, 22)) == (D(2026, 8, 24), D(2026, 11, 22))
    assert figures.trend_period(D(2026, 11, 18), D(2026, 11, 20)) == (D(2026, 8, 24), D(2026, 11, 20))
    assert figures.trend_period(D(2026, 1, 1), D(2026, 11, 22)) == (D(2026, 1, 1), D(2026, 11, 22))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_trend_lines_are_the_weekly_summaries(demo_db, lang):
    window = figures.trend_period(LAST_WEEK.start, LAST_WEEK.end)
    trend = LAST_WEEK.with_period(*window)
    by_week = survey_summary(demo_db, trend, ALL, by=("week",))
    by_week_area = survey_summary(demo_db, trend, ALL, by=("week", "service_area"))
    fig = figures.weekly_trend(by_week_area, by_week, lang, window)
    everything = [t for t in fig.data if t.name == i18n.t("satisfaction.all_areas", lang)]
    csat, mean = everything
    assert len(csat.x) == 13 and csat.x[-1] == D(2026, 11, 16)
    assert list(csat.y) == pytest.approx(list(by_week.sort_values("week")["csat_pct"]))
    assert list(mean.y) == pytest.approx(list(by_week.sort_values("week")["mean_score"]))
    greening = by_week_area[by_week_area["service_area"] == "greening"].sort_values("week")
    assert list(by_name(fig, i18n.area("greening", lang)).y) == pytest.approx(list(greening["csat_pct"]))
    assert i18n.date(D(2026, 8, 24), lang) in fig.layout.annotations[0].text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_dimension_cells_are_the_dimension_means(demo_db, lang):
    by_area = survey_summary(demo_db, OCTOBER, ALL, by=("service_area",)).set_index("service_area")
    overall = survey_summary(demo_db, OCTOBER, ALL)
    fig = figures.dimension_heatmap(by_area.reset_index(), overall, lang)
    heat = fig.data[0]
    assert list(heat.y) == [i18n.area(a, lang) for a in AREAS] + [i18n.t("satisfaction.all_areas", lang)]
    assert list(heat.x) == [i18n.t(f"dimension.{d}", lang) for d in ("attitude", "speed", "result", "professionalism")]
    assert heat.z[3][1] == pytest.approx(by_area.at["repair", "speed_mean"])
    metrics = compute_metrics(demo_db, RULES, OCTOBER, ALL)["satisfaction"]["dimensions"]
    assert list(heat.z[-1]) == pytest.approx([metrics[d] for d in ("attitude", "speed", "result", "professionalism")])
    assert heat.text[0][0] == i18n.number(by_area.at["security", "attitude_mean"], lang, 2)
    assert figures.area_of_label(heat.y[2], lang) == "greening" and figures.area_of_label(heat.y[-1], lang) is None


def test_a_dimension_without_answers_shows_a_dash():
    by_area = pd.DataFrame([{"service_area": "repair", "attitude_mean": 4.5, "attitude_n": 2, "speed_mean": None, "speed_n": 0,
                             "result_mean": 4.0, "result_n": 1, "professionalism_mean": None, "professionalism_n": 0}])
    heat = figures.dimension_heatmap(by_area, None, "en").data[0]
    assert list(heat.text[0]) == ["4.50", "—", "4.00", "—"] and heat.z[0][1] is None


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_score_distribution_is_the_share_of_each_score(demo_db, lang):
    by_score = survey_summary(demo_db, OCTOBER, ALL, by=("score",))
    fig = figures.score_distribution(by_score, lang)
    counts = by_score.dropna(subset=["score"]).set_index("score")["responses"]
    total = compute_metrics(demo_db, RULES, OCTOBER, ALL)["satisfaction"]["responses"]
    assert int(counts.sum()) == total
    assert list(fig.data[0].y) == pytest.approx([100.0 * counts.get(s, 0) / total for s in range(1, 6)])
    assert list(fig.data[0].x) == [i18n.t("satisfaction.score", lang, score=s) for s in range(1, 6)]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_estates_with_too_few_responses_are_left_out_and_said_so(demo_db, lang):
    by_estate = survey_summary(demo_db, LAST_WEEK, ALL, by=("estate_id",))
    ranked, left_out = figures.rank_estates(by_estate, estate_list(demo_db, ALL))
    few = by_estate[(by_estate["responses"] > 0) & (by_estate["responses"] < 10)]
    assert left_out == len(few) > 0 and len(ranked) > 5
    assert (ranked["responses"] >= 10).all()
    assert list(ranked["csat_pct"]) == sorted(ranked["csat_pct"], reverse=True)
    fig = figures.estate_ranking(ranked, left_out, lang, target_csat=85)
    bars = fig.data[0]
    assert list(bars.customdata) == list(ranked["estate_id"])
    expected = by_estate.set_index("estate_id")["csat_pct"]
    assert list(bars.x) == pytest.approx([expected[e] for e in bars.customdata])
    note = i18n.t("satisfaction.estates_left_out", lang, count=left_out, minimum=10)
    assert note in [a.text for a in fig.layout.annotations]
    assert fig.layout.height == figures.ranking_height(len(ranked))


def test_estate_ranking_grows_with_estates_and_colours_against_target():
    ranked = pd.DataFrame({"estate_id": [f"E{i:02d}" for i in range(40)], "name": [f"小区{i}" for i in range(40)],
                           "city": "上海", "responses": 20, "csat_pct": np.linspace(95, 40, 40), "mean_score": 4.0})
    fig = figures.estate_ranking(ranked, 0, "zh", target_csat=85)
    assert fig.layout.height >= 40 * 20 and fig.data[0].y[0] == "小区0（上海）"
    colours = list(fig.data[0].marker.color)
    assert colours[0] == figures.GOOD and colours[-1] == figures.BAD
    assert figures.estate_ranking(ranked.iloc[:0], 3, "en").data == ()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_coverage_bars_are_follow_up_coverage(demo_db, lang):
    by_area = follow_up_coverage(demo_db, RULES, OCTOBER, ALL)
    fig = figures.follow_up_coverage(by_area, lang, target=80)
    drawn = dict(zip(fig.data[0].customdata, fig.data[0].y))
    for area in AREAS:
        alone = compute_metrics(demo_db, RULES, OCTOBER.narrowed(areas={area}), ALL)
        assert drawn[area] == pytest.approx(alone["satisfaction"]["follow_up_coverage_pct"])


def test_bucket_labels():
    assert figures.bucket_label(0.0, 5.0, "en") == "≤ 5 min"
    assert figures.bucket_label(5.0, 15.0, "en") == "5–15 min"
    assert figures.bucket_label(30.0, 60.0, "en") == "30–60 min"
    assert figures.bucket_label(60.0, 240.0, "en") == "1–4 h"
    assert figures.bucket_label(240.0, None, "en") == "> 4 h"
    assert figures.bucket_label(None, None, "en") == "No reply recorded"
    assert figures.bucket_label(7.5, 15.0, "zh") == "7.5–15分钟"
    assert figures.bucket_label(60.0, 240.0, "zh") == "1–4小时"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_first_reply_chart_draws_the_buckets(demo_db, lang):
    buckets = score_by_first_reply(demo_db, RULES, OCTOBER, ALL)
    fig = figures.score_by_first_reply(buckets, lang)
    bars, line = fig.data
    assert list(bars.y) == [None if v is None else pytest.approx(v) for v in buckets["csat_pct"]]
    assert list(line.y) == [None if v is None else pytest.approx(v) for v in buckets["mean_score"]]
    assert bars.x[0].startswith(figures.bucket_label(0.0, 5.0, lang))
    assert i18n.t("satisfaction.n_responses", lang, count=i18n.number(int(buckets["responses"][0]), lang)) in bars.x[0]
    few = [n < 10 for n in buckets["responses"]]
    assert [o < 1 for o in bars.marker.opacity] == few
    assert i18n.t("satisfaction.first_reply_note", lang) in [a.text for a in fig.layout.annotations]


def test_hover_shows_a_dash_for_a_missing_mean():
    buckets = pd.DataFrame({"bucket": [0, 1], "lower": [0.0, None], "upper": [5.0, None], "responses": [3, 0],
                            "csat_pct": [100.0, None], "mean_score": [4.5, None]})
    fig = figures.score_by_first_reply(buckets, "en")
    assert "Mean score: —" in fig.data[0].hovertext[1] and fig.data[0].y[1] is None


# --- the page's callbacks, run as Dash runs them ----------------------------------------
@pytest.fixture(scope="module")
def app(demo_db, tmp_path_factory):
    from dashboard.app import create_app
    from data_access import Settings

    return create_app(Settings(today=TODAY, data_dir=tmp_path_factory.mktemp("data")), demo_db.describe())


def call(app, callback_name: str, *args, triggered: str = "url.search"):
    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    function = getattr(importlib.import_module("dashboard.pages.satisfaction"), callback_name)

    def run():
        context_value.set(AttributeDict(triggered_inputs=[{"prop_id": triggered, "value": None}]))
        with app.server.test_request_context():
            return function(*args)

    return copy_context().run(run)


OCTOBER_LINK = "?period=custom&from=2026-10-01&to=2026-10-31"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_callback_draws_the_selection(app, demo_db, lang):
    caption, by_area, trend, dimensions, distribution, ranking, first_reply, coverage, problem = call(
        app, "update_satisfaction", OCTOBER_LINK + "&area=repair,cleaning", lang)
    filters = OCTOBER.narrowed(areas={"repair", "cleaning"})
    metrics = compute_metrics(demo_db, RULES, filters, ALL)
    assert problem is None
    assert i18n.number(metrics["satisfaction"]["responses"], lang) in caption
    assert i18n.percent(metrics["satisfaction"]["csat_pct"], lang) in caption
    assert list(by_area.data[0].customdata) == ["cleaning", "repair"]
    assert list(coverage.data[0].customdata) == ["cleaning", "repair"]
    assert dict(zip(by_area.data[0].customdata, by_area.data[0].y))["repair"] == pytest.approx(metrics["by_area"]["repair"]["csat_pct"])
    expected = score_by_first_reply(demo_db, RULES, filters, ALL)
    assert list(first_reply.data[0].y) == [None if v is None else pytest.approx(v) for v in expected["csat_pct"]]
    assert {t.name for t in trend.data} == {i18n.area("cleaning", lang), i18n.area("repair", lang), i18n.t("satisfaction.all_areas", lang)}
    assert list(dimensions.data[0].y) == [i18n.area("cleaning", lang), i18n.area("repair", lang), i18n.t("satisfaction.all_areas", lang)]
    assert sum(distribution.data[0].y) == pytest.approx(100.0)
    assert set(ranking.data[0].customdata) <= set(estate_list(demo_db, ALL)["estate_id"])


def test_clicks_narrow_the_url(app):
    import dash

    def click(graph: str, point: dict, search: str, lang: str = "en"):
        clicks = {g: None for g in ("satisfaction-by-area", "satisfaction-dimensions", "satisfaction-coverage", "satisfaction-estates")}
        clicks[graph] = {"points": [point]}
        return call(app, "narrow_to_clicked", *clicks.values(), search, lang, triggered=f"{graph}.clickData")

    assert click("satisfaction-by-area", {"customdata": "greening"}, "?period=last_month") == "?period=last_month&area=greening"
    assert click("satisfaction-coverage", {"customdata": "repair"}, "?area=cleaning") == "?area=repair"
    assert click("satisfaction-dimensions", {"x": "结果", "y": "绿化"}, "", "zh") == "?area=greening"
    assert click("satisfaction-dimensions", {"y": "All areas"}, "") is dash.no_update
    assert click("satisfaction-estates", {"customdata": "E003"}, "?city=上海&area=repair") == "?estate=E003&area=repair"
    assert click("satisfaction-estates", {"customdata": "E999"}, "") is dash.no_update
    assert click("satisfaction-by-area", {"customdata": "<script>"}, "") is dash.no_update


def test_a_database_failure_reaches_the_banner_not_the_charts(app, monkeypatch):
    import dash

    from dashboard.services import Services
    from data_access import DataSourceError

    def down(*_args, **_kwargs):
        raise DataSourceError("cannot reach the database")

    monkeypatch.setattr(Services, "survey_summary", down)
    *outputs, problem = call(app, "update_satisfaction", OCTOBER_LINK + "&type=praise", "en")
    assert all(o is dash.no_update for o in outputs) and problem == "cannot reach the database"
    from dashboard.layout import banner_template

    text = banner_template("zh").replace("{detail}", problem)  # as the browser fills the shell's banner
    assert "cannot reach the database" in text and "暂时无法连接数据库" in text


def test_a_group_of_many_estates_draws_its_best_and_worst_only(monkeypatch):
    """Thousands of ranked estates would make a megabyte figure nobody can read: the ends only."""
    monkeypatch.setattr(figures, "RANKING_ENDS", 3)
    ranked = pd.DataFrame({
        "estate_id": [f"E{i:02d}" for i in range(10)], "name": [f"Estate {i}" for i in range(10)], "city": ["深圳"] * 10,
        "csat_pct": [99.0 - i for i in range(10)], "mean_score": [4.5] * 10, "responses": [50] * 10,
    })
    fig = figures.estate_ranking(ranked, 0, "en")
    assert list(fig.data[0].customdata) == ["E00", "E01", "E02", "E07", "E08", "E09"]
    assert "4 estates in between are not drawn" in " ".join(a.text for a in fig.layout.annotations)
