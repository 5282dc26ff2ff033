"""The filter bar's estates dropdown holds whole cities, the selection and the first estates
matching what is typed (filterbar.ESTATES_LISTED), not a group's every estate: dcc.Dropdown
indexes all it holds as it mounts. Every estate is still found by typing, and a link's estates
show by name whether listed or not."""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from conftest import wait_for_dash

from dashboard import filterbar
from data_access import Database

LISTED = 5  # of the demo's 24 estates in 4 cities


@pytest.fixture
def few_listed(monkeypatch):
    monkeypatch.setattr(filterbar, "ESTATES_LISTED", LISTED)  # read as the layout is drawn


def _estates(demo_db_url) -> list[tuple[str, str, str]]:
    db = Database(demo_db_url)
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT estate_id, name, city FROM estates")).all()
    db.dispose()
    return [tuple(r) for r in rows]


OPTIONS = ".dash-dropdown-option:not(span)"  # dcc marks its "Nothing matches" line with the class too, on a span


def _listed(page) -> list[str]:
    return [t.strip() for t in page.locator(OPTIONS).all_inner_texts()]


def _estates_listed(page) -> list[str]:
    return [t for t in _listed(page) if ": all" not in t]  # whole cities are listed besides


def _until_listed(page, count: int) -> list[str]:
    """What is listed once it is `count` options (typing lists fewer at every key)."""
    page.wait_for_function(f"() => document.querySelectorAll('{OPTIONS}').length === {count}")
    return _listed(page)


def test_typing_finds_an_estate_not_listed_and_a_link_shows_it_by_name(page, dashboard_url, demo_db_url, few_listed):
    page.goto(dashboard_url + "/?period=last_month")
    wait_for_dash(page)
    page.click("#filter-estates")
    listed = _listed(page)
    cities = {c for _, _, c in _estates(demo_db_url)}
    assert listed[: len(cities)] == [t for t in listed if ": all" in t] and len(cities) > 1  # every whole city, first
    assert len(_estates_listed(page)) == LISTED
    estate_id, name, city = next(e for e in _estates(demo_db_url) if not any(e[1] in text for text in listed))

    page.keyboard.type(name)
    assert _until_listed(page, 1) == [f"{city} · {name}"]
    page.locator(OPTIONS, has_text=name).click()
    page.keyboard.press("Escape")
    page.wait_for_url(re.compile(f"estate={estate_id}"))
    wait_for_dash(page)
    assert name in page.inner_text("#filter-estates")

    # the estate is beyond the listed ones, and a link to it still shows its name
    page.goto(dashboard_url + f"/response?period=last_month&estate={quote(estate_id)}")
    wait_for_dash(page)
    assert name in page.inner_text("#filter-estates")
    page.click("#filter-estates")
    assert f"{city} · {name}" in _listed(page) and len(_estates_listed(page)) == LISTED + 1
    page.keyboard.press("Escape")

    # Back and forth through the history: the estate comes back with its URL, though not listed
    # (the dropdown drops a value it holds no option for, and the URL would follow it).
    page.click("#filter-reset")
    page.wait_for_url(lambda url: "estate=" not in url)
    wait_for_dash(page)
    page.go_back()
    page.wait_for_url(re.compile(f"estate={estate_id}"))
    wait_for_dash(page)
    page.wait_for_timeout(500)  # a dropped value would rewrite the URL by now
    assert f"estate={estate_id}" in page.url and name in page.inner_text("#filter-estates")


def test_every_word_typed_must_match_and_an_estate_id_finds_its_estate(page, dashboard_url, demo_db_url, few_listed):
    estates = _estates(demo_db_url)
    estate_id, name, city = estates[-1]
    page.goto(dashboard_url + "/?period=last_month")
    wait_for_dash(page)
    page.click("#filter-estates")
    page.keyboard.type(estate_id)
    assert _until_listed(page, 1) == [f"{city} · {name}"]

    page.keyboard.press("Control+A")
    page.keyboard.type(f"{city} {name}")  # both words, in any order of the label
    assert _until_listed(page, 1) == [f"{city} · {name}"]
    other_city = next(c for _, _, c in estates if c != city)
    page.keyboard.type(f" {other_city}")
    assert _until_listed(page, 0) == [] and page.locator("span.dash-dropdown-option", has_text="Nothing matches").is_visible()
