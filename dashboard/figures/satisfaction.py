"""Satisfaction charts: CSAT and mean score per area and week, the four dimensions, the
score distribution, estates ranked, follow-up coverage and first-reply time against the score.

Pure functions: aggregate frames (data_access) and the language in, go.Figure out, each
written as plain trace and layout dicts (common.chart). Hover text is formatted here with
the catalogue, so a missing figure reads "—", never 0.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go

from data_access.schema import SATISFACTION_DIMENSIONS, SERVICE_AREAS

from .. import i18n
from ..periods import trend_window
from .common import (
    AREA_COLOURS, HOVER_TEXT, TARGET_LINE, add_annotations, chart, empty_figure, hline, merged, subplot_layout, vline,
)

MIN_RANKED_RESPONSES = 10  # fewer responses than this say too little about an estate
ALL_AREAS_COLOUR = "#111827"
SCORE_COLOURS = {1: "#c8553d", 2: "#f08a4b", 3: "#b8b8b8", 4: "#8cc084", 5: "#3f8f4e"}
GOOD, WATCH, BAD = "#3f8f4e", "#e0a030", "#c8553d"


def number_or_none(value):
    """None for anything missing (None, NaN, pd.NA), else a plain float."""
    if value is None or pd.isna(value):
        return None
    return float(value)


def _areas_present(frame: pd.DataFrame) -> list[str]:
    present = set(frame["service_area"].dropna()) if "service_area" in frame else set()
    return [a for a in SERVICE_AREAS if a in present]


def _responses(frame: pd.DataFrame) -> int:
    return int(pd.to_numeric(frame.get("responses", pd.Series(dtype=float))).fillna(0).sum())


def _target_line(value: float | None, lang: str, *, vertical: bool = False) -> tuple[list[dict], list[dict]]:
    """(shapes, traces) of a dashed target line, named in the legend (an annotation would
    collide with bar labels); nothing without a target. On the first plot's axes."""
    if value is None:
        return [], []
    # Above everything (below, a grid line at the target would hide it); bar values sit at the
    # bars' base, so the line never runs through them.
    shapes, _ = (vline if vertical else hline)(value, layer="above")
    legend = {"type": "scatter", "x": [None], "y": [None], "mode": "lines", "line": dict(TARGET_LINE),
              "name": i18n.t("satisfaction.target", lang, value=i18n.percent(value, lang, 0)), "hoverinfo": "skip", "showlegend": True}
    return shapes, [legend]


def _note(text: str | None) -> list[dict]:
    """The annotations of a grey line of explanation above the plot (none without text), part
    of the figure so exports keep it."""
    if not text:
        return []
    return [{"text": text, "showarrow": False, "x": 0, "xref": "paper", "xanchor": "left", "y": 1, "yref": "paper", "yanchor": "bottom",
             "yshift": 8, "font": {"size": 11, "color": "#6b7280"}, "align": "left"}]


def _axis_title(text: str) -> dict:
    return {"text": text, "font": {"size": 11}}


def _title(key: str, lang: str, titled: bool, **values) -> str | None:
    """Pages show the title in the card header; a figure made for export carries it itself."""
    return i18n.t(key, lang, **values) if titled else None


def _hover(label: str, csat, mean, responses, lang: str) -> str:
    return (
        f"{label}<br>{i18n.t('metric.csat_pct', lang)}: {i18n.percent(csat, lang)}"
        f"<br>{i18n.t('metric.mean_score', lang)}: {i18n.number(mean, lang, 2)}"
        f"<br>{i18n.t('satisfaction.responses_hover', lang, count=i18n.number(int(responses), lang))}"
    )


