"""Response-time charts: weekly first reply and resolution per area, the first-reply
distribution against the target, SLA attainment, and when slow replies happen.

Pure functions: frames from data_access (ticket_summary, response_time_distribution)
and the language in, go.Figure out. Hover text is formatted here with i18n, so numbers
read the same as everywhere else and a null shows as "—".
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import pandas as pd
import plotly.graph_objects as go

from data_access import Filters
from data_access.schema import PRIORITIES, SERVICE_AREAS, TICKET_CHANNELS

from .. import i18n
from ..periods import TREND_WEEKS, trend_window
from .common import (
    AREA_COLOURS, CURRENT_COLOUR, HOVER_TEXT, add_annotations, chart, empty_figure, hline, merged, subplot_layout, vline,
)

PRIORITY_COLOURS = {"urgent": "#c8553d", "normal": "#1f4e79"}
BEYOND_TARGET_COLOUR = "#f0a36b"
SLOW_SCALE = [[0.0, "#f7fbff"], [0.35, "#fde2c8"], [0.7, "#f08a4b"], [1.0, "#b3361f"]]


# --- weeks -----------------------------------------------------------------------------


def trend_filters(filters: Filters, weeks: int = TREND_WEEKS) -> Filters:
    """The selection over the trend's window (periods.trend_window)."""
    return filters.with_period(*trend_window(filters.start, filters.end, weeks))


def full_weeks(frame: pd.DataFrame) -> list[str]:
    """Every Monday from the first to the last week in `frame`: a week without tickets is a
    gap in a line (or zero in a count), never silently skipped."""
    if frame.empty:
        return []
    weeks = pd.to_datetime(frame["week"].astype(str))
    return [d.date().isoformat() for d in pd.date_range(weeks.min(), weeks.max(), freq="7D")]


def week_tickformat(lang: str) -> str:
    return "%-m月%-d日" if lang == "zh" else "%d %b"


@lru_cache(maxsize=4096)  # each week is labelled once per line and chart
def week_label(week: str, lang: str) -> str:
    return i18n.t("response.week_of", lang, week=i18n.date(dt.date.fromisoformat(week), lang))


def _value(value):
    """None for null or NaN, so plotly leaves a gap instead of drawing 0."""
    return None if value is None or pd.isna(value) else float(value)


def _per_week(frame: pd.DataFrame, weeks: list[str], area: str, column: str) -> tuple[list, list]:
    rows = frame[frame["service_area"] == area]
    # Dicts, not a cell lookup per week: three years are ~800 points per chart.
    value_of = dict(zip(rows["week"].astype(str), rows[column]))
    count_of = dict(zip(rows["week"].astype(str), rows["tickets"]))
    return [_value(value_of.get(w)) for w in weeks], [int(count_of.get(w, 0)) for w in weeks]


# --- weekly trends ---------------------------------------------------------------------
def reply_trend(weekly: pd.DataFrame, target_minutes: float, lang: str, *, titled: bool = False, annotations=()) -> go.Figure:
    """Median and 90th-percentile first reply per week, one line per area, target dashed.
    `weekly` is ticket_summary by (week, service_area)."""
    title = i18n.t("response.reply_trend", lang) if titled else None
    if weekly.empty or weekly["responded"].sum() == 0:
        return empty_figure(lang, title=title, height=340)
    weeks = full_weeks(weekly)
    layout = subplot_layout(
        (i18n.t("response.median", lang), i18n.t("response.p90", lang)), rows=1, cols=2, horizontal_spacing=0.09
    )
    traces, shapes = [], []
    for col, column in ((1, "response_median"), (2, "response_p90")):
        x, y = ("x", "y") if col == 1 else ("x2", "y2")
        drawn = len(traces)
        for area in SERVICE_AREAS:
            values, counts = _per_week(weekly, weeks, area, column)
            if all(v is None for v in values):
                continue
            traces.append(_area_line(area, weeks, values, [
                f"{i18n.area(area, lang)} · {week_label(w, lang)}<br>{i18n.minutes(v, lang)} · "
                + i18n.t("response.hover_tickets", lang, count=i18n.number(n, lang))
                for w, v, n in zip(weeks, values, counts)
            ], lang, legendgroup=area, showlegend=col == 1, xaxis=x, yaxis=y))
        if len(traces) == drawn:
            continue  # no line in this plot, so no target either
        # The median sits below the target, the 90th percentile mostly above: label the clear side.
        line, label = hline(target_minutes, xaxis=x, yaxis=y, position="top left" if col == 1 else "bottom right",
                            label=i18n.t("response.target_line", lang, target=f"{target_minutes:g}"))
        shapes += line
        layout["annotations"] += label
    date_axis = {"type": "date", "tickformat": week_tickformat(lang)}
    fig = chart(traces, merged(layout, {
        "shapes": shapes,
        "xaxis": date_axis, "xaxis2": date_axis,
        "yaxis": {"title": {"text": i18n.t("response.minutes_axis", lang)}, "rangemode": "tozero"},
        "yaxis2": {"rangemode": "tozero"},
        "margin": {"t": 64 if title else 36}, "legend": {"y": -0.2},
    }), title=title, height=340)
    return add_annotations(fig, annotations, lang)


