"""The meeting pack as users get it: `estate-dashboard report` (and the function behind it) on a
demo week. The PDF's text holds the numbers `metrics --json` gives for that week, formatted as
the report formats them, and its Chinese headings as text (fonts embedded); its pages are not
blank; the XLSX holds the same numbers in typed cells; owners' details stay masked; a week
without data says so; bad input is one line and a non-zero exit."""
from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from test_cli import console_script, run_cli

from dashboard import i18n
from dashboard import report as reports
from data_access import ALL, Database, Filters, Scope, ServiceRules, Settings
from data_access.annotations import annotation_store
from data_access.demo import generate_demo
from data_access.metrics import compute_metrics
from data_access.report import PeriodError, ReportPeriod
from data_access.schema import SERVICE_AREAS

pytestmark = pytest.mark.slow

WEEK, WEEK_FROM, WEEK_TO = "2026-W47", "2026-11-16", "2026-11-22"
OUTPUT = Path(__file__).resolve().parents[1] / "test-output" / "reports"
POPPLER = shutil.which("pdftotext") and shutil.which("pdffonts") and shutil.which("pdftoppm")


def needs_poppler():
    if not POPPLER:
        pytest.skip("poppler-utils (pdftotext, pdffonts, pdftoppm) not installed: see .ci/run")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """(database URL, data dir): a small demo whose history ends on Sunday 22 November 2026."""
    folder = tmp_path_factory.mktemp("report")
    url = f"sqlite:///{folder / 'demo.sqlite'}"
    db = Database(url)
    generate_demo(db, estates=12, tickets=15_000, months=6, seed=3, end=dt.date(2026, 11, 22), progress=False)
    db.dispose()
    data_dir = folder / "data"
    data_dir.mkdir()
    return url, data_dir


def metrics_json(url: str, start: str, end: str, *extra: str) -> dict:
    completed = run_cli("metrics", "--db", url, "--from", start, "--to", end, "--json", *extra)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def report_cli(url: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return run_cli("report", "--db", url, *args, env={"ESTATE_DATA_DIR": str(data_dir)})


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def squeezed(text: str) -> str:
    return re.sub(r"[ \t]+", " ", text)


def keep(path: Path, name: str) -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, OUTPUT / name)


@pytest.fixture(scope="module")
def weekly_en(demo, tmp_path_factory) -> tuple[Path, dict]:
    """The English weekly PDF made by the installed command, and metrics --json for the week."""
    needs_poppler()
    url, data_dir = demo
    out = tmp_path_factory.mktemp("out") / "pack.pdf"
    completed = report_cli(url, data_dir, "--week", WEEK, "--lang", "en", "--out", str(out))
    assert completed.returncode == 0, completed.stderr
    assert "Traceback" not in completed.stderr
    assert f"wrote {out}" in completed.stdout
    keep(out, "pack-2026-W47-en.pdf")
    return out, metrics_json(url, WEEK_FROM, WEEK_TO)


def test_pdf_headlines_are_the_metrics_of_the_week(weekly_en):
    path, figures = weekly_en
    text = squeezed(pdf_text(path))
    t, fr, res, esc, com, sat = (figures[k] for k in ("tickets", "first_response", "resolution", "escalations", "complaints", "satisfaction"))
    assert t["total"] > 500
    expected = [
        i18n.number(t["total"], "en"),
        i18n.percent(fr["within_target_pct"], "en"),
        i18n.minutes(fr["median_minutes"], "en"),
        i18n.percent(res["within_sla_pct"], "en"),
        i18n.number(esc["total"], "en"),
        i18n.percent(sat["csat_pct"], "en"),
        i18n.number(sat["mean_score"], "en", 2),
        i18n.percent(sat["follow_up_coverage_pct"], "en"),
        f"Escalation rate {i18n.percent(esc['rate_pct'], 'en')}",
        f"Complaints over 30 days {com['overdue_30d']}",
    ]
    missing = [value for value in expected if value not in text]
    assert not missing, f"not in the PDF: {missing}"
    assert "Week 47, 2026" in text and "Data up to" in text


