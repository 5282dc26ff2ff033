"""Shared look of every chart: fonts that render Chinese, the service-area colours, and
the empty-selection figure. Figures are pure: frame and language in, go.Figure out."""
from __future__ import annotations

import plotly.graph_objects as go

from .. import i18n

FONT_FAMILY = '"Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", "Segoe UI", Roboto, sans-serif'
AREA_COLOURS = {
    "security": "#1f4e79",
    "cleaning": "#2a9d8f",
    "greening": "#57a64a",
    "repair": "#e07a1f",
    "other": "#8d6cab",
}
LEVEL_COLOURS = {1: "#f2c14e", 2: "#f08a4b", 3: "#c8553d"}
SEVERITY_COLOURS = {"minor": "#9bbbd4", "important": "#f2a541", "major": "#c8553d", "unclassified": "#b8b8b8"}
TARGET_COLOUR = "#c8553d"
CURRENT_COLOUR = "#2563eb"
COMPARISON_COLOUR = "#b6c2d9"


def base_layout(fig: go.Figure, *, title: str | None = None, height: int = 320, legend: bool = True) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}} if title else None,
        font={"family": FONT_FAMILY, "size": 12, "color": "#1f2937"},
        height=height,
        margin={"l": 48, "r": 16, "t": 44 if title else 16, "b": 40},
        paper_bgcolor="white",
        plot_bgcolor="white",
        showlegend=legend,
        legend={"orientation": "h", "y": -0.18, "x": 0, "font": {"size": 11}},
        hoverlabel={"font": {"family": FONT_FAMILY}},
    )
    fig.update_xaxes(showgrid=False, linecolor="#d1d5db", tickfont={"size": 11})
    fig.update_yaxes(gridcolor="#eef0f3", zerolinecolor="#d1d5db", tickfont={"size": 11})
    return fig


def empty_figure(lang: str, *, title: str | None = None, height: int = 320) -> go.Figure:
    """A chart for a selection without data says so instead of drawing zeros."""
    fig = go.Figure()
    fig.add_annotation(text=i18n.t("app.no_data", lang), showarrow=False, font={"size": 14, "color": "#6b7280"}, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return base_layout(fig, title=title, height=height, legend=False)


def graph_config(lang: str) -> dict:
    return {"displaylogo": False, "responsive": True, "locale": "zh-CN" if lang == "zh" else "en", "modeBarButtonsToRemove": ["lasso2d", "select2d"]}
