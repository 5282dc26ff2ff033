"""Importing exports: the real NYC 311 file through its example mapping, a Chinese export made
here (XLSX and GB18030 CSV), every kind of bad row one by one, truncated and wrongly encoded
files, re-imports that update, and failed imports that leave the database as it was."""
from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from data_access import ALL, Database, DataSourceError, Filters, ServiceRules
from data_access.importer import ImportAborted, import_files
from data_access.mapping import load_mapping
from data_access.metrics import compute_metrics
from engines import execute_ddl, read_dataset

from chinese_exports import (
    CHINESE_MAPPING, ESTATE_HEADERS, ESTATES, EXPECTED_SURVEYS, EXPECTED_TICKETS, NYC_EXPORT, NYC_MAPPING,
    SURVEY_HEADERS, SURVEYS, TICKET_HEADERS, TICKETS, whole_export, write_csv,
)
from test_cli import run_cli

ROOT_EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
US_FORMAT = "%m/%d/%Y %I:%M:%S %p"


def run_import(db: Database, files, tmp_path: Path, mapping=CHINESE_MAPPING, **kwargs):
    return import_files(db, files, mapping=load_mapping(mapping), rejects_path=tmp_path / "rejects.csv", **kwargs)


def report_rows(path: Path | None) -> list[dict]:
    if path is None or not path.exists():
        return []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def table_rows(db: Database, table: str, key: str) -> dict[str, dict]:
    with db.engine.connect() as conn:
        result = conn.execute(sa.text(f"SELECT * FROM {table}"))
        return {r[key]: r for r in (dict(row._mapping) for row in result)}


def count(db: Database, table: str) -> int:
    with db.engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one()


def as_datetime(value):
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


# --- the real NYC 311 export ---------------------------------------------------------------
def nyc_rows() -> list[dict]:
    with NYC_EXPORT.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def to_shanghai(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, US_FORMAT).replace(tzinfo=NEW_YORK).astimezone(SHANGHAI).replace(tzinfo=None)


@pytest.mark.engines
def test_nyc_export_imports_with_the_example_mapping(engine_name, scratch_databases, tmp_path):
    db = scratch_databases.new(engine_name)
    rows = nyc_rows()
    assert len(rows) == 1000  # data records (csv module: a quoted line break would stay inside its record)
    unspecified = [r for r in rows if r["Borough"] == "Unspecified"]

    result = run_import(db, [NYC_EXPORT], tmp_path, mapping=NYC_MAPPING)

    assert (result.read, result.loaded, result.rejected) == (1000, 1000 - len(unspecified), len(unspecified))
    assert result.read == result.loaded + result.rejected
    rejected = report_rows(result.rejects_path)
    assert len({(r["file"], r["row"]) for r in rejected}) == result.rejected
    # Row numbers as a spreadsheet shows them: the header is row 1.
    assert sorted(int(r["row"]) for r in rejected) == [i + 2 for i, r in enumerate(rows) if r["Borough"] == "Unspecified"]
    assert {r["column"] for r in rejected} == {"Borough"}
    assert all("unknown estate 'Unspecified'" in r["reason"] for r in rejected)

    loaded = [r for r in rows if r["Borough"] != "Unspecified"]
    stored = table_rows(db, "tickets", "ticket_id")
    assert len(stored) == len(loaded) == result.loaded
    assert set(table_rows(db, "estates", "estate_id")) == {"BRONX", "BROOKLYN", "MANHATTAN", "QUEENS", "STATEN ISLAND"}
    # New York wall clock -> Shanghai: 06/26/2018 10:58:54 AM EDT is 22:58:54 in Shanghai.
    first = stored["39573567"]
    assert as_datetime(first["created_at"]) == dt.datetime(2018, 6, 26, 22, 58, 54)
    assert (first["service_area"], first["channel"], first["status"], first["request_type"]) == ("security", "phone", "closed", "complaint")
    expected_channels = Counter({"PHONE": "phone", "ONLINE": "app", "MOBILE": "app"}.get(r["Open Data Channel Type"], "other") for r in loaded)
    assert Counter(t["channel"] for t in stored.values()) == expected_channels
    areas = {"NYPD": "security", "DSNY": "cleaning", "DPR": "greening", "HPD": "repair", "DOB": "repair", "DEP": "repair"}
    assert Counter(t["service_area"] for t in stored.values()) == Counter(areas.get(r["Agency"], "other") for r in loaded)
    # A "Closed Date" counts as resolution only on closed requests (pending ones carry planned dates).
    resolved = [r for r in loaded if r["Status"] == "Closed" and r["Closed Date"]]
    assert sum(t["resolved_at"] is not None for t in stored.values()) == len(resolved)

    created = [to_shanghai(r["Created Date"]) for r in loaded]
    period = Filters(min(created).date(), max(created).date())
    figures = compute_metrics(db, ServiceRules(), period, ALL)
    assert figures["tickets"]["total"] == result.loaded
    assert figures["tickets"]["by_type"]["complaint"] == result.loaded
    assert figures["resolution"]["resolved"] == len(resolved)
    assert figures["tickets"]["per_1000_households"] is None  # households unknown (0)
    # What the export does not record is "no data", never 0 or 0%.
    assert figures["first_response"]["responded"] == 0
    assert figures["first_response"]["within_target_pct"] is None
    assert figures["first_response"]["median_minutes"] is None
    assert figures["escalations"]["total"] == 0
    assert figures["satisfaction"]["responses"] == 0
    assert figures["satisfaction"]["csat_pct"] is None
    assert figures["satisfaction"]["mean_score"] is None


