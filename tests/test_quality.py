"""The data-quality report counts planted problems exactly, identically on SQLite, PostgreSQL and
MariaDB, for our own schema and for a hand-written one without keys or indexes; the command
line and the dashboard page show the same report."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from dashboard import i18n
from dashboard.app import create_app
from data_access import Database, Settings
from data_access.quality import CHECKS, quality_report
from engines import dataset_from_records, execute_ddl, insert_into_existing_tables, write_dataset

from dash_requests import find_by_id, post_callback, texts
from test_cli import run_cli

DAY = dt.datetime(2026, 5, 4, 9, 0)


def at(hours: float) -> dt.datetime:
    return DAY + dt.timedelta(hours=hours)


def ticket(ticket_id: str, **changes) -> dict:
    row = dict(ticket_id=ticket_id, estate_id="E01", created_at=DAY, channel="phone", request_type="repair",
               service_area="repair", priority="normal", severity=None, status="resolved", first_response_at=at(0.1),
               resolved_at=at(5), closed_at=at(6), escalation_level=0, escalated_at=None, reopened_count=0,
               owner_name=None, owner_phone=None, room=None, summary="漏水")
    row.update(changes)
    return row


def survey(survey_id: str, **changes) -> dict:
    row = dict(survey_id=survey_id, ticket_id="T01", estate_id="E01", service_area="repair", surveyed_at=at(30),
               channel="phone", score=5, attitude=5, speed=4, result=5, professionalism=5, comment=None)
    row.update(changes)
    return row


def planted_records() -> tuple[list, list, list]:
    estates = [
        dict(estate_id="E01", name="翠湖花园", city="上海", region="华东", households=500),
        dict(estate_id="E02", name="新交付", city="上海", region="华东", households=0),
        dict(estate_id="E03", name="金色家园", city="杭州", region="华东", households=300),
    ]
    tickets = [ticket(f"T{n:02d}", estate_id="E03" if n % 2 else "E01") for n in range(1, 11)]
    tickets += [
        ticket("T11", channel="fax"), ticket("T12", channel="fax"), ticket("T13", status="Open"),
        ticket("T14", request_type="报修"), ticket("T15", escalation_level=7, escalated_at=at(1)),
        ticket("T16", first_response_at=at(-1)), ticket("T17", first_response_at=at(-0.5)),
        ticket("T18", resolved_at=at(-2)), ticket("T19", closed_at=at(-3)), ticket("T20", escalation_level=1, escalated_at=at(-1)),
        ticket("T21", status="resolved", resolved_at=None), ticket("T22", status="closed", resolved_at=None),
        ticket("T23", estate_id="E99"), ticket("T24", estate_id="E99"), ticket("T25", estate_id="E99"), ticket("T26", estate_id="E98"),
        ticket("T27", status="open", resolved_at=None, closed_at=None, first_response_at=None),
    ]
    surveys = [survey("S01"), survey("S02", ticket_id="T02"), survey("S03", ticket_id="T03", estate_id="E03")]
    surveys += [
        survey("S04", score=9), survey("S05", channel="wechat"), survey("S06", ticket_id="T404"), survey("S07", ticket_id="T405"),
        survey("S08", ticket_id=None, estate_id="E97"), survey("S09", attitude=0),
    ]
    return estates, tickets, surveys


EXPECTED_COUNTS = {
    "values_outside_codes": 8,
    "tickets_missing_created_at": 0,
    "surveys_missing_surveyed_at": 0,
    "unparseable_timestamps": 0,
    "first_response_at_before_creation": 2,
    "resolved_at_before_creation": 1,
    "closed_at_before_creation": 1,
    "escalated_at_before_creation": 1,
    "resolved_without_time": 2,
    "surveys_unknown_ticket": 2,
    "tickets_unknown_estate": 4,
    "surveys_unknown_estate": 1,
    "estates_without_households": 1,
    "duplicate_ids": 0,
    "missing_indexes": 0,
}
EXPECTED_OUTSIDE = {
    "tickets.channel": {"rows": 2, "values": {"fax": 2}},
    "tickets.request_type": {"rows": 1, "values": {"报修": 1}},
    "tickets.status": {"rows": 1, "values": {"Open": 1}},
    "tickets.escalation_level": {"rows": 1, "values": {"7": 1}},
    "surveys.channel": {"rows": 1, "values": {"wechat": 1}},
    "surveys.score": {"rows": 1, "values": {"9": 1}},
    "surveys.attitude": {"rows": 1, "values": {"0": 1}},
}


@pytest.fixture(scope="module")
def planted(engine_name, scratch_databases) -> Database:
    db = scratch_databases.new(engine_name)
    write_dataset(db, dataset_from_records(*planted_records()))
    return db


@pytest.mark.engines
def test_check_counts_every_planted_problem(planted):
    report = quality_report(planted)
    assert report["row_counts"] == {"estates": 3, "tickets": 27, "surveys": 9}
    assert list(report["checks"]) == list(CHECKS)
    assert {k: v["count"] for k, v in report["checks"].items()} == EXPECTED_COUNTS
    assert report["checks"]["values_outside_codes"]["details"] == EXPECTED_OUTSIDE
    assert report["checks"]["tickets_unknown_estate"]["details"] == {"E99": 3, "E98": 1}
    assert report["checks"]["surveys_unknown_estate"]["details"] == {"E97": 1}
    assert report["checks"]["estates_without_households"]["details"] == {"estates": ["E02"]}
    assert report["checks"]["missing_indexes"]["details"] == {"indexes": []}
    assert report["problems"] == sum(1 for n in EXPECTED_COUNTS.values() if n)
    assert report["first_ticket_at"].startswith("2026-05-04 09:00:00")
    assert report["missing_tables"] == [] and report["mapped_tables"] == []


HAND_WRITTEN_DDL = [
    "CREATE TABLE estates (estate_id VARCHAR(64), name VARCHAR(200), city VARCHAR(100), region VARCHAR(100), households INTEGER)",
    "CREATE TABLE tickets (ticket_id VARCHAR(64), estate_id VARCHAR(64), created_at {ts}, channel VARCHAR(32), "
    "request_type VARCHAR(32), service_area VARCHAR(32), priority VARCHAR(32), severity VARCHAR(32), status VARCHAR(32), "
    "first_response_at {ts}, resolved_at {ts}, closed_at {ts}, escalation_level INTEGER, escalated_at {ts}, "
    "reopened_count INTEGER, owner_name VARCHAR(100), owner_phone VARCHAR(40), room VARCHAR(40), summary TEXT)",
    "CREATE TABLE surveys (survey_id VARCHAR(64), ticket_id VARCHAR(64), estate_id VARCHAR(64), service_area VARCHAR(32), "
    "surveyed_at {ts}, channel VARCHAR(32), score INTEGER, attitude INTEGER, speed INTEGER, result INTEGER, "
    "professionalism INTEGER, comment TEXT)",
    # An index on created_at alone does not serve the (estate_id, created_at) range scans.
    "CREATE INDEX tickets_by_time ON tickets (created_at)",
]
TIMESTAMP_TYPES = {"sqlite": "TIMESTAMP", "postgresql": "TIMESTAMP NULL", "mariadb": "DATETIME(6) NULL"}


@pytest.mark.engines
def test_check_on_a_hand_written_schema_without_keys_or_indexes(engine_name, scratch_databases):
    db = scratch_databases.new(engine_name)
    execute_ddl(db, [s.format(ts=TIMESTAMP_TYPES[engine_name]) for s in HAND_WRITTEN_DDL])
    estates, tickets, surveys = planted_records()
    tickets = tickets[:10] + [ticket("T01", summary="the same id again"), ticket("T02"), ticket("T40", created_at=None)]
    surveys = surveys[:3] + [survey("S03"), survey("S41", surveyed_at=None)]
    insert_into_existing_tables(db, dataset_from_records(estates, tickets, surveys))
    report = quality_report(db)
    counts = {k: v["count"] for k, v in report["checks"].items()}
    assert counts["duplicate_ids"] == 3 and report["checks"]["duplicate_ids"]["details"] == {"tickets": 2, "surveys": 1}
    assert counts["tickets_missing_created_at"] == 1
    assert counts["surveys_missing_surveyed_at"] == 1
    assert report["checks"]["missing_indexes"]["details"] == {"indexes": ["tickets(estate_id, created_at)", "surveys(ticket_id)"]}
    assert counts["values_outside_codes"] == 0 and counts["estates_without_households"] == 1


def test_unparseable_text_timestamps_on_sqlite(scratch_databases):
    db = scratch_databases.new("sqlite")
    execute_ddl(db, [s.format(ts="TEXT") for s in HAND_WRITTEN_DDL[:3]] + [
        "INSERT INTO estates VALUES ('E01', '翠湖花园', '上海', '华东', 10)",
        "INSERT INTO tickets (ticket_id, estate_id, created_at, resolved_at, escalation_level, reopened_count) "
        "VALUES ('A', 'E01', '2026-05-04 09:00:00', 'yesterday', 0, 0), ('B', 'E01', '04/05/2026', NULL, 0, 0), "
        "('C', 'E01', '2026-05-04T10:00', '2026-05-04 11:00', 0, 0)",
    ])
    report = quality_report(db)
    assert report["checks"]["unparseable_timestamps"]["count"] == 2
    assert report["checks"]["unparseable_timestamps"]["details"] == {"tickets.created_at": 1, "tickets.resolved_at": 1}


def test_check_reports_missing_tables_instead_of_failing(scratch_databases):
    db = scratch_databases.new("sqlite")
    execute_ddl(db, [HAND_WRITTEN_DDL[0], "INSERT INTO estates VALUES ('E01', '翠湖花园', '上海', '华东', 10)"])
    report = quality_report(db)
    assert report["missing_tables"] == ["surveys", "tickets"]
    assert report["row_counts"] == {"estates": 1, "tickets": None, "surveys": None}


@pytest.fixture(scope="module")
def planted_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("quality") / "planted.sqlite"
    write_dataset(Database(f"sqlite:///{path}"), dataset_from_records(*planted_records()))
    return path


def test_check_command_prints_the_report(planted_file):
    url = f"sqlite:///{planted_file}"
    done = run_cli("check", "--db", url, "--json")
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert {k: v["count"] for k, v in printed["checks"].items()} == EXPECTED_COUNTS
    text = run_cli("check", "--db", url)
    assert text.returncode == 0
    assert "Rows: estates 3 · tickets 27 · surveys 9" in text.stdout
    assert "[!!] surveys pointing at unknown tickets: 2" in text.stdout
    assert "tickets.channel: 2 rows: 'fax' x2" in text.stdout
    assert "[ok] ids used more than once: 0" in text.stdout


def test_check_never_writes_to_the_source(planted_file):
    before = planted_file.read_bytes()
    assert run_cli("check", "--db", f"sqlite:///{planted_file}").returncode == 0
    assert planted_file.read_bytes() == before
    missing = planted_file.parent / "nothing-here.sqlite"
    done = run_cli("check", "--db", f"sqlite:///{missing}")
    assert done.returncode == 2 and "does not exist" in done.stderr and not missing.exists()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_quality_page_shows_the_same_report(planted_file, tmp_path, lang):
    app = create_app(Settings(data_dir=tmp_path), f"sqlite:///{planted_file}")
    client = app.server.test_client()
    page = client.get("/quality", headers={"Cookie": f"lang={lang}"})
    assert page.status_code == 200
    result = post_callback(client, "quality-checks", "children", {"url.search": "", "lang.data": lang})
    checks = texts(result["quality-checks.children"])
    for key, n in EXPECTED_COUNTS.items():
        label = i18n.t(f"quality.check.{key}", lang)
        position = checks.index(label)
        assert checks[position + 1] == (i18n.number(n, lang) if n else i18n.t("quality.ok", lang))
    codes = texts(result["quality-codes.children"])
    assert ["tickets.channel", "fax", "2"] == codes[codes.index("tickets.channel"):codes.index("tickets.channel") + 3]
    assert i18n.t("quality.summary_problems", lang, n=sum(1 for n in EXPECTED_COUNTS.values() if n)) in texts(result["quality-summary.children"])
    rows = texts(result["quality-rows.children"])
    assert i18n.t("quality.table.tickets", lang) in rows and "27" in rows
    assert result["db-error:quality.data"] is None  # no database problem for the banner
    assert find_by_id(result["quality-checks.children"], "quality-checks-table") is not None


def test_quality_page_reports_an_unreachable_database_to_the_banner(tmp_path):
    app = create_app(Settings(data_dir=tmp_path), "postgresql://nobody@127.0.0.1:9/nowhere")
    result = post_callback(app.server.test_client(), "quality-checks", "children", {"url.search": "", "lang.data": "en"})
    assert "cannot reach the database" in result["db-error:quality.data"]
