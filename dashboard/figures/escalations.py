"""Escalation and complaint charts: levels per week, by area and estate, the ladder from
supervisor to leadership, and complaints by severity per week.

Pure functions over escalation_counts (or ticket_summary) frames: columns tickets,
escalations, level_1..3, escalation_rate_pct, complaints, severity_*. A selection without
tickets shows the empty figure; a selection with tickets but no escalations (or no
complaints) says that, rather than drawing zeros.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from data_access.schema import ESCALATION_LEVELS, SERVICE_AREAS, SEVERITIES

from .. import i18n
from .common import LEVEL_COLOURS, SEVERITY_COLOURS, add_annotations, base_layout, empty_figure
from .response import full_weeks, week_label, week_tickformat

ALL_TICKETS_COLOUR = "#9aa5b8"
SEVERITY_KEYS = (*SEVERITIES, "unclassified")


def _note_figure(text: str, *, title: str | None, height: int = 320) -> go.Figure:
    """Like empty_figure, for a selection that has tickets but nothing of this kind."""
    fig = empty_figure("en", title=title, height=height)
    fig.layout.annotations[0].text = text
    return fig


def _total(frame: pd.DataFrame, column: str) -> int:
    return int(frame[column].sum()) if not frame.empty and column in frame else 0


def _weekly(frame: pd.DataFrame, column: str) -> tuple[list[str], list[int]]:
    weeks = full_weeks(frame)
    count_of = dict(zip(frame["week"].astype(str), frame[column]))  # a week each row
    return weeks, [int(count_of.get(w, 0)) for w in weeks]


def _count_axis(largest: int) -> dict:
    """Whole-number ticks: a count axis of small numbers must not read 0.5 tickets."""
    return {"tickformat": ",d", "rangemode": "tozero", **({"dtick": 1} if largest <= 8 else {})}


def _level_name(level: int, lang: str) -> str:
    return i18n.label("level", level, lang)


def escalations_by_week(weekly: pd.DataFrame, lang: str, *, titled: bool = False, annotations=()) -> go.Figure:
    """Escalated tickets per week, stacked by the highest level reached. `weekly`: escalation_counts by (week,)."""
    title = i18n.t("escalations.by_week", lang) if titled else None
    if _total(weekly, "tickets") == 0:
        return empty_figure(lang, title=title)
    if _total(weekly, "escalations") == 0:
        return _note_figure(i18n.t("escalations.none", lang), title=title)
    fig = go.Figure()
    for level in ESCALATION_LEVELS:
        weeks, counts = _weekly(weekly, f"level_{level}")
        fig.add_bar(
            x=weeks,
            y=counts,
            name=_level_name(level, lang),
            marker_color=LEVEL_COLOURS[level],
            hovertext=[
                i18n.t(
                    "escalations.hover_level",
                    lang,
                    label=week_label(w, lang),
                    level=_level_name(level, lang),
                    count=i18n.number(n, lang),
                )
                for w, n in zip(weeks, counts)
            ],
            hovertemplate="%{hovertext}<extra></extra>",
        )
    fig.update_layout(barmode="stack", bargap=0.2)
    fig.update_xaxes(type="date", tickformat=week_tickformat(lang))
    fig.update_yaxes(title_text=i18n.t("escalations.escalations_axis", lang))
    return add_annotations(base_layout(fig, title=title), annotations, lang)


def _level_bars(
    fig: go.Figure,
    rows: pd.DataFrame,
    keys: list[str],
    labels: list[str],
    hover_key: str,
    name_field: str,
    lang: str,
    *,
    horizontal: bool,
) -> None:
    """One stacked trace per level over `keys` (area or estate codes, also the click customdata)."""
    for level in ESCALATION_LEVELS:
        counts = [int(rows.at[k, f"level_{level}"]) for k in keys]
        hover = [
            i18n.t(
                hover_key,
                lang,
                **{name_field: label},
                level=_level_name(level, lang),
                count=i18n.number(n, lang),
                total=i18n.number(rows.at[k, "escalations"], lang),
                tickets=i18n.number(rows.at[k, "tickets"], lang),
                rate=i18n.percent(rows.at[k, "escalation_rate_pct"], lang),
            )
            for k, label, n in zip(keys, labels, counts)
        ]
        axes = {"x": counts, "y": labels, "orientation": "h"} if horizontal else {"x": labels, "y": counts}
        fig.add_bar(
            **axes,
            name=_level_name(level, lang),
            marker_color=LEVEL_COLOURS[level],
            customdata=keys,
            hovertext=hover,
            hovertemplate="%{hovertext}<extra></extra>",
        )


def escalations_by_area(frame: pd.DataFrame, lang: str, *, titled: bool = False) -> go.Figure:
    """Escalated tickets per service area, stacked by level; customdata is the area code.
    `frame`: escalation_counts by (service_area,)."""
    title = i18n.t("escalations.by_area", lang) if titled else None
    if _total(frame, "tickets") == 0:
        return empty_figure(lang, title=title)
    if _total(frame, "escalations") == 0:
        return _note_figure(i18n.t("escalations.none", lang), title=title)
    rows = frame.set_index("service_area")
    areas = [a for a in SERVICE_AREAS if a in rows.index]
    fig = go.Figure()
    _level_bars(
        fig, rows, areas, [i18n.area(a, lang) for a in areas], "escalations.hover_area", "area", lang, horizontal=False
    )
    fig.update_layout(barmode="stack", bargap=0.3)
    fig.update_yaxes(
        title_text=i18n.t("escalations.escalations_axis", lang), **_count_axis(int(rows["escalations"].max()))
    )
    return base_layout(fig, title=title)


def estate_labels(estates: pd.DataFrame, lang: str) -> dict[str, str]:
    """Estate name with its city; the id is added where two would read the same."""
    labels = {}
    for r in estates.itertuples():
        city = r.city if isinstance(r.city, str) and r.city else None
        labels[r.estate_id] = (f"{r.name}（{city}）" if lang == "zh" else f"{r.name} ({city})") if city else str(r.name)
    seen = pd.Series(list(labels.values())).value_counts()
    return {k: (f"{v} {k}" if seen[v] > 1 else v) for k, v in labels.items()}


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
        return _note_figure(i18n.t("escalations.none", lang), title=title, height=height)
    ranked["rate"] = pd.to_numeric(ranked["escalation_rate_pct"], errors="coerce")
    ranked = ranked.sort_values(["escalations", "rate", "estate_id"], ascending=[False, False, True]).head(top)
    ranked = ranked.iloc[::-1]  # plotly draws the first category at the bottom
    rows = ranked.set_index("estate_id")
    estates = list(rows.index)
    fig = go.Figure()
    _level_bars(
        fig,
        rows,
        estates,
        [labels.get(e, e) for e in estates],
        "escalations.hover_estate",
        "estate",
        lang,
        horizontal=True,
    )
    fig.update_layout(barmode="stack", bargap=0.25)
    fig.update_xaxes(
        title_text=i18n.t("escalations.escalations_axis", lang),
        showgrid=True,
        gridcolor="#eef0f3",
        **_count_axis(int(rows["escalations"].max())),
    )
    fig.update_yaxes(automargin=True, showgrid=False)
    return base_layout(fig, title=title, height=height)


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
    fig = go.Figure(
        go.Bar(
            y=labels,
            x=steps,
            base=[-n / 2 for n in steps],
            orientation="h",
            text=[f"{i18n.number(n, lang)} · {i18n.percent(s, lang, 1)}" for n, s in zip(steps, share)],
            textposition="outside",
            cliponaxis=False,
            marker={"color": [ALL_TICKETS_COLOUR, *[LEVEL_COLOURS[n] for n in ESCALATION_LEVELS]]},
            hovertext=hover,
            hovertemplate="%{hovertext}<extra></extra>",
        )
    )
    fig.update_yaxes(automargin=True, autorange="reversed")
    fig.update_xaxes(visible=False)
    base_layout(fig, title=title, legend=False)
    fig.update_layout(margin={"r": 90}, bargap=0.25)
    return fig


def complaints_by_severity(weekly: pd.DataFrame, lang: str, *, titled: bool = False, annotations=()) -> go.Figure:
    """Complaints received per week, stacked minor / important / major / unclassified.
    `weekly`: escalation_counts by (week,)."""
    title = i18n.t("escalations.complaints_by_severity", lang) if titled else None
    if _total(weekly, "tickets") == 0:
        return empty_figure(lang, title=title)
    if _total(weekly, "complaints") == 0:
        return _note_figure(i18n.t("escalations.no_complaints", lang), title=title)
    fig = go.Figure()
    for severity in SEVERITY_KEYS:
        weeks, counts = _weekly(weekly, f"severity_{severity}")
        name = i18n.label("severity", severity, lang)
        fig.add_bar(
            x=weeks,
            y=counts,
            name=name,
            marker_color=SEVERITY_COLOURS[severity],
            hovertext=[
                i18n.t(
                    "escalations.hover_level", lang, label=week_label(w, lang), level=name, count=i18n.number(n, lang)
                )
                for w, n in zip(weeks, counts)
            ],
            hovertemplate="%{hovertext}<extra></extra>",
        )
    fig.update_layout(barmode="stack", bargap=0.2)
    fig.update_xaxes(type="date", tickformat=week_tickformat(lang))
    fig.update_yaxes(title_text=i18n.t("escalations.complaints_axis", lang))
    return add_annotations(base_layout(fig, title=title), annotations, lang)