def _area_line(area: str, weeks: list[str], values: list, hover: list[str], lang: str, **trace) -> dict:
    """One area's weekly line, in the area's colour."""
    return {
        "type": "scatter", "x": weeks, "y": values, "mode": "lines+markers", "name": i18n.area(area, lang),
        "line": {"color": AREA_COLOURS[area], "width": 2}, "marker": {"size": 5},
        "hovertext": hover, "hovertemplate": HOVER_TEXT, **trace,
    }


def resolution_trend(weekly: pd.DataFrame, lang: str, *, titled: bool = False, annotations=()) -> go.Figure:
    """Median resolution hours per week, one line per area."""
    title = i18n.t("response.resolution_trend", lang) if titled else None
    if weekly.empty or weekly["resolved"].sum() == 0:
        return empty_figure(lang, title=title)
    weeks = full_weeks(weekly)
    traces = []
    for area in SERVICE_AREAS:
        values, counts = _per_week(weekly, weeks, area, "resolution_median")
        if all(v is None for v in values):
            continue
        traces.append(_area_line(area, weeks, values, [
            f"{i18n.area(area, lang)} · {week_label(w, lang)}<br>{i18n.hours(v, lang)} · "
            + i18n.t("response.hover_tickets", lang, count=i18n.number(n, lang))
            for w, v, n in zip(weeks, values, counts)
        ], lang))
    fig = chart(traces, {
        "xaxis": {"type": "date", "tickformat": week_tickformat(lang)},
        "yaxis": {"title": {"text": i18n.t("response.hours_axis", lang)}, "rangemode": "tozero"},
    }, title=title)
    return add_annotations(fig, annotations, lang)


# --- distribution ----------------------------------------------------------------------
def _edge_text(minutes: float, lang: str, *, in_hours: bool) -> str:
    value = minutes / 60 if in_hours else minutes
    return i18n.number(value, lang, 0 if value == int(value) else 1)


def bucket_label(lower: float, upper: float | None, lang: str) -> str:
    """'≤5', '10–15', '1–2 h', '>24 h': minutes below an hour, hours above."""
    in_hours = lower >= 60
    if upper is None:
        key = "response.bucket_over_hours" if in_hours else "response.bucket_over_minutes"
        return i18n.t(key, lang, lower=_edge_text(lower, lang, in_hours=in_hours))
    if lower == 0:
        return i18n.t("response.bucket_first", lang, upper=_edge_text(upper, lang, in_hours=False))
    key = "response.bucket_hours" if in_hours else "response.bucket_minutes"
    return i18n.t(
        key, lang, lower=_edge_text(lower, lang, in_hours=in_hours), upper=_edge_text(upper, lang, in_hours=in_hours)
    )


