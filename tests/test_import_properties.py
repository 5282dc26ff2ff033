"""Whatever a row holds, validating it either gives a canonical row or a RowRejected with clear
reasons: never another exception. Same for whatever text a CSV file holds."""
from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_access.importer import Context, RowRejected, RowValidator
from data_access.mapping import FIELDS, load_mapping, TimestampParser
from data_access.schema import PRIORITIES, REQUEST_TYPES, SERVICE_AREAS, SEVERITIES, STATUSES, SURVEY_CHANNELS, TICKET_CHANNELS
from data_access.spreadsheets import Record, Sheet, UnreadableFile, parse_csv_text

from chinese_exports import CHINESE_MAPPING, ESTATE_HEADERS, NYC_MAPPING, SURVEY_HEADERS, TICKET_HEADERS

MAPPINGS = {"chinese": load_mapping(CHINESE_MAPPING), "nyc": load_mapping(NYC_MAPPING), "builtin": load_mapping(None)}
NYC_HEADERS = ["Unique Key", "Created Date", "Closed Date", "Agency", "Complaint Type", "Descriptor", "Status", "Borough",
               "Open Data Channel Type", "Incident Address"]
HEADERS = {"tickets": TICKET_HEADERS, "surveys": SURVEY_HEADERS, "estates": ESTATE_HEADERS}
CODES = {"channel": TICKET_CHANNELS, "request_type": REQUEST_TYPES, "service_area": SERVICE_AREAS, "priority": PRIORITIES,
         "severity": SEVERITIES, "status": STATUSES}

# Cells: anything a spreadsheet may hold, with realistic values mixed in so that valid rows occur too.
REALISTIC = st.sampled_from([
    "", " ", "E01", "翠湖花园", "GD001", "2026-03-02 09:15:00", "2026/03/03 14:00", "06/26/2018 10:58:54 AM", "2026-02-30 10:00",
    "报修", "投诉", "保安", "工程维修", "紧急", "重大", "已解决", "主管", "5", "0", "-1", "4.5", "1e400", "nan", "inf", "9" * 40,
    "NYPD", "BROOKLYN", "Unspecified", "PHONE", "Closed", "Pending", "\x00", "\ufeff工单号", "=1+1", "'; DROP TABLE tickets;--",
])
CELL = st.one_of(
    st.none(), REALISTIC, st.text(max_size=80),
    st.datetimes(),
    st.integers(min_value=-10**30, max_value=10**30).map(str), st.floats(allow_nan=True).map(repr),
)


def validator(kind: str, headers: list[str], mapping_name: str) -> RowValidator:
    mapping = MAPPINGS[mapping_name]
    context = Context()
    context.add_estate("E01", "翠湖花园")
    context.add_estate("BROOKLYN", "BROOKLYN")
    context.tickets["GD001"] = ("E01", "repair")
    return RowValidator(kind, Sheet(label="f.csv", headers=headers), mapping, TimestampParser(mapping, "Asia/Shanghai"), context)


def check_row(kind: str, row: dict) -> None:
    """A row the validator accepted is canonical."""
    for name in ("ticket_id", "survey_id", "estate_id"):
        if name in row and name in {f.name for f in FIELDS[kind] if f.required}:
            assert isinstance(row[name], str) and row[name]
    if kind == "tickets":
        assert isinstance(row["created_at"], dt.datetime) and row["created_at"].tzinfo is None
        for name, codes in CODES.items():
            assert row[name] is None or row[name] in codes, (name, row[name])
        assert row["request_type"] in REQUEST_TYPES and row["service_area"] in SERVICE_AREAS
        assert row["escalation_level"] in (0, 1, 2, 3)
        for name in ("first_response_at", "resolved_at", "closed_at", "escalated_at"):
            assert row[name] is None or row[name] >= row["created_at"]
    if kind == "surveys":
        assert row["channel"] is None or row["channel"] in SURVEY_CHANNELS
        for name in ("score", "attitude", "speed", "result", "professionalism"):
            assert row[name] is None or 1 <= row[name] <= 5
    if kind == "estates":
        assert isinstance(row["households"], int) and row["households"] >= 0


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    setup=st.sampled_from([("tickets", "chinese"), ("surveys", "chinese"), ("estates", "chinese"), ("tickets", "nyc"),
                           ("tickets", "builtin"), ("surveys", "builtin")]),
    data=st.data(),
)
def test_validation_accepts_or_rejects_with_reasons_never_crashes(setup, data):
    kind, mapping_name = setup
    headers = NYC_HEADERS if mapping_name == "nyc" else HEADERS[kind]
    cells = data.draw(st.lists(CELL, min_size=len(headers), max_size=len(headers)))
    checker = validator(kind, headers, mapping_name)
    try:
        row = checker.validate(Record(2, cells))
    except RowRejected as rejected:
        assert rejected.problems
        for column, value, reason in rejected.problems:
            assert isinstance(reason, str) and reason.strip() and "\n" not in reason
            assert isinstance(column, str) and isinstance(value, str)
        return
    check_row(kind, row)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_csv_text_parses_or_is_unreadable(text):
    try:
        sheet = parse_csv_text(text, label="f.csv")
    except UnreadableFile as exc:
        assert str(exc)
        return
    rows = [r.row for r in sheet.records]
    assert rows == sorted(set(rows)) and all(r >= 2 for r in rows)
    for record in sheet.records:
        assert record.problem is not None or len(record.cells) == len(sheet.headers)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), kind=st.sampled_from(["tickets", "surveys"]))
def test_a_valid_row_with_any_cells_changed_is_accepted_canonical_or_rejected_with_reasons(data, kind):
    from chinese_exports import SURVEYS, TICKETS

    cells = list((TICKETS if kind == "tickets" else SURVEYS)[0])
    for index in data.draw(st.lists(st.integers(0, len(cells) - 1), max_size=3)):
        cells[index] = data.draw(CELL)
    try:
        row = validator(kind, HEADERS[kind], "chinese").validate(Record(2, cells))
    except RowRejected as rejected:
        assert all(reason.strip() for _, _, reason in rejected.problems)
        return
    check_row(kind, row)
