"""Escalations and complaints: how many tickets climb the ladder and how far, where, and
which complaints have been open too long."""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, ctx, html, no_update

from data_access import DataSourceError, Filters
from data_access.escalations import escalation_counts
from data_access.schema import SERVICE_AREAS, SEVERITIES
from data_access.ticket_lists import complaint_watchlist

from .. import i18n, urlstate
from ..components import SHOW_TEXT, create_card, create_graph
from ..figures import escalations as figures
from ..figures.response import trend_filters
from ..filterbar import known_view, selection
from ..output_cache import cached_callback, drawn_annotations
from ..layout import create_error_store, create_navigation_store, current_language, database_problem, navigation_target
from ..services import services

TOP_ESTATES = 15
OVERDUE_ROWS = 200  # the oldest first; the Tickets page lists every one
SUMMARY_CHARS = 30
# Column widths (px) that fit the card at 1366 px in both languages; the summary takes the rest.
WIDTHS = {"ticket": 80, "received": 88, "estate": 84, "area": 76, "severity": 72, "level": 104, "days": 60, "owner": 60}
WITH_TEXT = ("received", "severity", "level", "days")  # shown as their `<field>__text`
SHORT_LIST = 10  # rows a grid shows whole; a longer list scrolls inside 400 px
ERROR_STORES = ("escalations-weekly", "escalations-where", "escalations-overdue")


def layout(**_query):
    lang = current_language()
    overdue_days = services().rules.complaint_overdue_days

    def chart(title: str, graph_id: str):
        return create_card(title, create_graph(graph_id, lang))

    return html.Div(
        [
            *[create_error_store(name) for name in ERROR_STORES],
            create_navigation_store("escalations"),
            html.Div(id="escalations-caption", className="period-caption"),
            dbc.Row(
                [
                    dbc.Col(chart(i18n.t("escalations.by_week", lang), "escalations-by-week"), lg=8),
                    dbc.Col(chart(i18n.t("escalations.ladder", lang), "escalations-ladder"), lg=4),
                ],
                className="g-3",
            ),
            dbc.Row(
                [
                    dbc.Col(chart(i18n.t("escalations.by_area", lang), "escalations-by-area"), lg=4),
                    dbc.Col(
                        chart(i18n.t("escalations.by_estate", lang, count=TOP_ESTATES), "escalations-by-estate"), lg=8
                    ),
                ],
                className="g-3 mt-1",
            ),
            dbc.Row(
                [
                    dbc.Col(chart(i18n.t("escalations.complaints_by_severity", lang), "escalations-complaints"), lg=5),
                    dbc.Col(
                        create_card(
                            i18n.t("escalations.overdue_list", lang, days=overdue_days),
                            html.Div(id="escalations-overdue"),
                        ),
                        lg=7,
                    ),
                ],
                className="g-3 mt-1",
            ),
        ],
        className="page page-escalations",
    )


dash.register_page(__name__, path="/escalations", name="Escalations and complaints", order=2, layout=layout)


def only_overdue(watch: pd.DataFrame, filters: Filters, overdue_days: int) -> pd.DataFrame:
    """The watch list without its young major complaints: open longer than the overdue rule.
    Empty when the request-type filter leaves complaints out."""
    if filters.request_types and "complaint" not in filters.request_types:
        return watch.iloc[0:0]
    return watch[watch["days_open"] > overdue_days].reset_index(drop=True)


def _area_label(value, lang: str) -> str:
    if value in SERVICE_AREAS:
        return i18n.area(value, lang)
    return "" if value is None or pd.isna(value) else str(value)


def _overdue_table(frame: pd.DataFrame, fetched: int, lang: str, days: int) -> html.Div:
    columns = [
        (key, i18n.t(f"escalations.col_{key}", lang))
        for key in ("ticket", "received", "estate", "area", "severity", "level", "days", "owner", "summary")
    ]
    # Each sortable column keeps its raw value (ISO date, days, level and severity by rank)
    # with the text shown beside it, so a header click sorts by value, not by the text.
    rows = []
    for r in frame.itertuples():
        summary = r.summary if isinstance(r.summary, str) else ""
        level = int(r.escalation_level) if pd.notna(r.escalation_level) else 0
        level = level if level in (0, 1, 2, 3) else 0
        severity = r.severity if r.severity in SEVERITIES else "unclassified"
        received = r.created_at.date() if pd.notna(r.created_at) else None
        days_open = int(r.days_open) if pd.notna(r.days_open) else None
        rows.append(
            {
                "ticket": r.ticket_id,
                "received": received.isoformat() if received else None,
                "received__text": i18n.date(received, lang, "short"),
                "estate": r.estate_name if isinstance(r.estate_name, str) else r.estate_id,
                "area": _area_label(r.service_area, lang),
                "severity": SEVERITIES.index(severity) if severity in SEVERITIES else -1,
                "severity__text": i18n.label("severity", severity, lang),
                "level": level,
                "level__text": i18n.label("level", level, lang),
                "days": days_open,
                "days__text": i18n.number(days_open, lang, 0),
                "owner": r.owner_name or "",
                "summary": summary[:SUMMARY_CHARS] + ("…" if len(summary) > SUMMARY_CHARS else ""),
            }
        )
    if not rows:
        return html.Div(i18n.t("escalations.overdue_none", lang, days=days), className="empty-note", id="escalations-overdue-table")
    # A grid, not an HTML table: Dash redraws a table of 200 rows cell by cell (4 s in Chromium
    # on a filter change), a grid as one component.
    wrapped = {"wrapText": True, "autoHeight": True, "cellStyle": {"lineHeight": "1.4", "paddingTop": "5px", "paddingBottom": "5px"}}
    grid = dag.AgGrid(
        id="escalations-overdue-table",
        columnDefs=[
            {"field": key, "headerName": header}
            | ({"flex": 1, "minWidth": 110} if key == "summary" else {"width": WIDTHS[key]})
            | (wrapped if key in ("estate", "level", "summary") else {})
            | ({"valueFormatter": SHOW_TEXT} if key in WITH_TEXT else {})
            for key, header in columns
        ],
        rowData=rows,
        defaultColDef={"resizable": True, "suppressHeaderMenuButton": True, "suppressMovable": True, "wrapHeaderText": True, "autoHeaderHeight": True},
        dashGridOptions={"localeText": {"noRowsToShow": i18n.t("escalations.overdue_none", lang, days=days)},
                         "animateRows": False, "rowHeight": 30, **({"domLayout": "autoHeight"} if len(rows) <= SHORT_LIST else {})},
        className="overdue-grid",
        style={"width": "100%"} if len(rows) <= SHORT_LIST else {"height": "400px", "width": "100%"},
    )
    # A full fetch was cut at OVERDUE_ROWS: there may be more than are listed.
    key = "escalations.overdue_more" if fetched >= OVERDUE_ROWS else "escalations.overdue_count"
    return html.Div(
        [
            html.Div(
                i18n.t(key, lang, count=i18n.number(len(rows), lang)),
                className="empty-note",
                id="escalations-overdue-note",
            ),
            grid,
        ]
    )


