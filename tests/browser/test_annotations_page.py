"""The Annotations page in headless Chromium: an analyst records an event, it is listed, shaded
on the Response page's weekly trend, and deleted again."""
from __future__ import annotations

import sqlalchemy as sa
from conftest import OUTPUT, wait_for_dash

from dashboard import filterbar
from data_access import Database

OPTIONS = ".dash-dropdown-option:not(span)"  # as in test_estate_picker


def test_add_an_annotation_and_see_it_on_the_trend(page, dashboard_url):
    page.goto(dashboard_url + "/annotations")
    wait_for_dash(page)
    assert page.inner_text("h1") == "Annotations"
    page.fill("#annotation-start", "2026-11-10")
    page.fill("#annotation-end", "2026-11-11")
    page.fill("#annotation-label", "Typhoon Haikui")
    page.fill("#annotation-note", "Two estates without power")
    page.click("#annotation-add")
    page.wait_for_selector("#annotation-feedback.alert-success")
    page.wait_for_selector("#annotations-table :text('Typhoon Haikui')")
    assert "whole group" in page.inner_text("#annotations-table")
    (OUTPUT / "screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / "screenshots" / "annotations-en.png"), full_page=True)

    page.goto(dashboard_url + "/response")
    wait_for_dash(page)
    page.wait_for_selector("#response-reply-trend .annotation-text:has-text('Typhoon Haikui')")
    page.screenshot(path=str(OUTPUT / "screenshots" / "response-annotated-en.png"), full_page=True)

    # Leave the shared dashboard as it was for the other tests.
    page.goto(dashboard_url + "/annotations")
    wait_for_dash(page)
    row = page.locator("#annotations-table tr", has_text="Typhoon Haikui")
    row.locator("button").click()
    page.wait_for_selector("#annotations-table :text('Typhoon Haikui')", state="detached")


def test_annotations_page_in_chinese(page_zh, dashboard_url):
    page_zh.goto(dashboard_url + "/annotations")
    wait_for_dash(page_zh)
    assert page_zh.inner_text("h1") == "事件标注"
    page_zh.click("#annotation-add")  # nothing filled in: a clear message, nothing stored
    page_zh.wait_for_selector("#annotation-feedback.alert-warning")
    assert page_zh.inner_text("#annotation-feedback") == "请填写事件名称。"
    (OUTPUT / "screenshots").mkdir(parents=True, exist_ok=True)
    page_zh.screenshot(path=str(OUTPUT / "screenshots" / "annotations-zh.png"), full_page=True)


def test_the_estates_dropdown_lists_what_is_typed_and_an_unlisted_estate_is_annotated(page, dashboard_url, demo_db_url, monkeypatch):
    """Like the filter bar's, it holds the first ESTATES_LISTED estates matching what is typed, not
    a group's every estate (dcc.Dropdown indexes all it holds as it mounts)."""
    monkeypatch.setattr(filterbar, "ESTATES_LISTED", 5)  # of the demo's 24, read as the layout is drawn
    db = Database(demo_db_url)
    with db.engine.connect() as conn:
        estates = [tuple(r) for r in conn.execute(sa.text("SELECT estate_id, name, city FROM estates ORDER BY city, name"))]
    db.dispose()
    page.goto(dashboard_url + "/annotations")
    wait_for_dash(page)
    page.click("#annotation-estates")
    page.wait_for_function(f"() => document.querySelectorAll('{OPTIONS}').length === 5")
    listed = page.locator(OPTIONS).all_inner_texts()
    _, name, city = next(e for e in estates if not any(e[1] in text for text in listed))
    page.keyboard.type(name)
    page.wait_for_function(f"() => document.querySelectorAll('{OPTIONS}').length === 1")
    (OUTPUT / "screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / "screenshots" / "annotations-estate-typed-en.png"))
    page.locator(OPTIONS, has_text=name).click()
    page.keyboard.press("Escape")
    assert name in page.inner_text("#annotation-estates")
    page.fill("#annotation-start", "2026-11-12")
    page.fill("#annotation-label", "Lift repairs")
    page.click("#annotation-add")
    page.wait_for_selector("#annotation-feedback.alert-success")
    row = page.locator("#annotations-table tr", has_text="Lift repairs")
    assert name in row.inner_text()
    row.locator("button").click()  # leave the shared dashboard as it was
    page.wait_for_selector("#annotations-table :text('Lift repairs')", state="detached")
