"""The Tickets page in headless Chromium: the grid pages and sorts on the server, shows the count of
the selection, follows the URL's filters, keeps owners masked, and exports files that open."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import openpyxl
import pytest
from conftest import screenshot, wait_for_dash
from playwright.sync_api import expect

from data_access import ALL, Database, Filters, ServiceRules
from data_access.metrics import compute_metrics
from data_access.ticket_lists import ticket_count, ticket_page

LAST_WEEK = Filters(dt.date(2026, 11, 16), dt.date(2026, 11, 22))  # "last week" on the pinned Monday 2026-11-23
# Bounded by no digit or Latin letter: the page also holds random hex tokens (Dash's config),
# whose digit runs can look like a number (one did: ...ea1b9051255d1199b8529...).
FULL_PHONE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")
MASKED_PHONE = re.compile(r"\d{3}\*{4}\d{4}")


@pytest.fixture(scope="module")
def db(demo_db_url):
    database = Database(demo_db_url)
    yield database
    database.dispose()


def open_tickets(page, url: str) -> None:
    page.goto(url)
    wait_for_dash(page)
    wait_for_rows(page)


def wait_for_rows(page) -> None:
    page.wait_for_function("() => document.querySelector('#tickets-grid .ag-center-cols-container .ag-row [col-id=\"city\"]')"
                           " && document.querySelector('#tickets-grid .ag-center-cols-container .ag-row [col-id=\"city\"]').textContent.trim() !== ''")


def cell(page, row: int, column: str) -> str:
    # textContent, not innerText: the shell's loading overlay hides the page while a block loads.
    return page.locator(f'#tickets-grid .ag-row[row-index="{row}"] [col-id="{column}"]').first.text_content().strip()


def wait_for_note(page, text: str) -> None:
    """The export's message (the alert exists only while open)."""
    page.wait_for_function(f"() => {{ const n = document.querySelector('#tickets-export-note'); return n && n.textContent.includes('{text}'); }}")


def shown_count(page) -> int:
    return int(re.sub(r"\D", "", page.text_content("#tickets-count")))


def test_tickets_load_in_english(page, dashboard_url, db):
    open_tickets(page, dashboard_url + "/tickets")
    total = compute_metrics(db, ServiceRules(), LAST_WEEK, ALL)["tickets"]["total"]
    assert page.text_content("#tickets-count") == f"{total:,} tickets"
    header = page.text_content("#tickets-grid .ag-header")
    assert "Received" in header and "First reply (min)" in header and "Phone" in header
    newest = ticket_page(db, LAST_WEEK, ALL, 0, 1)["ticket_id"].iloc[0]
    assert cell(page, 0, "ticket_id") == newest
    assert cell(page, 0, "service_area") in {"Security", "Cleaning", "Greening", "Repair", "Other"}
    screenshot(page, "tickets-en")


def test_tickets_load_in_chinese(page_zh, dashboard_url, db):
    open_tickets(page_zh, dashboard_url + "/tickets")
    assert page_zh.text_content("#tickets-count") == f"共 {ticket_count(db, LAST_WEEK, ALL):,} 张工单"
    header = page_zh.text_content("#tickets-grid .ag-header")
    assert "受理时间" in header and "联系电话" in header
    assert cell(page_zh, 0, "service_area") in {"安保", "保洁", "绿化", "工程维修", "其他"}
    screenshot(page_zh, "tickets-zh")


def test_sorting_happens_on_the_server(page, dashboard_url, db):
    open_tickets(page, dashboard_url + "/tickets")
    header = page.locator('#tickets-grid .ag-header-cell[col-id="first_response_minutes"] .ag-header-cell-label')
    for direction in ("asc", "desc"):
        header.click()
        expected = ticket_page(db, LAST_WEEK, ALL, 0, 3, [{"colId": "first_response_minutes", "sort": direction}])
        page.wait_for_function(f"() => {{ const c = document.querySelector('#tickets-grid .ag-row[row-index=\"0\"] [col-id=\"ticket_id\"]');"
                               f" return c && c.textContent.trim() === '{expected['ticket_id'].iloc[0]}'; }}")
        assert [cell(page, i, "ticket_id") for i in range(3)] == list(expected["ticket_id"])
        assert float(cell(page, 0, "first_response_minutes")) == pytest.approx(expected["first_response_minutes"].iloc[0], abs=0.05)


