"""A Chinese ticket-system export made by the tests: estates, tickets and surveys with Chinese
headers and values, written as XLSX (openpyxl) or CSV in any encoding, and the canonical rows
they must become through examples/chinese_export.mapping.toml."""
from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHINESE_MAPPING = ROOT / "examples" / "chinese_export.mapping.toml"
NYC_MAPPING = ROOT / "examples" / "nyc311.mapping.toml"
NYC_EXPORT = ROOT.parent / "shared" / "data" / "nyc311_service_requests_sample.csv"

ESTATE_HEADERS = ["项目编号", "项目名称", "城市", "区域", "户数"]
ESTATES = [
    ["E01", "翠湖花园", "上海", "华东", "1200"],
    ["E02", "金色家园", "杭州", "华东", "800"],
]

TICKET_HEADERS = ["工单号", "项目", "受理时间", "服务类别", "工单类型", "渠道", "优先级", "投诉等级", "状态",
                  "首次响应时间", "解决时间", "升级级别", "业主姓名", "联系电话", "房号", "内容"]
TICKETS = [
    # 项目 holds a name (翠湖花园) or a code (E02); three timestamp formats of the mapping.
    ["GD001", "翠湖花园", "2026-03-02 09:15:00", "工程维修", "报修", "电话", "紧急", "", "已解决",
     "2026-03-02 09:20:00", "2026-03-02 12:00:00", "无", "张三", "13800000001", "3-1-101", "厨房漏水，𠮷字测试"],
    ["GD002", "E02", "2026/03/03 14:00", "保安", "投诉", "微信", "一般", "重大", "处理中",
     "2026/03/03 14:30", "", "管理处主任", "李四", "13800000002", "5-2-302", "夜间噪音"],
    ["GD003", "翠湖花园", "2026年03月04日 10:00", "绿化", "建议", "前台", "普通", "", "已关闭",
     "", "2026-03-05 10:00:00", "0", "王五", "", "1-1-1", "草坪修剪"],
    ["GD004", "E01", "2026-03-05 08:00:00", "保洁", "咨询", "APP", "一般", "", "待处理",
     "", "", "主管", "", "", "", "楼道清洁时间"],
    ["GD005", "金色家园", "2026-03-06 18:00:00", "其他", "表扬", "信箱", "一般", "", "已取消",
     "", "", "无", "", "", "", "表扬门岗"],
]
# ticket_id -> the canonical values it must get.
EXPECTED_TICKETS = {
    "GD001": dict(estate_id="E01", service_area="repair", request_type="repair", channel="phone", priority="urgent",
                  severity=None, status="resolved", escalation_level=0, created_at=dt.datetime(2026, 3, 2, 9, 15),
                  first_response_at=dt.datetime(2026, 3, 2, 9, 20), resolved_at=dt.datetime(2026, 3, 2, 12, 0)),
    "GD002": dict(estate_id="E02", service_area="security", request_type="complaint", channel="app", priority="normal",
                  severity="major", status="in_progress", escalation_level=2, created_at=dt.datetime(2026, 3, 3, 14, 0),
                  first_response_at=dt.datetime(2026, 3, 3, 14, 30), resolved_at=None),
    "GD003": dict(estate_id="E01", service_area="greening", request_type="suggestion", channel="front_desk",
                  priority="normal", severity=None, status="closed", escalation_level=0,
                  created_at=dt.datetime(2026, 3, 4, 10, 0), first_response_at=None, resolved_at=dt.datetime(2026, 3, 5, 10, 0)),
    "GD004": dict(estate_id="E01", service_area="cleaning", request_type="inquiry", channel="app", priority="normal",
                  severity=None, status="open", escalation_level=1, created_at=dt.datetime(2026, 3, 5, 8, 0),
                  first_response_at=None, resolved_at=None),
    "GD005": dict(estate_id="E02", service_area="other", request_type="praise", channel="mailbox", priority="normal",
                  severity=None, status="cancelled", escalation_level=0, created_at=dt.datetime(2026, 3, 6, 18, 0),
                  first_response_at=None, resolved_at=None),
}

SURVEY_HEADERS = ["问卷编号", "工单号", "项目", "回访时间", "回访方式", "满意度", "服务态度", "响应速度", "处理结果", "专业水平", "意见"]
SURVEYS = [
    ["WJ001", "GD001", "", "2026-03-03 10:00:00", "电话", "非常满意", "5", "4", "5", "5", "师傅很专业"],
    ["WJ002", "", "金色家园", "2026-03-10 10:00:00", "上门", "4", "", "", "", "", ""],
    ["WJ003", "GD003", "", "2026-03-06 09:00:00", "短信", "不满意", "2", "3", "2", "", "太慢"],
]
EXPECTED_SURVEYS = {
    "WJ001": dict(ticket_id="GD001", estate_id="E01", service_area="repair", channel="phone", score=5, attitude=5, speed=4),
    "WJ002": dict(ticket_id=None, estate_id="E02", service_area=None, channel="visit", score=4, attitude=None, speed=None),
    "WJ003": dict(ticket_id="GD003", estate_id="E01", service_area="greening", channel="sms", score=2, attitude=2, speed=3),
}


def csv_bytes(headers: list[str], rows: list[list[str]], *, encoding: str = "utf-8", end_newline: bool = True) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    text = buffer.getvalue()
    if not end_newline:
        text = text.rstrip("\r\n")
    return text.encode(encoding)


def write_csv(path: Path, headers, rows, *, encoding: str = "utf-8", end_newline: bool = True) -> Path:
    path.write_bytes(csv_bytes(headers, rows, encoding=encoding, end_newline=end_newline))
    return path


def _xlsx_value(header: str, value: str):
    """Timestamps of the first format as real date cells, the rest as text (both occur in exports)."""
    if header.endswith("时间") and len(value) == 19 and value[4] == "-":
        return dt.datetime.fromisoformat(value)
    if header in ("户数", "满意度", "服务态度", "响应速度", "处理结果", "专业水平") and value.isdigit():
        return int(value)
    return value or None


def write_xlsx(path: Path, sheets: dict[str, tuple[list[str], list[list[str]]]]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, (headers, rows) in sheets.items():
        sheet = book.create_sheet(title)
        sheet.append(headers)
        for row in rows:
            sheet.append([_xlsx_value(h, v) for h, v in zip(headers, row)])
    book.save(path)
    return path


def whole_export(path: Path) -> Path:
    return write_xlsx(path, {"项目": (ESTATE_HEADERS, ESTATES), "工单": (TICKET_HEADERS, TICKETS), "回访": (SURVEY_HEADERS, SURVEYS)})
