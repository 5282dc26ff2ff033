"""The report as a workbook for analysts: the PDF's tables, one sheet per section, typed cells
(counts and durations as numbers, percentages as fractions shown with a % format, dates as
Excel dates), header rows in the report's language, frozen and filterable."""
from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path
from typing import BinaryIO

import xlsxwriter

from .. import i18n
from ..exports import display_width
from .content import COUNT_CHANGE, DATE, DATETIME, INT, NUM1, NUM2, PCT, POINTS, TEXT, Column, Report, Table

FORMATS = {
    INT: "#,##0",
    PCT: "0.0%",
    NUM1: "#,##0.0",
    NUM2: "0.00",
    POINTS: "+0.0;-0.0;0.0",
    COUNT_CHANGE: "+#,##0;-#,##0;0",
    DATE: "yyyy-mm-dd",
    DATETIME: "yyyy-mm-dd hh:mm",
}
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def sheet_name(title: str, taken: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    name = _SHEET_FORBIDDEN.sub(" ", title).strip()[:31].strip() or "Sheet"
    candidate, n = name, 2
    while candidate.lower() in taken:
        suffix = f" ({n})"
        candidate, n = name[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


def _width(column: Column, table: Table) -> float:
    if column.width:
        return max(column.width, display_width(column.header) * 0.55 + 2)
    texts = [column.header] + [str(r[table.columns.index(column)]) for r in table.rows[:200] if column.kind == TEXT]
    widest = max(display_width(t) for t in texts) if column.kind == TEXT else 0
    # Headers wrap: half the header's width, but room for the numbers (12 characters).
    return min(max(widest + 2, display_width(column.header) * 0.55 + 2, 12 if column.kind != TEXT else 8), 60)


def _write_value(sheet, row: int, col: int, value, kind: str, formats: dict) -> None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return  # an empty cell, never 0
    if kind == PCT:
        sheet.write_number(row, col, float(value) / 100.0, formats[PCT])
    elif kind in (INT, NUM1, NUM2, POINTS, COUNT_CHANGE):
        sheet.write_number(row, col, float(value), formats[kind])
    elif kind == DATE:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
        sheet.write_datetime(row, col, dt.datetime.combine(day, dt.time()), formats[DATE])
    elif kind == DATETIME:
        sheet.write_datetime(row, col, value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value)), formats[DATETIME])
    else:
        sheet.write_string(row, col, _CONTROL.sub("", str(value)), formats["wrap"] if len(str(value)) > 40 else None)


def _write_table(sheet, table: Table, first_row: int, formats: dict) -> int:
    """The table's title, header and rows from `first_row`; returns the next free row."""
    row = first_row
    sheet.write_string(row, 0, table.title, formats["title"])
    row += 1
    header_row = row
    for col, column in enumerate(table.columns):
        sheet.write_string(row, col, column.header, formats["header"])
    row += 1
    if not table.rows:
        sheet.write_string(row, 0, table.empty_text, formats["note"])
        return row + 2
    for index, values in enumerate(table.rows):
        for col, column in enumerate(table.columns):
            _write_value(sheet, row, col, values[col], table.kind(index, column), formats)
        row += 1
    sheet.autofilter(header_row, 0, row - 1, len(table.columns) - 1)
    if table.note:
        sheet.write_string(row + 1, 0, table.note, formats["note"])
        row += 1
    return row + 1


def write_xlsx(report: Report, out: BinaryIO | str | Path) -> None:
    lang = report.lang
    book = xlsxwriter.Workbook(out, {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False})
    book.set_properties({"title": f"{report.title} · {report.period_text}", "subject": report.compare_text, "company": report.subtitle})
    formats = {kind: book.add_format({"num_format": pattern}) for kind, pattern in FORMATS.items()}
    formats["header"] = book.add_format({"bold": True, "bg_color": "#E5E7EB", "text_wrap": True, "valign": "bottom"})
    formats["title"] = book.add_format({"bold": True, "font_size": 12})
    formats["note"] = book.add_format({"italic": True, "font_color": "#6B7280"})
    formats["wrap"] = book.add_format({"text_wrap": True, "valign": "top"})
    taken: set[str] = set()

    summary = book.add_worksheet(sheet_name(i18n.t("report.sheet_summary", lang), taken))
    _write_summary(summary, report, formats)
    for section in report.sections:
        # One sheet per table: every sheet is a plain list an analyst can pivot.
        for table in section.tables:
            sheet = book.add_worksheet(sheet_name(table.title, taken))
            for col, column in enumerate(table.columns):
                sheet.set_column(col, col, _width(column, table))
            _write_table(sheet, table, 0, formats)
            sheet.freeze_panes(2, 0)
    book.close()


def _write_summary(sheet, report: Report, formats: dict) -> None:
    """The title block and the headline figures: value and comparison as numbers, change, status."""
    lang = report.lang
    row = 0
    sheet.write_string(row, 0, f"{report.title} · {report.period_text}", formats["title"])
    row += 1
    for label, value in report.facts:
        sheet.write_string(row, 0, label)
        sheet.write_string(row, 1, value)
        row += 1
    if report.no_data_text:
        sheet.write_string(row, 0, report.no_data_text, formats["title"])
        row += 1
    row += 1
    headers = [i18n.t(k, lang) for k in ("report.col_figure", "report.col_this_period", "report.col_previous_period",
                                         "report.col_change", "report.col_status")]
    for col, text in enumerate(headers):
        sheet.write_string(row, col, text, formats["header"])
    row += 1
    previous = _previous_values(report)
    for headline in report.headlines:
        kind = HEADLINE_KINDS.get(headline.key, NUM1)
        sheet.write_string(row, 0, headline.label)
        _write_value(sheet, row, 1, headline.value, kind, formats)
        before = previous.get(headline.key)
        _write_value(sheet, row, 2, before, kind, formats)
        if headline.value is not None and before is not None:
            change_kind = {PCT: POINTS, INT: COUNT_CHANGE}.get(kind, kind)
            _write_value(sheet, row, 3, headline.value - before, change_kind, formats)
        if headline.status:
            sheet.write_string(row, 4, i18n.t(f"status.{headline.status}", lang))
        row += 1
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 1, 40)
    sheet.set_column(2, 4, 14)


HEADLINE_KINDS = {
    "tickets": INT, "first_response_within_target": PCT, "first_response_median": NUM1, "within_sla": PCT,
    "escalations": INT, "major_complaints": INT, "csat": PCT, "mean_score": NUM2, "follow_up_coverage": PCT,
}
HEADLINE_PATHS = {
    "tickets": ("tickets", "total"), "first_response_within_target": ("first_response", "within_target_pct"),
    "first_response_median": ("first_response", "median_minutes"), "within_sla": ("resolution", "within_sla_pct"),
    "escalations": ("escalations", "total"), "major_complaints": ("complaints", "by_severity", "major"),
    "csat": ("satisfaction", "csat_pct"), "mean_score": ("satisfaction", "mean_score"),
    "follow_up_coverage": ("satisfaction", "follow_up_coverage_pct"),
}


def _previous_values(report: Report) -> dict:
    values = {}
    for key, path in HEADLINE_PATHS.items():
        value = report.data.previous
        for part in path:
            value = value[part]
        values[key] = value
    return values
