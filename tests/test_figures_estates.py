"""Estates: the league table shows estate_league's numbers (metrics --json's for one estate),
formatted for the language with "—" for null and nulls sorted last; the heatmap draws
estate_league(by_area=True), stays readable for 60 estates, and its clicks map back."""
from __future__ import annotations

import datetime as dt
import importlib
from contextvars import copy_context
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard import i18n
from dashboard.figures import estates as figures
from data_access import ALL, Database, Filters, ServiceRules
from data_access.catalog import estate_list
from data_access.demo import generate_demo
from data_access.league import estate_league
from data_access.metrics import compute_metrics

D = dt.date
RULES = ServiceRules()
TODAY = D(2026, 11, 23)
AREAS = ["security", "cleaning", "greening", "repair", "other"]
OCTOBER = Filters(D(2026, 10, 1), D(2026, 10, 31))
ONE_DAY = Filters(D(2026, 11, 22), D(2026, 11, 22))
ASSETS = Path(__file__).resolve().parents[1] / "assets"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Database:
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('estates') / 'demo.sqlite'}")
    generate_demo(db, estates=60, tickets=30_000, months=6, seed=9, end=TODAY - dt.timedelta(days=1), progress=False)
    return db


# --- the league table ------------------------------------------------------------------
def test_columns_are_every_headline_figure_in_both_languages():
    for lang in ("en", "zh"):
        defs = figures.league_column_defs(lang, 15)
        assert [d["colId"] for d in defs] == [
            "name", "city", "households", "tickets", "per_1000_households", "within_target_pct", "response_median",
            "within_sla_pct", "resolution_median", "escalations", "escalation_rate_pct", "severity_major",
            "overdue_30d", "responses", "csat_pct", "mean_score", "follow_up_coverage_pct",
        ]
        assert defs[0]["pinned"] == "left" and defs[0]["filter"] == "agTextColumnFilter"
        for d in defs[2:]:
            assert d["filter"] == "agNumberColumnFilter"
            assert d["comparator"] == {"function": "estatesNullsLast"}
            assert d["valueFormatter"]["function"].startswith("estatesFigure(params, ")
            assert figures.ROW_FIELDS[int(d["field"])] == d["colId"]
        written = {d["colId"]: d["valueFormatter"]["function"] for d in defs[2:]}
        assert written["response_median"] == f'estatesFigure(params, 1, "{i18n.t("unit.minutes", lang)}", true)'
        assert written["resolution_median"] == f'estatesFigure(params, 1, "{i18n.t("unit.hours", lang)}", true)'
        assert written["csat_pct"] == 'estatesFigure(params, 1, "{value}%", false)'
        assert written["tickets"] == 'estatesFigure(params, 0, "{value}", false)'
        assert written["mean_score"] == 'estatesFigure(params, 2, "{value}", false)'
    assert figures.ROW_FIELDS[-1] == "medians_pending"
    assert figures.league_column_defs("en", 15)[5]["headerName"] == "First reply within 15 min"
    assert figures.league_column_defs("zh", 20)[5]["headerName"] == "20分钟内首次响应率"
    assert figures.league_column_defs("zh", 15)[0]["headerName"] == "项目"


def test_the_grid_functions_exist_in_the_assets():
    script = (ASSETS / "estates.js").read_text()
    assert "dashAgGridFunctions.estatesNullsLast = function (valueA, valueB, nodeA, nodeB, isDescending)" in script
    assert "dashAgGridFunctions.estatesFigure = function (params, digits, template, awaited)" in script


def grid_rows(league, **options) -> list[dict]:
    """The grid's rows as dicts by ROW_FIELDS."""
    return [dict(zip(figures.ROW_FIELDS, values, strict=True)) for values in figures.league_grid_rows(league, **options)]


