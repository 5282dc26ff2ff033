"""The report's charts as SVG: the pure figure functions of dashboard/figures, drawn by kaleido
(plotly.js in the system's headless Chromium, one browser for all charts of a report).

SVG keeps the charts crisp at any zoom, and WeasyPrint draws their text with the same embedded
CJK font as the rest of the PDF. Without a usable Chromium the report is still made: the charts
are left out and a line says so.
"""
from __future__ import annotations

import asyncio
import logging
import os
import shutil
from pathlib import Path

import plotly.graph_objects as go

from ..figures import escalations as escalation_figures
from ..figures import overview as overview_figures
from ..figures import report as report_figures
from ..figures import satisfaction as satisfaction_figures
from .content import Report

log = logging.getLogger(__name__)

CHART_SIZES = {  # (width, height) in CSS pixels; the PDF scales the SVG to its box
    "trend": (560, 300),
    "area_tickets": (560, 300),
    "escalations_by_area": (560, 300),
    "dimensions": (560, 300),
    "complaint_causes": (560, 280),
}
SPARKLINE_SIZE = (150, 40)
RENDER_SECONDS = 60
TABS = 1  # three tabs measured no faster on two cores


class ChartsUnavailable(RuntimeError):
    """Chromium (through kaleido) could not draw the charts."""


def chromium_path() -> str | None:
    """Debian's Chromium, as the browser tests use it; ESTATE_CHROMIUM or BROWSER_PATH override."""
    for candidate in (os.environ.get("ESTATE_CHROMIUM"), os.environ.get("BROWSER_PATH"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def report_figures_of(report: Report) -> dict[str, go.Figure]:
    """Every figure the report shows, by key: the sections' charts and `spark:<headline>`."""
    data, lang, settings = report.data, report.lang, report.settings
    figures: dict[str, go.Figure] = {}
    targets = {
        "within_target_pct": settings.target_first_response_pct,
        "within_sla_pct": settings.target_within_sla_pct,
        "csat_pct": settings.target_csat_pct,
        "follow_up_coverage_pct": settings.target_follow_up_coverage_pct,
    }
    wanted = {chart for section in report.sections for chart in section.charts}
    if "trend" in wanted:
        figures["trend"] = report_figures.rate_trend(
            data.trend, data.trend_unit, targets, lang, target_minutes=data.current["first_response"]["target_minutes"],
            annotations=data.annotations, titled=False,
        )
    if "area_tickets" in wanted:
        figures["area_tickets"] = overview_figures.area_tickets(data.current, data.previous, lang)
    if "escalations_by_area" in wanted:
        figures["escalations_by_area"] = escalation_figures.escalations_by_area(data.escalations_by_area, lang)
    if "dimensions" in wanted:
        figures["dimensions"] = satisfaction_figures.dimension_heatmap(data.satisfaction_by_area, data.satisfaction_total, lang)
    if "complaint_causes" in wanted:
        figures["complaint_causes"] = report_figures.complaint_causes(data.escalations_by_area, lang, titled=False)
    for key, size in CHART_SIZES.items():
        if key in figures:
            figures[key].update_layout(width=size[0], height=size[1])
    if report.no_data_text is None:
        for headline in report.headlines:
            values = report.sparklines.get(headline.key) or []
            if any(v is not None for v in values):
                figures[f"spark:{headline.key}"] = report_figures.sparkline(values, headline.status, width=SPARKLINE_SIZE[0], height=SPARKLINE_SIZE[1])
    return figures


async def _render_all(figures: dict[str, go.Figure], browser: str | None) -> dict[str, bytes]:
    import kaleido

    options = {"n": TABS, "mathjax": False, "timeout": RENDER_SECONDS}
    if browser:
        options["path"] = browser
    async with kaleido.Kaleido(**options) as k:

        async def draw(fig: go.Figure) -> bytes:
            width, height = int(fig.layout.width or 600), int(fig.layout.height or 300)
            return await k.calc_fig(fig, opts={"format": "svg", "width": width, "height": height})

        # Several tabs of one browser draw side by side (kaleido hands each call a free tab).
        drawn = await asyncio.gather(*(draw(fig) for fig in figures.values()))
    return dict(zip(figures, drawn))


def render_svgs(figures: dict[str, go.Figure]) -> dict[str, bytes]:
    """SVG bytes per figure key, from one headless Chromium. Raises ChartsUnavailable."""
    if not figures:
        return {}
    browser = chromium_path()
    try:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(_render_all(figures, browser))
        # Called from inside an event loop: draw in a thread of its own.
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, _render_all(figures, browser)).result()
    except Exception as exc:  # kaleido raises its own and choreographer's errors; all mean "no charts"
        log.warning("charts unavailable", exc_info=True)
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ChartsUnavailable(f"{type(exc).__name__}: {first[:200]}") from exc