def area_satisfaction(by_area: pd.DataFrame, lang: str, target_csat: float | None = None, *, titled: bool = False) -> go.Figure:
    """CSAT % and mean score per service area (survey_summary by area), side by side; a bar
    carries its area for cross-filtering."""
    title = _title("satisfaction.by_area", lang, titled)
    rows = by_area[by_area["service_area"].isin(SERVICE_AREAS) & (by_area["responses"] > 0)]
    if rows.empty:
        return empty_figure(lang, title=title)
    rows = rows.set_index("service_area").loc[_areas_present(rows)]
    areas = list(rows.index)
    labels = [i18n.area(a, lang) for a in areas]
    csat = [number_or_none(v) for v in rows["csat_pct"]]
    mean = [number_or_none(v) for v in rows["mean_score"]]
    hover = [_hover(label, c, m, n, lang) for label, c, m, n in zip(labels, csat, mean, rows["responses"])]
    layout = subplot_layout((i18n.t("metric.csat_pct", lang), i18n.t("satisfaction.mean_score_axis", lang)),
                            rows=1, cols=2, horizontal_spacing=0.12)
    for subplot_title in layout["annotations"]:
        subplot_title["font"] = {"size": 12}  # they name the axes, not the chart: smaller than make_subplots' 16
    shared = {"type": "bar", "x": labels, "customdata": areas, "hovertext": hover, "hovertemplate": HOVER_TEXT,
              "marker": {"color": [AREA_COLOURS[a] for a in areas]}, "showlegend": False, "textangle": 0}
    # CSAT values at the bars' base, clear of the target line; mean scores above their bars.
    bars = [
        {**shared, "y": csat, "text": [i18n.percent(v, lang) for v in csat], "textposition": "inside", "insidetextanchor": "start"},
        {**shared, "y": mean, "text": [i18n.number(v, lang, 2) for v in mean], "textposition": "outside", "cliponaxis": False,
         "xaxis": "x2", "yaxis": "y2"},
    ]
    target, target_legend = _target_line(target_csat, lang)
    return chart(bars + target_legend, merged(layout, {
        "yaxis": {"range": [0, 109], "ticksuffix": "%"}, "yaxis2": {"range": [1, 5.45]}, "shapes": target,
        "margin": {"t": 64 if title else 36}, "bargap": 0.2, "legend": {"y": -0.14},
    }), title=title, height=330)


trend_period = trend_window  # the same window as the other weekly trends


def weekly_trend(by_week_area: pd.DataFrame, by_week: pd.DataFrame, lang: str,
                 window: tuple[dt.date, dt.date] | None = None, *, titled: bool = False, annotations=()) -> go.Figure:
    """CSAT % (top) and mean score (bottom) per week (survey_summary by week and area, and by
    week): a line per area and a heavier one for all areas."""
    title = _title("satisfaction.trend", lang, titled)
    note = i18n.t("satisfaction.trend_window", lang, period=i18n.date_range(*window, lang)) if window else None
    if _responses(by_week) == 0:
        return empty_figure(lang, title=title, height=430)
    series = [(a, i18n.area(a, lang), AREA_COLOURS[a], by_week_area[by_week_area["service_area"] == a]) for a in _areas_present(by_week_area)]
    series.append(("all", i18n.t("satisfaction.all_areas", lang), ALL_AREAS_COLOUR, by_week))
    traces = []
    for key, name, colour, frame in series:
        frame = frame[frame["responses"] > 0].sort_values("week")
        if frame.empty:
            continue
        weeks = [dt.date.fromisoformat(str(w)[:10]) for w in frame["week"]]
        csat = [number_or_none(v) for v in frame["csat_pct"]]
        mean = [number_or_none(v) for v in frame["mean_score"]]
        hover = [_hover(f"{name} · {i18n.t('satisfaction.week_of', lang, date=i18n.date(w, lang))}", c, m, n, lang)
                 for w, c, m, n in zip(weeks, csat, mean, frame["responses"])]
        heavy = key == "all"
        style = {"type": "scatter", "name": name, "legendgroup": key, "mode": "lines+markers", "marker": {"size": 5 if heavy else 3},
                 "line": {"color": colour, "width": 3.2 if heavy else 1.4}, "opacity": 1 if heavy else 0.8,
                 "hovertext": hover, "hovertemplate": HOVER_TEXT}
        traces += [{**style, "x": weeks, "y": csat}, {**style, "x": weeks, "y": mean, "showlegend": False, "xaxis": "x2", "yaxis": "y2"}]
    layout = merged(subplot_layout(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.07, row_heights=[0.55, 0.45]), {
        "yaxis": {"title": _axis_title(i18n.t("metric.csat_pct", lang)), "ticksuffix": "%"},
        "yaxis2": {"title": _axis_title(i18n.t("metric.mean_score", lang))},
        "xaxis2": {"tickformat": "%m-%d" if lang == "zh" else "%d %b"},
        "annotations": _note(note), "legend": {"y": -0.14}, "margin": {"l": 60, "t": 72 if title else 36, "b": 56},
    })
    return add_annotations(chart(traces, layout, title=title, height=430), annotations, lang)