def test_scrolling_loads_further_blocks(page, dashboard_url, db):
    open_tickets(page, dashboard_url + "/tickets")
    far = 450  # the fifth block of 100 rows
    page.evaluate(f"() => dash_ag_grid.getApi('tickets-grid').ensureIndexVisible({far}, 'middle')")
    expected = ticket_page(db, LAST_WEEK, ALL, far, far + 1)["ticket_id"].iloc[0]
    page.wait_for_function(f"() => {{ const c = document.querySelector('#tickets-grid .ag-row[row-index=\"{far}\"] [col-id=\"ticket_id\"]');"
                           f" return c && c.textContent.trim() === '{expected}'; }}")


def test_url_filters_narrow_the_list(page, dashboard_url, db):
    open_tickets(page, dashboard_url + "/tickets?area=greening&channel=app")
    narrowed = LAST_WEEK.narrowed(areas={"greening"}, channels={"app"})
    assert shown_count(page) == ticket_count(db, narrowed, ALL) == compute_metrics(db, ServiceRules(), narrowed, ALL)["tickets"]["total"]
    areas = page.eval_on_selector_all('#tickets-grid .ag-center-cols-container [col-id="service_area"]', "cells => cells.map(c => c.textContent.trim())")
    assert areas and set(areas) == {"Greening"}
    # A change in the filter bar rewrites the URL and the list follows.
    page.locator("#filter-period").click()
    page.get_by_text("Last 4 weeks", exact=True).click()
    page.wait_for_function("() => window.location.search.includes('period=last_4_weeks')")
    wider = narrowed.with_period(dt.date(2026, 10, 26), dt.date(2026, 11, 22))
    page.wait_for_function(f"() => document.querySelector('#tickets-count').textContent.replace(/\\D/g, '') === '{ticket_count(db, wider, ALL)}'")


def test_clicking_an_area_narrows_the_view(page, dashboard_url, db):
    open_tickets(page, dashboard_url + "/tickets")
    area_cell = page.locator('#tickets-grid .ag-row[row-index="0"] [col-id="service_area"]').first
    area = {"Security": "security", "Cleaning": "cleaning", "Greening": "greening", "Repair": "repair", "Other": "other"}[area_cell.text_content().strip()]
    area_cell.click()
    page.wait_for_function(f"() => window.location.search.includes('area={area}')")
    narrowed = LAST_WEEK.narrowed(areas={area})
    page.wait_for_function(f"() => document.querySelector('#tickets-count').textContent.replace(/\\D/g, '') === '{ticket_count(db, narrowed, ALL)}'")
    wait_for_dash(page)
    areas = page.eval_on_selector_all('#tickets-grid .ag-center-cols-container [col-id="service_area"]', "cells => cells.map(c => c.textContent.trim())")
    assert areas and len(set(areas)) == 1


def test_cancelled_tickets_only_when_asked(page, dashboard_url, db):
    open_tickets(page, dashboard_url + "/tickets")
    page.locator("#tickets-include-cancelled").check()
    with_cancelled = ticket_count(db, LAST_WEEK, ALL, include_cancelled=True)
    cancelled = with_cancelled - ticket_count(db, LAST_WEEK, ALL)
    expected = f"{with_cancelled:,} tickets, of which {cancelled:,} cancelled"
    page.wait_for_function(f"() => document.querySelector('#tickets-count').textContent === '{expected}'")
    page.locator("#tickets-include-cancelled").uncheck()
    page.wait_for_function("() => !document.querySelector('#tickets-count').textContent.includes('cancelled')")