def reply_distribution(
    buckets: pd.DataFrame, target_minutes: float, lang: str, *, unreplied: int = 0, titled: bool = False
) -> go.Figure:
    """Tickets per first-reply bucket (response_time_distribution), within-target buckets in
    blue, the target marked between the buckets it separates."""
    title = i18n.t("response.distribution", lang) if titled else None
    total = int(buckets["tickets"].sum()) if not buckets.empty else 0
    if total == 0:
        return empty_figure(lang, title=title)
    labels = [bucket_label(r.lower, r.upper, lang) for r in buckets.itertuples()]
    within = [r.upper is not None and r.upper <= target_minutes for r in buckets.itertuples()]
    share = 100.0 * buckets["tickets"] / total
    cumulative = share.cumsum()
    hover = [
        f"{label}: {i18n.number(n, lang)} · {i18n.percent(s, lang)} {i18n.t('response.share_of_replies', lang)}"
        f"<br>{i18n.t('response.cumulative', lang)} {i18n.percent(c, lang)}"
        for label, n, s, c in zip(labels, buckets["tickets"], share, cumulative)
    ]
    bar = {
        "type": "bar", "x": labels, "y": buckets["tickets"].tolist(),
        "marker": {"color": [CURRENT_COLOUR if w else BEYOND_TARGET_COLOUR for w in within]},
        "hovertext": hover, "hovertemplate": HOVER_TEXT, "showlegend": False,
    }
    boundary = sum(within) - 0.5  # between the last bucket within target and the first beyond
    shapes, notes = vline(boundary, label=i18n.t("response.target_line", lang, target=f"{target_minutes:g}"))
    if unreplied:
        notes.append({
            "text": i18n.t("response.no_reply_note", lang, count=i18n.number(unreplied, lang)), "showarrow": False,
            "xref": "paper", "yref": "paper", "x": 1, "y": 1.02, "xanchor": "right", "yanchor": "bottom",
            "font": {"size": 10, "color": "#6b7280"},
        })
    return chart([bar], {
        "shapes": shapes, "annotations": notes,
        "xaxis": {"title": {"text": i18n.t("response.distribution_axis", lang)}, "type": "category", "tickangle": -45},
        "yaxis": {"title": {"text": i18n.t("response.tickets_axis", lang)}},
        "bargap": 0.08, "margin": {"t": 44 if title else 28, "b": 80},
    }, title=title, legend=False)


# --- SLA attainment --------------------------------------------------------------------
def _sla_hover(label: str, row, lang: str) -> str:
    return f"{label}: {i18n.percent(_value(row['within_sla_pct']), lang)}<br>" + i18n.t(
        "response.hover_sla",
        lang,
        resolved=i18n.number(row["resolved"], lang),
        tickets=i18n.number(row["tickets"], lang),
    )


def _sla_layout(target_pct: float | None, lang: str) -> dict:
    """The SLA axis, and the target line when there is one, labelled in the right margin: the
    bars' own labels (often a few points off the target) would run into it inside the plot."""
    layout = {"yaxis": {"title": {"text": i18n.t("response.sla_axis", lang)}, "range": [0, 109], "ticksuffix": "%"}}
    if target_pct is not None:
        layout["shapes"], layout["annotations"] = hline(
            target_pct, label=i18n.t("response.sla_target", lang, target=f"{target_pct:g}"), position="outside right"
        )
        layout["margin"] = {"r": 76}  # room for the label: "Target 90%", "目标 90%"
    return layout


def sla_by_area_priority(
    frame: pd.DataFrame, lang: str, *, target_pct: float | None = None, titled: bool = False
) -> go.Figure:
    """within_sla_pct per area (x), urgent beside normal; customdata is the area code (click to filter).
    `frame` is ticket_rates (or ticket_summary) by (service_area, priority)."""
    title = i18n.t("response.sla_by_area", lang) if titled else None
    if frame.empty or frame["resolved"].sum() == 0:
        return empty_figure(lang, title=title)
    areas = [a for a in SERVICE_AREAS if a in set(frame["service_area"])]
    bars = []
    for priority in PRIORITIES:
        rows = frame[frame["priority"] == priority].set_index("service_area")
        present = [a for a in areas if a in rows.index]
        if not present:
            continue
        values = [_value(rows.at[a, "within_sla_pct"]) for a in present]
        bars.append({
            "type": "bar",
            "x": [i18n.area(a, lang) for a in present],
            "y": values,
            "name": i18n.label("priority", priority, lang),
            "marker": {"color": PRIORITY_COLOURS[priority]},
            "customdata": present,
            "text": [i18n.percent(v, lang, 0) if v is not None else i18n.MISSING for v in values],
            "textposition": "auto", "insidetextanchor": "end",  # inside the bar top, off the target line
            "cliponaxis": False,
            "hovertext": [
                _sla_hover(f"{i18n.area(a, lang)} · {i18n.label('priority', priority, lang)}", rows.loc[a], lang)
                for a in present
            ],
            "hovertemplate": HOVER_TEXT,
        })
    layout = {"barmode": "group", "bargap": 0.25, "uniformtext": {"minsize": 9, "mode": "hide"}}
    return chart(bars, merged(_sla_layout(target_pct, lang), layout), title=title)


