"""Reading a ticket system's OWN tables through a mapping file (read-only, CTEs in front of every
query): the figures equal those of the same data in the canonical tables, on every engine, and
`check` lists the raw values no map knows."""
from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from data_access import ALL, Database, Filters, ServiceRules
from data_access.mapping import MappingError, attach_source_mapping, load_mapping
from data_access.metrics import compute_metrics
from data_access.quality import quality_report
from engines import write_dataset
from test_cli import run_cli
from test_metrics_contract import random_dataset

pytestmark = pytest.mark.engines

RAW = {  # canonical code -> what the ticket system stores
    "request_type": {"repair": "报修", "complaint": "投诉", "inquiry": "咨询", "suggestion": "建议", "praise": "表扬"},
    "service_area": {"security": "保安", "cleaning": "保洁", "greening": "绿化", "repair": "工程维修", "other": "其他"},
    "channel": {"phone": "电话", "front_desk": "前台", "app": "APP", "mailbox": "信箱", "patrol": "巡查", "email": "邮件", "other": "其他"},
    "priority": {"urgent": "紧急", "normal": "一般"},
    "severity": {"minor": "一般", "important": "重要", "major": "重大"},
    "status": {"open": "待处理", "in_progress": "处理中", "resolved": "已解决", "closed": "已关闭", "cancelled": "已取消"},
    "escalation_level": {0: "无", 1: "主管", 2: "管理处主任", 3: "公司领导"},
    "survey_channel": {"phone": "电话", "sms": "短信", "visit": "上门", "app": "线上"},
}

MAPPING = """
version = 1
[database.estates]
table = "crm_project"
[database.estates.columns]
estate_id = "code"
name = "title"
households = "hh"

[database.tickets]
table = "crm_workorder"
[database.tickets.columns]
ticket_id = "wo_no"
estate_id = "proj"
created_at = "accept_time"
request_type = "kind"
service_area = "specialty"
channel = "src"
priority = "urgency"
severity = "grade"
status = "state"
first_response_at = "reply_time"
resolved_at = "finish_time"
closed_at = "close_time"
escalation_level = "esc"
escalated_at = "esc_time"

[database.surveys]
query = "SELECT visit_no AS survey_id, wo_no AS ticket_id, proj AS estate_id, specialty AS service_area, visit_time AS surveyed_at, way AS channel, total AS score, s1 AS attitude, s2 AS speed, s3 AS result, s4 AS professionalism FROM crm_visit"

[values.survey_channel]
"上门" = "visit"
"""

TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
source = sa.MetaData()
crm_project = sa.Table("crm_project", source, sa.Column("code", sa.String(64), primary_key=True), sa.Column("title", sa.String(200)),
                       sa.Column("city", sa.String(100)), sa.Column("region", sa.String(100)), sa.Column("hh", sa.Integer))
crm_workorder = sa.Table(
    "crm_workorder", source, sa.Column("wo_no", sa.String(64), primary_key=True), sa.Column("proj", sa.String(64)),
    sa.Column("accept_time", TIMESTAMP), sa.Column("kind", sa.String(32)), sa.Column("specialty", sa.String(32)),
    sa.Column("src", sa.String(32)), sa.Column("urgency", sa.String(32)), sa.Column("grade", sa.String(32)),
    sa.Column("state", sa.String(32)), sa.Column("reply_time", TIMESTAMP), sa.Column("finish_time", TIMESTAMP),
    sa.Column("close_time", TIMESTAMP), sa.Column("esc", sa.String(32)), sa.Column("esc_time", TIMESTAMP),
    sa.Column("reopened_count", sa.Integer), sa.Column("summary", sa.Text),
)
crm_visit = sa.Table(
    "crm_visit", source, sa.Column("visit_no", sa.String(64), primary_key=True), sa.Column("wo_no", sa.String(64)),
    sa.Column("proj", sa.String(64)), sa.Column("specialty", sa.String(32)), sa.Column("visit_time", TIMESTAMP),
    sa.Column("way", sa.String(32)), *[sa.Column(c, sa.Integer) for c in ("total", "s1", "s2", "s3", "s4")],
)


