"""Escalation and complaint charts: levels per week, by area and estate, the ladder from
supervisor to leadership, and complaints by severity per week.

Pure functions over escalation_counts (or ticket_summary) frames: columns tickets,
escalations, level_1..3, escalation_rate_pct, complaints, severity_*. A selection without
tickets shows the empty figure; a selection with tickets but no escalations (or no
complaints) says that, rather than drawing zeros.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd
import plotly.graph_objects as go

from data_access.schema import ESCALATION_LEVELS, SERVICE_AREAS, SEVERITIES

from .. import i18n
from .common import HOVER_TEXT, LEVEL_COLOURS, SEVERITY_COLOURS, add_annotations, chart, empty_figure, message_figure
from .response import full_weeks, week_label, week_tickformat

ALL_TICKETS_COLOUR = "#9aa5b8"
SEVERITY_KEYS = (*SEVERITIES, "unclassified")


def _total(frame: pd.DataFrame, column: str) -> int:
    return int(frame[column].sum()) if not frame.empty and column in frame else 0


def _count_axis(largest: int) -> dict:
    """Whole-number ticks: a count axis of small numbers must not read 0.5 tickets."""
    return {"tickformat": ",d", "rangemode": "tozero", **({"dtick": 1} if largest <= 8 else {})}


def _level_name(level: int, lang: str) -> str:
    return i18n.label("level", level, lang)


def _weekly_stacks(weekly: pd.DataFrame, stacks: list[tuple[str, str, str]], axis_title: str, lang: str, *,
                   title: str | None, annotations) -> go.Figure:
    """Bars per week of `weekly` (a row a week), stacked one per (column, name, colour), every
    week from the first to the last on the date axis."""
    weeks = full_weeks(weekly)
    week_labels = [week_label(w, lang) for w in weeks]
    row_weeks = weekly["week"].astype(str).tolist()
    bars = []
    for column, name, colour in stacks:
        count_of = dict(zip(row_weeks, weekly[column].tolist()))
        counts = [int(count_of.get(w, 0)) for w in weeks]
        bars.append({
            "type": "bar", "x": weeks, "y": counts, "name": name, "marker": {"color": colour},
            "hovertext": [
                i18n.t("escalations.hover_level", lang, label=label, level=name, count=i18n.number(n, lang))
                for label, n in zip(week_labels, counts)
            ],
            "hovertemplate": HOVER_TEXT,
        })
    fig = chart(bars, {
        "barmode": "stack", "bargap": 0.2,
        "xaxis": {"type": "date", "tickformat": week_tickformat(lang)},
        "yaxis": {"title": {"text": axis_title}},
    }, title=title)
    return add_annotations(fig, annotations, lang)


def escalations_by_week(weekly: pd.DataFrame, lang: str, *, titled: bool = False, annotations=()) -> go.Figure:
    """Escalated tickets per week, stacked by the highest level reached. `weekly`: escalation_counts by (week,)."""
    title = i18n.t("escalations.by_week", lang) if titled else None
    if _total(weekly, "tickets") == 0:
        return empty_figure(lang, title=title)
    if _total(weekly, "escalations") == 0:
        return message_figure(i18n.t("escalations.none", lang), title=title)
    levels = [(f"level_{level}", _level_name(level, lang), LEVEL_COLOURS[level]) for level in ESCALATION_LEVELS]
    return _weekly_stacks(weekly, levels, i18n.t("escalations.escalations_axis", lang), lang, title=title,
                          annotations=annotations)


def _level_bars(
    rows: pd.DataFrame,
    keys: list[str],
    labels: list[str],
    hover_key: str,
    name_field: str,
    lang: str,
    *,
    horizontal: bool,
) -> list[dict]:
    """One stacked bar trace per level over `keys` (area or estate codes, also the click customdata)."""
    # Columns as lists in the bars' order: a cell lookup per bar would cost more than the figure.
    cells = rows.loc[keys].to_dict("list")
    # Each key's totals once, in the hover of all three levels.
    totals = [
        {"total": i18n.number(e, lang), "tickets": i18n.number(t, lang), "rate": i18n.percent(r, lang)}
        for e, t, r in zip(cells["escalations"], cells["tickets"], cells["escalation_rate_pct"])
    ]
    bars = []
    for level in ESCALATION_LEVELS:
        name = _level_name(level, lang)
        counts = [int(n) for n in cells[f"level_{level}"]]
        hover = [
            i18n.t(hover_key, lang, **{name_field: label}, level=name, count=i18n.number(n, lang), **of_key)
            for label, n, of_key in zip(labels, counts, totals)
        ]
        axes = {"x": counts, "y": labels, "orientation": "h"} if horizontal else {"x": labels, "y": counts}
        bars.append({
            "type": "bar", **axes, "name": name, "marker": {"color": LEVEL_COLOURS[level]}, "customdata": keys,
            "hovertext": hover, "hovertemplate": HOVER_TEXT,
        })
    return bars


def escalations_by_area(frame: pd.DataFrame, lang: str, *, titled: bool = False) -> go.Figure:
    """Escalated tickets per service area, stacked by level; customdata is the area code.
    `frame`: escalation_counts by (service_area,)."""
    title = i18n.t("escalations.by_area", lang) if titled else None
    if _total(frame, "tickets") == 0:
        return empty_figure(lang, title=title)
    if _total(frame, "escalations") == 0:
        return message_figure(i18n.t("escalations.none", lang), title=title)
    rows = frame.set_index("service_area")
    areas = [a for a in SERVICE_AREAS if a in rows.index]
    bars = _level_bars(
        rows, areas, [i18n.area(a, lang) for a in areas], "escalations.hover_area", "area", lang, horizontal=False
    )
    count_axis = _count_axis(int(rows["escalations"].max()))
    return chart(bars, {
        "barmode": "stack", "bargap": 0.3,
        "yaxis": {"title": {"text": i18n.t("escalations.escalations_axis", lang)}, **count_axis},
    }, title=title)


def estate_labels(estates: pd.DataFrame, lang: str) -> dict[str, str]:
    """Estate name with its city; the id is added where two would read the same."""
    brackets = "{}（{}）" if lang == "zh" else "{} ({})"
    # Plain lists: a group's 2,000 estates are read in a millisecond, a Series item by item in several.
    ids, names, cities = (estates[column].tolist() for column in ("estate_id", "name", "city"))
    labels = {
        estate: brackets.format(name, city) if isinstance(city, str) and city else str(name)
        for estate, name, city in zip(ids, names, cities)
    }
    seen = Counter(labels.values())
    return {estate: f"{label} {estate}" if seen[label] > 1 else label for estate, label in labels.items()}


def escalations_by_estate(
    frame: pd.DataFrame, labels: dict[str, str], lang: str, *, top: int = 15, titled: bool = False
) -> go.Figure:
    """The `top` estates by escalated tickets (ties: higher rate first), stacked by level, the most
    at the top; customdata is the estate id. `frame`: escalation_counts by (estate_id,)."""
    title = i18n.t("escalations.by_estate", lang, count=top) if titled else None
    height = 460
    if _total(frame, "tickets") == 0:
        return empty_figure(lang, title=title, height=height)
    ranked = frame[frame["escalations"] > 0].copy()
    if ranked.empty:
        return message_figure(i18n.t("escalations.none", lang), title=title, height=height)
    ranked["rate"] = pd.to_numeric(ranked["escalation_rate_pct"], errors="coerce")
    ranked = ranked.sort_values(["escalations", "rate", "estate_id"], ascending=[False, False, True]).head(top)
    ranked = ranked.iloc[::-1]  # plotly draws the first category at the bottom
    rows = ranked.set_index("estate_id")
    estates = list(rows.index)
    bars = _level_bars(
        rows, estates, [labels.get(e, e) for e in estates], "escalations.hover_estate", "estate", lang, horizontal=True
    )
    return chart(bars, {
        "barmode": "stack", "bargap": 0.25,
        "xaxis": {
            "title": {"text": i18n.t("escalations.escalations_axis", lang)}, "showgrid": True, "gridcolor": "#eef0f3",
            **_count_axis(int(rows["escalations"].max())),
        },
        "yaxis": {"automargin": True, "showgrid": False},
    }, title=title, height=height)


def ladder_steps(summary: pd.DataFrame) -> list[int]:
    """[all tickets, reached level >= 1, >= 2, >= 3] from escalation_counts, summed over its rows:
    any grouping that covers the selection once (by area, say) gives the same steps."""
    levels = [int(summary[f"level_{n}"].sum()) for n in ESCALATION_LEVELS]
    return [int(summary["tickets"].sum()), sum(levels), sum(levels[1:]), levels[2]]


def escalation_ladder(summary: pd.DataFrame, lang: str, *, titled: bool = False) -> go.Figure:
    """Funnel from all tickets to those that reached the supervisor, the office director and
    the company leadership (escalation_level is the highest level reached)."""
    title = i18n.t("escalations.ladder", lang) if titled else None
    if summary.empty or _total(summary, "tickets") == 0:
        return empty_figure(lang, title=title)
    steps = ladder_steps(summary)
    labels = [i18n.t(f"escalations.rung_{k}", lang) for k in ("all", 1, 2, 3)]
    share = [100.0 * n / steps[0] for n in steps]
    step = [None] + [100.0 * n / previous if previous else None for n, previous in zip(steps[1:], steps)]
    hover = [
        i18n.t(
            "escalations.rung_hover",
            lang,
            label=label,
            count=i18n.number(n, lang),
            share=i18n.percent(s, lang, 2),
            step=i18n.percent(p, lang),
        )
        for label, n, s, p in zip(labels, steps, share, step)
    ]
    # A funnel drawn as bars centred on zero: plotly's funnel trace is not in the partial
    # plotly.js bundle the dashboard serves (assets/vendor/README.md); the look is the same.
    rungs = {
        "type": "bar", "y": labels, "x": steps, "base": [-n / 2 for n in steps], "orientation": "h",
        "text": [f"{i18n.number(n, lang)} · {i18n.percent(s, lang, 1)}" for n, s in zip(steps, share)],
        "textposition": "outside", "cliponaxis": False,
        "marker": {"color": [ALL_TICKETS_COLOUR, *[LEVEL_COLOURS[n] for n in ESCALATION_LEVELS]]},
        "hovertext": hover, "hovertemplate": HOVER_TEXT,
    }
    return chart([rungs], {
        "yaxis": {"automargin": True, "autorange": "reversed"},
        "xaxis": {"visible": False},
        "margin": {"r": 90},  # room for the outside text of the widest rung
        "bargap": 0.25,
    }, title=title, legend=False)


def complaints_by_severity(weekly: pd.DataFrame, lang: str, *, titled: bool = False, annotations=()) -> go.Figure:
    """Complaints received per week, stacked minor / important / major / unclassified.
    `weekly`: escalation_counts by (week,)."""
    title = i18n.t("escalations.complaints_by_severity", lang) if titled else None
    if _total(weekly, "tickets") == 0:
        return empty_figure(lang, title=title)
    if _total(weekly, "complaints") == 0:
        return message_figure(i18n.t("escalations.no_complaints", lang), title=title)
    severities = [
        (f"severity_{severity}", i18n.label("severity", severity, lang), SEVERITY_COLOURS[severity])
        for severity in SEVERITY_KEYS
    ]
    return _weekly_stacks(weekly, severities, i18n.t("escalations.complaints_axis", lang), lang, title=title,
                          annotations=annotations)