def sla_by_channel(
    frame: pd.DataFrame, lang: str, *, target_pct: float | None = None, titled: bool = False
) -> go.Figure:
    """within_sla_pct per channel; customdata is the channel code (click to filter).
    `frame` is ticket_rates (or ticket_summary) by (channel,)."""
    title = i18n.t("response.sla_by_channel", lang) if titled else None
    if frame.empty or frame["resolved"].sum() == 0:
        return empty_figure(lang, title=title)
    rows = frame.set_index("channel")
    channels = [c for c in TICKET_CHANNELS if c in rows.index and rows.at[c, "tickets"] > 0]
    values = [_value(rows.at[c, "within_sla_pct"]) for c in channels]
    labels = [i18n.label("channel", c, lang) for c in channels]
    bar = {
        "type": "bar",
        "x": labels,
        "y": values,
        "customdata": channels,
        "marker": {"color": CURRENT_COLOUR},
        "showlegend": False,
        "text": [i18n.percent(v, lang, 0) if v is not None else i18n.MISSING for v in values],
        "textposition": "auto", "insidetextanchor": "end",  # inside the bar top, off the target line
        "cliponaxis": False,
        "hovertext": [_sla_hover(label, rows.loc[c], lang) for label, c in zip(labels, channels)],
        "hovertemplate": HOVER_TEXT,
    }
    return chart([bar], merged(_sla_layout(target_pct, lang), {"bargap": 0.3}), title=title, legend=False)


# --- when slow replies happen ----------------------------------------------------------
def slow_reply_heatmap(frame: pd.DataFrame, target_minutes: float, lang: str, *, titled: bool = False) -> go.Figure:
    """Share of tickets missing the first-reply target (100 - within_target_pct: an unanswered
    ticket is a miss, as in METRICS.md) by weekday (rows) and hour received (columns).
    `frame` is first_reply_attainment (or ticket_summary, whose median joins the hover) by
    (weekday, hour); a cell without tickets stays blank."""
    title = i18n.t("response.slow_heatmap", lang, target=f"{target_minutes:g}") if titled else None
    if frame.empty or frame["responded"].sum() == 0:
        return empty_figure(lang, title=title, height=330)
    cells = {(int(r["weekday"]), int(r["hour"])): r for r in frame.to_dict("records")}
    weekdays, hours = list(range(7)), list(range(24))
    z, hover = [], []
    for d in weekdays:
        z_row, hover_row = [], []
        for h in hours:
            row = cells.get((d, h))
            pct = _value(row["within_target_pct"]) if row is not None else None
            missed = None if pct is None else 100.0 - pct
            z_row.append(missed)
            where = f"{i18n.t(f'weekday.{d}', lang)} {h:02d}:00–{h:02d}:59"
            if row is None:
                hover_row.append(f"{where}<br>{i18n.MISSING}")
                continue
            text = f"{where}<br>{i18n.t('response.missed_share', lang)} {i18n.percent(missed, lang)} · " + i18n.t(
                "response.hover_tickets", lang, count=i18n.number(row["tickets"], lang)
            )
            if "response_median" in row:
                text += "<br>" + i18n.t(
                    "response.hover_median", lang, value=i18n.minutes(_value(row["response_median"]), lang)
                )
            hover_row.append(text)
        z.append(z_row)
        hover.append(hover_row)
    heatmap = {
        "type": "heatmap",
        "z": z,
        "x": hours,
        "y": [i18n.t(f"weekday.{d}", lang) for d in weekdays],
        "colorscale": SLOW_SCALE,
        "zmin": 0,
        "hovertext": hover,
        "hovertemplate": HOVER_TEXT,
        "xgap": 1,
        "ygap": 1,
        "colorbar": {
            "title": {"text": i18n.t("response.missed_share", lang), "side": "right"},
            "ticksuffix": "%",
            "thickness": 12,
        },
    }
    return chart([heatmap], {
        "xaxis": {"title": {"text": i18n.t("response.hour_axis", lang)}, "tickmode": "linear", "dtick": 2, "showgrid": False},
        "yaxis": {"autorange": "reversed", "showgrid": False},
    }, title=title, height=330, legend=False)