def test_nyc_import_from_the_command_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'nyc.sqlite'}"
    rejects = tmp_path / "nyc-rejects.csv"
    unspecified = sum(r["Borough"] == "Unspecified" for r in nyc_rows())
    done = run_cli("import", "--db", url, "--mapping", str(NYC_MAPPING), "--rejects", str(rejects), str(NYC_EXPORT))
    assert done.returncode == 0, done.stderr
    assert f"read 1,000 = loaded {1000 - unspecified:,} + rejected {unspecified}" in done.stdout
    assert len(report_rows(rejects)) == unspecified

    figures = json.loads(run_cli("metrics", "--db", url, "--from", "2014-01-01", "--to", "2019-12-31", "--json").stdout)
    assert figures["tickets"]["total"] == 1000 - unspecified
    assert figures["first_response"]["within_target_pct"] is None
    assert figures["satisfaction"]["responses"] == 0

    check = json.loads(run_cli("check", "--db", url, "--json").stdout)
    assert check["row_counts"] == {"estates": 5, "tickets": 1000 - unspecified, "surveys": 0}
    assert check["checks"]["estates_without_households"]["count"] == 5
    assert check["recent_imports"][0]["rejected"] == unspecified


# --- a Chinese export -------------------------------------------------------------------------
def assert_chinese_rows(db: Database, surveys: bool = True) -> None:
    tickets = table_rows(db, "tickets", "ticket_id")
    assert set(tickets) == set(EXPECTED_TICKETS)
    for ticket_id, expected in EXPECTED_TICKETS.items():
        got = {k: as_datetime(tickets[ticket_id][k]) if k.endswith("_at") else tickets[ticket_id][k] for k in expected}
        assert got == expected, ticket_id
    assert tickets["GD001"]["summary"] == "厨房漏水，𠮷字测试"  # outside GBK: needs GB18030 or UTF-8
    estates = table_rows(db, "estates", "estate_id")
    assert {k: (v["name"], v["households"]) for k, v in estates.items()} == {"E01": ("翠湖花园", 1200), "E02": ("金色家园", 800)}
    if surveys:
        stored = table_rows(db, "surveys", "survey_id")
        assert {k: {f: v[f] for f in EXPECTED_SURVEYS[k]} for k, v in stored.items()} == EXPECTED_SURVEYS