def shown(row: dict, field: str, lang: str) -> str:
    """A cell's text as the grid writes it (estatesFigure, checked against i18n in the browser)."""
    kind = {f: k for f, _key, k, _width in figures.LEAGUE_COLUMNS}[field]
    return i18n.written(row[field], lang, *figures.figure_format(kind, lang))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_rows_are_the_league_with_language_formatting(demo_db, lang):
    league = estate_league(demo_db, RULES, OCTOBER, ALL)
    rows = {r["estate_id"]: r for r in grid_rows(league)}
    assert len(rows) == 60
    for estate in ("E001", "E017", "E042"):
        alone = compute_metrics(demo_db, RULES, OCTOBER.narrowed(estates={estate}), ALL)
        row = rows[estate]
        assert row["tickets"] == alone["tickets"]["total"]
        assert shown(row, "tickets", lang) == i18n.number(alone["tickets"]["total"], lang)
        assert row["per_1000_households"] == pytest.approx(alone["tickets"]["per_1000_households"])
        assert row["within_target_pct"] == pytest.approx(alone["first_response"]["within_target_pct"])
        assert row["response_median"] == pytest.approx(alone["first_response"]["median_minutes"])
        assert shown(row, "response_median", lang) == i18n.minutes(alone["first_response"]["median_minutes"], lang)
        assert shown(row, "within_sla_pct", lang) == i18n.percent(alone["resolution"]["within_sla_pct"], lang)
        assert row["resolution_median"] == pytest.approx(alone["resolution"]["median_hours"])
        assert row["escalation_rate_pct"] == pytest.approx(alone["escalations"]["rate_pct"])
        assert row["severity_major"] == alone["complaints"]["by_severity"]["major"]
        assert row["overdue_30d"] == alone["complaints"]["overdue_30d"]
        assert row["responses"] == alone["satisfaction"]["responses"]
        assert row["csat_pct"] == pytest.approx(alone["satisfaction"]["csat_pct"])
        assert shown(row, "mean_score", lang) == i18n.number(alone["satisfaction"]["mean_score"], lang, 2)
        assert row["follow_up_coverage_pct"] == pytest.approx(alone["satisfaction"]["follow_up_coverage_pct"])
    assert "分钟" in shown(rows["E001"], "response_median", lang) if lang == "zh" else "min" in shown(rows["E001"], "response_median", lang)
    written = {"count": lambda v: i18n.number(v, lang), "rate": lambda v: i18n.number(v, lang, 1), "percent": lambda v: i18n.percent(v, lang),
               "minutes": lambda v: i18n.minutes(v, lang), "hours": lambda v: i18n.hours(v, lang), "score": lambda v: i18n.number(v, lang, 2)}
    for row in rows.values():  # every cell as the rest of the dashboard writes its figure
        for field, _key, kind, _width in figures.LEAGUE_COLUMNS:
            assert shown(row, field, lang) == written[kind](row[field]), (row["estate_id"], field)


def test_null_figures_are_none_shown_as_a_dash_never_zero(demo_db):
    rows = grid_rows(estate_league(demo_db, RULES, ONE_DAY, ALL))
    quiet = [r for r in rows if r["tickets"] == 0]
    assert quiet, "a single day should leave some estate without tickets"
    for row in quiet:
        assert shown(row, "tickets", "en") == "0"  # a count over nothing is 0 ...
        for field in ("within_target_pct", "response_median", "within_sla_pct", "resolution_median", "escalation_rate_pct"):
            assert row[field] is None and shown(row, field, "en") == "—"  # ... a ratio or median is null
    import json
    grid = figures.league_grid_rows(estate_league(demo_db, RULES, ONE_DAY, ALL))
    assert json.loads(json.dumps(grid, allow_nan=False)) == grid  # plain JSON for the grid: no NaN, no numpy scalars
    assert all(type(v) in (int, float, str, type(None)) for row in grid for v in row)


def test_grid_speaks_both_languages():
    assert figures.grid_locale("zh")["noRowsToShow"] == "当前筛选条件下没有项目。"
    assert figures.grid_locale("en")["contains"] == "Contains"
    assert set(figures.grid_locale("zh")) == set(figures.GRID_LOCALE_KEYS)


