"""The ticket list as people read it: grid rows and column definitions (dashboard.ticket_table)
and the exports (dashboard.exports). The XLSX must open in openpyxl with typed cells (Excel dates,
numbers as numbers) and masked owners; the CSV must carry a BOM and the same rows."""
from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from xml.etree import ElementTree

import openpyxl
import pandas as pd
import pytest
from engines import write_dataset
from test_ticket_lists import IN_WEEK, WEEK, hand_week

from dashboard.exports import file_name, write_csv, write_xlsx
from dashboard.ticket_table import column_defs, grid_rows, header, sort_model, translated
from data_access import ALL, Database, Filters
from data_access.ticket_lists import SORTABLE, TICKET_LIST_COLUMNS, iter_ticket_rows, ticket_count, ticket_page

RAW_PHONES = ("13812341234", "139 0000 5678", "13900005678", "021-5555-1234", "15900001111", "13700003333", "13400006666")


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Database:
    database = Database(f"sqlite:///{tmp_path_factory.mktemp('exports') / 'hand.sqlite'}")
    write_dataset(database, hand_week())
    return database


def export(writer, db, filters=WEEK, lang="en", **kwargs) -> tuple[int, bytes]:
    out = io.BytesIO()
    written = writer(iter_ticket_rows(db, filters, ALL, **kwargs), out, lang)
    return written, out.getvalue()


def xlsx_rows(content: bytes) -> list[tuple]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return list(sheet.iter_rows(values_only=True))


# --- the XLSX --------------------------------------------------------------------------------
def test_xlsx_opens_with_typed_cells(db):
    written, content = export(write_xlsx, db)
    assert written == len(IN_WEEK) == ticket_count(db, WEEK, ALL)
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.active
    assert sheet.title == "Tickets"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == tuple(header(c, "en") for c in TICKET_LIST_COLUMNS)
    assert len(rows) == 1 + written
    by_id = {row[0]: dict(zip(TICKET_LIST_COLUMNS, row)) for row in rows[1:]}
    a1 = by_id["a1"]
    assert a1["created_at"] == dt.datetime(2026, 2, 2, 8, 0)  # an Excel date, not text
    assert by_id["a6"]["created_at"] == dt.datetime(2026, 2, 8, 23, 59, 59)
    assert a1["first_response_minutes"] == pytest.approx(10.0) and isinstance(a1["first_response_minutes"], (int, float))  # a number, not text
    assert a1["resolution_hours"] == pytest.approx(3.0)
    assert by_id["a2"]["reopened_count"] == 1 and isinstance(by_id["a2"]["reopened_count"], int)
    assert by_id["a3"]["first_response_minutes"] is None  # invalid reply: an empty cell, not 0
    assert (a1["service_area"], a1["request_type"], a1["priority"], a1["status"]) == ("Repair", "Repair request", "Urgent", "Resolved")
    assert by_id["a2"]["escalation_level"] == "Office director" and by_id["a2"]["severity"] == "Major"
    assert by_id["a4"]["severity"] == "Unclassified" and a1["severity"] is None
    assert a1["estate_name"] == "阳光花园" and a1["city"] == "深圳" and by_id["a9"]["estate_name"] is None
    assert a1["summary"] == "水管漏水 & <急>"
    # Formats: dates shown as dates, durations with one decimal; header frozen; filters on.
    date_cell = sheet.cell(row=2, column=TICKET_LIST_COLUMNS.index("created_at") + 1)
    assert date_cell.is_date and date_cell.number_format == "yyyy-mm-dd hh:mm"
    assert sheet.cell(row=2, column=TICKET_LIST_COLUMNS.index("first_response_minutes") + 1).number_format == "0.0"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:R{written + 1}"
    assert sheet.column_dimensions["R"].width >= 30 and sheet.column_dimensions["A"].width >= 10


