"""Charts made for the printed report: headline sparklines, the trend of the rates against their
targets, and complaints by area and severity. Pure: values and the language in, go.Figure out."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from data_access.schema import SERVICE_AREAS, SEVERITIES

from .. import i18n
from .common import COMPARISON_COLOUR, CURRENT_COLOUR, SEVERITY_COLOURS, add_annotations, base_layout, empty_figure

STATUS_COLOURS = {"good": "#3f8f4e", "watch": "#e0a030", "bad": "#c8553d", None: CURRENT_COLOUR}
RATE_SERIES = (
    ("within_target_pct", "#1f4e79"),
    ("within_sla_pct", "#2a9d8f"),
    ("csat_pct", "#e07a1f"),
    ("follow_up_coverage_pct", "#8d6cab"),
)


def sparkline(values: list, status: str | None = None, *, width: int = 150, height: int = 40) -> go.Figure:
    """A headline's last few periods as a bare line, the latest point marked in its status colour;
    a period without data is a gap, never a zero."""
    fig = go.Figure()
    x = list(range(len(values)))
    known = [v for v in values if v is not None]
    if known:
        fig.add_scatter(x=x, y=values, mode="lines", line={"color": COMPARISON_COLOUR if len(known) > 1 else "white", "width": 2},
                        connectgaps=False, hoverinfo="skip")
        last = len(values) - 1
        if values[last] is not None:
            fig.add_scatter(x=[last], y=[values[last]], mode="markers", marker={"size": 7, "color": STATUS_COLOURS.get(status, CURRENT_COLOUR)},
                            hoverinfo="skip")
        low, high = min(known), max(known)
        pad = (high - low) * 0.15 or max(abs(high) * 0.05, 1)
        fig.update_yaxes(range=[low - pad, high + pad])
    fig.update_xaxes(visible=False, range=[-0.3, max(len(values) - 0.7, 0.7)])
    fig.update_yaxes(visible=False)
    fig.update_layout(width=width, height=height, margin={"l": 2, "r": 2, "t": 2, "b": 2}, showlegend=False,
                      paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)")
    return fig


def rate_trend(trend: pd.DataFrame, unit: str, targets: dict[str, float], lang: str, *, target_minutes: float,
               annotations=(), titled: bool = True) -> go.Figure:
    """First reply within target, resolved within SLA, satisfied and follow-up coverage per week (or
    month) of the trend, each with its target as a dotted line of the same colour; analysts'
    events shaded."""
    title = i18n.t("report.chart_trend", lang) if titled else None
    if trend.empty or all(trend[c].isna().all() for c, _ in RATE_SERIES if c in trend):
        return empty_figure(lang, title=title, height=300)
    x = [pd.Timestamp(d).isoformat() for d in trend["start"]]
    names = {
        "within_target_pct": i18n.t("metric.within_target_pct", lang, target=f"{target_minutes:g}"),
        "within_sla_pct": i18n.t("metric.within_sla_pct", lang),
        "csat_pct": i18n.t("metric.csat_pct", lang),
        "follow_up_coverage_pct": i18n.t("metric.follow_up_coverage", lang),
    }
    fig = go.Figure()
    for column, colour in RATE_SERIES:
        values = [None if pd.isna(v) else float(v) for v in trend[column]]
        fig.add_scatter(x=x, y=values, mode="lines+markers", name=names[column], line={"color": colour, "width": 2.2},
                        marker={"size": 6}, hovertemplate="%{x|%Y-%m-%d}: %{y:.1f}%<extra></extra>")
        if column in targets:
            fig.add_scatter(x=[x[0], x[-1]], y=[targets[column]] * 2, mode="lines", showlegend=False, hoverinfo="skip",
                            line={"color": colour, "width": 1, "dash": "dot"})
    # One tick per point, on the point: the week's Monday (or the month's first day).
    fig.update_xaxes(type="date", tickmode="array", tickvals=x,
                     ticktext=[_tick(d, unit, lang) for d in trend["start"]])
    shown = [float(v) for c, _ in RATE_SERIES for v in trend[c] if not pd.isna(v)] + list(targets.values())
    fig.update_yaxes(ticksuffix="%", range=[max(0.0, (min(shown) // 10) * 10 - 10), 102])
    base_layout(fig, title=title, height=300)
    fig.update_layout(legend={"y": -0.16}, margin={"t": 40 if title else 12, "b": 50})
    return add_annotations(fig, annotations, lang, bucket=unit)


def complaint_causes(by_area: pd.DataFrame, lang: str, *, titled: bool = True) -> go.Figure:
    """Complaints of the month per service area, stacked by severity (escalation_counts by area)."""
    title = i18n.t("report.complaint_causes", lang) if titled else None
    keys = (*SEVERITIES, "unclassified")
    rows = by_area.set_index("service_area") if len(by_area) else pd.DataFrame()
    areas = [a for a in SERVICE_AREAS if a in rows.index and int(rows.loc[a, "complaints"]) > 0]
    if not areas:
        return empty_figure(lang, title=title, height=280)
    fig = go.Figure()
    for severity in keys:
        counts = [int(rows.loc[a, f"severity_{severity}"]) for a in areas]
        fig.add_bar(y=[i18n.area(a, lang) for a in areas], x=counts, orientation="h", name=i18n.label("severity", severity, lang),
                    marker_color=SEVERITY_COLOURS[severity], text=[str(c) if c else "" for c in counts], textposition="inside")
    # Counts too small for their segment are left out rather than spilling over the next one.
    fig.update_layout(barmode="stack", bargap=0.3, uniformtext={"minsize": 8, "mode": "hide"}, legend={"traceorder": "normal"})
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(tickformat=",d", rangemode="tozero")
    base_layout(fig, title=title, height=280)
    fig.update_layout(margin={"l": 80, "t": 40 if title else 12})
    return fig


def _tick(day, unit: str, lang: str) -> str:
    day = pd.Timestamp(day).date()
    if unit == "month":
        return f"{day.year}年{day.month}月" if lang == "zh" else day.strftime("%b %Y")
    week = day.isocalendar()[1]
    return f"第{week}周<br>{day.month}月{day.day}日" if lang == "zh" else f"W{week}<br>{day:%d %b}"
