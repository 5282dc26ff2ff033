"""Estates: the league table's columns and rows (dash-ag-grid) and the estate x area heatmap.

Pure functions of data_access.league.estate_league frames and the language. The grid sorts
and filters the raw numbers; what it shows is written in the browser as i18n.number writes
them, in the catalogue's units (assets/estates.js; "—" for null), and nulls sort last
whichever way a column is sorted.
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from data_access.schema import SERVICE_AREAS

from .. import i18n
from .common import HOVER_TEXT, chart, empty_figure

# Defined in assets/estates.js: dash-ag-grid accepts a comparator only as a named function.
NULLS_LAST = {"function": "estatesNullsLast"}
GRID_LOCALE_KEYS = (
    "noRowsToShow", "filterOoo", "equals", "notEqual", "lessThan", "greaterThan", "lessThanOrEqual",
    "greaterThanOrEqual", "inRange", "inRangeStart", "inRangeEnd", "contains", "notContains", "startsWith",
    "endsWith", "blank", "notBlank", "andCondition", "orCondition", "applyFilter", "resetFilter", "clearFilter",
    "cancelFilter", "ariaFilterInput",
)


def figure_format(kind: str, lang: str) -> tuple[int, str]:
    """How the league writes a figure of `kind`, as i18n.number does (digits, and the text
    around the number): the browser does the writing (assets/estates.js, estatesFigure)."""
    if kind == "percent":
        return 1, "{value}%"
    if kind in ("minutes", "hours"):
        return 1, i18n.t(f"unit.{kind}", lang)
    return {"count": 0, "rate": 1, "score": 2}[kind], "{value}"


# (league column, header message key, kind, width in px)
LEAGUE_COLUMNS = (
    ("households", "estates.col_households", "count", 112),
    ("tickets", "metric.tickets", "count", 90),
    ("per_1000_households", "estates.col_per_1000", "rate", 120),
    ("within_target_pct", "metric.within_target_pct", "percent", 125),
    ("response_median", "metric.first_response_median", "minutes", 120),
    ("within_sla_pct", "metric.within_sla_pct", "percent", 115),
    ("resolution_median", "metric.resolution_median", "hours", 120),
    ("escalations", "metric.escalations", "count", 105),
    ("escalation_rate_pct", "metric.escalation_rate", "percent", 105),
    ("severity_major", "metric.major_complaints", "count", 105),
    ("overdue_30d", "estates.col_overdue", "count", 115),
    ("responses", "metric.responses", "count", 105),
    ("csat_pct", "metric.csat_pct", "percent", 120),
    ("mean_score", "metric.mean_score", "score", 95),
    ("follow_up_coverage_pct", "metric.follow_up_coverage", "percent", 115),
)
TEXT_COLUMNS = (("name", "estates.col_estate", 150), ("city", "estates.col_city", 80))
# The grid's rows are arrays, in this order: a 2,000-estate league is ~0.25 MB of JSON so,
# against 1.7 MB as objects repeating the field names in every row, and 0.5 MB with each
# figure's text beside it. A column's `field` is its index; the browser writes the figures
# (estatesFigure). The last element is 1 while the medians are still being worked out.
MEDIAN_FIELDS = ("response_median", "resolution_median")
ROW_FIELDS = ("estate_id", "name", "city", *[field for field, *_ in LEAGUE_COLUMNS], "medians_pending")
ROW_INDEX = {field: i for i, field in enumerate(ROW_FIELDS)}


def _figure_formatter(kind: str, lang: str, awaited: bool) -> dict:
    digits, template = figure_format(kind, lang)
    return {"function": f"estatesFigure(params, {digits}, {json.dumps(template, ensure_ascii=False)}, {str(awaited).lower()})"}


def league_column_defs(lang: str, target_minutes: float) -> list[dict]:
    """Column definitions: estate pinned left, every figure sortable and filterable by its number."""
    defs = [
        {
            "colId": field, "field": str(ROW_INDEX[field]), "headerName": i18n.t(key, lang), "minWidth": width, "width": width,
            "filter": "agTextColumnFilter", "pinned": "left" if field == "name" else None,
            "cellClass": "league-estate" if field == "name" else None,
        }
        for field, key, width in TEXT_COLUMNS
    ]
    for field, key, kind, width in LEAGUE_COLUMNS:
        defs.append({
            "colId": field, "field": str(ROW_INDEX[field]),
            "headerName": i18n.t(key, lang, target=f"{target_minutes:g}"),  # unused placeholders are ignored
            "type": "numericColumn", "filter": "agNumberColumnFilter", "width": width, "minWidth": 80,
            "valueFormatter": _figure_formatter(kind, lang, field in MEDIAN_FIELDS), "comparator": NULLS_LAST,
            "cellClass": "league-number",
        })
    return defs


def _plain(value):
    if value is None or pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") else value


def _values(column: pd.Series) -> list:
    """A column as Python values, None for null."""
    return [None if v is None or v != v else v for v in column.astype(object).tolist()]  # v != v: NaN


def league_grid_rows(league: pd.DataFrame, *, medians_pending: bool = False) -> list[list]:
    """The league as the grid holds it: an array per estate in ROW_FIELDS order, the figures as
    numbers (None for null). With `medians_pending` the median columns wait for median_cells."""
    ids = league["estate_id"].tolist()
    columns = [
        ids,
        [name or estate for name, estate in zip(_values(league["name"]), ids)] if "name" in league else ids,
        [city or "" for city in _values(league["city"])] if "city" in league else [""] * len(ids),
    ]
    for field, *_ in LEAGUE_COLUMNS:
        waiting = medians_pending and field in MEDIAN_FIELDS
        columns.append(_values(league[field]) if field in league and not waiting else [None] * len(ids))
    columns.append([int(medians_pending)] * len(ids))
    return [list(row) for row in zip(*columns)]


def median_cells(medians: pd.DataFrame | None) -> dict:
    """The median columns per estate, merged into the grid's rows in the browser: an estate
    without any (no tickets with a reply or a resolution, or no medians at all) gets nulls."""
    cells = {}
    if medians is not None and not medians.empty:
        values = zip(*(_values(medians[field]) for field in MEDIAN_FIELDS))
        cells = dict(zip(medians["estate_id"].tolist(), map(list, values)))
    return {"cells": cells, "at": [ROW_INDEX[field] for field in MEDIAN_FIELDS], "pending_at": ROW_INDEX["medians_pending"]}


def grid_locale(lang: str) -> dict:
    return {key: i18n.t(f"estates.grid.{key}", lang) for key in GRID_LOCALE_KEYS}


@dataclass(frozen=True)
class HeatmapFigure:
    column: str  # in estate_league(..., by_area=True)
    label_key: str
    kind: str
    colorscale: str  # green is good
    digits: int


HEATMAP_FIGURES = {
    "tickets": HeatmapFigure("tickets", "estates.heatmap_tickets", "count", "Blues", 0),
    "within_sla_pct": HeatmapFigure("within_sla_pct", "estates.heatmap_within_sla", "percent", "RdYlGn", 1),
    "csat_pct": HeatmapFigure("csat_pct", "estates.heatmap_csat", "percent", "RdYlGn", 1),
    "response_median": HeatmapFigure("response_median", "estates.heatmap_response_median", "number", "RdYlGn_r", 1),
    "escalation_rate_pct": HeatmapFigure("escalation_rate_pct", "estates.heatmap_escalation_rate", "percent", "RdYlGn_r", 1),
}
DEFAULT_HEATMAP_FIGURE = "within_sla_pct"
# Rows a heatmap draws at most: beyond, the busiest estates (a readable chart, a figure of
# tens of KB instead of megabytes for a group's 2,000 estates).
HEATMAP_ESTATES = 60


def heatmap_options(lang: str) -> list[dict]:
    return [{"label": i18n.t(f.label_key, lang), "value": key} for key, f in HEATMAP_FIGURES.items()]


def estate_label(name, city, lang: str) -> str:
    name = name if isinstance(name, str) and name else "?"
    if not isinstance(city, str) or not city:
        return name
    return f"{name}（{city}）" if lang == "zh" else f"{name} ({city})"


def _cell_text(spec: HeatmapFigure, value, lang: str) -> str:
    if value is None:
        return i18n.MISSING
    if spec.kind == "percent":
        return i18n.percent(value, lang, spec.digits)
    return i18n.number(value, lang, spec.digits)


def heatmap_labels(estates: pd.DataFrame, lang: str) -> list[str]:
    """The heatmap's row labels, one per estate and never two alike (rows with equal labels would merge)."""
    labels = [estate_label(n, c, lang) for n, c in zip(estates["name"], estates["city"])]
    repeated = {x for x, n in Counter(labels).items() if n > 1}
    return [f"{x} {e}" if x in repeated else x for x, e in zip(labels, estates["estate_id"])]