# --- the heatmap -----------------------------------------------------------------------
@pytest.mark.parametrize("figure", list(figures.HEATMAP_FIGURES))
def test_heatmap_cells_are_the_league_by_area(demo_db, figure):
    by_area = estate_league(demo_db, RULES, OCTOBER, ALL, by_area=True)
    estates = estate_list(demo_db, ALL)
    heat = figures.estate_area_heatmap(by_area, estates, figure, "en").data[0]
    column = figures.HEATMAP_FIGURES[figure].column
    cells = by_area.set_index(["estate_id", "service_area"])[column]
    assert list(heat.x) == [i18n.area(a, "en") for a in AREAS]
    assert len(heat.y) == 60
    for i, estate in enumerate(estates["estate_id"]):
        for j, area in enumerate(AREAS):
            expected = cells.get((estate, area))
            expected = None if expected is None or pd.isna(expected) else float(expected)
            if expected is None and figure == "tickets":
                expected = 0.0
            drawn = heat.z[i][j]
            assert (drawn is None) == (expected is None) and (drawn is None or drawn == pytest.approx(expected)), (estate, area)
            assert heat.text[i][j] == ("—" if drawn is None else heat.text[i][j])


def test_a_single_estate_and_area_are_metrics_figures(demo_db):
    filters = OCTOBER.narrowed(estates={"E005"}, areas={"repair"})
    alone = compute_metrics(demo_db, RULES, filters, ALL)
    by_area = estate_league(demo_db, RULES, filters, ALL, by_area=True)
    rows = estate_list(demo_db, ALL).query("estate_id == 'E005'")
    for figure, expected in (("tickets", alone["tickets"]["total"]), ("within_sla_pct", alone["resolution"]["within_sla_pct"]),
                             ("csat_pct", alone["satisfaction"]["csat_pct"]), ("response_median", alone["first_response"]["median_minutes"]),
                             ("escalation_rate_pct", alone["escalations"]["rate_pct"])):
        heat = figures.estate_area_heatmap(by_area, rows, figure, "zh").data[0]
        assert list(heat.x) == ["工程维修"] and heat.z[0][0] == pytest.approx(expected)


def test_missing_cells_are_a_dash_and_hover_says_so():
    by_area = pd.DataFrame([
        {"estate_id": "A", "service_area": "repair", "tickets": 3, "responses": 0, "within_sla_pct": None, "csat_pct": None},
        {"estate_id": "B", "service_area": "security", "tickets": 2, "responses": 1, "within_sla_pct": 50.0, "csat_pct": 100.0},
    ])
    estates = pd.DataFrame({"estate_id": ["A", "B", "C"], "name": ["甲苑", "乙苑", "丙苑"], "city": ["上海", "上海", "杭州"]})
    heat = figures.estate_area_heatmap(by_area, estates, "within_sla_pct", "en").data[0]
    assert list(heat.x) == ["Security", "Repair"]
    assert [list(r) for r in heat.text] == [["—", "—"], ["50.0%", "—"], ["—", "—"]]
    assert heat.z[0] == (None, None) or list(heat.z[0]) == [None, None]
    assert "Resolved within SLA %: —" in heat.hovertext[0][1] and "3 tickets" in heat.hovertext[0][1]
    counts = figures.estate_area_heatmap(by_area, estates, "tickets", "en").data[0]
    assert [list(r) for r in counts.z] == [[0, 3], [2, 0], [0, 0]]  # a count over no tickets is 0


