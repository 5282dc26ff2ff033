"""The Response times page in headless Chromium: loads clean in both languages, a filter in the
URL redraws the charts, clicking an area's SLA bar narrows the view."""

from __future__ import annotations

import re

from conftest import screenshot, wait_for_dash

LAST_MONTH = "?period=last_month"
AREAS_EN = ["Security", "Cleaning", "Greening", "Repair", "Other"]


GRAPHS = [
    "response-reply-trend",
    "response-distribution",
    "response-sla-area",
    "response-sla-channel",
    "response-resolution-trend",
    "response-slow-heatmap",
]


def open_page(page, url: str) -> None:
    """Load and wait until the caption and every chart are drawn (the callbacks run in parallel)."""
    page.goto(url)
    wait_for_dash(page)
    page.wait_for_function(
        "ids => (document.querySelector('#response-caption')?.innerText || '').length > 0 && ids.every(id => {"
        " const plot = document.querySelector('#' + id + ' .js-plotly-plot');"
        " return plot && plot.data && plot.data.length > 0; })",
        arg=GRAPHS,
        timeout=30_000,
    )


def plotted(page, graph: str) -> list[dict]:
    """The traces of a chart as the browser holds them (name, x, y, customdata)."""
    return page.evaluate(
        f"() => document.querySelector('#{graph} .js-plotly-plot').data"
        ".map(t => ({name: t.name, x: t.x, y: t.y, customdata: t.customdata}))"
    )


def replied(page) -> int:
    return sum(plotted(page, "response-distribution")[0]["y"])


def test_response_loads_in_english(page, dashboard_url):
    open_page(page, dashboard_url + "/response")
    assert page.inner_text("#nav-response") == "Response times"
    assert "Weekly trends" in page.inner_text("#response-caption")
    assert replied(page) > 0
    assert [t["name"] for t in plotted(page, "response-reply-trend")][:5] == AREAS_EN
    assert plotted(page, "response-sla-area")[0]["x"] == AREAS_EN
    assert "Target 15 min" in page.inner_text("#response-distribution")
    assert page.locator("#response-slow-heatmap .hm, #response-slow-heatmap image").count() > 0
    screenshot(page, "response-en")


def test_response_loads_in_chinese(page_zh, dashboard_url):
    open_page(page_zh, dashboard_url + "/response")
    assert page_zh.inner_text("#nav-response") == "响应时效"
    assert "周趋势" in page_zh.inner_text("#response-caption")
    assert plotted(page_zh, "response-sla-area")[0]["x"] == ["安保", "保洁", "绿化", "工程维修", "其他"]
    assert "目标 15 分钟" in page_zh.inner_text("#response-distribution")
    assert "周一" in page_zh.inner_text("#response-slow-heatmap")
    screenshot(page_zh, "response-zh")


def test_area_in_the_url_redraws_the_charts(page, dashboard_url):
    open_page(page, dashboard_url + "/response" + LAST_MONTH)
    everything = replied(page)
    open_page(page, dashboard_url + "/response" + LAST_MONTH + "&area=cleaning")
    assert [t["x"] for t in plotted(page, "response-sla-area")] == [["Cleaning"], ["Cleaning"]]
    assert [t["name"] for t in plotted(page, "response-resolution-trend")] == ["Cleaning"]
    assert 0 < replied(page) < everything
    assert "Cleaning" in page.inner_text("#filter-areas")


def test_clicking_an_area_bar_narrows_the_view(page, dashboard_url):
    open_page(page, dashboard_url + "/response" + LAST_MONTH)
    everything = replied(page)
    normal = page.locator("#response-sla-area g.trace.bars").last.locator("path")
    normal.nth(3).click(force=True)  # Repair, normal priority
    page.wait_for_url(re.compile(r"area=repair"))
    wait_for_dash(page)
    page.wait_for_function("() => document.querySelector('#response-sla-area .js-plotly-plot').data[0].x.length === 1")
    assert plotted(page, "response-sla-area")[0]["customdata"] == ["repair"]
    assert 0 < replied(page) < everything
    assert "Repair" in page.inner_text("#filter-areas")
