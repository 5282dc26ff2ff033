"""Importing spreadsheet exports (CSV, XLSX) into the canonical tables of a database we write.

Every input row ends up either loaded or in the rejection report (file, row as a spreadsheet
shows it, column, value, reason), and read = loaded + rejected for every file. Rows are
validated one by one (dates, reply or resolution before creation, unknown estate or ticket,
duplicate ids, scores outside 1-5, missing required fields, values no map knows), then all
files are written in ONE transaction: re-imported ids replace their old rows (delete, then
insert), and an error on the way leaves the database exactly as it was. A file that cannot
be read at all (wrong encoding, not a spreadsheet, unknown kind) stops the import before
anything is written.
"""
from __future__ import annotations

import csv
import datetime as dt
import math
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from . import rollups, schema
from .database import Database, DataSourceError
from .import_log import import_batches
from .mapping import FIELDS, NULL, REJECT, ColumnSource, FieldSpec, Mapping, TimestampParser, normalise
from .spreadsheets import Cell, Record, Sheet, UnreadableFile, read_file

KIND_ORDER = ("estates", "tickets", "surveys")  # estates first: tickets refer to them, surveys to tickets
KEYS = {"estates": "estate_id", "tickets": "ticket_id", "surveys": "survey_id"}
TABLES = {"estates": schema.estates, "tickets": schema.tickets, "surveys": schema.surveys}
PROGRESS_MIN_ROWS = 10_000
CHUNK = 500
REPORT_COLUMNS = ("file", "row", "column", "value", "reason")
TIMESTAMP_CHECKS = (  # (field, what it is called in a reason)
    ("first_response_at", "first reply"),
    ("resolved_at", "resolution"),
    ("closed_at", "closing"),
    ("escalated_at", "escalation"),
)


@dataclass(frozen=True)
class Rejection:
    file: str
    row: int | None  # None: the whole file
    column: str
    value: str
    reason: str


@dataclass
class FileSummary:
    file: str
    kind: str
    read: int = 0
    loaded: int = 0
    rejected: int = 0


@dataclass
class ImportResult:
    files: list[FileSummary]
    rejections: list[Rejection]
    rejects_path: Path | None
    batch_id: str
    seconds: float

    @property
    def read(self) -> int:
        return sum(f.read for f in self.files)

    @property
    def loaded(self) -> int:
        return sum(f.loaded for f in self.files)

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)


class ImportAborted(DataSourceError):
    """A file could not be read at all; nothing was written. `rejects_path` lists why."""

    def __init__(self, message: str, rejections: list[Rejection], rejects_path: Path | None) -> None:
        super().__init__(message)
        self.rejections = rejections
        self.rejects_path = rejects_path


class RowRejected(Exception):
    """One row's problems: [(column, value, reason)]."""

    def __init__(self, problems: list[tuple[str, str, str]]) -> None:
        super().__init__("; ".join(p[2] for p in problems))
        self.problems = problems


