"""The Estates page in headless Chromium: the league table loads in both languages, sorts with
nulls last, a row click or a heatmap cell narrows the view, the URL and the dropdown redraw it."""
from __future__ import annotations

import re

from conftest import screenshot, wait_for_dash

LAST_MONTH = "?period=last_month"
ONE_DAY = "?period=custom&from=2026-11-22&to=2026-11-22"  # short enough that some estates lack figures


def wait_for_rows(page, count: int | None = None) -> None:
    condition = f"=== {count}" if count is not None else "> 0"
    page.wait_for_function(f"() => document.querySelectorAll('#estates-league .ag-center-cols-container .ag-row').length {condition}")


def column_texts(page, column: str) -> list[str]:
    """The shown text of one column, in the grid's row order."""
    return page.evaluate(
        f"""() => Array.from(document.querySelectorAll('#estates-league .ag-center-cols-container .ag-row'))
            .sort((a, b) => Number(a.getAttribute('row-index')) - Number(b.getAttribute('row-index')))
            .map(row => row.querySelector('[col-id="{column}"]').innerText.trim())"""
    )


def heatmap(page) -> dict:
    page.wait_for_function("() => { const g = document.querySelector('#estates-heatmap .js-plotly-plot'); return g && g.data && g.data.length > 0; }")
    return page.evaluate("() => { const d = document.querySelector('#estates-heatmap .js-plotly-plot').data[0];"
                         " return {x: d.x, y: d.y, z: d.z}; }")


def test_estates_loads_in_english(page, dashboard_url):
    page.goto(dashboard_url + "/estates")
    wait_for_dash(page)
    wait_for_rows(page, 24)
    assert page.inner_text("#nav-estates") == "Estates"
    header = page.inner_text("#estates-league .ag-header")
    assert "Estate" in header and "Resolved within SLA" in header and "Follow-up coverage" in header
    assert all(re.fullmatch(r"[\d,]+", t) for t in column_texts(page, "tickets"))
    # The medians arrive after the rest of the table and fill every row.
    page.wait_for_function("""() => { const cells = document.querySelectorAll('#estates-league .ag-center-cols-container [col-id="response_median"]');
        return cells.length > 0 && Array.from(cells).every(c => c.innerText.trim() !== '…'); }""")
    medians = column_texts(page, "response_median")
    assert all(re.fullmatch(r"[\d.]+ min", t) for t in medians), medians
    assert all(re.fullmatch(r"[\d.,]+ h", t) for t in column_texts(page, "resolution_median"))
    shown = heatmap(page)
    assert len(shown["y"]) == 24 and shown["x"] == ["Security", "Cleaning", "Greening", "Repair", "Other"]
    screenshot(page, "estates-en")


def test_estates_loads_in_chinese(page_zh, dashboard_url):
    page_zh.goto(dashboard_url + "/estates")
    wait_for_dash(page_zh)
    wait_for_rows(page_zh, 24)
    header = page_zh.inner_text("#estates-league .ag-header")
    assert "项目" in header and "时限内解决率" in header
    assert heatmap(page_zh)["x"][0] == "安保"
    screenshot(page_zh, "estates-zh")


def test_nulls_show_as_a_dash_and_sort_last_both_ways(page, dashboard_url):
    page.goto(dashboard_url + "/estates" + ONE_DAY)
    wait_for_dash(page)
    wait_for_rows(page)
    header = page.locator('#estates-league .ag-header-cell[col-id="csat_pct"]')
    for direction in ("ascending", "descending"):
        header.locator(".ag-header-cell-label").click()
        page.wait_for_function(
            f"() => document.querySelector('#estates-league .ag-header-cell[col-id=\"csat_pct\"]').getAttribute('aria-sort') === '{direction}'")
        page.wait_for_timeout(200)
        texts = column_texts(page, "csat_pct")
        assert "—" in texts and any(t.endswith("%") for t in texts), texts
        first_null = texts.index("—")
        assert all(t == "—" for t in texts[first_null:]), texts
        numbers = [float(t.rstrip("%").replace(",", "")) for t in texts[:first_null]]
        assert numbers == sorted(numbers, reverse=direction == "descending")
    assert "0.0%" not in texts[first_null:]


def test_url_filter_and_figure_choice_redraw_the_heatmap(page, dashboard_url):
    page.goto(dashboard_url + "/estates" + LAST_MONTH + "&area=greening")
    wait_for_dash(page)
    assert heatmap(page)["x"] == ["Greening"]
    page.click("#estates-heatmap-figure")
    page.click(".dash-dropdown-option:has-text('Tickets')")
    page.wait_for_function("() => document.querySelector('#estates-heatmap .js-plotly-plot').data[0].colorscale[0][1] !== 'rgb(165,0,38)'")
    wait_for_dash(page)
    counts = [row[0] for row in heatmap(page)["z"]]
    assert all(isinstance(c, int) and c >= 0 for c in counts) and sum(counts) > 0


