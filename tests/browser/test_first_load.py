"""A page's first load asks the server only for what it draws: the layout carries the page and
the filter bar set from the URL (no round trip for Dash's page router or the filter sync), and
no callback fires for a click that never happened, so nothing holds the page's figures back
(they wait for every callback writing the URL they listen to)."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from conftest import wait_for_dash

from dashboard.index_page import PLOTLY_BUNDLE, SHELL_CHUNKS

CHART_PAGES = ("/", "/response", "/escalations", "/satisfaction", "/estates", "/tickets")
CLICKS = {"clickData", "cellClicked"}


def _inputs(body: dict) -> list[dict]:
    """The inputs of a callback request, pattern-matching ones (lists) flattened."""
    out = []
    for item in body.get("inputs", []):
        out.extend(item if isinstance(item, list) else [item])
    return out


@pytest.mark.parametrize("path", CHART_PAGES)
def test_first_load_runs_no_click_callback(page, dashboard_url, path):
    asked = []
    page.on("request", lambda r: asked.append(r.post_data_json) if "_dash-update-component" in r.url else None)
    page.goto(dashboard_url + path + "?period=last_month")
    wait_for_dash(page)
    properties = [i.get("property") for body in asked for i in _inputs(body)]
    assert "search" in properties  # the page's own figures were asked for
    assert not CLICKS & set(properties), f"{path}: a cross-filter callback ran on load"
    outputs = " ".join(str(body.get("output")) for body in asked)
    assert "_pages_content" not in outputs and "filter-period" not in outputs, outputs


def test_url_sets_the_filter_bar_on_first_load(page, dashboard_url):
    page.goto(dashboard_url + "/response?period=last_month&area=repair&channel=app")
    wait_for_dash(page)
    assert page.inner_text("#filter-areas").count("Repair") == 1
    assert "App" in page.inner_text("#filter-channels")
    assert "Last month" in page.inner_text("#filter-period")
    assert page.title() != ""


def test_a_referer_cut_to_the_root_still_shows_the_address(page, dashboard_url):
    """A proxy's Referrer-Policy (or a very long link) may cut the layout request's Referer down
    to the site's root: the layout then draws the Overview, and the browser puts it right."""
    address = dashboard_url + "/estates?period=last_month&area=repair"

    def origin_only(route):  # as a proxy adding "Referrer-Policy: origin" would serve the page
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, "referrer-policy": "origin"})

    page.route(address, origin_only)
    layouts = []
    page.on("request", lambda r: layouts.append(r.headers.get("referer")) if r.url.endswith("/_dash-layout") else None)
    page.goto(address)
    wait_for_dash(page)
    assert layouts == [dashboard_url + "/"]
    assert page.locator("#estates-league").count() == 1 and page.locator("#overview-tiles").count() == 0
    assert page.inner_text("#filter-areas").count("Repair") == 1
    assert "Last month" in page.inner_text("#filter-period")
    assert page.url.endswith("/estates?period=last_month&area=repair")


def test_the_layout_and_lazy_components_come_with_the_scripts_once(page, dashboard_url):
    """The index preloads the layout, the callback graph and the shell's lazy components, so the
    browser fetches them while it runs the scripts. Each is fetched once: a preload the renderer
    did not take (another credentials mode, another address) would be fetched again after the
    scripts. Dash's legacy polyfill is not fetched, and the pages still draw without it.
    plotly.js is preloaded but not among the page's scripts: the first chart runs it (so the
    first callbacks are on their way meanwhile), and it is the vendored partial bundle."""
    fetched, statuses = [], {}
    page.on("request", lambda r: fetched.append(urlsplit(r.url).path))
    page.on("response", lambda r: statuses.setdefault(urlsplit(r.url).path, r.status))
    page.goto(dashboard_url + "/?period=last_month")
    wait_for_dash(page)
    # the chart drew its bars (a lazily loaded component, which needs regeneratorRuntime)
    assert page.evaluate("() => document.querySelector('#overview-area-chart .js-plotly-plot')._fullData.length") == 2
    renderer = next(i for i, p in enumerate(fetched) if "/dash-renderer/" in p)
    plotly = f"/assets/{PLOTLY_BUNDLE}"
    preloaded = ("/_dash-layout", "/_dash-dependencies", *(f"/_dash-component-suites/dash/dcc/{c}" for c in SHELL_CHUNKS), plotly)
    for path in preloaded:
        assert fetched.count(path) == 1, f"{path} fetched {fetched.count(path)} times"
        assert fetched.index(path) < renderer, f"{path} was not asked for beside the scripts"
        assert statuses.get(path) == 200, f"{path}: {statuses.get(path)} (a chunk renamed by dcc?)"
    lazy = {p for p in fetched if "/dash/dcc/async-" in p}
    assert lazy <= set(preloaded), f"lazy chunks fetched but not preloaded: {lazy - set(preloaded)}"
    assert not [p for p in fetched if "polyfill" in p]
    index = page.request.get(dashboard_url + "/?period=last_month").text()
    assert f'<link rel="preload" href="{plotly}" as="script">' in index
    assert not [src for src in re.findall(r'<script[^>]* src="([^"]+)"', index) if "plotly" in src], "plotly.js holds up the page's scripts"


def test_a_page_without_a_grid_never_runs_the_grid_library(page, dashboard_url):
    """AG Grid (1.3 MB, ~100 ms to run) is not among the Overview's scripts; the first answer
    holding a grid, here the Estates page reached by its link, loads it, once, and the table
    draws its rows."""
    fetched = []
    page.on("request", lambda r: fetched.append(urlsplit(r.url).path))
    page.goto(dashboard_url + "/?period=last_month")
    wait_for_dash(page)
    assert page.locator("#overview-area-chart .js-plotly-plot").count() == 1
    grid_scripts = [p for p in fetched if "/dash_ag_grid/" in p]
    assert grid_scripts == [] and page.evaluate("() => window.dash_ag_grid === undefined"), grid_scripts
    index = page.request.get(dashboard_url + "/?period=last_month").text()
    assert not [src for src in re.findall(r'<script[^>]* src="([^"]+)"', index) if "dash_ag_grid" in src or "dash_table" in src]

    page.click("nav a[href^='/estates']")
    page.wait_for_selector("#estates-league .ag-row")
    wait_for_dash(page)
    assert page.locator("#estates-league .ag-row").count() > 0
    assert len([p for p in fetched if "/dash_ag_grid/dash_ag_grid." in p]) == 1
    assert "…" not in page.inner_text("#estates-league")  # the medians arrived too


@pytest.mark.parametrize("path", ["/estates", "/tickets", "/escalations"])
def test_a_grid_page_draws_its_grid_on_first_load(page, dashboard_url, path):
    page.goto(dashboard_url + path + "?period=last_month")
    wait_for_dash(page)
    page.wait_for_selector(".ag-row")
    assert page.evaluate("() => window.dash_ag_grid !== undefined")