# --- which kind of rows a sheet holds ------------------------------------------------------
def _header_positions(headers: Sequence[str]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, header in enumerate(headers):
        positions.setdefault(normalise(header), index)
    return positions


def resolve_columns(kind: str, headers: Sequence[str], mapping: Mapping) -> dict[str, list[int]]:
    """Field -> indices of the sheet's columns that hold it (in the mapping's order)."""
    positions = _header_positions(headers)
    found: dict[str, list[int]] = {}
    for name, source in mapping.header_sources(kind).items():
        indices = [positions[normalise(h)] for h in source.columns if normalise(h) in positions]
        if indices:
            found[name] = list(dict.fromkeys(indices))
    return found


def detect_kind(headers: Sequence[str], mapping: Mapping) -> str | None:
    def has(kind: str, *names: str) -> bool:
        columns = resolve_columns(kind, headers, mapping)
        constants = mapping.constants(kind)
        return all(n in columns or n in constants for n in names)

    if has("surveys", "survey_id", "surveyed_at"):
        return "surveys"
    if has("tickets", "ticket_id", "created_at"):
        return "tickets"
    if has("estates", "estate_id", "name") and not has("tickets", "created_at"):
        return "estates"
    return None


# --- validating one row --------------------------------------------------------------------
def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return str(value).strip()


def _whole_number(text: str) -> int:
    try:
        number = float(text.replace(",", ""))
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if not math.isfinite(number) or not number.is_integer():
        raise ValueError(f"{text!r} is not a whole number")
    return int(number)


@dataclass
class Context:
    """What rows are checked against: estates and tickets known so far (database + this import)."""

    estates: dict[str, str] = field(default_factory=dict)  # estate_id -> name
    estate_by_name: dict[str, str | None] = field(default_factory=dict)  # name -> id (None when ambiguous)
    tickets: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # ticket_id -> (estate_id, service_area)
    new_estates: dict[str, dict] = field(default_factory=dict)
    seen: dict[str, dict[str, tuple[str, int]]] = field(default_factory=lambda: {k: {} for k in KIND_ORDER})

    def add_estate(self, estate_id: str, name: str) -> None:
        self.estates[estate_id] = name
        if name in self.estate_by_name and self.estate_by_name[name] != estate_id:
            self.estate_by_name[name] = None
        else:
            self.estate_by_name[name] = estate_id


class RowValidator:
    """Turns one record of a sheet of `kind` into a canonical row, or raises RowRejected."""

    def __init__(self, kind: str, sheet: Sheet, mapping: Mapping, timestamps: TimestampParser, context: Context) -> None:
        self.kind = kind
        self.label = sheet.label
        self.headers = sheet.headers
        self.mapping = mapping
        self.timestamps = timestamps
        self.context = context
        self.table = TABLES[kind]
        self.columns = resolve_columns(kind, sheet.headers, mapping)
        self.constants = mapping.constants(kind)
        self.sources: dict[str, ColumnSource] = mapping.header_sources(kind)
        self.value_maps = {spec.values: mapping.value_map(spec.values) for spec in FIELDS[kind] if spec.values}
        self.lengths = {c.name: c.type.length for c in self.table.columns if isinstance(c.type, sa.String) and c.type.length}
        self.width = len(sheet.headers)

    def missing_required_columns(self) -> list[str]:
        optional_here = {"estate_id"} if self.kind == "surveys" else set()
        return [
            spec.name for spec in FIELDS[self.kind]
            if spec.required and spec.name not in optional_here and spec.name not in self.columns and spec.name not in self.constants
        ]

    # --- reading a field ------------------------------------------------------------------
    def _label(self, name: str, index: int | None = None) -> str:
        if index is not None:
            return self.headers[index]
        indices = self.columns.get(name)
        return self.headers[indices[0]] if indices else name

    def _raw(self, spec: FieldSpec, cells: list[Cell], texts: list[str]) -> tuple[Cell, str]:
        """(raw value, column label) of a field: the constant, else the first usable column."""
        if spec.name in self.constants:
            return self.constants[spec.name], f"{spec.name} (constant)"
        indices = [i for i in self.columns.get(spec.name, ()) if i < len(cells)]
        if spec.type == "text" and len(indices) > 1:
            return " / ".join(texts[i] for i in indices if texts[i]), self._label(spec.name)
        if spec.type == "code" and len(indices) > 1:  # the first value a map knows decides
            table = self.value_maps[spec.values]
            for i in indices:
                if normalise(texts[i]) in table:
                    return cells[i], self._label(spec.name, i)
        for i in indices:
            if texts[i] != "":
                return cells[i], self._label(spec.name, i)
        return None, self._label(spec.name)

    def _convert(self, spec: FieldSpec, raw: Cell):
        """The canonical value of one field; raises ValueError with the reason."""
        text = _text(raw)
        if raw is None or (not isinstance(raw, dt.datetime) and text == ""):
            if spec.required and not (self.kind == "surveys" and spec.name == "estate_id"):
                raise ValueError(f"{spec.name} is required and empty")
            return 0 if spec.type in ("level", "count") else None
        if spec.type == "timestamp":
            moment = self.timestamps.parse(raw)
            if not 1900 <= moment.year < 2200:  # also what every engine's timestamp type can store
                raise ValueError(f"date {moment.date().isoformat()} of {spec.name} is outside the years 1900-2199")
            return moment
        if spec.type in ("id", "text"):
            limit = self.lengths.get(spec.name)
            if limit and len(text) > limit:
                raise ValueError(f"{spec.name} is longer than {limit} characters")
            return text
        if spec.type == "code":
            return self._code(spec, text)
        if spec.type == "count":
            try:
                number = _whole_number(text)
            except ValueError as not_a_number:
                raise ValueError(f"{spec.name} {not_a_number}") from None
            if number < 0:
                raise ValueError(f"{spec.name} {number} is negative")
            return number
        if spec.type in ("level", "score"):
            try:
                number = _whole_number(text)
            except ValueError as not_a_number:
                mapped = self.value_maps[spec.values].get(normalise(text))
                if mapped is None or mapped == REJECT:
                    raise ValueError(f"{spec.name} {not_a_number}" if mapped is None else f"the mapping rejects {spec.name} {text!r}") from None
                number = int(mapped)
            low, high = (0, 3) if spec.type == "level" else (1, 5)
            if not low <= number <= high:
                raise ValueError(f"{spec.name} {number} is outside {low}-{high}")
            return number
        raise AssertionError(spec.type)

    def _code(self, spec: FieldSpec, text: str):
        table = self.value_maps[spec.values]
        mapped = table.get(normalise(text))
        if mapped == REJECT:
            raise ValueError(f"the mapping rejects {spec.name} {text!r}")
        if mapped is not None:
            return mapped
        rule = self.mapping.unmapped_rule(spec.values)
        if rule == NULL:
            return None
        if rule == REJECT:
            raise ValueError(f"unmapped {spec.name} value {text!r} (add it to [values.{spec.values}] or set [unmapped] {spec.values})")
        return rule

    # --- one row ---------------------------------------------------------------------------
    def validate(self, record: Record) -> dict:
        if record.problem:
            raise RowRejected([("", "", record.problem)])
        cells = record.cells
        texts = [_text(c) for c in cells]
        row: dict = {}
        problems: list[tuple[str, str, str]] = []
        labels: dict[str, tuple[str, str]] = {}
        for spec in FIELDS[self.kind]:
            raw, label = self._raw(spec, cells, texts)
            labels[spec.name] = (label, _text(raw))
            try:
                row[spec.name] = self._convert(spec, raw)
            except (ValueError, OverflowError) as exc:
                problems.append((label, _text(raw), str(exc)))
                row[spec.name] = None
        if not problems:
            getattr(self, f"_check_{self.kind}")(row, labels, problems)
        if problems:
            raise RowRejected(problems)
        key = KEYS[self.kind]
        first = self.context.seen[self.kind].get(row[key])
        if first is not None:
            label, value = labels[key]
            raise RowRejected([(label, value, f"duplicate {key} {row[key]!r}: already in {first[0]} row {first[1]}")])
        self.context.seen[self.kind][row[key]] = (self.label, record.row)
        return row

    def _estate(self, row: dict, labels, problems) -> None:
        label, value = labels["estate_id"]
        raw = row["estate_id"]
        renamed = self.mapping.value_map("estate_id").get(normalise(raw))
        if renamed == REJECT:
            problems.append((label, value, f"unknown estate {raw!r} (the mapping rejects it)"))
            return
        estate = str(renamed) if renamed is not None else raw
        context = self.context
        if estate in context.estates or estate in context.new_estates:
            row["estate_id"] = estate
            return
        by_name = context.estate_by_name.get(estate)
        if by_name:
            row["estate_id"] = by_name
            return
        settings = self.mapping.imports.new_estates
        if settings.create:
            context.new_estates[estate] = {
                "estate_id": estate, "name": estate, "city": settings.city, "region": settings.region,
                "households": settings.households,
            }
            row["estate_id"] = estate
            return
        problems.append((label, value, f"unknown estate {estate!r}: not in an estates file of this import nor in the database"))

    def _check_tickets(self, row: dict, labels, problems) -> None:
        self._estate(row, labels, problems)
        for name, source in self.sources.items():
            if source.when_status is not None and row.get("status") not in source.when_status:
                row[name] = None  # e.g. a "closed date" on a ticket that is still pending is no resolution
        created = row["created_at"]
        for name, what in TIMESTAMP_CHECKS:
            moment = row[name]
            if moment is not None and moment < created:
                label, value = labels[name]
                problems.append((label, value, f"{what} {moment:%Y-%m-%d %H:%M:%S} is before creation {created:%Y-%m-%d %H:%M:%S}"))

    def _check_surveys(self, row: dict, labels, problems) -> None:
        ticket_id = row["ticket_id"]
        if ticket_id:
            ticket = self.context.tickets.get(ticket_id)
            if ticket is None:
                label, value = labels["ticket_id"]
                problems.append((label, value, f"unknown ticket {ticket_id!r}: not in this import nor in the database"))
                return
            estate_id, area = ticket
            if not row["estate_id"]:
                row["estate_id"] = estate_id
            if not row["service_area"]:
                row["service_area"] = area
        if not row["estate_id"]:
            label, value = labels["estate_id"]
            problems.append((label, value, "estate_id is required and empty (and no ticket to take it from)"))
            return
        self._estate(row, labels, problems)

    def _check_estates(self, row: dict, labels, problems) -> None:
        return None


# --- the import ------------------------------------------------------------------------------
def _chunks(items: Sequence, size: int) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _load_context(db: Database, sheets: list[tuple[str, Sheet]], mapping: Mapping) -> Context:
    """Estates already in the database, and the tickets the surveys of this import refer to."""
    context = Context()
    with db.engine.connect() as conn:
        for estate_id, name in conn.execute(sa.select(schema.estates.c.estate_id, schema.estates.c.name)):
            context.add_estate(estate_id, name)
        wanted: set[str] = set()
        for kind, sheet in sheets:
            if kind != "surveys":
                continue
            indices = resolve_columns("surveys", sheet.headers, mapping).get("ticket_id", [])
            for record in sheet.records:
                for i in indices:
                    if i < len(record.cells) and _text(record.cells[i]):
                        wanted.add(_text(record.cells[i]))
                        break
        t = schema.tickets.c
        for chunk in _chunks(sorted(wanted), CHUNK):
            for ticket_id, estate_id, area in conn.execute(sa.select(t.ticket_id, t.estate_id, t.service_area).where(t.ticket_id.in_(chunk))):
                context.tickets[ticket_id] = (estate_id, area)
    return context


def _progress(records: list[Record], label: str, enabled: bool):
    if not enabled or len(records) < PROGRESS_MIN_ROWS:
        return records
    from tqdm import tqdm

    return tqdm(records, desc=label, unit=" rows", file=sys.stderr, leave=False, mininterval=0.5)


def default_rejects_path(db: Database, now: dt.datetime) -> Path:
    stamp = now.strftime("%Y%m%d-%H%M%S")
    database = db.url.database if db.dialect == "sqlite" else None
    if database and database != ":memory:" and not database.startswith("file:"):
        path = Path(database)
        return path.with_name(f"{path.stem}-rejects-{stamp}.csv")
    return Path.cwd() / f"import-rejects-{stamp}.csv"


def write_report(path: Path, rejections: list[Rejection]) -> None:
    """The rejection report: UTF-8 with BOM so spreadsheet programs show Chinese correctly."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(REPORT_COLUMNS)
        for r in rejections:
            writer.writerow([r.file, "" if r.row is None else r.row, r.column, r.value, r.reason])


def prepare_target(db: Database) -> None:
    """Bring the database we import into to the newest schema version (it is ours to write)."""
    from .migrations import upgrade_to_head

    try:
        upgrade_to_head(db.engine)
    except sa.exc.SQLAlchemyError as exc:
        problem = db._translate(exc)
        raise DataSourceError(
            f"cannot import into {db.describe()}: the import needs a database it may write to "
            f"({str(problem).split(': ', 1)[-1]})") from exc


def import_files(
    db: Database,
    paths: Sequence[str | Path],
    *,
    mapping: Mapping,
    group_timezone: str = "Asia/Shanghai",
    kind: str | None = None,
    rejects_path: Path | None = None,
    progress: bool = False,
    now: Callable[[], dt.datetime] = dt.datetime.now,
) -> ImportResult:
    started = time.perf_counter()
    when = now()
    prepare_target(db)
    report = Path(rejects_path) if rejects_path else default_rejects_path(db, when)

    # 1. Read every file; a file that cannot be read stops the import before anything is written.
    sheets: list[tuple[str, Sheet]] = []
    fatal: list[Rejection] = []
    for path in paths:
        path = Path(path)
        try:
            file_sheets = read_file(path)
        except UnreadableFile as exc:
            fatal.append(Rejection(path.name, None, "", "", str(exc)))
            continue
        for sheet in file_sheets:
            sheet_kind = kind or detect_kind(sheet.headers, mapping)
            if sheet_kind is None:
                fatal.append(Rejection(sheet.label, None, "", "", "cannot tell whether it holds tickets, surveys or estates: "
                                       "no ticket_id + created_at, survey_id + surveyed_at or estate_id + name columns "
                                       "(wrong mapping, or pass --kind)"))
                continue
            sheets.append((sheet_kind, sheet))
    timestamps = TimestampParser(mapping, group_timezone)
    context = _load_context(db, sheets, mapping)
    validators = []
    for sheet_kind, sheet in sheets:
        validator = RowValidator(sheet_kind, sheet, mapping, timestamps, context)
        missing = validator.missing_required_columns()
        if missing:
            fatal.append(Rejection(sheet.label, None, "", "", f"no column for the required {sheet_kind} field(s) {', '.join(missing)} "
                                   f"(headers: {', '.join(sheet.headers[:12])}{'…' if len(sheet.headers) > 12 else ''})"))
        validators.append((sheet_kind, sheet, validator))
    if fatal:
        write_report(report, fatal)
        names = ", ".join(r.file for r in fatal)
        raise ImportAborted(f"import stopped, nothing was written: cannot read {names} ({fatal[0].reason}); see {report}", fatal, report)

    # 2. Validate row by row: estates first, then tickets, then surveys.
    rows: dict[str, list[dict]] = {k: [] for k in KIND_ORDER}
    summaries: list[FileSummary] = []
    rejections: list[Rejection] = []
    validators.sort(key=lambda item: KIND_ORDER.index(item[0]))
    for sheet_kind, sheet, validator in validators:
        summary = FileSummary(sheet.label, sheet_kind)
        for record in _progress(sheet.records, sheet.label, progress):
            summary.read += 1
            try:
                row = validator.validate(record)
            except RowRejected as rejected:
                summary.rejected += 1
                rejections.extend(Rejection(sheet.label, record.row, c, v, r) for c, v, r in rejected.problems)
                continue
            summary.loaded += 1
            rows[sheet_kind].append(row)
            if sheet_kind == "estates":
                context.add_estate(row["estate_id"], row["name"])
            elif sheet_kind == "tickets":
                context.tickets[row["ticket_id"]] = (row["estate_id"], row["service_area"])
        summaries.append(summary)

    # 3. Write everything in one transaction.
    batch_id = uuid.uuid4().hex
    new_estates = [e for e in context.new_estates.values() if e["estate_id"] not in context.estates]
    try:
        with db.engine.begin() as conn:
            if db.dialect == "sqlite":  # a bigger page cache: index pages of big imports stay in memory
                conn.exec_driver_sql("PRAGMA cache_size = -131072")
            touched: set = set()
            for table_kind in KIND_ORDER:
                touched |= _replace(conn, TABLES[table_kind], KEYS[table_kind], rows[table_kind])
            rollups.mark_dirty(conn, touched)
            if new_estates:
                conn.execute(schema.estates.insert(), new_estates)
            conn.execute(import_batches.insert(), [
                {"batch_id": batch_id, "imported_at": when, "file": s.file[:500], "kind": s.kind, "rows_read": s.read,
                 "rows_loaded": s.loaded, "rows_rejected": s.rejected, "mapping": mapping.source[:500]}
                for s in summaries
            ])
    except sa.exc.SQLAlchemyError as exc:
        raise DataSourceError(f"the import was rolled back, the database is unchanged: {db._translate(exc)}") from exc
    db.analyze([t for t in KIND_ORDER if rows[t] or (t == "estates" and new_estates)])
    if rejections:
        write_report(report, rejections)
    return ImportResult(summaries, rejections, report if rejections else None, batch_id, time.perf_counter() - started)


# The time column that places a row on a day of the rollups (data_access.rollups).
DAY_COLUMNS = {"tickets": "created_at", "surveys": "surveyed_at"}


def _replace(conn: sa.Connection, table: sa.Table, key: str, rows: list[dict]) -> set[dt.date]:
    """Upsert, portably: delete the rows with these ids, then insert them all. Returns the days
    whose figures changed: those of the old and new rows, and of the tickets surveys follow up."""
    if not rows:
        return set()
    day_column = DAY_COLUMNS.get(table.name)
    ids = [r[key] for r in rows]
    touched: set[dt.date] = set()
    followed: set[str] = set()
    if day_column:
        linked = [table.c.ticket_id] if table.name == "surveys" else []
        old = sa.select(table.c[day_column], *linked).where(table.c[key].in_(sa.bindparam("ids", expanding=True)))
        for chunk in _chunks(ids, CHUNK):
            for row in conn.execute(old, {"ids": list(chunk)}):
                touched.add(row[0])
                if linked and row[1]:
                    followed.add(row[1])
        touched |= {r.get(day_column) for r in rows}
        followed |= {r["ticket_id"] for r in rows if table.name == "surveys" and r.get("ticket_id")}
    # One statement compiled once (an expanding parameter), run per chunk of ids.
    delete = table.delete().where(table.c[key].in_(sa.bindparam("ids", expanding=True)))
    for chunk in _chunks(ids, CHUNK):
        conn.execute(delete, {"ids": list(chunk)})
    names = [c.name for c in table.columns]
    records = [{name: r.get(name) for name in names} for r in rows]
    for chunk in _chunks(records, 5_000):
        conn.execute(table.insert(), list(chunk))
    if table.name == "tickets":  # its surveys' days count them by the ticket's first reply
        surveyed = sa.select(schema.surveys.c.surveyed_at).where(schema.surveys.c.ticket_id.in_(sa.bindparam("ids", expanding=True)))
        for chunk in _chunks(ids, CHUNK):
            touched |= {row[0] for row in conn.execute(surveyed, {"ids": list(chunk)})}
    if followed:  # a follow-up survey changes its ticket's day (follow-up coverage)
        created = sa.select(schema.tickets.c.created_at).where(schema.tickets.c.ticket_id.in_(sa.bindparam("ids", expanding=True)))
        for chunk in _chunks(sorted(followed), CHUNK):
            touched |= {row[0] for row in conn.execute(created, {"ids": list(chunk)})}
    return {d for d in touched if d is not None}
