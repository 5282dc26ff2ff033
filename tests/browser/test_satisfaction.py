"""The Satisfaction page in headless Chromium: loads clean in both languages, a filter in the
URL redraws the charts, clicking an area's bar or an estate's bar narrows the view."""
from __future__ import annotations

import re

from conftest import screenshot, wait_for_dash

LAST_MONTH = "?period=last_month"


def wait_for_page(page) -> None:
    """Until the page's own callback has filled the caption and drawn the charts."""
    wait_for_dash(page)
    page.wait_for_function(
        "() => { const c = document.querySelector('#satisfaction-caption');"
        " const g = document.querySelector('#satisfaction-coverage .js-plotly-plot');"
        " return c && c.innerText.length > 0 && g && g.data && g.data.length > 0; }",
        timeout=30_000,
    )
    wait_for_dash(page)


def trace_x(page, graph: str, trace: int = 0) -> list:
    """The categories drawn by one trace of a chart, as the browser holds them."""
    return page.evaluate(f"() => document.querySelector('#{graph} .js-plotly-plot').data[{trace}].x")


def responses(page) -> int:
    caption = page.inner_text("#satisfaction-caption")
    return int(re.search(r"([\d,]+) survey responses", caption).group(1).replace(",", ""))


def test_satisfaction_loads_in_english(page, dashboard_url):
    page.goto(dashboard_url + "/satisfaction")
    wait_for_page(page)
    assert page.inner_text("#nav-satisfaction") == "Satisfaction"
    assert responses(page) > 0
    assert trace_x(page, "satisfaction-by-area") == ["Security", "Cleaning", "Greening", "Repair", "Other"]
    assert "Attitude" in page.inner_text("#satisfaction-dimensions")
    assert page.locator("#satisfaction-estates g.trace.bars path").count() > 0
    screenshot(page, "satisfaction-en")


def test_satisfaction_loads_in_chinese(page_zh, dashboard_url):
    page_zh.goto(dashboard_url + "/satisfaction")
    wait_for_page(page_zh)
    assert page_zh.inner_text("#nav-satisfaction") == "满意度"
    assert "问卷回复" in page_zh.inner_text("#satisfaction-caption")
    assert trace_x(page_zh, "satisfaction-by-area") == ["安保", "保洁", "绿化", "工程维修", "其他"]
    assert "服务态度" in page_zh.inner_text("#satisfaction-dimensions")
    screenshot(page_zh, "satisfaction-zh")


def test_area_in_the_url_redraws_the_charts(page, dashboard_url):
    page.goto(dashboard_url + "/satisfaction" + LAST_MONTH)
    wait_for_page(page)
    everything = responses(page)
    page.goto(dashboard_url + "/satisfaction" + LAST_MONTH + "&area=cleaning")
    wait_for_page(page)
    assert trace_x(page, "satisfaction-by-area") == ["Cleaning"]
    assert trace_x(page, "satisfaction-coverage") == ["Cleaning"]
    assert 0 < responses(page) < everything
    assert "Cleaning" in page.inner_text("#filter-areas")


def test_clicking_an_area_bar_narrows_the_view(page, dashboard_url):
    page.goto(dashboard_url + "/satisfaction" + LAST_MONTH)
    wait_for_page(page)
    before = responses(page)
    page.locator("#satisfaction-by-area g.trace.bars").first.locator("path").nth(3).click(force=True)  # Repair
    page.wait_for_url(re.compile(r"area=repair"))
    wait_for_page(page)
    page.wait_for_function("() => document.querySelector('#satisfaction-by-area .js-plotly-plot').data[0].x.length === 1")
    assert 0 < responses(page) < before


def test_clicking_an_estate_bar_narrows_to_that_estate(page, dashboard_url):
    page.goto(dashboard_url + "/satisfaction" + LAST_MONTH)
    wait_for_page(page)
    estate = page.evaluate("() => document.querySelector('#satisfaction-estates .js-plotly-plot').data[0].customdata[0]")
    page.locator("#satisfaction-estates g.trace.bars path").first.click(force=True)
    page.wait_for_url(re.compile(rf"estate={estate}"))
    wait_for_page(page)
    page.wait_for_function(
        f"() => {{ const d = document.querySelector('#satisfaction-estates .js-plotly-plot').data;"
        f" return d.length > 0 && d[0].customdata && d[0].customdata.length === 1 && d[0].customdata[0] === '{estate}'; }}"
    )