def dimension_heatmap(by_area: pd.DataFrame, overall: pd.DataFrame | None, lang: str, *, titled: bool = False) -> go.Figure:
    """Mean of each dimension per area (survey_summary by area) and for all areas (the overall
    summary), the value written in each cell. Dash reports a clicked cell by its labels
    (not its customdata): `area_of_label` turns the row label back into the area."""
    title = _title("satisfaction.dimensions", lang, titled)
    rows = by_area[by_area["service_area"].isin(SERVICE_AREAS)].set_index("service_area")
    keys = [a for a in _areas_present(by_area) if sum(int(rows.loc[a, f"{d}_n"]) for d in SATISFACTION_DIMENSIONS) > 0]
    if not keys:
        return empty_figure(lang, title=title)
    z = [[number_or_none(rows.loc[a, f"{d}_mean"]) for d in SATISFACTION_DIMENSIONS] for a in keys]
    labels = [i18n.area(a, lang) for a in keys]
    if overall is not None and len(overall):
        z.append([number_or_none(overall.iloc[0][f"{d}_mean"]) for d in SATISFACTION_DIMENSIONS])
        labels.append(i18n.t("satisfaction.all_areas", lang))
    columns = [i18n.t(f"dimension.{d}", lang) for d in SATISFACTION_DIMENSIONS]
    text = [[i18n.number(v, lang, 2) for v in row] for row in z]
    values = [v for row in z for v in row if v is not None]
    low, high = min(values), max(values)
    pad = max(0.05, (high - low) * 0.1)
    heatmap = {
        "type": "heatmap", "z": z, "x": columns, "y": labels, "text": text, "texttemplate": "%{text}", "textfont": {"size": 13},
        "colorscale": "RdYlGn", "zmin": low - pad, "zmax": high + pad, "xgap": 2, "ygap": 2,
        "hovertemplate": "%{y} · %{x}: %{text}<extra></extra>", "colorbar": {"thickness": 10, "len": 0.9},
    }
    return chart([heatmap], {
        "yaxis": {"autorange": "reversed", "showgrid": False, "automargin": True}, "xaxis": {"side": "top", "showgrid": False},
        "margin": {"t": 72 if title else 40, "l": 90},
    }, title=title, height=330, legend=False)


def area_of_label(label, lang: str) -> str | None:
    return {i18n.area(a, lang): a for a in SERVICE_AREAS}.get(label)


