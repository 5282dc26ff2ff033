"""Shared look of every chart: fonts that render Chinese, the service-area colours, and
the empty-selection figure. Figures are pure: frame and language in, go.Figure out.

A chart is written as plain trace and layout dicts and made a go.Figure once (`chart`):
plotly checks the dicts in one pass, where building it call by call (add_bar,
update_layout, add_hline, make_subplots) costs 5-10x more, most of a chart page's
server time."""
from __future__ import annotations

import copy
import json
from functools import lru_cache

import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

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
HOVER_TEXT = "%{hovertext}<extra></extra>"  # a point's hovertext alone, without the trace's name beside it


def frame_layout(*, title: str | None = None, height: int = CHART_HEIGHT, legend: bool = True) -> dict:
    """What differs between charts; the rest comes from TEMPLATE."""
    layout = {"height": height, "margin": {"l": 48, "r": 16, "t": 44 if title else 16, "b": 40}, "showlegend": legend}
    if title:
        layout["title"] = {"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}}
    return layout


def base_layout(fig: go.Figure, *, title: str | None = None, height: int = CHART_HEIGHT, legend: bool = True) -> go.Figure:
    """frame_layout on a figure built call by call (the report's)."""
    fig.update_layout({"title": None, **frame_layout(title=title, height=height, legend=legend)})
    return fig


def merged(base: dict, *overrides: dict) -> dict:
    """`base` with each override laid over it, nested dicts merged key by key (as
    update_layout does); `base` is left as it was."""
    out = dict(base)
    for override in overrides:
        for key, value in override.items():
            out[key] = merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def chart(traces: list[dict], layout: dict | None = None, *, title: str | None = None, height: int = CHART_HEIGHT,
          legend: bool = True) -> go.Figure:
    """The figure of `traces` (dicts with a "type") and `layout`, laid over frame_layout."""
    return go.Figure({"data": traces, "layout": merged(frame_layout(title=title, height=height, legend=legend), layout or {})})


@lru_cache(maxsize=None)
def _grid(spec: str, titles: int) -> dict:
    """make_subplots' layout for `spec`, with `titles` placeholder subplot titles where it puts them."""
    names = [f"title {i}" for i in range(titles)]
    layout = make_subplots(**json.loads(spec), **({"subplot_titles": names} if titles else {})).layout.to_plotly_json()
    layout.pop("template", None)  # chart() lays the figure over the process default anyway
    return layout


def subplot_layout(titles: tuple[str, ...] = (), **spec) -> dict:
    """make_subplots(**spec, subplot_titles=titles)'s layout (domains, anchors, shared axes,
    titles), worked out once per spec. Traces name their subplot's axes themselves
    ("xaxis": "x2", "yaxis": "y2")."""
    layout = copy.deepcopy(_grid(json.dumps(spec, sort_keys=True), len(titles)))
    for note, text in zip(layout.get("annotations", ()), titles):
        note["text"] = text
    return layout


def _axis_pairs(layout: dict) -> list[tuple[str, tuple[str, str]]]:
    """(layout key suffix, (x axis, y axis)) of each plot of a layout, in make_subplots' order."""
    suffixes = sorted((key[5:] for key in layout if key.startswith("xaxis")), key=lambda n: int(n or 1))
    return [(n, (f"x{n}", layout[f"xaxis{n}"].get("anchor") or f"y{n}")) for n in suffixes]


TARGET_LINE = {"color": TARGET_COLOUR, "dash": "dash", "width": 1.5}
TARGET_FONT = {"color": TARGET_COLOUR, "size": 11}
# add_hline's annotation_position: (x in the plot's width, the label's x anchor, its y anchor,
# px to the right; a label above the line hangs from its bottom edge). "outside right": in the
# right margin, level with the line, a little off the plot's edge, clear of bar labels near it
# (the chart leaves that margin).
_HLINE_LABEL = {"top left": (0, "left", "bottom", 0), "top right": (1, "right", "bottom", 0),
                "bottom left": (0, "left", "top", 0), "bottom right": (1, "right", "top", 0),
                "outside right": (1, "left", "middle", 4)}


def hline(y: float, *, xaxis: str = "x", yaxis: str = "y", label: str | None = None, position: str = "top right",
          **shape) -> tuple[list[dict], list[dict]]:
    """(shapes, annotations) of a dashed target line across the plot at `y`, labelled at
    `position` as add_hline places it (one of _HLINE_LABEL)."""
    shapes = [{"type": "line", "xref": f"{xaxis} domain", "x0": 0, "x1": 1, "yref": yaxis, "y0": y, "y1": y,
               "line": dict(TARGET_LINE), **shape}]
    if label is None:
        return shapes, []
    x, xanchor, yanchor, xshift = _HLINE_LABEL[position]
    note = {"text": label, "showarrow": False, "font": dict(TARGET_FONT), "xref": f"{xaxis} domain", "x": x,
            "xanchor": xanchor, "yref": yaxis, "y": y, "yanchor": yanchor}
    return shapes, [{**note, "xshift": xshift} if xshift else note]


def vline(x: float, *, xaxis: str = "x", yaxis: str = "y", label: str | None = None, **shape) -> tuple[list[dict], list[dict]]:
    """(shapes, annotations) of a dashed target line up the plot at `x`, labelled at its top
    right (add_vline's "top right", the only place used)."""
    shapes = [{"type": "line", "xref": xaxis, "x0": x, "x1": x, "yref": f"{yaxis} domain", "y0": 0, "y1": 1,
               "line": dict(TARGET_LINE), **shape}]
    if label is None:
        return shapes, []
    return shapes, [{"text": label, "showarrow": False, "font": dict(TARGET_FONT), "xref": xaxis, "x": x, "xanchor": "left",
                     "yref": f"{yaxis} domain", "y": 1, "yanchor": "top"}]


def message_figure(text: str, *, title: str | None = None, height: int = CHART_HEIGHT) -> go.Figure:
    """A chart that says `text` in place of a plot (no data, or nothing of this kind)."""
    return chart([], {
        "annotations": [{"text": text, "showarrow": False, "font": {"size": 14, "color": "#6b7280"},
                         "x": 0.5, "y": 0.5, "xref": "paper", "yref": "paper"}],
        "xaxis": {"visible": False}, "yaxis": {"visible": False},
    }, title=title, height=height, legend=False)


def empty_figure(lang: str, *, title: str | None = None, height: int = CHART_HEIGHT) -> go.Figure:
    """A chart for a selection without data says so instead of drawing zeros."""
    return message_figure(i18n.t("app.no_data", lang), title=title, height=height)


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
    plots = _plots_with_traces(fig)
    shades, labels = [], []
    for index, note in enumerate(annotations):
        x0 = max(bucket_of(note.start) - half, shown_from)
        x1 = min(bucket_of(note.end) + half, shown_to)
        if x1 <= x0:
            continue
        shades += [
            {"type": "rect", "xref": x, "x0": x0.isoformat(), "x1": x1.isoformat(), "yref": f"{y} domain", "y0": 0, "y1": 1,
             "fillcolor": ANNOTATION_COLOUR, "opacity": 0.10, "line": {"width": 0}, "layer": "below"}
            for x, y in plots
        ]
        # The label once, above the first plot; several events step down so their labels do not overlap.
        labels.append({
            "x": x0.isoformat(), "xref": "x", "xanchor": "left", "y": 1.0 - 0.07 * (index % 3), "yref": "paper",
            "yanchor": "top", "text": f"▍{note.label}", "showarrow": False, "font": {"size": 10, "color": ANNOTATION_COLOUR},
            "bgcolor": "rgba(255,255,255,0.75)", "hovertext": _annotation_hover(note, lang),
        })
    fig.update_layout(shapes=[*fig.layout.shapes, *shades], annotations=[*fig.layout.annotations, *labels])
    return fig


def _plots_with_traces(fig: go.Figure) -> list[tuple[str, str]]:
    """(x axis, y axis) of each plot of a figure that draws something (as add_vrect's
    exclude_empty_subplots), from its layout's axes."""
    used = {(getattr(trace, "xaxis", None) or "x", getattr(trace, "yaxis", None) or "y") for trace in fig.data}
    pairs = [pair for _, pair in _axis_pairs(fig.layout.to_plotly_json())] or [("x", "y")]
    return [pair for pair in pairs if pair in used]


def _annotation_hover(note, lang: str) -> str:
    text = f"{note.label}<br>{i18n.date_range(note.start, note.end, lang)}"
    return text + (f"<br>{note.note}" if getattr(note, "note", "") else "")