def clicked_cell(point: dict, estates: pd.DataFrame, lang: str) -> tuple[str, str] | None:
    """(estate_id, area) of a clicked heatmap cell, from its labels: Dash's clickData of a
    heatmap carries x and y but not the cell's customdata."""
    rows = dict(zip(heatmap_labels(estates, lang), estates["estate_id"]))
    areas = {i18n.area(a, lang): a for a in SERVICE_AREAS}
    estate, area = rows.get(point.get("y")), areas.get(point.get("x"))
    return (estate, area) if estate and area else None


def heatmap_height(estate_count: int) -> int:
    """Tall enough that every estate name stays readable: a fixed row height plus the axes."""
    return max(300, 22 * estate_count + 130)


def estate_area_heatmap(by_area: pd.DataFrame, estates: pd.DataFrame, figure: str, lang: str, *, titled: bool = False,
                        left_out: int = 0, areas: Iterable[str] | None = None) -> go.Figure:
    """Estates (rows, in the given order) by service area (columns) for one figure of the league.

    `by_area` is estate_league(..., by_area=True); `estates` (estate_id, name, city) are the
    rows, so an estate without data keeps its row of "—". The columns are `areas` (those holding
    data in the whole selection, when `by_area` holds only the drawn estates), else the areas
    found in `by_area`.
    """
    spec = HEATMAP_FIGURES.get(figure, HEATMAP_FIGURES[DEFAULT_HEATMAP_FIGURE])
    label = i18n.t(spec.label_key, lang)
    # The page names the chart in its card header and the figure in the dropdown; exports carry both.
    title = f"{i18n.t('estates.heatmap', lang)} · {label}" if titled else None
    present = set(areas) if areas is not None else set(by_area["service_area"].dropna()) if len(by_area) else set()
    areas = [a for a in SERVICE_AREAS if a in present]
    if estates.empty or not areas or int(pd.to_numeric(by_area["tickets"]).fillna(0).sum()) + int(pd.to_numeric(by_area["responses"]).fillna(0).sum()) == 0:
        return empty_figure(lang, title=title)
    # Plain dicts: 60 estates x 5 areas of pandas .loc lookups would cost a fifth of a second.
    keys = list(zip(by_area["estate_id"], by_area["service_area"]))
    values = dict(zip(keys, by_area[spec.column]))
    ticket_counts = dict(zip(keys, by_area["tickets"]))
    area_names = {a: i18n.area(a, lang) for a in areas}
    z, text, hover = [], [], []
    labels = heatmap_labels(estates, lang)
    for estate_id, estate in zip(estates["estate_id"], labels):
        z_row, text_row, hover_row = [], [], []
        for area in areas:
            value = _plain(values.get((estate_id, area)))
            tickets = int(_plain(ticket_counts.get((estate_id, area))) or 0)
            if value is None and spec.kind == "count":
                value = 0  # a count over no tickets is 0; only ratios and medians are null
            shown = _cell_text(spec, value, lang)
            z_row.append(value)
            text_row.append(shown)
            hover_row.append(i18n.t("estates.heatmap_hover", lang, estate=estate, area=area_names[area], figure=label,
                                    value=shown, tickets=i18n.number(tickets, lang)))
        z.append(z_row)
        text.append(text_row)
        hover.append(hover_row)
    height = heatmap_height(len(labels))
    cells = {
        "type": "heatmap", "z": z, "x": [area_names[a] for a in areas], "y": labels,
        "text": text, "texttemplate": "%{text}", "textfont": {"size": 11},
        "hovertext": hover, "hovertemplate": HOVER_TEXT,
        "colorscale": spec.colorscale, "xgap": 1, "ygap": 1,
        "colorbar": {"thickness": 10, "len": min(1.0, 400 / height + 0.2),
                     "title": {"text": label, "side": "right", "font": {"size": 11}}},
    }
    layout = {
        "yaxis": {"autorange": "reversed", "showgrid": False, "automargin": True, "tickfont": {"size": 11},
                  "type": "category"},
        "xaxis": {"side": "top", "showgrid": False, "tickfont": {"size": 12}},
        # The area names sit above the cells; the note on the estates left out, below them.
        "margin": {"t": 80 if title else 40, "b": 40 if left_out else 16},
        "plot_bgcolor": "#f3f4f6",
    }
    if left_out:
        note = i18n.t("estates.heatmap_left_out", lang, shown=i18n.number(len(labels), lang),
                      left_out=i18n.number(left_out, lang))
        layout["annotations"] = [{
            "text": note, "showarrow": False, "align": "left", "font": {"size": 11, "color": "#6b7280"},
            "x": 0, "xref": "paper", "xanchor": "left", "y": 0, "yref": "paper", "yanchor": "top", "yshift": -8,
        }]
    return chart([cells], layout, title=title, height=height, legend=False)