def score_distribution(by_score: pd.DataFrame, lang: str, *, titled: bool = False) -> go.Figure:
    """Share of responses giving each score 1–5 (survey_summary by score)."""
    title = _title("satisfaction.distribution", lang, titled)
    scored = by_score[by_score["score"].notna()].copy()
    scored["score"] = pd.to_numeric(scored["score"]).astype(int)
    counts = scored.groupby("score")["responses"].sum().reindex(range(1, 6), fill_value=0)
    total = int(counts.sum())
    if total == 0:
        return empty_figure(lang, title=title)
    shares = [100.0 * int(c) / total for c in counts]
    labels = [i18n.t("satisfaction.score", lang, score=s) for s in counts.index]
    hover = [
        f"{label}: {i18n.percent(share, lang)}<br>{i18n.t('satisfaction.responses_hover', lang, count=i18n.number(int(c), lang))}"
        for label, share, c in zip(labels, shares, counts)
    ]
    bars = {
        "type": "bar", "x": labels, "y": shares, "text": [i18n.percent(v, lang) for v in shares], "textposition": "outside",
        "cliponaxis": False, "marker": {"color": [SCORE_COLOURS[s] for s in counts.index]}, "hovertext": hover, "hovertemplate": HOVER_TEXT,
    }
    return chart([bars], {
        "yaxis": {"title": _axis_title(i18n.t("satisfaction.share_axis", lang)), "ticksuffix": "%", "range": [0, max(shares) * 1.18]},
        "bargap": 0.3,
    }, title=title, height=330, legend=False)


def rank_estates(by_estate: pd.DataFrame, estates: pd.DataFrame, minimum: int = MIN_RANKED_RESPONSES) -> tuple[pd.DataFrame, int]:
    """Estates with at least `minimum` responses (survey_summary by estate), best CSAT first (then
    mean score, then name), and how many estates with some responses were left out for having fewer."""
    named = by_estate.merge(estates[["estate_id", "name", "city"]], on="estate_id", how="left")
    answered = named[named["responses"] > 0]
    ranked = answered[answered["responses"] >= minimum].copy()
    ranked["csat_pct"] = pd.to_numeric(ranked["csat_pct"]).astype(float)
    ranked["mean_score"] = pd.to_numeric(ranked["mean_score"]).astype(float)
    ranked = ranked.sort_values(["csat_pct", "mean_score", "name"], ascending=[False, False, True]).reset_index(drop=True)
    return ranked, int(len(answered) - len(ranked))


RANKING_ENDS = 25  # bars at each end of the estate ranking past 50 estates


def estate_label(name, city, lang: str) -> str:
    name = name if isinstance(name, str) and name else "?"
    if not isinstance(city, str) or not city:
        return name
    return f"{name}（{city}）" if lang == "zh" else f"{name} ({city})"


def ranking_height(estates: int) -> int:
    return max(280, 21 * estates + 120)


