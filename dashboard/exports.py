"""Exports of the ticket list: XLSX (typed cells, Excel dates) and CSV (UTF-8 with a BOM), written
chunk by chunk from `iter_ticket_rows`, so a large selection never sits in memory as one list.

The XLSX sheet is written here as SpreadsheetML, column by column, with shared strings for the
few-valued columns. Measured on the 2-core build machine (CPU time per million rows): XlsxWriter in
constant_memory mode 127 s, far past gunicorn's 60 s worker timeout (dashboard/server.py); this 22 s.
Pure apart from the file written: chunks of the list (already masked) and a language in.
"""
from __future__ import annotations

import datetime as dt
import io
import math
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from typing import BinaryIO
from xml.sax.saxutils import escape, quoteattr

import pandas as pd

from data_access.ticket_lists import TICKET_LIST_COLUMNS

from . import i18n
from .ticket_table import DECIMAL_COLUMNS, header, translated

MAX_EXPORT_ROWS = 1_000_000  # Excel holds 1,048,576 rows a sheet; larger selections must be narrowed
# Minimum widths in Excel characters; headers widen them (a CJK glyph counts as two).
WIDTHS = {"ticket_id": 11, "estate_name": 14, "city": 8, "created_at": 17, "service_area": 10, "request_type": 13,
          "channel": 12, "priority": 8, "severity": 9, "status": 10, "first_response_minutes": 10,
          "resolution_hours": 10, "escalation_level": 16, "reopened_count": 8, "owner_name": 9,
          "owner_phone": 13, "room": 7, "summary": 34}
EXCEL_EPOCH = pd.Timestamp("1899-12-30")  # day 0 of Excel's 1900 date system (with its leap-year quirk)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # not allowed in XML 1.0


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# --- XLSX ----------------------------------------------------------------------------------
STYLE_HEADER, STYLE_DATE, STYLE_DECIMAL, STYLE_INTEGER = 1, 2, 3, 4
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
# Columns with few distinct values go through the shared-strings table: a much smaller sheet to deflate.
SHARED_COLUMNS = {"estate_name", "city", "service_area", "request_type", "channel", "priority", "severity", "status",
                  "escalation_level"}
_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/><numFmt numFmtId="165" formatCode="0.0"/></numFmts>
<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>
<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill><fill><patternFill patternType="solid"><fgColor rgb="FFE5E7EB"/><bgColor indexed="64"/></patternFill></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="1" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""
_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"""
_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"""
_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"""
_WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><bookViews><workbookView/></bookViews><sheets><sheet name={name} sheetId="1" r:id="rId1"/></sheets><definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">{filter_range}</definedName></definedNames></workbook>"""
_SHEET_START = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheetViews><sheetView workbookViewId="0" tabSelected="1"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>"""


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _xml_text(value) -> str:
    text = escape(_CONTROL.sub("", str(value)))
    return f'<t xml:space="preserve">{text}</t>' if text[:1].isspace() or text[-1:].isspace() else f"<t>{text}</t>"


def _text_cells(letter: str, rows: list[str], values: list) -> list[str]:
    escaped: dict = {}  # escape each distinct value once
    cells = []
    for row, value in zip(rows, values):
        if value is None or value == "":
            cells.append("")
            continue
        text = escaped.get(value)
        if text is None:
            text = escaped[value] = _xml_text(value)
        cells.append(f'<c r="{letter}{row}" t="inlineStr"><is>{text}</is></c>')
    return cells


def _shared_cells(letter: str, rows: list[str], values: list, shared: dict[str, int]) -> list[str]:
    """Few distinct values (codes, estates, cities): cells point into the shared-strings table."""
    cells = []
    for row, value in zip(rows, values):
        if value is None or value == "":
            cells.append("")
            continue
        index = shared.get(value)
        if index is None:
            index = shared[value] = len(shared)
        cells.append(f'<c r="{letter}{row}" t="s"><v>{index}</v></c>')
    return cells


def _number_cells(letter: str, rows: list[str], values, style: int) -> list[str]:
    return [
        f'<c r="{letter}{row}" s="{style}"><v>{value!r}</v></c>' if value is not None and math.isfinite(value) else ""
        for row, value in zip(rows, values)
    ]


def _sheet_rows(chunk: pd.DataFrame, first_row: int, lang: str, shared: dict[str, int]) -> str:
    """SpreadsheetML rows for one chunk; `first_row` is the 1-based sheet row of its first ticket.
    Plain lists, column by column: faster than pandas' string arrays for this."""
    chunk = translated(chunk, lang)
    rows = [str(n) for n in range(first_row, first_row + len(chunk))]
    columns = []
    for index, column in enumerate(TICKET_LIST_COLUMNS):
        letter = _letter(index)
        if column == "created_at":
            serial = (pd.to_datetime(chunk[column]) - EXCEL_EPOCH) / pd.Timedelta(days=1)
            columns.append(_number_cells(letter, rows, serial.astype(float).tolist(), STYLE_DATE))
        elif column == "reopened_count":
            counts = [None if pd.isna(v) else int(v) for v in chunk[column].astype(object).tolist()]
            columns.append(_number_cells(letter, rows, counts, STYLE_INTEGER))
        elif column in DECIMAL_COLUMNS:
            numbers = pd.to_numeric(chunk[column], errors="coerce").astype(float).tolist()
            columns.append(_number_cells(letter, rows, numbers, STYLE_DECIMAL))
        else:
            values = chunk[column].astype(object).where(chunk[column].notna(), None).tolist()
            if column in SHARED_COLUMNS:
                columns.append(_shared_cells(letter, rows, [None if v is None else str(v) for v in values], shared))
            else:
                columns.append(_text_cells(letter, rows, values))
    return "".join(f'<row r="{row}">{"".join(cells)}</row>' for row, *cells in zip(rows, *columns))