def test_pdf_area_rows_are_the_metrics_per_area(weekly_en):
    """Each area's row of the table, read across one line of the page, is `by_area` of metrics --json."""
    path, figures = weekly_en
    lines = [squeezed(line).strip() for line in pdf_text(path).splitlines()]
    for area in SERVICE_AREAS:
        f = figures["by_area"][area]
        cells = [
            i18n.number(f["tickets"], "en"), i18n.number(f["first_response_median_minutes"], "en", 1),
            i18n.percent(f["first_response_within_target_pct"], "en"), i18n.number(f["resolution_median_hours"], "en", 1),
            i18n.percent(f["within_sla_pct"], "en"), i18n.number(f["escalations"], "en"), i18n.number(f["responses"], "en"),
            i18n.percent(f["csat_pct"], "en"), i18n.number(f["mean_score"], "en", 2),
        ]
        name = i18n.area(area, "en")
        rows = [line for line in lines if line.startswith(name + " ")]
        assert rows, f"no row for {name}"
        row = rows[0].split(" ")
        # Tickets, comparison tickets, then the figures in table order.
        assert row[1] == cells[0] and row[3:] == cells[1:], (area, rows[0], cells)


def test_pdf_escalations_by_level(weekly_en):
    path, figures = weekly_en
    lines = [squeezed(line).strip() for line in pdf_text(path).splitlines()]
    for level in ("1", "2", "3"):
        name = i18n.label("level", int(level), "en")
        count = i18n.number(figures["escalations"]["by_level"][level], "en")
        assert any(line.startswith(f"{name} {count} ") for line in lines), (name, count)


@pytest.fixture(scope="module")
def weekly_zh(demo, tmp_path_factory) -> Path:
    """The Chinese weekly PDF made by the function, with an analyst's annotation in the week."""
    needs_poppler()
    url, data_dir = demo
    store = annotation_store(data_dir)
    store.add(dt.date(2026, 11, 18), dt.date(2026, 11, 19), "台风“海葵”", note="停电两天，维修工单激增")
    db = Database(url)
    settings = Settings(data_dir=data_dir)
    report = reports.build(db, settings, ReportPeriod.week(WEEK), lang="zh")
    out = tmp_path_factory.mktemp("zh") / "pack-zh.pdf"
    assert reports.write_file(report, out) is None  # charts drawn
    keep(out, "pack-2026-W47-zh.pdf")
    return out


