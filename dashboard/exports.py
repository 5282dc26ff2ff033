"""Exports of the ticket list: XLSX (typed cells, Excel dates) and CSV (UTF-8 with a BOM), written
chunk by chunk from `iter_ticket_rows`, so a large selection never sits in memory as one list.

XLSX goes through XlsxWriter in constant-memory mode. It costs about 0.13 ms of CPU a row, so an
XLSX export is capped well below Excel's sheet limit; larger selections export to CSV.
Pure apart from the file written: chunks of the list (already masked) and a language in.
"""
from __future__ import annotations

import datetime as dt
import io
import math
import numbers
import re
import unicodedata
from collections.abc import Iterable
from typing import BinaryIO

import pandas as pd
import xlsxwriter

from data_access.ticket_lists import TICKET_LIST_COLUMNS

from . import i18n
from .ticket_table import DECIMAL_COLUMNS, header, translated

MAX_EXPORT_ROWS = {"csv": 1_000_000, "xlsx": 200_000}  # XLSX: ~25 s of writing at the cap; CSV is fast
# Minimum widths in Excel characters; headers widen them (a CJK glyph counts as two).
WIDTHS = {"ticket_id": 11, "estate_name": 14, "city": 8, "created_at": 17, "service_area": 10, "request_type": 13,
          "channel": 12, "priority": 8, "severity": 9, "status": 10, "first_response_minutes": 10,
          "resolution_hours": 10, "escalation_level": 16, "reopened_count": 8, "owner_name": 9,
          "owner_phone": 13, "room": 7, "summary": 34}
INTEGER_COLUMNS = ("reopened_count",)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # not allowed in XML 1.0


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# --- XLSX ----------------------------------------------------------------------------------
def write_xlsx(chunks: Iterable[pd.DataFrame], out: BinaryIO, lang: str) -> int:
    """One sheet written by XlsxWriter row by row (constant memory): header row in `lang`
    (frozen, with filters), received time as Excel dates, durations and counts as numbers,
    codes as their names. Returns the number of tickets written."""
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": False, "strings_to_numbers": False})
    sheet = book.add_worksheet(i18n.t("tickets.sheet_name", lang)[:31])
    header_format = book.add_format({"bold": True, "bg_color": "#E5E7EB", "border": 0})
    date_format = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    decimal_format = book.add_format({"num_format": "0.0"})
    integer_format = book.add_format({"num_format": "0"})
    formats = {column: (date_format if column == "created_at" else decimal_format if column in DECIMAL_COLUMNS else None)
               for column in TICKET_LIST_COLUMNS}
    for index, column in enumerate(TICKET_LIST_COLUMNS):
        width = max(WIDTHS[column], display_width(header(column, lang)) + 3)
        sheet.set_column(index, index, width, formats[column] or (integer_format if column in INTEGER_COLUMNS else None))
        sheet.write_string(0, index, header(column, lang), header_format)
    sheet.freeze_panes(1, 0)
    written = 0
    for chunk in chunks:
        if chunk.empty:
            continue
        frame = translated(chunk, lang)[list(TICKET_LIST_COLUMNS)]
        for values in frame.itertuples(index=False, name=None):
            written += 1
            for index, (column, value) in enumerate(zip(TICKET_LIST_COLUMNS, values)):
                _write_cell(sheet, written, index, column, value, formats[column])
    sheet.autofilter(0, 0, max(written, 1), len(TICKET_LIST_COLUMNS) - 1)
    book.close()
    return written


def _write_cell(sheet, row: int, col: int, column: str, value, cell_format) -> None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return  # an empty cell, never 0
    if column == "created_at":
        sheet.write_datetime(row, col, pd.Timestamp(value).to_pydatetime(), cell_format)
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):  # numpy numbers are Real too
        sheet.write_number(row, col, float(value), cell_format)
    else:
        sheet.write_string(row, col, _CONTROL.sub("", str(value)))


# --- CSV -----------------------------------------------------------------------------------
def write_csv(chunks: Iterable[pd.DataFrame], out: BinaryIO, lang: str) -> int:
    """UTF-8 with a byte-order mark (Excel needs it to read Chinese), header in `lang`,
    times as 'YYYY-MM-DD HH:MM:SS', codes as their names. Returns the number of tickets written."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    pd.DataFrame(columns=[header(c, lang) for c in TICKET_LIST_COLUMNS]).to_csv(text, index=False, lineterminator="\r\n")
    written = 0
    for chunk in chunks:
        if chunk.empty:
            continue
        translated(chunk, lang)[list(TICKET_LIST_COLUMNS)].to_csv(
            text, header=False, index=False, date_format="%Y-%m-%d %H:%M:%S", float_format="%.2f", lineterminator="\r\n"
        )
        written += len(chunk)
    text.flush()
    text.detach()  # the caller owns `out`
    return written


def file_name(kind: str, start: dt.date, end: dt.date) -> str:
    return f"tickets_{start:%Y%m%d}-{end:%Y%m%d}.{kind}"