def test_heatmap_grows_with_estates_and_keeps_every_name():
    names = [f"小区{i:02d}" for i in range(60)]
    estates = pd.DataFrame({"estate_id": [f"E{i:02d}" for i in range(60)], "name": names, "city": ["上海"] * 59 + [None]})
    by_area = pd.DataFrame({"estate_id": estates["estate_id"], "service_area": "repair", "tickets": np.arange(60), "responses": 0})
    fig = figures.estate_area_heatmap(by_area, estates, "tickets", "zh")
    assert fig.layout.height == figures.heatmap_height(60) >= 60 * 20
    assert figures.heatmap_height(60) > figures.heatmap_height(24) > figures.heatmap_height(1) - 1
    assert fig.layout.yaxis.autorange == "reversed" and fig.layout.yaxis.automargin
    assert list(fig.data[0].y[:2]) == ["小区00（上海）", "小区01（上海）"] and fig.data[0].y[-1] == "小区59"


def test_equal_labels_never_merge_rows_and_clicks_map_back():
    estates = pd.DataFrame({"estate_id": ["E1", "E2", "E3"], "name": ["阳光花园", "阳光花园", "翠湖"], "city": ["深圳", "深圳", "深圳"]})
    labels = figures.heatmap_labels(estates, "en")
    assert len(set(labels)) == 3 and labels[2] == "翠湖 (深圳)"
    assert figures.clicked_cell({"x": "Greening", "y": labels[1]}, estates, "en") == ("E2", "greening")
    assert figures.clicked_cell({"x": "绿化", "y": "翠湖（深圳）"}, estates, "zh") == ("E3", "greening")
    assert figures.clicked_cell({"x": "Greening", "y": "nowhere"}, estates, "en") is None
    assert figures.clicked_cell({"x": "Gardening", "y": labels[2]}, estates, "en") is None


def test_empty_selection_says_so(demo_db):
    empty = Filters(D(2001, 1, 1), D(2001, 1, 7))
    by_area = estate_league(demo_db, RULES, empty, ALL, by_area=True)
    for lang in ("en", "zh"):
        fig = figures.estate_area_heatmap(by_area, estate_list(demo_db, ALL), "csat_pct", lang)
        assert len(fig.data) == 0 and i18n.t("app.no_data", lang) in [a.text for a in fig.layout.annotations]


# --- the page's callbacks, run as Dash runs them ----------------------------------------
@pytest.fixture(scope="module")
def app(demo_db, tmp_path_factory):
    from dashboard.app import create_app
    from data_access import Settings

    return create_app(Settings(today=TODAY, data_dir=tmp_path_factory.mktemp("data")), demo_db.describe())


def call(app, callback_name: str, *args, triggered: str = "url.search"):
    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    function = getattr(importlib.import_module("dashboard.pages.estates"), callback_name)

    def run():
        context_value.set(AttributeDict(triggered_inputs=[{"prop_id": triggered, "value": None}]))
        with app.server.test_request_context():
            return function(*args)

    return copy_context().run(run)


OCTOBER_LINK = "?period=custom&from=2026-10-01&to=2026-10-31"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_callbacks_draw_the_selection(app, demo_db, lang):
    search = OCTOBER_LINK + "&city=杭州"
    caption, arrays, awaited, problem = call(app, "update_league", search, lang)
    rows = [dict(zip(figures.ROW_FIELDS, values, strict=True)) for values in arrays]
    hangzhou = estate_list(demo_db, ALL).query("city == '杭州'")
    assert problem is None and {r["estate_id"] for r in rows} == set(hangzhou["estate_id"])
    assert i18n.number(len(hangzhou), lang) in caption
    # The medians come apart: pending in the rows, cells named by the same question, resolved
    # (a cached league may serve another link to the same question).
    assert awaited["start"] == "2026-10-01" and awaited["end"] == "2026-10-31"
    assert set(awaited["estates"]) == set(hangzhou["estate_id"])
    assert all(r["response_median"] is None and r["resolution_median"] is None and r["medians_pending"] == 1 for r in rows)
    medians, problem = call(app, "fill_medians", search)
    assert problem is None and medians["for"] == awaited
    assert [figures.ROW_FIELDS[i] for i in medians["at"]] == ["response_median", "resolution_median"]
    assert figures.ROW_FIELDS[medians["pending_at"]] == "medians_pending"
    full = estate_league(demo_db, RULES, OCTOBER.narrowed(estates=hangzhou["estate_id"]), ALL)
    for record in full.to_dict("records"):
        cells = medians["cells"].get(record["estate_id"], [None, None])
        for cell, field in zip(cells, ("response_median", "resolution_median"), strict=True):
            exact = None if pd.isna(record[field]) else record[field]
            assert (cell is None) == (exact is None), (record["estate_id"], field)
            if exact is not None:
                assert cell == pytest.approx(exact)
    heatmap, problem = call(app, "update_heatmap", OCTOBER_LINK + "&city=杭州&area=repair", "csat_pct", lang)
    assert problem is None and len(heatmap.data[0].y) == len(hangzhou) and list(heatmap.data[0].x) == [i18n.area("repair", lang)]