def test_pdf_chinese_headings_are_text_in_an_embedded_cjk_font(weekly_zh, demo):
    text = pdf_text(weekly_zh)
    for heading in ("客户服务周例会报告", "2026年第47周", "分服务类别", "升级情况", "未结重大投诉及超30天投诉", "需关注的项目",
                    "分类别、分维度满意度", "工程维修", "满意率（4-5分）", "数据截至"):
        assert heading in text, heading
    fonts = subprocess.run(["pdffonts", str(weekly_zh)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    cjk = [line for line in fonts if "CJK" in line]
    assert cjk, fonts
    # name, type..., emb, sub, uni: every CJK font embedded (and subsetted, with a Unicode map).
    assert all(line.split()[-5:-2] == ["yes", "yes", "yes"] for line in cjk), cjk
    figures = metrics_json(demo[0], WEEK_FROM, WEEK_TO)
    assert i18n.percent(figures["resolution"]["within_sla_pct"], "zh") in text


def test_pdf_shows_the_annotation(weekly_zh):
    text = pdf_text(weekly_zh)
    assert "台风“海葵”" in text and "停电两天" in text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pdf_pages_are_a4_landscape_and_not_blank(weekly_en, weekly_zh, tmp_path, lang):
    from PIL import Image, ImageStat

    path = weekly_en[0] if lang == "en" else weekly_zh
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert size and abs(float(size[1]) - 841.89) < 1 and abs(float(size[2]) - 595.28) < 1, info
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(path), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 3
    for page in pages:
        with Image.open(page) as image:
            grey = image.convert("L")
            spread = ImageStat.Stat(grey).stddev[0]
            dark = sum(grey.histogram()[:160])
        assert spread > 8 and dark > 500, f"{page.name} looks blank (stddev {spread:.1f}, {dark} dark pixels)"
    OUTPUT.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(pages[0], OUTPUT / f"pack-2026-W47-{lang}-page1.png")


def test_chart_text_is_vector_text_in_the_pdf(weekly_en):
    """Charts are SVG: their labels (here the legend of the tickets chart) are text, not pixels."""
    text = pdf_text(weekly_en[0])
    assert "Comparison period" in text and "This period" in text


# --- XLSX ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def weekly_xlsx(demo, tmp_path_factory):
    url, data_dir = demo
    out = tmp_path_factory.mktemp("xlsx") / "pack.xlsx"
    completed = report_cli(url, data_dir, "--week", WEEK, "--lang", "en", "--out", str(out))
    assert completed.returncode == 0, completed.stderr
    keep(out, "pack-2026-W47-en.xlsx")
    return openpyxl.load_workbook(out), metrics_json(url, WEEK_FROM, WEEK_TO)


def rows_of(sheet) -> list[tuple]:
    return list(sheet.iter_rows(values_only=True))


def sheet_titled(book, title: str):
    """The sheet of a table: its title cut to Excel's 31 characters."""
    return book[title[:31].strip()]


def test_xlsx_summary_holds_the_metrics(weekly_xlsx):
    book, figures = weekly_xlsx
    sheet = book["Summary"]
    by_label = {}
    for row in sheet.iter_rows(min_row=1):
        if row[0].value is not None:
            by_label[row[0].value] = row
    tickets = by_label["Tickets"]
    assert tickets[1].value == figures["tickets"]["total"]
    reply = by_label["First reply within 15 min"]
    assert reply[1].value == pytest.approx(figures["first_response"]["within_target_pct"] / 100, abs=1e-9)
    assert "%" in reply[1].number_format
    assert by_label["Median first reply"][1].value == pytest.approx(figures["first_response"]["median_minutes"])
    assert by_label["Satisfied (score 4–5)"][1].value == pytest.approx(figures["satisfaction"]["csat_pct"] / 100)
    assert by_label["Mean score"][1].value == pytest.approx(figures["satisfaction"]["mean_score"])


def test_xlsx_sheet_per_section_with_typed_cells(weekly_xlsx):
    book, figures = weekly_xlsx
    names = book.sheetnames
    for expected in ("Summary", "Figures per service area", "The last 4 weeks", "Escalations by highest level reached",
                     "Open major and overdue complaints", "Estates needing attention", "Satisfaction per service area and dimension",
                     "Events recorded by analysts"):
        assert expected[:31].strip() in names, names
    areas = rows_of(book["Figures per service area"])
    assert areas[1][0] == "Service area"  # the header row, in the report's language
    for row in areas[2:7]:
        area = next(a for a in SERVICE_AREAS if i18n.area(a, "en") == row[0])
        f = figures["by_area"][area]
        assert row[1] == f["tickets"] and isinstance(row[1], int | float)
        assert row[6] == pytest.approx(f["within_sla_pct"] / 100)
        assert row[9] == pytest.approx(f["csat_pct"] / 100)
    sheet = book["Figures per service area"]
    assert sheet.cell(3, 7).number_format == "0.0%"
    assert sheet.column_dimensions["A"].width >= 8
    trend = rows_of(book["The last 4 weeks"])
    assert [row[0] for row in trend[2:6]] == ["W44", "W45", "W46", "W47"]
    assert isinstance(trend[2][1], dt.datetime) and trend[5][1] == dt.datetime(2026, 11, 16)
    assert trend[5][3] == figures["tickets"]["total"]  # this week's row of the trend is the week's figure
    watch = rows_of(sheet_titled(book, "Open major and overdue complaints"))
    assert len(watch) > 2 and isinstance(watch[2][1], dt.datetime)


# --- privacy ---------------------------------------------------------------------------------
def watchlist_owners(url: str) -> tuple[set[str], set[str]]:
    """Raw phone numbers and names of every owner with a complaint received by the week's end."""
    db = Database(url)
    rows = db.rows(sa.text("SELECT owner_phone, owner_name FROM tickets WHERE request_type = 'complaint' AND created_at < '2026-11-23'"))
    db.dispose()
    phones = {str(p) for p, _ in rows if p}
    names = {str(n) for _, n in rows if n and len(str(n)) >= 2}
    return phones, names


def test_owner_details_are_masked_everywhere(weekly_en, weekly_zh, weekly_xlsx, demo):
    phones, names = watchlist_owners(demo[0])
    assert phones and names
    texts = pdf_text(weekly_en[0]) + pdf_text(weekly_zh)
    digits = set(re.findall(r"\d{11}", texts.replace(" ", "")))
    assert not digits & phones
    book, _ = weekly_xlsx
    cells = {str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row if v is not None}
    assert not cells & phones
    assert not cells & names, sorted(cells & names)[:5]
    owners = [row[8] for row in rows_of(sheet_titled(book, "Open major and overdue complaints"))[2:] if row[8]]
    assert owners and all("*" in owner for owner in owners)


# --- no data, monthly, scope -----------------------------------------------------------------
def test_a_week_without_data_says_so(demo, tmp_path):
    needs_poppler()
    url, data_dir = demo
    pdf, xlsx = tmp_path / "empty.pdf", tmp_path / "empty.xlsx"
    for out in (pdf, xlsx):
        completed = report_cli(url, data_dir, "--week", "2020-W01", "--lang", "en", "--out", str(out))
        assert completed.returncode == 0, completed.stderr
        assert "no tickets or surveys" in completed.stdout
    text = squeezed(pdf_text(pdf))
    assert "No tickets or surveys in Week 1, 2020" in text
    summary = rows_of(openpyxl.load_workbook(xlsx)["Summary"])
    assert any(row[0] and str(row[0]).startswith("No tickets or surveys") for row in summary)
    keep(pdf, "pack-2020-W01-empty-en.pdf")


def test_monthly_complaint_report(demo, tmp_path):
    needs_poppler()
    url, data_dir = demo
    month = metrics_json(url, "2026-10-01", "2026-10-31")
    previous = metrics_json(url, "2026-09-01", "2026-09-30")
    xlsx, pdf = tmp_path / "october.xlsx", tmp_path / "october.pdf"
    for out, lang in ((xlsx, "en"), (pdf, "zh")):
        completed = report_cli(url, data_dir, "--month", "2026-10", "--lang", lang, "--out", str(out))
        assert completed.returncode == 0, completed.stderr
    keep(pdf, "complaints-2026-10-zh.pdf")
    keep(xlsx, "complaints-2026-10-en.xlsx")
    book = openpyxl.load_workbook(xlsx)
    causes = rows_of(sheet_titled(book, "Complaints by service area and severity"))
    total = causes[-1] if causes[-1][0] == "All areas" else next(r for r in causes if r[0] == "All areas")
    severity = month["complaints"]["by_severity"]
    assert list(total[1:6]) == [severity["minor"], severity["important"], severity["major"], severity["unclassified"], month["complaints"]["total"]]
    assert total[7] == previous["complaints"]["total"]
    against = {row[0]: row for row in rows_of(sheet_titled(book, "This month against the month before"))[2:]}
    sla = against["Resolved within SLA"]
    assert sla[1] == pytest.approx(month["resolution"]["within_sla_pct"] / 100)
    assert sla[2] == pytest.approx(previous["resolution"]["within_sla_pct"] / 100)
    rules = rows_of(book["Share handled within the rules"])
    complaints_only = compute_metrics(Database(url), ServiceRules(), Filters(dt.date(2026, 10, 1), dt.date(2026, 10, 31), request_types={"complaint"}), ALL)
    row = next(r for r in rules[2:] if r[0] == "Complaints" and r[1] == "All areas")
    assert row[3] == pytest.approx(complaints_only["first_response"]["within_target_pct"] / 100)
    assert row[5] == pytest.approx(complaints_only["resolution"]["within_sla_pct"] / 100)
    text = pdf_text(pdf)
    for heading in ("客户投诉分析月报", "2026年10月", "投诉原因分析（按类别与等级）", "环比与按规处理情况", "本月与上月对比"):
        assert heading in text, heading


def test_report_honours_the_scope(demo):
    """An estate manager's pack: only their estates' tickets, complaints and estates."""
    url, data_dir = demo
    db = Database(url)
    estates = sorted(r[0] for r in db.rows(sa.text("SELECT estate_id FROM estates ORDER BY estate_id LIMIT 2")))
    scope = Scope.of(estates)
    report = reports.build(db, Settings(data_dir=data_dir), ReportPeriod.week(WEEK), lang="en", scope=scope)
    expected = compute_metrics(db, ServiceRules(), Filters(dt.date(2026, 11, 16), dt.date(2026, 11, 22), estates=estates), ALL)
    assert report.data.current["tickets"]["total"] == expected["tickets"]["total"] > 0
    assert set(report.data.watchlist["estate_id"]) <= set(estates)
    assert set(report.data.league["estate_id"]) <= set(estates)
    assert set(report.data.estates["estate_id"]) == set(estates)


# --- periods and bad input -------------------------------------------------------------------
def test_periods():
    week = ReportPeriod.week("2026-W47")
    assert (week.start, week.end, week.compare_start, week.compare_end) == (
        dt.date(2026, 11, 16), dt.date(2026, 11, 22), dt.date(2026, 11, 9), dt.date(2026, 11, 15))
    assert ReportPeriod.week("2026-W01").start == dt.date(2025, 12, 29)  # ISO weeks cross the year
    march = ReportPeriod.month("2024-03")
    assert (march.end, march.compare_start, march.compare_end) == (dt.date(2024, 3, 31), dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert ReportPeriod.month("2026-02").trend_buckets()[1][0][0] == dt.date(2025, 9, 1)
    assert ReportPeriod.custom(dt.date(2026, 11, 16), dt.date(2026, 11, 22), dt.date(2026, 11, 9), dt.date(2026, 11, 15)).kind == "week"
    assert ReportPeriod.custom(dt.date(2026, 10, 1), dt.date(2026, 10, 31), dt.date(2025, 10, 1), dt.date(2025, 10, 31)).kind == "month"
    for bad in ("2026-W54", "2026-47", "W47", "2026-W", ""):
        with pytest.raises(PeriodError):
            ReportPeriod.week(bad)
    for bad in ("2026-13", "2026-00", "2026/10", "Oct 2026"):
        with pytest.raises(PeriodError):
            ReportPeriod.month(bad)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--week", "2026-W60"], "no such ISO week"),
        (["--week", "47"], "not an ISO week"),
        (["--month", "2026-13"], "not a month"),
        (["--week", WEEK, "--estate", "NO-SUCH-ESTATE"], "unknown estate"),
        (["--week", WEEK, "--lang", "fr"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(demo, tmp_path, args, message):
    url, data_dir = demo
    completed = report_cli(url, data_dir, *args, "--out", str(tmp_path / "x.pdf"))
    assert completed.returncode != 0
    assert message in completed.stderr and "Traceback" not in completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.parametrize(
    "out, message",
    [
        ("/no/such/folder/pack.pdf", "folder does not exist"),
        ("pack.docx", "must end in .pdf or .xlsx"),
    ],
)
def test_bad_output_path(demo, out, message):
    url, data_dir = demo
    completed = report_cli(url, data_dir, "--week", WEEK, "--out", out)
    assert completed.returncode == 2 and message in completed.stderr and "Traceback" not in completed.stderr


def test_unwritable_output_folder(demo, tmp_path):
    import os

    if os.geteuid() == 0:
        pytest.skip("root writes everywhere")
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o500)
    completed = report_cli(demo[0], demo[1], "--week", WEEK, "--out", str(folder / "pack.pdf"))
    assert completed.returncode == 2 and "permission denied" in completed.stderr


def test_output_is_a_folder(demo, tmp_path):
    folder = tmp_path / "pack.pdf"
    folder.mkdir()
    completed = report_cli(demo[0], demo[1], "--week", WEEK, "--out", str(folder))
    assert completed.returncode == 2 and "is a folder" in completed.stderr


@pytest.mark.parametrize(
    "db_url, message",
    [
        ("postgresql://nobody@127.0.0.1:9/none", "cannot reach the database"),
        ("sqlite:////no/such/tickets.sqlite", "does not exist"),
    ],
)
def test_unreachable_database(tmp_path, db_url, message):
    completed = run_cli("report", "--db", db_url, "--week", WEEK, "--out", str(tmp_path / "pack.pdf"))
    assert completed.returncode != 0 and message in completed.stderr and "Traceback" not in completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1


def test_the_documented_cron_line_runs(demo, tmp_path):
    """README's crontab line, as cron's shell runs it (crontab's \\% is a plain %), makes last week's pack."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    line = next(l for l in readme.splitlines() if l.startswith("0 7 * * 1"))
    command = line.split(None, 5)[5].replace("\\%", "%")
    command = re.sub(r"ESTATE_DB_URL=\S+", f"ESTATE_DB_URL={demo[0]} ESTATE_DATA_DIR={demo[1]}", command)
    command = command.replace("/srv/packs/", f"{tmp_path}/").replace("estate-dashboard", console_script(), 1)
    completed = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr
    week = subprocess.run(["date", "-d", "last week", "+%G-W%V"], capture_output=True, text=True, check=True).stdout.strip()
    assert (tmp_path / f"pack-{week}.pdf").read_bytes()[:5] == b"%PDF-"
    broken = subprocess.run(["sh", "-c", command.replace(demo[0], "sqlite:////no/such.sqlite")], capture_output=True, text=True, timeout=60, check=False)
    assert broken.returncode != 0 and broken.stderr.count("\n") == 1 and "does not exist" in broken.stderr