def test_clicking_an_estate_row_narrows_to_it(page, dashboard_url):
    page.goto(dashboard_url + "/estates" + LAST_MONTH)
    wait_for_dash(page)
    wait_for_rows(page, 24)
    row = page.locator("#estates-league .ag-center-cols-container .ag-row[row-index='2']")
    estate = row.get_attribute("row-id")
    name = page.locator(f"#estates-league .ag-pinned-left-cols-container .ag-row[row-id='{estate}']").inner_text().strip()
    row.locator('[col-id="tickets"]').click()
    page.wait_for_url(re.compile(rf"estate={estate}"))
    wait_for_dash(page)
    wait_for_rows(page, 1)
    page.wait_for_function("() => document.querySelector('#estates-heatmap .js-plotly-plot').data[0].y.length === 1")
    assert heatmap(page)["y"][0].startswith(name)


def test_clicking_a_heatmap_cell_narrows_to_estate_and_area(page, dashboard_url):
    page.goto(dashboard_url + "/estates" + LAST_MONTH)
    wait_for_dash(page)
    shown = heatmap(page)
    rows, columns = len(shown["y"]), len(shown["x"])
    assert shown["x"][3] == "Repair"
    drag = page.locator("#estates-heatmap .nsewdrag").first
    # The chart is taller than the window and the filter bar sticks on top: bring the cell mid-screen.
    box = drag.bounding_box()
    page.evaluate(f"() => window.scrollBy(0, {box['y'] + box['height'] * 1.5 / rows} - window.innerHeight / 2)")
    box = drag.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 3.5 / columns, box["y"] + box["height"] * 1.5 / rows)  # second estate, Repair
    page.wait_for_url(re.compile(r"estate=E\d+.*area=repair"))
    wait_for_dash(page)
    wait_for_rows(page, 1)
    page.wait_for_function("() => document.querySelector('#estates-heatmap .js-plotly-plot').data[0].y.length === 1")
    assert heatmap(page)["x"] == ["Repair"] and heatmap(page)["y"] == [shown["y"][1]]


def test_the_grid_writes_figures_as_the_server_would(page, dashboard_url):
    """estatesFigure (assets/estates.js) writes the league's numbers in the browser: the same text
    as dashboard.i18n for both languages, rounding ties half to even on the shortest decimal,
    as Babel does; "—" for null, "…" for a median still on its way."""
    import math
    import random

    from dashboard import i18n
    from dashboard.figures import estates as figures

    page.goto(dashboard_url + "/estates")
    wait_for_dash(page)
    wait_for_rows(page)
    rng = random.Random(7)
    values = [0.0, -0.0, 0.05, 0.15, 0.25, 2.5, 3.5, 82.25, 1.005, 2.675, 1234.5, 999.95, 9.995, 99999.95, 1e-7, 123456789.125,
              -1.25, -0.04, 7, 0, 1234567, -1000, 10**12]
    values += [(10 * rng.randint(-10**6, 10**6) + 5) / 10 ** rng.choice((1, 2, 3)) for _ in range(300)]  # ties
    values += [rng.uniform(0, 100) for _ in range(300)] + [rng.lognormvariate(3, 3) for _ in range(300)]
    values += [round(rng.uniform(0, 100), rng.choice((1, 2, 3))) for _ in range(300)] + [rng.randint(0, 10**7) for _ in range(100)]
    values += [math.inf, -math.inf]  # (no NaN: JSON cannot carry one; a null figure is None)
    cases = [(v, digits) for v in values for digits in (0, 1, 2, 3)]
    written = page.evaluate("cases => cases.map(([v, d]) => window.dashAgGridFunctions.estatesNumber(v, d))",
                            [[v, d] for v, d in cases])
    expected = [i18n.number(v, "en", d) for v, d in cases]
    assert [i18n.number(v, "zh", d) for v, d in cases] == expected  # both languages write numbers alike; only units differ
    wrong = [(v, d, w, e) for (v, d), w, e in zip(cases, written, expected) if w != e]
    assert not wrong, wrong[:10]
    # A cell: the column's digits and unit, "—" for null, "…" while the medians are awaited.
    cell = "([value, pending, digits, template, awaited]) => window.dashAgGridFunctions.estatesFigure({value, data: [value, pending]}, digits, template, awaited)"
    for lang in ("en", "zh"):
        for kind, value in (("minutes", 12.25), ("hours", 1234.56), ("percent", 87.55), ("count", 12345), ("score", 4.125)):
            digits, template = figures.figure_format(kind, lang)
            assert page.evaluate(cell, [value, 0, digits, template, False]) == i18n.written(value, lang, digits, template)
    assert page.evaluate(cell, [None, 1, 1, "{value} min", True]) == "…"
    assert page.evaluate(cell, [None, 0, 1, "{value} min", True]) == "—"
    assert page.evaluate(cell, [None, 1, 1, "{value}%", False]) == "—"