def test_chinese_xlsx_workbook_imports_with_its_example_mapping(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'group.sqlite'}")
    result = run_import(db, [whole_export(tmp_path / "工单导出.xlsx")], tmp_path)
    assert [(f.file, f.kind, f.read, f.loaded, f.rejected) for f in result.files] == [
        ("工单导出.xlsx [项目]", "estates", 2, 2, 0),
        ("工单导出.xlsx [工单]", "tickets", 5, 5, 0),
        ("工单导出.xlsx [回访]", "surveys", 3, 3, 0),
    ]
    assert result.rejections == [] and result.rejects_path is None
    assert_chinese_rows(db)
    figures = compute_metrics(db, ServiceRules(), Filters(dt.date(2026, 3, 1), dt.date(2026, 3, 31)), ALL)
    assert figures["tickets"]["total"] == 4  # GD005 is cancelled
    assert figures["first_response"]["responded"] == 2
    assert figures["satisfaction"]["responses"] == 3


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig", "utf-8"])
def test_chinese_csv_files_import_in_every_accepted_encoding(tmp_path, encoding):
    db = Database(f"sqlite:///{tmp_path / 'group.sqlite'}")
    files = [
        write_csv(tmp_path / "回访.csv", SURVEY_HEADERS, SURVEYS, encoding=encoding),
        write_csv(tmp_path / "工单.csv", TICKET_HEADERS, TICKETS, encoding=encoding),
        write_csv(tmp_path / "项目.csv", ESTATE_HEADERS, ESTATES, encoding=encoding),
    ]
    if encoding == "gb18030":
        with pytest.raises(UnicodeDecodeError):
            files[1].read_bytes().decode("utf-8")  # really not UTF-8
    result = run_import(db, files, tmp_path)
    # Estates first, then tickets, then surveys, whatever the order on the command line.
    assert [(f.kind, f.read, f.loaded) for f in result.files] == [("estates", 2, 2), ("tickets", 5, 5), ("surveys", 3, 3)]
    assert_chinese_rows(db)


def test_gbk_file_is_read_as_gb18030(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'group.sqlite'}")
    rows = [r[:15] + ["厨房漏水"] if r[0] == "GD001" else r for r in TICKETS]  # GBK has no 𠮷
    files = [write_csv(tmp_path / "e.csv", ESTATE_HEADERS, ESTATES, encoding="gbk"),
             write_csv(tmp_path / "t.csv", TICKET_HEADERS, rows, encoding="gbk")]
    assert run_import(db, files, tmp_path).loaded == 7
    assert table_rows(db, "tickets", "ticket_id")["GD002"]["service_area"] == "security"


def test_builtin_mapping_reads_chinese_headers_and_values_without_a_mapping_file(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'group.sqlite'}")
    files = [write_csv(tmp_path / "e.csv", ESTATE_HEADERS, ESTATES), write_csv(tmp_path / "t.csv", TICKET_HEADERS, TICKETS)]
    result = import_files(db, files, mapping=load_mapping(None), rejects_path=tmp_path / "r.csv")
    assert (result.read, result.loaded, result.rejected) == (7, 7, 0)
    assert_chinese_rows(db, surveys=False)


# --- bad rows, one by one ------------------------------------------------------------------------
@pytest.fixture
def estates_db(tmp_path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'group.sqlite'}")
    run_import(db, [write_csv(tmp_path / "estates.csv", ESTATE_HEADERS, ESTATES)], tmp_path)
    return db


def ticket(**changes) -> list[str]:
    """GD001 with some cells changed (by header)."""
    row = dict(zip(TICKET_HEADERS, TICKETS[0]))
    row.update(changes)
    return [row[h] for h in TICKET_HEADERS]


GOOD = ticket(工单号="OK-1")