def test_xlsx_masks_owners(db):
    _, content = export(write_xlsx, db)
    rows = xlsx_rows(content)
    by_id = {row[0]: dict(zip(TICKET_LIST_COLUMNS, row)) for row in rows[1:]}
    assert by_id["a1"]["owner_phone"] == "138****1234" and by_id["a1"]["owner_name"] == "张**"
    assert {r["room"] for r in by_id.values()} == {"***"}
    cells = " ".join(str(v) for row in rows for v in row)
    assert not any(phone in cells for phone in RAW_PHONES) and "张三丰" not in cells and "3-1201" not in cells
    # Nor hidden anywhere in the file's parts.
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        raw = b"".join(book.read(name) for name in book.namelist()).decode()
    assert not any(phone in raw for phone in RAW_PHONES)


def test_xlsx_headers_and_names_in_chinese(db):
    _, content = export(write_xlsx, db, lang="zh")
    book = openpyxl.load_workbook(io.BytesIO(content))
    rows = list(book.active.iter_rows(values_only=True))
    assert book.active.title == "工单明细"
    assert rows[0][:4] == ("工单号", "项目", "城市", "受理时间")
    a1 = dict(zip(TICKET_LIST_COLUMNS, next(r for r in rows if r[0] == "a1")))
    assert (a1["service_area"], a1["request_type"], a1["channel"], a1["priority"]) == ("工程维修", "报修", "电话", "紧急")


def test_xlsx_parts_are_well_formed_xml(db):
    filters = WEEK
    _, content = export(write_xlsx, db, filters=filters)
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        assert book.testzip() is None
        for name in book.namelist():
            ElementTree.fromstring(book.read(name))  # raises on any escaping mistake


def test_xlsx_chunking_does_not_change_the_sheet(db):
    whole = xlsx_rows(export(write_xlsx, db, chunk_rows=1000)[1])
    pieces = xlsx_rows(export(write_xlsx, db, chunk_rows=2)[1])
    assert whole == pieces


def test_xlsx_in_the_grids_order(db):
    model = [{"colId": "first_response_minutes", "sort": "desc"}]
    rows = xlsx_rows(export(write_xlsx, db, sort_model=model)[1])
    assert [r[0] for r in rows[1:]] == list(ticket_page(db, WEEK, ALL, 0, 50, model)["ticket_id"])


def test_empty_selection_exports_the_header_only(db):
    empty = Filters(dt.date(2030, 1, 1), dt.date(2030, 1, 7))
    written, content = export(write_xlsx, db, filters=empty)
    assert written == 0 and xlsx_rows(content) == [tuple(header(c, "en") for c in TICKET_LIST_COLUMNS)]
    written, content = export(write_csv, db, filters=empty)
    assert written == 0 and content.decode("utf-8-sig").strip().count("\n") == 0


def test_control_characters_cannot_break_the_file():
    frame = ticket_frame(summary="bell\x07 and tab\tand emoji 😀", owner_name=" 张 ")
    out = io.BytesIO()
    write_xlsx([frame], out, "en")
    row = dict(zip(TICKET_LIST_COLUMNS, xlsx_rows(out.getvalue())[1]))
    assert row["summary"] == "bell and tab\tand emoji 😀" and row["owner_name"] == " 张 "


def ticket_frame(**overrides) -> pd.DataFrame:
    record = {c: None for c in TICKET_LIST_COLUMNS}
    record.update(ticket_id="x1", created_at=pd.Timestamp("2026-02-02 08:00"), service_area="security", request_type="repair",
                  channel="phone", priority="normal", status="open", escalation_level=0, reopened_count=0)
    record.update(overrides)
    frame = pd.DataFrame([record], columns=list(TICKET_LIST_COLUMNS))
    frame["created_at"] = pd.to_datetime(frame["created_at"])
    return frame