def test_clicks_narrow_the_url(app, demo_db):
    import dash

    estates = estate_list(demo_db, ALL)
    label = figures.heatmap_labels(estates, "zh")[4]
    row = call(app, "narrow_to_clicked", {"rowId": "E007", "colId": "tickets"}, None, "?period=last_month&city=上海", "en", None,
               triggered="estates-league.cellClicked")
    assert row == "?period=last_month&estate=E007"
    cell = call(app, "narrow_to_clicked", None, {"points": [{"x": "保洁", "y": label}]}, "?area=repair", "zh", "within_sla_pct",
                triggered="estates-heatmap.clickData")
    assert cell == f"?estate={estates['estate_id'].iloc[4]}&area=cleaning"
    assert call(app, "narrow_to_clicked", {"rowId": "E999"}, None, "", "en", None, triggered="estates-league.cellClicked") is dash.no_update
    assert call(app, "narrow_to_clicked", None, {"points": [{"x": "Repair", "y": "nowhere"}]}, "", "en", "tickets",
                triggered="estates-heatmap.clickData") is dash.no_update


def test_a_group_of_many_estates_shows_its_busiest_in_the_heatmap(app, demo_db, monkeypatch):
    """Past HEATMAP_ESTATES rows the heatmap keeps the estates with most tickets and says how
    many it left out; a click still lands on the estate drawn in that row."""
    import dash

    monkeypatch.setattr(figures, "HEATMAP_ESTATES", 5)
    search = OCTOBER_LINK
    heatmap, problem = call(app, "update_heatmap", search, "tickets", "en")
    assert problem is None
    heat = heatmap.data[0]
    estates = estate_list(demo_db, ALL)
    assert len(heat.y) == 5
    totals = {label: sum(row) for label, row in zip(heat.y, heat.z)}
    note = " ".join(a.text for a in heatmap.layout.annotations)
    assert f"{len(estates) - 5} more" in note
    league = estate_league(demo_db, RULES, OCTOBER, ALL, medians=False)
    assert sorted(totals.values(), reverse=True) == sorted(league["tickets"], reverse=True)[:5]
    label = heat.y[2]
    cell = call(app, "narrow_to_clicked", None, {"points": [{"x": "Cleaning", "y": label}]}, search, "en", "tickets",
                triggered="estates-heatmap.clickData")
    assert cell is not dash.no_update and "area=cleaning" in cell