BAD_TICKETS = [
    ("unparseable date", ticket(受理时间="2026-13-45 25:00"), "受理时间", "unparseable date '2026-13-45 25:00'"),
    ("resolution before creation", ticket(解决时间="2026-03-01 09:00:00"), "解决时间", "resolution 2026-03-01 09:00:00 is before creation 2026-03-02 09:15:00"),
    ("reply before creation", ticket(首次响应时间="2026-03-02 09:00:00"), "首次响应时间", "first reply 2026-03-02 09:00:00 is before creation"),
    ("unknown estate", ticket(项目="不存在的项目"), "项目", "unknown estate '不存在的项目'"),
    ("missing creation time", ticket(受理时间=""), "受理时间", "created_at is required and empty"),
    ("missing ticket id", ticket(工单号=""), "工单号", "ticket_id is required and empty"),
    ("missing estate", ticket(项目=""), "项目", "estate_id is required and empty"),
    ("unmapped request type", ticket(工单类型="吐槽"), "工单类型", "unmapped request_type value '吐槽'"),
    ("unmapped priority", ticket(优先级="很急"), "优先级", "unmapped priority value '很急'"),
    ("escalation outside 0-3", ticket(升级级别="7"), "升级级别", "escalation_level 7 is outside 0-3"),
    ("escalation not a number", ticket(升级级别="总经理"), "升级级别", "escalation_level '总经理' is not a number"),
    ("id too long", ticket(工单号="X" * 65), "工单号", "ticket_id is longer than 64 characters"),
    ("date out of range", ticket(解决时间="0202-03-02 12:00:00"), "解决时间", "date 0202-03-02 of resolved_at is outside the years 1900-2199"),
]


@pytest.mark.parametrize("row, column, reason", [pytest.param(*case[1:], id=case[0]) for case in BAD_TICKETS])
def test_each_bad_ticket_row_is_rejected_with_its_reason(estates_db, tmp_path, row, column, reason):
    before = read_dataset(estates_db)
    path = write_csv(tmp_path / "tickets.csv", TICKET_HEADERS, [GOOD, row])
    result = run_import(estates_db, [path], tmp_path)
    assert (result.read, result.loaded, result.rejected) == (2, 1, 1)
    [rejection] = report_rows(result.rejects_path)
    assert (rejection["file"], rejection["row"], rejection["column"]) == ("tickets.csv", "3", column)
    assert reason in rejection["reason"]
    # Nothing half-written: exactly the good row is new.
    assert set(table_rows(estates_db, "tickets", "ticket_id")) == {"OK-1"}
    assert read_dataset(estates_db).estates.equals(before.estates)


def test_duplicate_ids_in_one_file_keep_the_first_and_list_the_others(estates_db, tmp_path):
    rows = [GOOD, ticket(工单号="OK-1", 内容="second copy"), ticket(工单号="OK-2"), ticket(工单号="OK-1", 内容="third")]
    result = run_import(estates_db, [write_csv(tmp_path / "t.csv", TICKET_HEADERS, rows)], tmp_path)
    assert (result.read, result.loaded, result.rejected) == (4, 2, 2)
    report = report_rows(result.rejects_path)
    assert [(r["row"], r["column"], r["reason"]) for r in report] == [
        ("3", "工单号", "duplicate ticket_id 'OK-1': already in t.csv row 2"),
        ("5", "工单号", "duplicate ticket_id 'OK-1': already in t.csv row 2"),
    ]
    assert table_rows(estates_db, "tickets", "ticket_id")["OK-1"]["summary"] == "厨房漏水，𠮷字测试"


def survey(**changes) -> list[str]:
    row = dict(zip(SURVEY_HEADERS, SURVEYS[0]))
    row.update(changes)
    return [row[h] for h in SURVEY_HEADERS]


BAD_SURVEYS = [
    ("score above 5", survey(满意度="7"), "满意度", "score 7 is outside 1-5"),
    ("score below 1", survey(满意度="0"), "满意度", "score 0 is outside 1-5"),
    ("score not whole", survey(满意度="4.5"), "满意度", "score '4.5' is not a whole number"),
    ("dimension outside 1-5", survey(响应速度="6"), "响应速度", "speed 6 is outside 1-5"),
    ("unknown ticket", survey(工单号="GD999"), "工单号", "unknown ticket 'GD999'"),
    ("no estate and no ticket", survey(工单号="", 项目=""), "项目", "estate_id is required and empty"),
    ("missing survey time", survey(回访时间=""), "回访时间", "surveyed_at is required and empty"),
    ("unparseable survey time", survey(回访时间="昨天"), "回访时间", "unparseable date '昨天'"),
]