def _value(x):
    if x is None or (isinstance(x, float) and pd.isna(x)) or x is pd.NaT:
        return None
    if isinstance(x, pd.Timestamp):
        return x.to_pydatetime()
    if hasattr(x, "item"):
        return x.item()
    return x


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: _value(v) for k, v in row.items()} for row in frame.astype(object).to_dict("records")]


def raw(table: str, code):
    return None if code is None else RAW[table].get(code, code)


def write_source(db: Database, data) -> None:
    source.create_all(db.engine)
    with db.engine.begin() as conn:
        conn.execute(crm_project.insert(), [
            {"code": e["estate_id"], "title": e["name"], "city": e["city"], "region": e["region"], "hh": int(e["households"])}
            for e in _records(data.estates)])
        conn.execute(crm_workorder.insert(), [
            {"wo_no": t["ticket_id"], "proj": t["estate_id"], "accept_time": t["created_at"], "kind": raw("request_type", t["request_type"]),
             "specialty": raw("service_area", t["service_area"]), "src": raw("channel", t["channel"]),
             "urgency": raw("priority", t["priority"]), "grade": raw("severity", t["severity"]), "state": raw("status", t["status"]),
             "reply_time": t["first_response_at"], "finish_time": t["resolved_at"], "close_time": t["closed_at"],
             "esc": raw("escalation_level", int(t["escalation_level"])), "esc_time": t["escalated_at"],
             "reopened_count": int(t["reopened_count"]), "summary": t["summary"]}
            for t in _records(data.tickets)])
        conn.execute(crm_visit.insert(), [
            {"visit_no": s["survey_id"], "wo_no": s["ticket_id"], "proj": s["estate_id"], "specialty": raw("service_area", s["service_area"]),
             "visit_time": s["surveyed_at"], "way": raw("survey_channel", s["channel"]),
             **{c: None if s[d] is None else int(s[d]) for c, d in zip(("total", "s1", "s2", "s3", "s4"), ("score", "attitude", "speed", "result", "professionalism"))}}
            for s in _records(data.surveys)])


@pytest.fixture(scope="module")
def dataset():
    data = random_dataset(tickets=1500, periodic_surveys=120)
    # Two raw channels nobody mapped: they stay as they are in both databases.
    tickets = data.tickets.copy()
    tickets.loc[tickets.index[:2], "channel"] = "传真"
    return type(data)(estates=data.estates, tickets=tickets, surveys=data.surveys)


@pytest.fixture(scope="module")
def databases(engine_name, scratch_databases, dataset, tmp_path_factory):
    canonical = scratch_databases.new(engine_name)
    write_dataset(canonical, dataset)
    mapped = scratch_databases.new(engine_name)
    write_source(mapped, dataset)
    mapping_file = tmp_path_factory.mktemp("mapping") / "crm.mapping.toml"
    mapping_file.write_text(MAPPING, encoding="utf-8")
    return canonical, mapped, mapping_file


SELECTIONS = [
    Filters(dt.date(2026, 1, 1), dt.date(2026, 6, 30)),
    Filters(dt.date(2026, 2, 2), dt.date(2026, 2, 15), estates={"E02", "E05"}, areas={"repair", "security"}),
    Filters(dt.date(2026, 3, 1), dt.date(2026, 3, 31), channels={"app", "phone"}, request_types={"complaint"}),
]


@pytest.mark.parametrize("filters", SELECTIONS, ids=["everything", "estates-areas", "channels-types"])
def test_figures_through_the_mapping_equal_the_canonical_tables(databases, filters):
    canonical, mapped_db, mapping_file = databases
    reader = Database(mapped_db.url.render_as_string(hide_password=False))
    attach_source_mapping(reader, load_mapping(mapping_file))
    expected = compute_metrics(canonical, ServiceRules(), filters, ALL)
    assert expected["tickets"]["total"] > 0
    assert compute_metrics(reader, ServiceRules(), filters, ALL) == expected


