"""The Escalations and complaints page in headless Chromium: loads clean in both languages, a
filter in the URL redraws the charts, clicking an estate's bar narrows the view to it."""

from __future__ import annotations

import re

from conftest import screenshot, wait_for_dash

LAST_MONTH = "?period=last_month"


GRAPHS = [
    "escalations-by-week",
    "escalations-ladder",
    "escalations-by-area",
    "escalations-by-estate",
    "escalations-complaints",
]


def open_page(page, url: str) -> None:
    """Load and wait until the caption and every chart are drawn (the callbacks run in parallel)."""
    page.goto(url)
    wait_for_dash(page)
    page.wait_for_function(
        "ids => (document.querySelector('#escalations-caption')?.innerText || '').length > 0 && ids.every(id => {"
        " const plot = document.querySelector('#' + id + ' .js-plotly-plot');"
        " return plot && plot.data && plot.data.length > 0; })",
        arg=GRAPHS,
        timeout=30_000,
    )
    # The overdue list's grid draws itself after its rows arrive (AG Grid renders asynchronously).
    page.wait_for_function(
        "() => { const table = document.querySelector('#escalations-overdue-table');"
        " return !table || table.classList.contains('empty-note') || (!!table.querySelector('.ag-header-cell')"
        " && !!table.querySelector('.ag-row, .ag-overlay-no-rows-wrapper')); }",
        timeout=30_000,
    )


def plotted(page, graph: str) -> list[dict]:
    return page.evaluate(
        f"() => document.querySelector('#{graph} .js-plotly-plot').data"
        ".map(t => ({name: t.name, x: t.x, y: t.y, customdata: t.customdata}))"
    )


def ladder(page) -> list[int]:
    return plotted(page, "escalations-ladder")[0]["x"]


def test_escalations_load_in_english(page, dashboard_url):
    open_page(page, dashboard_url + "/escalations")
    assert page.inner_text("#nav-escalations") == "Escalations & complaints"
    rungs = ladder(page)
    assert rungs[0] >= rungs[1] >= rungs[2] >= rungs[3] and rungs[0] > 0
    assert [t["name"] for t in plotted(page, "escalations-by-week")] == [
        "Supervisor",
        "Office director",
        "Company leadership",
    ]
    assert [t["name"] for t in plotted(page, "escalations-complaints")] == [
        "Minor",
        "Important",
        "Major",
        "Unclassified",
    ]
    assert 0 < len(plotted(page, "escalations-by-estate")[0]["y"]) <= 15
    assert "Days open" in page.inner_text("#escalations-overdue")
    screenshot(page, "escalations-en")


def test_escalations_load_in_chinese(page_zh, dashboard_url):
    open_page(page_zh, dashboard_url + "/escalations")
    assert page_zh.inner_text("#nav-escalations") == "升级与投诉"
    assert "升级至主管" in page_zh.inner_text("#escalations-ladder")
    assert [t["name"] for t in plotted(page_zh, "escalations-by-week")] == ["主管", "管理处主任", "公司领导"]
    assert "已开放天数" in page_zh.inner_text("#escalations-overdue")
    screenshot(page_zh, "escalations-zh")


def test_area_in_the_url_redraws_the_charts(page, dashboard_url):
    open_page(page, dashboard_url + "/escalations" + LAST_MONTH)
    everything = ladder(page)
    open_page(page, dashboard_url + "/escalations" + LAST_MONTH + "&area=repair")
    assert all(t["customdata"] == ["repair"] for t in plotted(page, "escalations-by-area"))
    narrowed = ladder(page)
    assert 0 < narrowed[0] < everything[0] and narrowed[1] <= everything[1]


def test_clicking_an_estate_bar_narrows_the_view(page, dashboard_url):
    open_page(page, dashboard_url + "/escalations" + LAST_MONTH)
    everything = ladder(page)
    supervisor = plotted(page, "escalations-by-estate")[0]
    top_estate = supervisor["customdata"][-1]  # drawn at the top
    page.locator("#escalations-by-estate g.trace.bars").first.locator("path").last.click(force=True)
    page.wait_for_url(re.compile(rf"estate={top_estate}"))
    wait_for_dash(page)
    page.wait_for_function(
        "() => document.querySelector('#escalations-by-estate .js-plotly-plot').data[0].customdata.length === 1"
    )
    assert plotted(page, "escalations-by-estate")[0]["customdata"] == [top_estate]
    assert 0 < ladder(page)[0] < everything[0]


def test_overdue_list_sorts_by_days_not_by_text(page, dashboard_url):
    """Days open shown as "1,095" sort as numbers: ascending puts the youngest first."""
    open_page(page, dashboard_url + "/escalations")
    cells = "() => [...document.querySelectorAll('#escalations-overdue-table .ag-center-cols-container .ag-row')]" \
        ".sort((a, b) => a.getAttribute('row-index') - b.getAttribute('row-index'))" \
        ".map(row => row.querySelector('[col-id=\"days\"]').innerText)"
    shown = page.evaluate(cells)
    assert len(shown) > 2
    page.locator("#escalations-overdue-table .ag-header-cell[col-id='days']").click()
    page.wait_for_function(f"() => ({cells})()[0] !== {shown[0]!r}")
    ascending = [int(text.replace(",", "")) for text in page.evaluate(cells)]
    assert ascending == sorted(ascending) and ascending[0] < int(shown[0].replace(",", ""))