def estate_ranking(ranked: pd.DataFrame, left_out: int, lang: str, target_csat: float | None = None,
                   minimum: int = MIN_RANKED_RESPONSES, *, titled: bool = False) -> go.Figure:
    """Horizontal CSAT bars, best at the top, coloured against the target (green at or above,
    amber within 5 points, red below); a bar carries its estate_id for cross-filtering."""
    title = _title("satisfaction.estates_ranked", lang, titled)
    note = i18n.t("satisfaction.estates_left_out", lang, count=i18n.number(left_out, lang), minimum=minimum) if left_out else None
    if ranked.empty:
        fig = empty_figure(lang, title=title)
        fig.layout.annotations += tuple(_note(i18n.t("satisfaction.estates_none", lang, minimum=minimum)))
        return fig
    if len(ranked) > 2 * RANKING_ENDS:  # a group's thousands of estates: its best and its worst
        hidden = len(ranked) - 2 * RANKING_ENDS
        ranked = pd.concat([ranked.head(RANKING_ENDS), ranked.tail(RANKING_ENDS)], ignore_index=True)
        middle = i18n.t("satisfaction.estates_middle", lang, ends=RANKING_ENDS, count=i18n.number(hidden, lang))
        note = f"{middle} {note}" if note else middle
    labels = [estate_label(n, c, lang) for n, c in zip(ranked["name"], ranked["city"])]
    csat = [number_or_none(v) for v in ranked["csat_pct"]]

    def colour(value):
        if target_csat is None or value is None:
            return AREA_COLOURS["security"]
        return GOOD if value >= target_csat else (WATCH if value >= target_csat - 5 else BAD)

    hover = [_hover(label, c, number_or_none(m), n, lang) for label, c, m, n in zip(labels, csat, ranked["mean_score"], ranked["responses"])]
    bars = {
        "type": "bar", "x": csat, "y": labels, "orientation": "h", "customdata": list(ranked["estate_id"]),
        "marker": {"color": [colour(v) for v in csat]}, "text": [i18n.percent(v, lang) for v in csat], "textposition": "inside",
        "insidetextanchor": "start", "textangle": 0, "hovertext": hover, "hovertemplate": HOVER_TEXT, "showlegend": False,
    }
    target, target_legend = _target_line(target_csat, lang, vertical=True)
    height = ranking_height(len(labels))
    return chart([bars, *target_legend], {
        "yaxis": {"autorange": "reversed", "automargin": True, "tickfont": {"size": 11}, "type": "category"},
        "xaxis": {"range": [0, 102], "ticksuffix": "%", "showgrid": True, "gridcolor": "#eef0f3"},
        "shapes": target, "annotations": _note(note), "bargap": 0.25,
        "margin": {"t": (72 if title else 40) if note else (48 if title else 16), "b": 40},
        "legend": {"y": -40 / height, "yanchor": "top"},  # 40 px under the plot, however tall the ranking
    }, title=title, height=height)


def follow_up_coverage(by_area: pd.DataFrame, lang: str, target: float | None = None, *, titled: bool = False) -> go.Figure:
    """Resolved tickets with a follow-up survey, per service area (data_access.satisfaction.
    follow_up_coverage, or ticket_summary by area); a bar carries its area for cross-filtering."""
    title = _title("satisfaction.coverage", lang, titled)
    rows = by_area[by_area["service_area"].isin(SERVICE_AREAS) & (by_area["resolved"] > 0)]
    if rows.empty:
        return empty_figure(lang, title=title)
    rows = rows.set_index("service_area").loc[_areas_present(rows)]
    areas = list(rows.index)
    labels = [i18n.area(a, lang) for a in areas]
    coverage = [number_or_none(v) for v in rows["follow_up_coverage_pct"]]
    hover = [
        f"{label}: {i18n.percent(c, lang)}<br>"
        + i18n.t("satisfaction.coverage_hover", lang, followed=i18n.number(int(f), lang), resolved=i18n.number(int(r), lang))
        for label, c, f, r in zip(labels, coverage, rows["followed_up"], rows["resolved"])
    ]
    bars = {
        "type": "bar", "x": labels, "y": coverage, "customdata": areas, "marker": {"color": [AREA_COLOURS[a] for a in areas]},
        "showlegend": False, "text": [i18n.percent(v, lang) for v in coverage], "textposition": "inside", "insidetextanchor": "start",
        "textangle": 0, "hovertext": hover, "hovertemplate": HOVER_TEXT,
    }
    target, target_legend = _target_line(target, lang)
    return chart([bars, *target_legend], {
        "yaxis": {"range": [0, 109], "ticksuffix": "%"}, "shapes": target, "bargap": 0.3, "legend": {"y": -0.16},
    }, title=title, height=300)


def _whole_hours(minutes: float | None) -> bool:
    return minutes is not None and minutes >= 60 and minutes % 60 == 0