def test_check_through_the_mapping_lists_unmapped_raw_values(databases):
    canonical, mapped_db, mapping_file = databases
    reader = Database(mapped_db.url.render_as_string(hide_password=False))
    attach_source_mapping(reader, load_mapping(mapping_file))
    report = quality_report(reader)
    direct = quality_report(canonical)
    assert report["mapped_tables"] == ["estates", "surveys", "tickets"]
    assert report["row_counts"] == direct["row_counts"]
    assert report["checks"]["values_outside_codes"]["details"]["tickets.channel"] == {"rows": 2, "values": {"传真": 2}}
    counts = {k: v["count"] for k, v in report["checks"].items() if k != "missing_indexes"}
    assert counts == {k: v["count"] for k, v in direct["checks"].items() if k != "missing_indexes"}
    assert report["checks"]["missing_indexes"]["details"] == {"indexes": None}  # views: nothing to inspect


def test_commands_read_through_the_mapping_and_write_nothing(databases):
    canonical, mapped_db, mapping_file = databases
    url = mapped_db.url.render_as_string(hide_password=False)
    before = set(sa.inspect(mapped_db.engine).get_table_names())
    done = run_cli("metrics", "--db", url, "--mapping", str(mapping_file), "--from", "2026-01-01", "--to", "2026-06-30", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == compute_metrics(canonical, ServiceRules(), SELECTIONS[0], ALL)
    check = run_cli("check", "--db", url, "--mapping", str(mapping_file), "--json")
    assert check.returncode == 0, check.stderr
    assert json.loads(check.stdout)["row_counts"]["tickets"] == 1500 + len(random_dataset(tickets=0, periodic_surveys=0).tickets)
    # Without the mapping the source has no canonical tables: one clear line.
    bare = run_cli("check", "--db", url, "--json")
    assert bare.returncode == 0 and json.loads(bare.stdout)["missing_tables"] == ["estates", "surveys", "tickets"]
    missing = run_cli("metrics", "--db", url, "--from", "2026-01-01", "--to", "2026-01-31")
    assert missing.returncode == 1 and "lacks the canonical table(s)" in missing.stderr
    assert set(sa.inspect(mapped_db.engine).get_table_names()) == before


def test_a_mapping_naming_a_missing_source_table_is_one_clear_line(databases, tmp_path):
    _, mapped_db, _ = databases
    bad = tmp_path / "bad.toml"
    bad.write_text('[database.tickets]\ntable = "no_such_table"\n', encoding="utf-8")
    done = run_cli("check", "--db", mapped_db.url.render_as_string(hide_password=False), "--mapping", str(bad))
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert "no_such_table" in done.stderr


def test_mapping_errors_name_the_key():
    with pytest.raises(MappingError, match=r"database.tickets.columns: 'wo' is not a column of tickets"):
        load_mapping_text('[database.tickets]\ntable = "x"\n[database.tickets.columns]\nwo = "a"\n')


def load_mapping_text(text: str):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.toml"
        path.write_text(text, encoding="utf-8")
        return load_mapping(path)


def test_the_dashboard_serves_a_source_through_its_mapping(databases, tmp_path):
    """`serve --mapping` (the mapping_file setting): the Overview's tiles come through the mapping."""
    from dash_requests import find_by_id, post_callback, texts

    from dashboard.app import create_app
    from data_access import Settings

    canonical, mapped_db, mapping_file = databases
    settings = Settings(data_dir=tmp_path, mapping_file=mapping_file, today=dt.date(2026, 7, 1))
    app = create_app(settings, mapped_db.url.render_as_string(hide_password=False))
    result = post_callback(app.server.test_client(), "overview-tiles", "children",
                           {"url.search": "?period=custom&from=2026-01-01&to=2026-06-30", "lang.data": "en"})
    expected = compute_metrics(canonical, ServiceRules(), SELECTIONS[0], ALL)["tickets"]["total"]
    shown = texts(find_by_id(result["overview-tiles.children"], "tile-value-tickets"))[0]
    assert int(shown.replace(",", "")) == expected > 0
