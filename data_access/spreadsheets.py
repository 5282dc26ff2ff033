"""Reading spreadsheet exports: CSV (UTF-8 with or without BOM, or GB18030/GBK) and XLSX.

A file becomes one or more `Sheet`s: a header and the records under it, each with the row
number a person sees when opening the file in a spreadsheet (the header is row 1; a CSV
value with a line break inside quotes stays one row). Problems that make a whole file
unreadable raise `UnreadableFile`; a record cut off at the end of a truncated file is kept
with a `problem`, so the importer lists it instead of losing it.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ENCODINGS = ("utf-8-sig", "gb18030")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
ZIP_MAGIC = b"PK\x03\x04"

Cell = str | dt.datetime | None


class UnreadableFile(ValueError):
    """The file as a whole cannot be read: wrong encoding, not a spreadsheet, broken quoting."""


@dataclass
class Record:
    row: int  # as a spreadsheet shows it: the header is row 1
    cells: list[Cell]
    problem: str | None = None  # set when the record itself is malformed (wrong width, truncated)


@dataclass
class Sheet:
    label: str  # "file.csv" or "book.xlsx [工单]": what the rejection report names
    headers: list[str]
    records: list[Record] = field(default_factory=list)
    encoding: str | None = None
    name: str = ""  # the worksheet's name (empty for CSV)


def read_file(path: Path) -> list[Sheet]:
    """Every sheet with a header row in the file (one for a CSV)."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
    except OSError as exc:
        raise UnreadableFile(f"cannot open: {exc.strerror or exc}") from None
    if path.suffix.lower() in XLSX_SUFFIXES or head == ZIP_MAGIC:
        return read_xlsx(path)
    if path.suffix.lower() == ".xls":
        raise UnreadableFile("old Excel .xls workbooks are not supported: save it as .xlsx or CSV")
    return [read_csv(path)]


# --- CSV ---------------------------------------------------------------------------------
def decode(data: bytes) -> tuple[str, str, bool]:
    """(text, encoding, cut): UTF-8 (a BOM is dropped) tried strictly first, then GB18030 (a superset
    of GBK). `cut` is true when the file ends in the middle of a character: a truncated file."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFile("the file is UTF-16; save it as UTF-8 or GB18030 CSV")
    if b"\x00" in data[:65536]:
        raise UnreadableFile("the file holds NUL bytes: it is UTF-16 or binary, not a UTF-8 or GB18030 CSV")
    for encoding in ENCODINGS:
        cut = False
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            if exc.end != len(data) or "unexpected end" not in exc.reason:
                continue
            try:  # only the last character is incomplete: the file was cut there
                text, cut = data[: exc.start].decode(encoding), True
            except UnicodeDecodeError:
                continue
        if "\x00" in text:
            raise UnreadableFile("the file holds NUL bytes: it is UTF-16 or binary, not a UTF-8 or GB18030 CSV")
        return text, ("utf-8" if encoding == "utf-8-sig" else encoding), cut
    raise UnreadableFile("the file is neither UTF-8 nor GB18030/GBK text (wrong encoding?)")


def read_csv(path: Path) -> Sheet:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"cannot open: {exc.strerror or exc}") from None
    text, encoding, cut = decode(data)
    return parse_csv_text(text, label=Path(path).name, encoding=encoding, cut=cut)


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    sample = text[:20_000]
    first_line = sample.split("\n", 1)[0]
    # Commas unless the header clearly uses tabs or semicolons (some exports do).
    if first_line.count("\t") > first_line.count(","):
        return csv.excel_tab
    if first_line.count(";") > first_line.count(","):
        class Semicolon(csv.excel):
            delimiter = ";"

        return Semicolon
    return csv.excel


def parse_csv_text(text: str, *, label: str, encoding: str | None = None, cut: bool = False) -> Sheet:
    reader = csv.reader(io.StringIO(text, newline=""), dialect=_dialect(text), strict=True)
    records: list[Record] = []
    headers: list[str] | None = None
    row = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            row += 1
            if "unexpected end of data" in str(exc):
                # The last record is cut inside a quoted value: keep it, as rejected.
                records.append(Record(row, [], "the file ends inside a quoted value: this last record is cut off (truncated file)"))
                break
            raise UnreadableFile(f"malformed CSV at line {reader.line_num}: {exc}") from None
        row += 1
        if headers is None:
            if not any(c.strip() for c in cells):
                raise UnreadableFile("the first line (the header) is empty")
            headers = [c.strip().lstrip("\ufeff") for c in cells]
            continue
        if not any(c.strip() for c in cells):
            continue  # a blank line is no record (but keeps its row number)
        records.append(Record(row, list(cells)))
    if headers is None:
        raise UnreadableFile("the file is empty")
    _check_widths(records, len(headers), ends_with_newline=text.endswith(("\n", "\r")))
    if cut and records and not records[-1].problem:
        records[-1].problem = "the file ends in the middle of a character: this last record is cut off (truncated file)"
    return Sheet(label=label, headers=headers, records=records, encoding=encoding)


def _check_widths(records: list[Record], width: int, *, ends_with_newline: bool) -> None:
    for index, record in enumerate(records):
        if record.problem:
            continue
        n = len(record.cells)
        if n > width and not any(c.strip() for c in record.cells[width:]):
            record.cells = record.cells[:width]  # trailing empty cells some exports add
            continue
        if n == width:
            continue
        last = index == len(records) - 1
        if n < width and last and not ends_with_newline:
            record.problem = f"the file ends mid-record: this last row has {n} of {width} columns (truncated file)"
        else:
            record.problem = f"the row has {n} columns, the header has {width}"


# --- XLSX --------------------------------------------------------------------------------
def _cell(value) -> Cell:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(path: Path) -> list[Sheet]:
    from zipfile import BadZipFile

    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnreadableFile(f"not a readable XLSX workbook ({type(exc).__name__}: {exc})") from None
    sheets: list[Sheet] = []
    try:
        for worksheet in book.worksheets:
            sheet = _read_worksheet(Path(path).name, worksheet)
            if sheet is not None:
                sheets.append(sheet)
    finally:
        book.close()
    if not sheets:
        raise UnreadableFile("the workbook has no sheet with a header row")
    return sheets


def _read_worksheet(file_label: str, worksheet) -> Sheet | None:
    rows: Iterator[tuple] = worksheet.iter_rows(values_only=True)
    headers: list[str] | None = None
    records: list[Record] = []
    for row_number, values in enumerate(rows, start=1):
        cells = [_cell(v) for v in values]
        if headers is None:
            if not any(isinstance(c, str) and c.strip() for c in cells):
                continue  # the header is the first row with text
            while cells and (cells[-1] is None or (isinstance(cells[-1], str) and not cells[-1].strip())):
                cells.pop()
            headers = [str(c).strip() if c is not None else "" for c in cells]
            continue
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        width = len(headers)
        if len(cells) < width:
            cells += [None] * (width - len(cells))
        extra = cells[width:]
        record = Record(row_number, cells[:width])
        if any(c is not None and not (isinstance(c, str) and not c.strip()) for c in extra):
            record.problem = f"the row has values beyond the last header column ({width} columns)"
        records.append(record)
    if headers is None:
        return None
    return Sheet(label=f"{file_label} [{worksheet.title}]", headers=headers, records=records, name=worksheet.title)
