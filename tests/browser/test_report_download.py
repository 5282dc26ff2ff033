"""The Overview's Download buttons in headless Chromium: the meeting pack for the filters on
screen arrives as a file that opens (PDF with the tiles' numbers, XLSX with the same ones)."""
from __future__ import annotations

import shutil
import subprocess

import openpyxl
import pytest
from conftest import OUTPUT, wait_for_dash


def download(page, button: str, timeout: float = 90_000):
    with page.expect_download(timeout=timeout) as info:
        page.click(f"#{button}")
    return info.value


def test_download_pdf_of_last_week(page, dashboard_url, tmp_path):
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils not installed")
    page.goto(dashboard_url + "/")
    wait_for_dash(page)
    tickets = page.inner_text("#tile-value-tickets")
    within_sla = page.inner_text("#tile-value-within_sla")
    got = download(page, "report-download-pdf")
    assert got.suggested_filename == "estate-pack-2026-W47-en.pdf"
    path = tmp_path / got.suggested_filename
    got.save_as(path)
    assert path.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Weekly service meeting pack" in text and "Week 47, 2026" in text
    assert tickets in text and within_sla in text  # the report and the tiles agree
    (OUTPUT / "reports").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, OUTPUT / "reports" / "download-overview-en.pdf")
    assert not page.is_disabled("#report-download-pdf")  # enabled again once the file is made


def test_download_excel_of_a_filtered_month_in_chinese(page_zh, dashboard_url, tmp_path):
    page_zh.goto(dashboard_url + "/?period=last_month&area=repair")
    wait_for_dash(page_zh)
    tickets = int(page_zh.inner_text("#tile-value-tickets").replace(",", ""))
    got = download(page_zh, "report-download-xlsx")
    assert got.suggested_filename == "estate-complaints-2026-10-zh.xlsx"
    path = tmp_path / got.suggested_filename
    got.save_as(path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[0] == "概要"
    summary = {row[0]: row for row in book["概要"].iter_rows(values_only=True) if row and row[0]}
    assert summary["工单数"][1] == tickets
    assert summary["服务类别"][1] == "工程维修"  # the filter on screen is the report's
    assert any(name.startswith("各服务类别投诉及等级") for name in book.sheetnames)