def write_xlsx(chunks: Iterable[pd.DataFrame], out: BinaryIO, lang: str) -> int:
    """One sheet: header row in `lang` (frozen, with filters), received time as Excel dates,
    durations and counts as numbers, codes as their names. Returns the number of tickets written."""
    last_column = _letter(len(TICKET_LIST_COLUMNS) - 1)
    sheet_name = i18n.t("tickets.sheet_name", lang)
    written = 0
    shared: dict[str, int] = {}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_SHEET_START.encode())
            sheet.write(_columns(lang).encode())
            sheet.write(b"<sheetData>")
            headers = "".join(
                f'<c r="{_letter(i)}1" t="inlineStr" s="{STYLE_HEADER}"><is><t>{escape(header(c, lang))}</t></is></c>'
                for i, c in enumerate(TICKET_LIST_COLUMNS)
            )
            sheet.write(f'<row r="1">{headers}</row>'.encode())
            for chunk in chunks:
                if chunk.empty:
                    continue
                sheet.write(_sheet_rows(chunk, written + 2, lang, shared).encode())
                written += len(chunk)
            sheet.write(f'</sheetData><autoFilter ref="A1:{last_column}{written + 1}"/></worksheet>'.encode())
        filter_range = escape(f"'{sheet_name}'!$A$1:${last_column}${written + 1}")
        book.writestr("xl/workbook.xml", _WORKBOOK.format(name=quoteattr(sheet_name), filter_range=filter_range))
        book.writestr("xl/sharedStrings.xml", _shared_strings(shared))
        book.writestr("xl/styles.xml", _STYLES)
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        book.writestr("_rels/.rels", _ROOT_RELS)
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
    return written


def _shared_strings(shared: dict[str, int]) -> str:
    items = "".join(f"<si>{_xml_text(value)}</si>" for value in shared)  # dicts keep insertion (= index) order
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{_MAIN_NS}" '
            f'uniqueCount="{len(shared)}">{items}</sst>')


def _columns(lang: str) -> str:
    cols = []
    for index, column in enumerate(TICKET_LIST_COLUMNS):
        width = max(WIDTHS[column], display_width(header(column, lang)) + 3)
        cols.append(f'<col min="{index + 1}" max="{index + 1}" width="{width}" customWidth="1"/>')
    return "<cols>" + "".join(cols) + "</cols>"


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