@pytest.mark.parametrize("row, column, reason", [pytest.param(*case[1:], id=case[0]) for case in BAD_SURVEYS])
def test_each_bad_survey_row_is_rejected_with_its_reason(estates_db, tmp_path, row, column, reason):
    files = [write_csv(tmp_path / "t.csv", TICKET_HEADERS, [TICKETS[0]]),
             write_csv(tmp_path / "s.csv", SURVEY_HEADERS, [survey(问卷编号="OK-S"), row])]
    result = run_import(estates_db, files, tmp_path)
    assert [(f.kind, f.read, f.loaded, f.rejected) for f in result.files] == [("tickets", 1, 1, 0), ("surveys", 2, 1, 1)]
    [rejection] = report_rows(result.rejects_path)
    assert (rejection["file"], rejection["row"], rejection["column"]) == ("s.csv", "3", column)
    assert reason in rejection["reason"]
    assert set(table_rows(estates_db, "surveys", "survey_id")) == {"OK-S"}


@pytest.mark.parametrize(
    "row, column, reason",
    [
        pytest.param(["E09", "新城", "上海", "华东", "-3"], "户数", "households -3 is negative", id="negative households"),
        pytest.param(["E09", "", "上海", "华东", "10"], "项目名称", "name is required and empty", id="missing name"),
        pytest.param(["E09", "新城", "上海", "华东", "很多"], "户数", "households '很多' is not a number", id="households not a number"),
    ],
)
def test_each_bad_estate_row_is_rejected_with_its_reason(tmp_path, row, column, reason):
    db = Database(f"sqlite:///{tmp_path / 'g.sqlite'}")
    result = run_import(db, [write_csv(tmp_path / "e.csv", ESTATE_HEADERS, [ESTATES[0], row])], tmp_path)
    assert (result.read, result.loaded, result.rejected) == (2, 1, 1)
    [rejection] = report_rows(result.rejects_path)
    assert (rejection["row"], rejection["column"]) == ("3", column) and reason in rejection["reason"]
    assert set(table_rows(db, "estates", "estate_id")) == {"E01"}


def test_a_row_with_several_problems_lists_each_and_counts_once(estates_db, tmp_path):
    bad = ticket(受理时间="soon", 工单类型="吐槽", 升级级别="9")
    result = run_import(estates_db, [write_csv(tmp_path / "t.csv", TICKET_HEADERS, [bad])], tmp_path)
    assert (result.read, result.loaded, result.rejected) == (1, 0, 1)
    assert [r["column"] for r in report_rows(result.rejects_path)] == ["受理时间", "工单类型", "升级级别"]


def test_unmapped_values_follow_the_mapping_default_or_reject(estates_db, tmp_path):
    # [unmapped] service_area = "other", channel = "other"; request_type has none: rejected.
    rows = [ticket(工单号="A", 服务类别="电梯"), ticket(工单号="B", 渠道="飞鸽传书"), ticket(工单号="C", 工单类型="吐槽")]
    result = run_import(estates_db, [write_csv(tmp_path / "t.csv", TICKET_HEADERS, rows)], tmp_path)
    assert (result.loaded, result.rejected) == (2, 1)
    stored = table_rows(estates_db, "tickets", "ticket_id")
    assert (stored["A"]["service_area"], stored["B"]["channel"]) == ("other", "other")


def test_quoted_line_breaks_stay_in_one_row_and_row_numbers_follow_records(estates_db, tmp_path):
    rows = [ticket(工单号="A", 内容="第一行\n第二行"), ticket(工单号="B", 受理时间="bad")]
    result = run_import(estates_db, [write_csv(tmp_path / "t.csv", TICKET_HEADERS, rows)], tmp_path)
    assert (result.read, result.loaded, result.rejected) == (2, 1, 1)
    assert report_rows(result.rejects_path)[0]["row"] == "3"  # a spreadsheet's row 3, though line 4 of the file
    assert table_rows(estates_db, "tickets", "ticket_id")["A"]["summary"] == "第一行\n第二行"