def bucket_label(lower, upper, lang: str) -> str:
    """'≤ 5 min', '5–15 min', '1–4 h', '> 4 h', or 'No reply recorded' (both bounds None):
    the unit is written once, hours when every bound is a whole number of hours."""
    if lower is None and upper is None:
        return i18n.t("satisfaction.bucket_none", lang)
    bounds = [b for b in (lower, upper) if b]
    in_hours = all(_whole_hours(b) for b in bounds)
    unit, scale = ("satisfaction.hours_short", 60.0) if in_hours else ("satisfaction.minutes_short", 1.0)

    def plain(value: float) -> str:
        value = value / scale
        return i18n.number(value, lang, 0 if float(value).is_integer() else 1)

    if upper is None:
        return i18n.t("satisfaction.bucket_over", lang, lower=i18n.t(unit, lang, value=plain(lower)))
    if not lower:
        return i18n.t("satisfaction.bucket_up_to", lang, upper=i18n.t(unit, lang, value=plain(upper)))
    return i18n.t(unit, lang, value=i18n.t("satisfaction.bucket_between", lang, lower=plain(lower), upper=plain(upper)))


def _bound(value):
    return None if value is None or pd.isna(value) else float(value)


def score_by_first_reply(buckets: pd.DataFrame, lang: str, *, minimum: int = MIN_RANKED_RESPONSES, titled: bool = False) -> go.Figure:
    """CSAT % (bars) and mean score (line, right axis) per first-reply bucket
    (data_access.satisfaction.score_by_first_reply); buckets with fewer than `minimum`
    responses are drawn pale, and every label says how many responses it rests on."""
    title = _title("satisfaction.first_reply", lang, titled)
    if _responses(buckets) == 0:
        return empty_figure(lang, title=title)
    labels = [bucket_label(_bound(lo), _bound(hi), lang) for lo, hi in zip(buckets["lower"], buckets["upper"])]
    counts = [int(n) for n in buckets["responses"]]
    ticks = [f"{label}<br><span style='font-size:10px;color:#6b7280'>{i18n.t('satisfaction.n_responses', lang, count=i18n.number(n, lang))}</span>"
             for label, n in zip(labels, counts)]
    csat = [number_or_none(v) for v in buckets["csat_pct"]]
    mean = [number_or_none(v) for v in buckets["mean_score"]]
    hover = [_hover(label, c, m, n, lang) for label, c, m, n in zip(labels, csat, mean, counts)]
    no_reply = [_bound(lo) is None and _bound(hi) is None for lo, hi in zip(buckets["lower"], buckets["upper"])]
    bars = {
        "type": "bar", "x": ticks, "y": csat, "name": i18n.t("metric.csat_pct", lang),
        "marker": {"color": ["#9ca3af" if n else "#2a9d8f" for n in no_reply], "opacity": [1.0 if n >= minimum else 0.4 for n in counts]},
        "text": [i18n.percent(v, lang, 0) if v is not None else "" for v in csat], "textposition": "inside", "insidetextanchor": "start",
        "textangle": 0, "hovertext": hover, "hovertemplate": HOVER_TEXT,
    }
    line = {
        "type": "scatter", "x": ticks, "y": mean, "name": i18n.t("metric.mean_score", lang), "mode": "lines+markers",
        "line": {"color": "#1f4e79", "width": 2}, "marker": {"size": 7}, "hovertext": hover, "hovertemplate": HOVER_TEXT,
        "yaxis": "y2",  # make_subplots' secondary y axis, on the right
    }
    layout = merged(subplot_layout(specs=[[{"secondary_y": True}]]), {
        "yaxis": {"title": _axis_title(i18n.t("metric.csat_pct", lang)), "range": [0, 105], "ticksuffix": "%"},
        "yaxis2": {"title": _axis_title(i18n.t("metric.mean_score", lang)), "range": [1, 5.25], "tickmode": "linear", "tick0": 1, "dtick": 1,
                   "showgrid": False},
        "xaxis": {"tickangle": 0, "type": "category"},
        "annotations": _note(i18n.t("satisfaction.first_reply_note", lang)),
        "margin": {"t": 72 if title else 40, "r": 56, "b": 64}, "legend": {"y": -0.24}, "bargap": 0.3,
    })
    return chart([bars, line], layout, title=title, height=350)
