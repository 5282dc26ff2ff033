"""The partial plotly.js bundle (assets/vendor): every page's charts draw with it, the full
4.7 MB bundle is never fetched, and it is the plotly.js version the plotly package targets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs_version

from conftest import wait_for_dash

VENDOR = Path(__file__).resolve().parents[2] / "assets" / "vendor"
CHART_PAGES = ["/", "/response", "/escalations", "/satisfaction", "/estates"]


def test_the_vendored_bundle_is_the_plotly_packages_version():
    (bundle,) = VENDOR.glob("plotly-dashboard-*.min.js")
    header = bundle.read_text(encoding="utf-8")[:200]
    assert f"v{get_plotlyjs_version()}" in header, "replace assets/vendor's bundle with this plotly.js version (assets/vendor/README.md)"
    assert bundle.name == f"plotly-dashboard-{get_plotlyjs_version()}.min.js"


@pytest.mark.browser
@pytest.mark.parametrize("path", CHART_PAGES)
def test_every_chart_draws_with_the_partial_bundle(page, dashboard_url, path):
    fetched = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(dashboard_url + path + "?period=last_month")
    wait_for_dash(page)
    charts = page.evaluate(
        """() => [...document.querySelectorAll('.js-plotly-plot')].map(plot => ({
            id: plot.parentElement.id,
            types: (plot.data || []).map(t => t.type || 'scatter'),
            drawn: (plot._fullData || []).filter(t => t.visible !== false).length,
        }))"""
    )
    known = set(page.evaluate("() => Object.keys(Plotly.PlotSchema.get().traces)"))
    assert page.evaluate("() => Plotly.version") == get_plotlyjs_version()
    assert not [url for url in fetched if re.search(r"/plotly\.min\.js", url)], "the full plotly.js was fetched"
    assert charts, f"no chart on {path}"
    for chart in charts:
        assert set(chart["types"]) <= known, f"{chart['id']} draws {chart['types']}, not in the bundle"
        assert chart["drawn"] == len(chart["types"]), f"{chart['id']} dropped a trace"
