"""The meeting pack (weekly) and the complaint analysis report (monthly) as PDF or XLSX: the same
data, content and numbers for `estate-dashboard report` and the Overview's Download buttons.

    data_access.report.report_data   every query (the estate Scope applies to each)
    content.build_report              one language: headlines (as the Overview's tiles), typed tables
    charts.render_svgs                the figures of dashboard/figures as SVG (kaleido + Chromium)
    pdf.write_pdf / xlsx.write_xlsx   the files
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from data_access import Database, Filters, Scope, ServiceRules, Settings
from data_access.annotations import annotation_store, store_path
from data_access.report import ReportData, ReportPeriod, report_data

from .. import i18n
from .content import Report, build_report

log = logging.getLogger(__name__)
FORMATS = ("pdf", "xlsx")
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# The steps a progress bar shows, in order.
STEPS = ("metrics", "trend", "complaints", "estates", "monthly", "content", "charts", "write")


class ReportError(ValueError):
    """A report that cannot be made as asked (unknown format, unwritable path)."""


@dataclass
class ReportResult:
    path: Path | None
    report: Report
    charts_missing: str | None
    seconds: dict[str, float]


def format_of(path: str | Path) -> str:
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ReportError(f"the output must end in .pdf or .xlsx: {path}")
    return suffix


def report_annotations(settings: Settings, data: ReportData, scope: Scope) -> list:
    """Annotations over the report's trend window and estates, read from the dashboard's own file
    (none when it does not exist yet: a report never creates it)."""
    if not store_path(settings.data_dir).exists():
        return []
    _, buckets = data.period.trend_buckets()
    start = min(buckets[0][0], data.period.start)
    try:
        return annotation_store(settings.data_dir).list(scope, start=start, end=data.period.end, estates=data.filters.estates)
    except Exception:  # the annotations are a garnish: a broken file never stops the pack
        log.warning("annotations unavailable", exc_info=True)
        return []


def build(
    db: Database, settings: Settings, period: ReportPeriod, *, lang: str = "zh", scope: Scope | None = None,
    base: Filters | None = None, personal_data: bool = False, progress: Callable[[str], None] | None = None,
    now: dt.datetime | None = None,
) -> Report:
    """The report's content: every query, in one language."""
    scope = scope if scope is not None else Scope.everything()
    step = progress or (lambda _name: None)
    rules = ServiceRules.from_settings(settings)
    data = report_data(db, rules, period, scope, base=base, personal_data=personal_data, progress=step)
    data.annotations = report_annotations(settings, data, scope)
    report = build_report(data, settings, i18n.normalise_language(lang), now=now)
    step("content")
    return report


def render(report: Report, fmt: str, out: BinaryIO | str | Path, *, progress: Callable[[str], None] | None = None) -> str | None:
    """Write the report as `fmt` to `out`; returns why charts are missing, if they are."""
    step = progress or (lambda _name: None)
    charts_missing = None
    if fmt == "pdf":
        from . import charts, pdf

        try:
            svgs = charts.render_svgs(charts.report_figures_of(report))
        except charts.ChartsUnavailable as exc:
            svgs, charts_missing = {}, i18n.t("report.charts_missing", report.lang, detail=str(exc))
        step("charts")
        pdf.write_pdf(report, svgs, out, charts_missing=charts_missing)
    elif fmt == "xlsx":
        from . import xlsx

        step("charts")
        xlsx.write_xlsx(report, out)
    else:
        raise ReportError(f"unknown report format {fmt!r}; choose pdf or xlsx")
    step("write")
    return charts_missing


def check_writable(path: Path) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise ReportError(f"the output is a folder, not a file: {path}")
    if not folder.is_dir():
        raise ReportError(f"the output folder does not exist: {folder}")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise ReportError(f"cannot write to {path}: permission denied")


def write_file(report: Report, path: str | Path, *, progress: Callable[[str], None] | None = None) -> str | None:
    """Write to a temporary file beside `path` and move it into place: a failed run never leaves a
    half-written pack where Monday's meeting expects a whole one."""
    path = Path(path)
    fmt = format_of(path)
    check_writable(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=f".{fmt}", dir=path.parent or ".")
    os.close(handle)
    try:
        missing = render(report, fmt, temporary, progress=progress)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return missing


def file_name(report: Report, fmt: str) -> str:
    return f"{report.file_stem}-{report.lang}.{fmt}"
