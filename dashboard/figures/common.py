"""Shared look of every chart: fonts that render Chinese, the service-area colours, and
the empty-selection figure. Figures are pure: frame and language in, go.Figure out."""
from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

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
_AXIS = {"ticks": "", "automargin": True, "zerolinewidth": 2, "title": {"standoff": 15}}


# The look of every chart as a plotly template, the process default: a figure copies its
# template when made and carries it to the browser, so a small one of our own instead of
# plotly's (7 KB, 5 ms a figure) keeps figures light; it keeps the parts of plotly's we relied on.
TEMPLATE = go.layout.Template(
    layout={
        "font": {"family": FONT_FAMILY, "size": 12, "color": "#1f2937"},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "colorway": pio.templates["plotly"].layout.colorway,
        "hovermode": "closest",
        "hoverlabel": {"font": {"family": FONT_FAMILY}, "align": "left"},
        "autotypenumbers": "strict",
        "legend": {"orientation": "h", "y": -0.18, "x": 0, "font": {"size": 11}},
        "xaxis": {"showgrid": False, "linecolor": "#d1d5db", "zerolinecolor": "white", "tickfont": {"size": 11}, **_AXIS},
        "yaxis": {"gridcolor": "#eef0f3", "zerolinecolor": "#d1d5db", "linecolor": "white", "tickfont": {"size": 11}, **_AXIS},
    },
    data={"heatmap": [{"type": "heatmap", "colorbar": {"outlinewidth": 0, "ticks": ""}}],
          "bar": [{"type": "bar", "marker": {"line": {"color": "white", "width": 0.5}}}]},
)
pio.templates["estate_dashboard"] = TEMPLATE
pio.templates.default = "estate_dashboard"


CHART_HEIGHT = 320  # px, unless a chart says otherwise


def base_layout(fig: go.Figure, *, title: str | None = None, height: int = CHART_HEIGHT, legend: bool = True) -> go.Figure:
    """What differs between charts; the rest comes from TEMPLATE."""
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}} if title else None,
        height=height,
        margin={"l": 48, "r": 16, "t": 44 if title else 16, "b": 40},
        showlegend=legend,
    )
    return fig


def empty_figure(lang: str, *, title: str | None = None, height: int = CHART_HEIGHT) -> go.Figure:
    """A chart for a selection without data says so instead of drawing zeros."""
    fig = go.Figure()
    fig.add_annotation(text=i18n.t("app.no_data", lang), showarrow=False, font={"size": 14, "color": "#6b7280"}, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return base_layout(fig, title=title, height=height, legend=False)


def placeholder_figure(height: int = CHART_HEIGHT) -> dict:
    """What a chart shows until its figure arrives: nothing, `height` tall (best its figure's:
    a graph whose height changes when the figure lands is drawn twice, its container resized),
    and no empty axes, which take longer to draw than none."""
    return {"data": [], "layout": {"height": height, "xaxis": {"visible": False}, "yaxis": {"visible": False}}}


def graph_config(lang: str) -> dict:
    return {"displaylogo": False, "responsive": True, "locale": "zh-CN" if lang == "zh" else "en", "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


ANNOTATION_COLOUR = "#7c3aed"


def _trace_dates(fig: go.Figure) -> list:
    import pandas as pd

    found = []
    for trace in fig.data:
        x = getattr(trace, "x", None)
        if x is None:
            continue
        values = pd.to_datetime(pd.Series(list(x), dtype=object), errors="coerce").dropna()
        found.extend(values.tolist())
    return found


def add_annotations(fig: go.Figure, annotations, lang: str, *, bucket: str = "week") -> go.Figure:
    """Shade the weeks (or months) an analyst's event touches (a typhoon, a new contractor) on a
    chart whose points stand for weeks (Mondays) or months (first days), its label at the top;
    clipped to the buckets the chart shows, so an event never stretches the axis.
    `annotations`: objects with start, end (inclusive) and label."""
    import datetime as dt

    import pandas as pd

    if not annotations:
        return fig
    dates = _trace_dates(fig)
    if not dates:
        return fig
    half = pd.Timedelta(days=15 if bucket == "month" else 3.5)

    def bucket_of(day: dt.date) -> pd.Timestamp:
        if bucket == "month":
            return pd.Timestamp(day.replace(day=1))
        return pd.Timestamp(day - dt.timedelta(days=day.weekday()))

    shown_from, shown_to = min(dates) - half, max(dates) + half
    for index, note in enumerate(annotations):
        x0 = max(bucket_of(note.start) - half, shown_from)
        x1 = min(bucket_of(note.end) + half, shown_to)
        if x1 <= x0:
            continue
        fig.add_vrect(
            x0=x0.isoformat(), x1=x1.isoformat(), row="all", col="all", fillcolor=ANNOTATION_COLOUR, opacity=0.10,
            line_width=0, layer="below",
        )
        # The label once, above the first plot; several events step down so their labels do not overlap.
        fig.add_annotation(
            x=x0.isoformat(), xref="x", xanchor="left", y=1.0 - 0.07 * (index % 3), yref="paper", yanchor="top",
            text=f"▍{note.label}", showarrow=False, font={"size": 10, "color": ANNOTATION_COLOUR},
            bgcolor="rgba(255,255,255,0.75)", hovertext=_annotation_hover(note, lang),
        )
    return fig


def _annotation_hover(note, lang: str) -> str:
    text = f"{note.label}<br>{i18n.date_range(note.start, note.end, lang)}"
    return text + (f"<br>{note.note}" if getattr(note, "note", "") else "")