def _five_estates_heatmap(app, demo_db, monkeypatch, search, filters, figure):
    """The page's heatmap for `search` with HEATMAP_ESTATES at 5, cache cleared, and the one
    drawn from estate_league(by_area=True) of `filters` as expected: (heatmap, expected,
    by_area, rows, [(filters, options) of every estate_league the page asked for])."""
    from dashboard.pages import estates as page
    from dashboard.services import EXTENSION

    monkeypatch.setattr(figures, "HEATMAP_ESTATES", 5)
    with app.server.app_context():
        app.server.extensions[EXTENSION].cache.clear()
    asked = []
    import data_access.league as league_module  # the page's leagues come through Services.league

    league = league_module.estate_league
    monkeypatch.setattr(league_module, "estate_league", lambda *a, **k: asked.append((a[2], k)) or league(*a, **k))
    heatmap, problem = call(app, "update_heatmap", search, figure, "en")
    assert problem is None
    by_area = estate_league(demo_db, RULES, filters, ALL, by_area=True, medians=figure == "response_median")
    rows, left_out = page._heatmap_rows(estate_list(demo_db, ALL), ALL, filters, by_area)
    return heatmap, figures.estate_area_heatmap(by_area, rows, figure, "en", left_out=left_out), by_area, rows, asked


@pytest.mark.parametrize("figure", list(figures.HEATMAP_FIGURES))
def test_the_busiest_estates_cells_are_those_of_every_estates_league(app, demo_db, monkeypatch, figure):
    """Past HEATMAP_ESTATES estates only the drawn estates' rows are asked for: the same rows,
    columns, cells and count left out as from the league of every estate by area, also the
    columns of areas where only estates left out have tickets (1 October's repairs: cleaning,
    greening)."""
    filters = Filters(D(2026, 10, 1), D(2026, 10, 1)).narrowed(request_types=["repair"])
    heatmap, expected, by_area, rows, asked = _five_estates_heatmap(
        app, demo_db, monkeypatch, "?period=custom&from=2026-10-01&to=2026-10-01&type=repair", filters, figure)
    drawn = heatmap.data[0]
    assert list(drawn.y) == list(expected.data[0].y) and len(drawn.y) == 5
    assert list(drawn.x) == list(expected.data[0].x) == [i18n.area(a, "en") for a in AREAS]
    drawn_areas = set(by_area.loc[by_area["estate_id"].isin(rows["estate_id"]), "service_area"])
    assert {"cleaning", "greening"}.isdisjoint(drawn_areas)  # their columns come from the estates left out
    assert np.allclose(np.array(drawn.z, dtype=float), np.array(expected.data[0].z, dtype=float), equal_nan=True)
    assert [a.text for a in heatmap.layout.annotations] == [a.text for a in expected.layout.annotations]
    by_area_asked = [f for f, k in asked if k.get("by_area")]
    assert [len(f.estates) for f in by_area_asked] == [5]  # five estates' rows, not sixty


def test_busiest_estates_holding_every_area_need_no_question_of_the_columns(app, demo_db, monkeypatch):
    """When the drawn estates hold data in all five areas no other estate can add a column: the
    heatmap is the one from every estate's league by area, without asking which areas hold data."""
    from dashboard.pages import estates as page

    def not_asked(*_args, **_kwargs):
        raise AssertionError("the areas holding data were asked for")

    monkeypatch.setattr(page, "areas_with_data", not_asked)
    heatmap, expected, by_area, rows, asked = _five_estates_heatmap(app, demo_db, monkeypatch, OCTOBER_LINK, OCTOBER, "within_sla_pct")
    drawn = heatmap.data[0]
    assert list(drawn.x) == list(expected.data[0].x) == [i18n.area(a, "en") for a in AREAS]
    assert list(drawn.y) == list(expected.data[0].y) and len(drawn.y) == 5
    assert np.allclose(np.array(drawn.z, dtype=float), np.array(expected.data[0].z, dtype=float), equal_nan=True)