# --- whole files: truncated, wrong encoding, unknown kind ---------------------------------------
def test_truncated_file_lists_the_cut_last_record(estates_db, tmp_path):
    path = write_csv(tmp_path / "t.csv", TICKET_HEADERS, [GOOD, ticket(工单号="OK-2"), ticket(工单号="CUT")], end_newline=False)
    data = path.read_bytes()
    path.write_bytes(data[: data.rindex(b",2026-03-02 09:20:00")])  # the last line ends mid-record
    result = run_import(estates_db, [path], tmp_path)
    assert (result.read, result.loaded, result.rejected) == (3, 2, 1)
    [rejection] = report_rows(result.rejects_path)
    assert rejection["row"] == "4" and "truncated file" in rejection["reason"]
    assert set(table_rows(estates_db, "tickets", "ticket_id")) == {"OK-1", "OK-2"}


def test_truncated_file_cut_inside_a_quoted_value(estates_db, tmp_path):
    path = write_csv(tmp_path / "t.csv", TICKET_HEADERS, [GOOD, ticket(工单号="CUT", 内容="很长的\n描述")])
    path.write_bytes(path.read_bytes()[:-12])  # cut inside the quoted 内容
    result = run_import(estates_db, [path], tmp_path)
    assert (result.read, result.loaded, result.rejected) == (2, 1, 1)
    [rejection] = report_rows(result.rejects_path)
    assert rejection["row"] == "3" and "ends inside a quoted value" in rejection["reason"]


def test_short_row_in_the_middle_is_listed(estates_db, tmp_path):
    path = tmp_path / "t.csv"
    rows = [",".join(TICKET_HEADERS), ",".join(GOOD), "OK-2,翠湖花园,2026-03-02 09:15:00", ",".join(ticket(工单号="OK-3"))]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = run_import(estates_db, [path], tmp_path)
    assert (result.read, result.loaded, result.rejected) == (3, 2, 1)
    assert report_rows(result.rejects_path)[0]["reason"] == f"the row has 3 columns, the header has {len(TICKET_HEADERS)}"


@pytest.mark.parametrize(
    "content, reason",
    [
        pytest.param(lambda text: text.encode("utf-16"), "UTF-16", id="utf-16"),
        pytest.param(lambda text: text.encode("utf-8") + b"\xff\xfe\x80\x80", "neither UTF-8 nor GB18030", id="binary-bytes"),
        pytest.param(lambda text: text.encode("utf-16-le"), "NUL bytes", id="utf-16-without-bom"),
    ],
)
def test_wrong_encoding_stops_the_import_before_anything_is_written(estates_db, tmp_path, content, reason):
    good = write_csv(tmp_path / "good.csv", TICKET_HEADERS, [GOOD])
    text = ",".join(TICKET_HEADERS) + "\n" + ",".join(ticket(工单号="X")) + "\n"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content(text))
    before = read_dataset(estates_db)
    with pytest.raises(ImportAborted) as raised:
        run_import(estates_db, [good, bad], tmp_path)
    assert "nothing was written" in str(raised.value) and reason in str(raised.value)
    [rejection] = report_rows(raised.value.rejects_path)
    assert rejection["file"] == "bad.csv" and rejection["row"] == "" and reason in rejection["reason"]
    after = read_dataset(estates_db)
    assert after.tickets.empty and after.estates.equals(before.estates)


def test_wrong_encoding_on_the_command_line_is_one_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xff\xff\x00garbage\x81")
    done = run_cli("import", "--db", f"sqlite:///{tmp_path / 'x.sqlite'}", str(bad))
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("estate-dashboard: error: import stopped, nothing was written")
    assert "Traceback" not in done.stderr


def test_a_file_of_unknown_kind_stops_the_import(estates_db, tmp_path):
    odd = write_csv(tmp_path / "odd.csv", ["甲", "乙"], [["1", "2"]])
    with pytest.raises(ImportAborted, match="cannot tell whether it holds tickets, surveys or estates"):
        run_import(estates_db, [odd], tmp_path)


