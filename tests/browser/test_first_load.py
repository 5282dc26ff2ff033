"""A page's first load asks the server only for what it draws: no callback fires for a click
that never happened, so nothing holds the page's figures back (they wait for every callback
writing the URL they listen to)."""
from __future__ import annotations

import pytest
from conftest import wait_for_dash

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