@pytest.mark.parametrize("filters, all_estates", [
    (OCTOBER.narrowed(areas=["repair"]), True),
    (ONE_DAY.narrowed(areas=["cleaning"]), False),
    (Filters(D(2026, 11, 5), D(2026, 11, 15)).narrowed(areas=["security"], request_types=["complaint"]), False),
    (Filters(D(2026, 10, 1), D(2026, 10, 1)).narrowed(areas=["greening"]), False),
], ids=["october repairs", "one day's cleaning", "complaints from a Thursday", "one day's greening"])
def test_one_areas_league_by_area_is_its_league_with_that_area(demo_db, filters, all_estates):
    """Asked for one area, the league per estate and area is the league per estate, for the
    estates holding tickets or surveys there; the heatmap reads it from the table's rows."""
    from data_access.league import league_of_one_area

    (area,) = filters.areas
    by_area = estate_league(demo_db, RULES, filters, ALL, by_area=True, medians=False)
    derived = league_of_one_area(estate_league(demo_db, RULES, filters, ALL, medians=False), area)
    assert len(by_area) > 0 and (len(derived) == 60) == all_estates  # estates without data there are not rows
    pd.testing.assert_frame_equal(derived, by_area)


@pytest.mark.parametrize("figure", [f for f in figures.HEATMAP_FIGURES if f != "response_median"])
def test_one_areas_heatmap_asks_no_league_by_area(app, demo_db, monkeypatch, figure):
    """One area over past HEATMAP_ESTATES estates: the cells, rows and count left out of the
    league of every estate by area, without asking for it."""
    heatmap, expected, _by_area, _rows, asked = _five_estates_heatmap(
        app, demo_db, monkeypatch, "?period=custom&from=2026-10-01&to=2026-10-31&area=repair", OCTOBER.narrowed(areas=["repair"]), figure)
    drawn = heatmap.data[0]
    assert list(drawn.y) == list(expected.data[0].y) and len(drawn.y) == 5
    assert list(drawn.x) == list(expected.data[0].x) == [i18n.area("repair", "en")]
    assert list(drawn.text[0]) == list(expected.data[0].text[0])
    assert np.allclose(np.array(drawn.z, dtype=float), np.array(expected.data[0].z, dtype=float), equal_nan=True)
    assert [a.text for a in heatmap.layout.annotations] == [a.text for a in expected.layout.annotations]
    assert [k for _f, k in asked if k.get("by_area")] == []


def test_a_database_failure_reaches_the_banner_not_the_table(app, monkeypatch):
    import dash

    from data_access import DataSourceError

    def down(*_args, **_kwargs):
        raise DataSourceError("the query took longer than 30 s and was stopped")

    monkeypatch.setattr("data_access.league.estate_league", down)
    monkeypatch.setattr("dashboard.pages.estates.estate_medians", down)
    caption, rows, awaited, problem = call(app, "update_league", OCTOBER_LINK + "&type=praise", "en")
    assert caption is dash.no_update and rows is dash.no_update and awaited is dash.no_update and "30 s" in problem
    medians, medians_problem = call(app, "fill_medians", OCTOBER_LINK + "&type=praise")
    assert medians_problem == problem  # the banner says why, and the cells stop waiting (null: "—")
    assert medians["cells"] == {}
    assert medians["for"]["types"] == ["praise"] and medians["for"]["start"] == "2026-10-01"
    heatmap, heatmap_problem = call(app, "update_heatmap", OCTOBER_LINK + "&type=praise", "tickets", "en")
    assert heatmap is dash.no_update and heatmap_problem == problem
    from dashboard.layout import banner_template

    text = banner_template("en").replace("{detail}", problem)  # as the browser fills the shell's banner
    assert "30 s" in text


def test_the_league_takes_the_estates_the_server_holds(app, demo_db):
    """The league's rows are those of estate_league, with the estates catalogue every callback
    has cached already instead of a read of its own."""
    from dashboard.services import EXTENSION

    svc = app.server.extensions[EXTENSION]
    with app.server.test_request_context():
        svc.cache.clear()
        svc.estates(ALL)
        svc.db.trace.clear()
        league = svc.league(OCTOBER, ALL, medians=False)
        read = [q.sql for q in svc.db.trace]
    assert read and not any("FROM estates ORDER BY" in sql for sql in read)
    pd.testing.assert_frame_equal(league, estate_league(demo_db, RULES, OCTOBER, ALL, medians=False))