def test_bad_xlsx_is_rejected_as_a_whole(estates_db, tmp_path):
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"PK\x03\x04 this is no workbook")
    with pytest.raises(ImportAborted, match="not a readable XLSX workbook"):
        run_import(estates_db, [fake], tmp_path)


# --- re-import and failure ----------------------------------------------------------------------------
@pytest.mark.engines
def test_reimport_updates_instead_of_duplicating(engine_name, scratch_databases, tmp_path):
    db = scratch_databases.new(engine_name)
    book = whole_export(tmp_path / "first.xlsx")
    run_import(db, [book], tmp_path)
    changed = [r[:8] + ["已关闭"] + r[9:] if r[0] == "GD002" else r for r in TICKETS] + [ticket(工单号="GD006")]
    second = write_csv(tmp_path / "second.csv", TICKET_HEADERS, changed)
    result = run_import(db, [second], tmp_path)
    assert (result.read, result.loaded, result.rejected) == (6, 6, 0)
    tickets = table_rows(db, "tickets", "ticket_id")
    assert len(tickets) == 6 and count(db, "tickets") == 6
    assert tickets["GD002"]["status"] == "closed" and tickets["GD001"]["status"] == "resolved"
    assert count(db, "surveys") == 3 and count(db, "estates") == 2
    # The same workbook again: nothing changes, nothing doubles.
    again = run_import(db, [book], tmp_path)
    assert (again.read, again.loaded) == (10, 10)
    assert (count(db, "tickets"), count(db, "surveys"), count(db, "estates")) == (6, 3, 2)
    assert table_rows(db, "tickets", "ticket_id")["GD002"]["status"] == "in_progress"
    assert count(db, "import_batches") == 3 + 1 + 3


def test_duplicate_across_files_of_one_import_is_listed(estates_db, tmp_path):
    a = write_csv(tmp_path / "a.csv", TICKET_HEADERS, [GOOD])
    b = write_csv(tmp_path / "b.csv", TICKET_HEADERS, [GOOD])
    result = run_import(estates_db, [a, b], tmp_path)
    assert (result.loaded, result.rejected) == (1, 1)
    assert report_rows(result.rejects_path)[0]["reason"] == "duplicate ticket_id 'OK-1': already in a.csv row 2"


BOOM_DDL = {
    "sqlite": ["CREATE TRIGGER refuse_boom BEFORE INSERT ON tickets WHEN NEW.ticket_id = 'BOOM' "
               "BEGIN SELECT RAISE(ABORT, 'ticket BOOM refused by the database'); END"],
    "postgresql": ["ALTER TABLE tickets ADD CONSTRAINT refuse_boom CHECK (ticket_id <> 'BOOM')"],
    "mariadb": ["ALTER TABLE tickets ADD CONSTRAINT refuse_boom CHECK (ticket_id <> 'BOOM')"],
}


@pytest.mark.engines
def test_failed_import_leaves_the_database_exactly_as_it_was(engine_name, scratch_databases, tmp_path):
    db = scratch_databases.new(engine_name)
    run_import(db, [whole_export(tmp_path / "first.xlsx")], tmp_path)
    execute_ddl(db, BOOM_DDL[engine_name])  # a rule the database enforces and the importer does not know
    before = read_dataset(db)
    batches = count(db, "import_batches")
    # Updates of existing tickets and surveys (deleted, then inserted), new estates and tickets, and a row the database refuses last.
    rows = [ticket(工单号="GD001", 状态="已关闭"), ticket(工单号="NEW-1"), ticket(工单号="BOOM")]
    files = [write_csv(tmp_path / "estates.csv", ESTATE_HEADERS, [["E03", "新城", "南京", "华东", "300"]]),
             write_csv(tmp_path / "tickets.csv", TICKET_HEADERS, rows),
             write_csv(tmp_path / "surveys.csv", SURVEY_HEADERS, [survey(满意度="1")])]
    with pytest.raises(DataSourceError, match="rolled back, the database is unchanged") as raised:
        run_import(db, files, tmp_path)
    assert "\n" not in str(raised.value)
    after = read_dataset(db)
    for name, frame in before.tables().items():
        assert frame.sort_values(frame.columns[0]).reset_index(drop=True).equals(
            after.tables()[name].sort_values(frame.columns[0]).reset_index(drop=True)), name
    assert count(db, "import_batches") == batches