# --- the CSV ---------------------------------------------------------------------------------
def test_csv_has_a_bom_and_the_same_rows(db):
    written, content = export(write_csv, db, lang="zh")
    assert content.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 Chinese only with the BOM
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == [header(c, "zh") for c in TICKET_LIST_COLUMNS]
    assert len(rows) == 1 + written == 1 + len(IN_WEEK)
    xlsx = xlsx_rows(export(write_xlsx, db, lang="zh")[1])
    assert [r[0] for r in rows[1:]] == [r[0] for r in xlsx[1:]]
    a1 = dict(zip(TICKET_LIST_COLUMNS, next(r for r in rows if r[0] == "a1")))
    assert a1["created_at"] == "2026-02-02 08:00:00"
    assert a1["first_response_minutes"] == "10.00" and a1["reopened_count"] == "0"
    assert a1["owner_phone"] == "138****1234" and a1["owner_name"] == "张**" and a1["room"] == "***"
    assert a1["summary"] == "水管漏水 & <急>" and a1["service_area"] == "工程维修"
    a3 = dict(zip(TICKET_LIST_COLUMNS, next(r for r in rows if r[0] == "a3")))
    assert a3["first_response_minutes"] == ""
    text = content.decode("utf-8-sig")
    assert not any(phone in text for phone in RAW_PHONES)
    # Each xlsx row, as text, matches its csv row.
    for csv_row, xlsx_row in zip(rows[1:], xlsx[1:]):
        for column, csv_value, xlsx_value in zip(TICKET_LIST_COLUMNS, csv_row, xlsx_row):
            if isinstance(xlsx_value, (int, float)):  # Excel stores numbers without a type of their own
                assert float(csv_value) == pytest.approx(xlsx_value, abs=0.005)
            elif isinstance(xlsx_value, dt.datetime):
                assert csv_value == xlsx_value.strftime("%Y-%m-%d %H:%M:%S")
            else:
                assert csv_value == ("" if xlsx_value is None else str(xlsx_value)), column


def test_file_names():
    assert file_name("xlsx", dt.date(2026, 11, 16), dt.date(2026, 11, 22)) == "tickets_20261116-20261122.xlsx"


# --- the grid --------------------------------------------------------------------------------
def test_grid_rows_translate_and_show_missing_as_a_dash(db):
    rows = {r["ticket_id"]: r for r in grid_rows(ticket_page(db, WEEK, ALL, 0, 50), "en")}
    assert rows["a1"]["service_area"] == "Repair" and rows["a1"]["channel"] == "Phone"
    assert rows["a1"]["first_response_minutes"] == "10.0" and rows["a1"]["resolution_hours"] == "3.0"
    assert rows["a3"]["first_response_minutes"] == "—"
    assert rows["a2"]["escalation_level"] == "Office director" and rows["a1"]["escalation_level"] == "Not escalated"
    assert rows["a4"]["severity"] == "Unclassified" and rows["a1"]["severity"] == ""
    assert rows["a1"]["owner_phone"] == "138****1234" and rows["a1"]["room"] == "***"
    assert rows["a1"]["created_at"].startswith("02/02/2026")
    zh = {r["ticket_id"]: r for r in grid_rows(ticket_page(db, WEEK, ALL, 0, 50), "zh")}
    assert zh["a1"]["status"] == "已解决" and zh["a1"]["created_at"].startswith("2026/2/2")
    assert set(zh["a1"]) == set(TICKET_LIST_COLUMNS)


def test_unknown_codes_stay_as_stored():
    shown = translated(ticket_frame(channel="wechat_group", status=None), "en").iloc[0]
    assert shown["channel"] == "wechat_group" and pd.isna(shown["status"]) and shown["service_area"] == "Security"


def test_grid_sorts_only_where_the_server_can():
    defs = {d["field"]: d for d in column_defs("zh")}
    assert [d["field"] for d in column_defs("en")] == list(TICKET_LIST_COLUMNS)
    assert {f for f, d in defs.items() if d["sortable"]} == set(SORTABLE)
    assert defs["owner_phone"]["sortable"] is False and defs["owner_phone"]["headerName"] == "联系电话"


def test_sort_model_from_the_grid_request():
    request = {"startRow": 0, "endRow": 100, "sortModel": [{"colId": "city", "sort": "asc"}, {"colId": "x", "sort": "sideways"},
                                                          "junk", {"colId": 3, "sort": "asc"}]}
    assert sort_model(request) == (("city", "asc"),)
    assert sort_model(None) == () and sort_model({"sortModel": None}) == ()
