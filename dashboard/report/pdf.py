"""The report as a PDF: HTML and CSS (a Jinja template) laid out by WeasyPrint, A4 landscape.

WeasyPrint finds Noto Sans CJK through fontconfig and embeds the glyphs it uses (a subset), so
Chinese prints as text, searchable and copyable, on any machine that opens the file. Charts are
SVG (see charts.py) and stay vector graphics in the PDF.
"""
from __future__ import annotations

import base64
import datetime as dt
import math
from pathlib import Path
from typing import BinaryIO

import jinja2
import markupsafe

from .. import i18n
from .content import COUNT_CHANGE, DATE, DATETIME, INT, NUM1, NUM2, PCT, POINTS, Report

TEMPLATES = Path(__file__).parent / "templates"
NUMERIC_KINDS = (INT, PCT, NUM1, NUM2, POINTS, COUNT_CHANGE)
TOTAL_TABLES = ("by_area", "escalation_levels", "satisfaction", "complaint_causes")
NEW_PAGES = ("complaints",)  # the rest flow on, headings kept with their tables
CHART_TITLES = ("trend", "area_tickets", "escalations_by_area", "dimensions", "complaint_causes")


def cell_text(value, kind: str, lang: str) -> tuple[str, str]:
    """(text, extra CSS class) of one table cell; a missing value is "—", never 0."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return i18n.MISSING, ""
    if kind == INT:
        return i18n.number(value, lang), ""
    if kind == PCT:
        return i18n.percent(value, lang), ""
    if kind == NUM1:
        return i18n.number(value, lang, 1), ""
    if kind == NUM2:
        return i18n.number(value, lang, 2), ""
    if kind == POINTS:  # uncoloured: whether more is better depends on the figure
        return f"{value:+.1f}", ""
    if kind == COUNT_CHANGE:
        return f"{int(value):+,}", ""
    if kind == DATE:
        return i18n.date(value, lang), ""
    if kind == DATETIME:
        return (value.strftime("%Y-%m-%d %H:%M") if isinstance(value, dt.datetime) else str(value)), ""
    return str(value), ""


def _css_string(text: str) -> markupsafe.Markup:
    """Text inside a CSS string in a <style> element (raw text: no HTML escapes, no "</style>")."""
    escaped = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("<", "\\3c ")
    return markupsafe.Markup(escaped)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=False)
    env.filters["css_string"] = _css_string
    return env


def _data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def render_html(report: Report, svgs: dict[str, bytes], *, charts_missing: str | None = None) -> str:
    lang = report.lang
    settings = report.settings
    targets_note = i18n.t(
        "report.targets_note", lang,
        reply=i18n.percent(settings.target_first_response_pct, lang, 0),
        minutes=f"{report.data.current['first_response']['target_minutes']:g}",
        sla=i18n.percent(settings.target_within_sla_pct, lang, 0), csat=i18n.percent(settings.target_csat_pct, lang, 0),
        coverage=i18n.percent(settings.target_follow_up_coverage_pct, lang, 0),
        escalation=i18n.percent(settings.ceiling_escalation_rate_pct, lang, 0),
        margin=f"{settings.amber_margin_pct:g}",
    )
    labels = report.trend_labels
    spark_note = i18n.t("report.spark_note", lang, first=labels[0], last=labels[-1]) if labels else ""
    template = _environment().get_template("report.html.j2")
    return template.render(
        report=report,
        css=(TEMPLATES / "report.css").read_text(encoding="utf-8"),
        footer=f"{report.subtitle} · {report.title} · {report.period_text}",
        images={key: _data_uri(svg) for key, svg in svgs.items()},
        status_names={s: i18n.t(f"status.{s}", lang) for s in ("good", "watch", "bad")},
        cells=lambda value, kind: cell_text(value, kind, lang),
        numeric_kinds=NUMERIC_KINDS,
        total_tables=TOTAL_TABLES,
        new_pages=NEW_PAGES,
        chart_titles={key: i18n.t(f"report.chart_{key}", lang) for key in CHART_TITLES},
        spark_note=spark_note,
        has_sparklines=any(key.startswith("spark:") for key in svgs),
        targets_note=targets_note,
        charts_missing=charts_missing,
    )


def write_pdf(report: Report, svgs: dict[str, bytes], out: BinaryIO | str | Path, *, charts_missing: str | None = None) -> None:
    from weasyprint import HTML

    html = render_html(report, svgs, charts_missing=charts_missing)
    HTML(string=html, base_url=str(TEMPLATES)).write_pdf(out)