def test_import_creates_the_versioned_schema_and_records_the_batch(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    result = run_import(db, [whole_export(tmp_path / "book.xlsx")], tmp_path)
    from data_access.migrations import current_revision, head_revision

    with db.engine.connect() as conn:
        assert current_revision(conn) == head_revision()
        batches = conn.execute(sa.text("SELECT batch_id, file, kind, rows_read, rows_loaded, rows_rejected FROM import_batches ORDER BY id")).all()
    assert [tuple(b[1:]) for b in batches] == [
        ("book.xlsx [项目]", "estates", 2, 2, 0), ("book.xlsx [工单]", "tickets", 5, 5, 0), ("book.xlsx [回访]", "surveys", 3, 3, 0)]
    assert {b[0] for b in batches} == {result.batch_id}


def test_default_rejection_report_lands_next_to_the_database(tmp_path):
    db_path = tmp_path / "data" / "group.sqlite"
    db_path.parent.mkdir()
    done = run_cli("import", "--db", f"sqlite:///{db_path}", "--mapping", str(CHINESE_MAPPING),
                   str(write_csv(tmp_path / "t.csv", TICKET_HEADERS, [ticket(项目="没有")])))
    assert done.returncode == 0, done.stderr
    [report] = list(db_path.parent.glob("group-rejects-*.csv"))
    assert f"rejected rows and reasons: {report}" in done.stdout
    assert "read 1 = loaded 0 + rejected 1" in done.stdout
    assert report_rows(report)[0]["reason"].startswith("unknown estate '没有'")


def test_import_command_errors_are_one_line(tmp_path):
    cases = [
        (["import", "--db", f"sqlite:///{tmp_path / 'x.sqlite'}", str(tmp_path / "missing.csv")], "no such file"),
        (["import", str(NYC_EXPORT)], "no database given"),
        (["import", "--db", f"sqlite:///{tmp_path / 'x.sqlite'}", "--mapping", str(tmp_path / "none.toml"), str(NYC_EXPORT)], "cannot read the mapping file"),
    ]
    for args, message in cases:
        done = run_cli(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr


def test_example_mappings_are_valid():
    for path in (ROOT_EXAMPLES / "mapping.example.toml", CHINESE_MAPPING, NYC_MAPPING):
        mapping = load_mapping(path)
        assert mapping.source == str(path)


def test_dashboard_shows_no_data_where_the_nyc_export_records_nothing(tmp_path):
    from dashboard import i18n
    from dashboard.app import create_app
    from data_access import Settings

    from dash_requests import find_by_id, post_callback, texts

    url = f"sqlite:///{tmp_path / 'nyc.sqlite'}"
    run_import(Database(url), [NYC_EXPORT], tmp_path, mapping=NYC_MAPPING)
    client = create_app(Settings(today=dt.date(2019, 9, 10), data_dir=tmp_path), url).server.test_client()
    result = post_callback(client, "overview-tiles", "children",
                           {"url.search": "?period=custom&from=2018-01-01&to=2018-12-31", "lang.data": "en"})

    def tile(key):
        return texts(find_by_id(result["overview-tiles.children"], f"tile-value-{key}"))[0]

    figures = compute_metrics(Database(url), ServiceRules(), Filters(dt.date(2018, 1, 1), dt.date(2018, 12, 31)), ALL)
    assert tile("tickets") == i18n.number(figures["tickets"]["total"], "en") and figures["tickets"]["total"] > 500
    for key in ("first_response_within_target", "first_response_median", "csat", "mean_score"):
        assert tile(key) == i18n.MISSING, key
    assert tile("within_sla") == i18n.percent(figures["resolution"]["within_sla_pct"], "en")