def test_owners_are_masked_everywhere_in_the_page(page, dashboard_url, db):
    open_tickets(page, dashboard_url + "/tickets")
    phones = page.eval_on_selector_all('#tickets-grid .ag-center-cols-container [col-id="owner_phone"]', "cells => cells.map(c => c.textContent.trim())")
    assert phones and all(MASKED_PHONE.fullmatch(p) for p in phones if p), phones
    # Scrolled into view, the masked number is what a person sees.
    page.evaluate("() => dash_ag_grid.getApi('tickets-grid').ensureColumnVisible('owner_phone')")
    first_phone = page.locator('#tickets-grid .ag-row[row-index="0"] [col-id="owner_phone"]').first
    expect(first_phone).to_be_in_viewport()
    assert MASKED_PHONE.fullmatch(first_phone.inner_text().strip())
    html = page.content()
    assert not FULL_PHONE.search(html)
    # The real numbers of the tickets on screen appear nowhere, in any spelling.
    real = ticket_page(db, LAST_WEEK, ALL, 0, 100, personal_data=True)
    for phone, name, room in zip(real["owner_phone"].dropna(), real["owner_name"].dropna(), real["room"].dropna()):
        assert phone not in html and re.sub(r"\D", "", phone) not in html
        assert f">{name}<" not in html and f">{room}<" not in html


def test_xlsx_export_downloads_the_whole_selection(page, dashboard_url, db, tmp_path):
    open_tickets(page, dashboard_url + "/tickets")
    with page.expect_download() as download_info:
        page.click("#tickets-export-xlsx")
    download = download_info.value
    assert download.suggested_filename == "tickets_20261116-20261122.xlsx"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    sheet = openpyxl.load_workbook(saved).active
    rows = list(sheet.iter_rows(values_only=True))
    total = ticket_count(db, LAST_WEEK, ALL)
    assert len(rows) == total + 1 > 101  # the whole selection, not the rows on screen
    assert rows[0][0] == "Ticket" and isinstance(rows[1][3], dt.datetime)
    phones = [r[15] for r in rows[1:] if r[15]]
    assert phones and all(MASKED_PHONE.fullmatch(p) for p in phones)
    wait_for_note(page, "Exported")


def test_csv_export_in_the_grids_order(page_zh, dashboard_url, db):
    open_tickets(page_zh, dashboard_url + "/tickets")
    page_zh.locator('#tickets-grid .ag-header-cell[col-id="resolution_hours"] .ag-header-cell-label').click()
    expected = ticket_page(db, LAST_WEEK, ALL, 0, 5, [{"colId": "resolution_hours", "sort": "asc"}])["ticket_id"].tolist()
    page_zh.wait_for_function(f"() => {{ const c = document.querySelector('#tickets-grid .ag-row[row-index=\"0\"] [col-id=\"ticket_id\"]');"
                              f" return c && c.textContent.trim() === '{expected[0]}'; }}")
    with page_zh.expect_download() as download_info:
        page_zh.click("#tickets-export-csv")
    content = Path(download_info.value.path()).read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["工单号", "项目"] and len(rows) == ticket_count(db, LAST_WEEK, ALL) + 1
    assert [r[0] for r in rows[1:6]] == expected
    assert not FULL_PHONE.search(content.decode("utf-8-sig"))


def test_too_large_a_selection_is_not_exported(page, dashboard_url, monkeypatch):
    from dashboard.pages import tickets

    monkeypatch.setattr(tickets, "MAX_EXPORT_ROWS", {"csv": 100, "xlsx": 100})  # the server runs in this process
    open_tickets(page, dashboard_url + "/tickets")
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    page.click("#tickets-export-xlsx")
    wait_for_note(page, "at most 100")
    assert "Export to CSV" in page.text_content("#tickets-export-note")  # Excel's cap points to CSV
    page.click("#tickets-export-csv")
    wait_for_note(page, "Narrow the period or the filters")
    assert "at most 100" in page.text_content("#tickets-export-note")
    assert downloads == []
