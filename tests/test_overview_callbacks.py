"""The Overview's callback, posted as the browser posts it: its numbers are metrics --json's."""
from __future__ import annotations

import datetime as dt

import pytest

from dashboard import i18n
from dashboard.app import create_app
from data_access import ALL, Database, Filters, ServiceRules, Settings
from data_access.demo import generate_demo
from data_access.metrics import compute_metrics

from dash_requests import find_by_id, post_callback, texts

TODAY = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('overview') / 'demo.sqlite'}"
    generate_demo(Database(url), estates=12, tickets=15_000, months=6, seed=3, end=TODAY - dt.timedelta(days=1), progress=False)
    return url


@pytest.fixture(scope="module")
def client(demo_url, tmp_path_factory):
    app = create_app(Settings(today=TODAY, data_dir=tmp_path_factory.mktemp("data")), demo_url)
    return app.server.test_client()


def overview(client, search: str, lang: str = "en") -> dict:
    return post_callback(client, "overview-tiles", "children", {"url.search": search, "lang.data": lang})


def tile_value(result: dict, key: str) -> str:
    return texts(find_by_id(result["overview-tiles.children"], f"tile-value-{key}"))[0]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_tiles_show_the_numbers_of_metrics_json(client, demo_url, lang):
    search = "?period=custom&from=2026-10-01&to=2026-10-31&area=repair,cleaning"
    result = overview(client, search, lang)
    figures = compute_metrics(Database(demo_url), ServiceRules(), Filters(dt.date(2026, 10, 1), dt.date(2026, 10, 31), areas={"repair", "cleaning"}), ALL)
    assert figures["tickets"]["total"] > 100
    assert tile_value(result, "tickets") == i18n.number(figures["tickets"]["total"], lang)
    assert tile_value(result, "first_response_within_target") == i18n.percent(figures["first_response"]["within_target_pct"], lang)
    assert tile_value(result, "first_response_median") == i18n.minutes(figures["first_response"]["median_minutes"], lang)
    assert tile_value(result, "within_sla") == i18n.percent(figures["resolution"]["within_sla_pct"], lang)
    assert tile_value(result, "escalations") == i18n.number(figures["escalations"]["total"], lang)
    assert tile_value(result, "major_complaints") == i18n.number(figures["complaints"]["by_severity"]["major"], lang)
    assert tile_value(result, "csat") == i18n.percent(figures["satisfaction"]["csat_pct"], lang)
    assert tile_value(result, "mean_score") == i18n.number(figures["satisfaction"]["mean_score"], lang, 2)
    assert tile_value(result, "follow_up_coverage") == i18n.percent(figures["satisfaction"]["follow_up_coverage_pct"], lang)
    # The per-area panel repeats by_area.
    repair_card = texts(find_by_id(result["overview-areas.children"], "area-card-repair"))
    assert i18n.number(figures["by_area"]["repair"]["tickets"], lang) in repair_card
    assert i18n.percent(figures["by_area"]["repair"]["within_sla_pct"], lang) in repair_card


def test_empty_selection_says_so_and_shows_dashes(client):
    result = overview(client, "?period=custom&from=2010-01-01&to=2010-01-31")
    assert find_by_id(result["overview-tiles.children"], "no-data-note") is not None
    assert tile_value(result, "tickets") == "0"
    for key in ("first_response_within_target", "first_response_median", "within_sla", "csat", "mean_score", "follow_up_coverage"):
        assert tile_value(result, key) == i18n.MISSING


def test_garbage_in_the_url_still_answers(client):
    result = overview(client, "?period=custom&from=2026-13-01&to=x&estate=%27%3B%20DROP%20TABLE%20tickets%3B--&area=nope")
    # Falls back to last week (2026-11-16 .. 2026-11-22) for every estate and area.
    assert "16 Nov 2026" in result["overview-caption.children"]
    assert int(tile_value(result, "tickets").replace(",", "")) > 0


def test_area_click_narrows_the_url(client):
    result = post_callback(
        client, '{"page":"overview","type":"go-to"}', "data",
        {"overview-area-chart.clickData": {"points": [{"customdata": "greening"}]}, "url.search": "?period=last_month"},
        trigger="overview-area-chart.clickData",
    )
    assert result["go-to:overview.data"] == "?period=last_month&area=greening"  # the shell moves it into the URL


def test_the_layout_carries_the_page_it_is_asked_for(client):
    """With the page's address (the Referer of the layout request) the layout holds the page and
    the filter bar set from the URL; without it, Dash's router draws the page as usual."""
    base = "http://localhost"
    layout = client.get("/_dash-layout", headers={"Referer": f"{base}/estates?period=last_month&area=repair"}).get_json()
    assert find_by_id(layout, "estates-league") is not None
    assert find_by_id(layout, "filter-areas")["props"]["value"] == ["repair"]
    assert find_by_id(layout, "filter-period")["props"]["value"] == "last_month"
    assert find_by_id(layout, "url")["props"]["search"] == "?period=last_month&area=repair"
    for referer in (None, f"{base}/nowhere", "http://elsewhere.example/estates"):
        layout = client.get("/_dash-layout", headers={"Referer": referer} if referer else {}).get_json()
        assert find_by_id(layout, "estates-league") is None, referer
        assert find_by_id(layout, "_pages_content") is not None
        assert find_by_id(layout, "filter-areas")["props"].get("value") is None