# One callback per group of charts, so the browser asks for them at once. Only page-local
# outputs: a url callback that also wrote the shell's banner would fire (and fail on the
# missing outputs) on every other page; the banner follows the error stores instead.
@cached_callback(
    Output("escalations-caption", "children"),
    Output("escalations-by-week", "figure"),
    Output("escalations-complaints", "figure"),
    database_problem("escalations-weekly"),
    Input("url", "search"),
    State("lang", "data"),
    annotations=trend_filters,
)
def update_weekly(search, lang):
    try:
        svc, scope, filters, _ = selection(search)
        trend = trend_filters(filters)
        weekly = svc.cached("escalation_counts", escalation_counts, svc.db, trend, scope, ("week",))
    except DataSourceError as exc:
        return no_update, no_update, no_update, str(exc)
    caption = i18n.t(
        "escalations.caption",
        lang,
        period=i18n.date_range(filters.start, filters.end, lang),
        weeks=i18n.number((trend.days + 6) // 7, lang),
        window=i18n.date_range(trend.start, trend.end, lang),
        end=i18n.date(filters.end, lang),
    )
    notes = drawn_annotations(trend, scope)
    return caption, figures.escalations_by_week(weekly, lang, annotations=notes), figures.complaints_by_severity(weekly, lang, annotations=notes), None


@cached_callback(
    Output("escalations-ladder", "figure"),
    Output("escalations-by-area", "figure"),
    Output("escalations-by-estate", "figure"),
    database_problem("escalations-where"),
    Input("url", "search"),
    State("lang", "data"),
)
def update_where(search, lang):
    try:
        svc, scope, filters, _ = selection(search)
        by_area = svc.cached("escalation_counts", escalation_counts, svc.db, filters, scope, ("service_area",))
        by_estate = svc.cached("escalation_counts", escalation_counts, svc.db, filters, scope, ("estate_id",))
        labels = figures.estate_labels(svc.estates(scope), lang)
    except DataSourceError as exc:
        return no_update, no_update, no_update, str(exc)
    return (
        figures.escalation_ladder(by_area, lang),  # the areas add up to the whole selection
        figures.escalations_by_area(by_area, lang),
        figures.escalations_by_estate(by_estate, labels, lang, top=TOP_ESTATES),
        None,
    )


@cached_callback(
    Output("escalations-overdue", "children"),
    database_problem("escalations-overdue"),
    Input("url", "search"),
    State("lang", "data"),
)
def update_overdue(search, lang):
    try:
        svc, scope, filters, _ = selection(search)
        days = svc.rules.complaint_overdue_days
        watch = svc.cached(
            "watchlist", complaint_watchlist, svc.db, filters, scope, overdue_days=days, limit=OVERDUE_ROWS
        )
    except DataSourceError as exc:
        return no_update, str(exc)
    return _overdue_table(only_overdue(watch, filters, days), len(watch), lang, days), None


@callback(
    navigation_target("escalations"),
    Input("escalations-by-area", "clickData"),
    Input("escalations-by-estate", "clickData"),
    State("url", "search"),
    prevent_initial_call=True,
)
def narrow_to_clicked_bar(area_click, estate_click, search):
    """Cross-filter: an area's bar narrows to that area, an estate's bar to that estate."""
    click = area_click if ctx.triggered_id == "escalations-by-area" else estate_click
    if not click or not click.get("points"):
        return no_update
    code = click["points"][0].get("customdata")
    view = known_view(search)
    if ctx.triggered_id == "escalations-by-area" and code in SERVICE_AREAS:
        return urlstate.to_query(view.with_changes(areas=(code,)))
    if ctx.triggered_id == "escalations-by-estate" and code in set(services().estates(services().scope())["estate_id"]):
        # The estate replaces any city selection: the view narrows to exactly that estate.
        return urlstate.to_query(view.with_changes(estates=(code,), cities=()))
    return no_update
