"""Overview: the weekly meeting's one screen."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, html, no_update

from data_access import DataSourceError
from data_access.schema import SERVICE_AREAS
from data_access.ticket_lists import complaint_watchlist, complaint_watchlist_count

from .. import i18n, urlstate
from ..components import create_card, create_graph, create_table, create_tile
from ..filterbar import known_view, selection
from ..figures.overview import AREA_CHART_HEIGHT, area_tickets
from ..headlines import headlines
from ..output_cache import cached_callback
from ..layout import create_error_store, create_navigation_store, current_language, database_problem, navigation_target
from ..attention import estates_needing_attention
from ..report_download import create_report_buttons

def layout(**_query):
    lang = current_language()
    return html.Div(
        [
            create_error_store("overview"),
            create_navigation_store("overview"),
            create_error_store("overview-attention"),
            create_error_store("overview-watchlist"),
            html.Div([html.Div(id="overview-caption", className="period-caption"), create_report_buttons(lang)], className="overview-head"),
            html.Div(id="overview-tiles", className="tile-grid"),
            dbc.Row(
                [
                    dbc.Col(create_card(i18n.t("overview.by_area", lang), html.Div(id="overview-areas")), lg=7),
                    dbc.Col(create_card(i18n.t("overview.chart_area_tickets", lang), create_graph("overview-area-chart", lang, height=AREA_CHART_HEIGHT)), lg=5),
                ],
                className="g-3 mt-1",
            ),
            dbc.Row(
                [
                    dbc.Col(create_card(i18n.t("overview.attention", lang), html.Div(id="overview-attention")), lg=6),
                    dbc.Col(create_card(i18n.t("overview.watchlist", lang), html.Div(id="overview-watchlist")), lg=6),
                ],
                className="g-3 mt-1",
            ),
        ],
        className="page page-overview",
    )


dash.register_page(__name__, path="/", name="Overview", order=0, layout=layout)

WATCHLIST_ROWS = 12  # the oldest; the Tickets page lists them all


def _area_panel(current: dict, lang: str) -> html.Div:
    cards = []
    for area in SERVICE_AREAS:
        figures = current["by_area"][area]
        rows = [
            (i18n.t("metric.tickets", lang), i18n.number(figures["tickets"], lang)),
            (i18n.t("metric.first_response_median", lang), i18n.minutes(figures["first_response_median_minutes"], lang)),
            (i18n.t("metric.within_target_pct", lang, target=f"{current['first_response']['target_minutes']:g}"), i18n.percent(figures["first_response_within_target_pct"], lang)),
            (i18n.t("metric.within_sla_pct", lang), i18n.percent(figures["within_sla_pct"], lang)),
            (i18n.t("metric.escalations", lang), i18n.number(figures["escalations"], lang)),
            (i18n.t("metric.csat_pct", lang), i18n.percent(figures["csat_pct"], lang)),
        ]
        cards.append(
            html.Div(
                [
                    html.Div(i18n.area(area, lang), className=f"area-name area-{area}"),
                    html.Dl([item for label, value in rows for item in (html.Dt(label), html.Dd(value))]),
                ],
                className="area-card",
                id=f"area-card-{area}",
            )
        )
    return html.Div(cards, className="area-grid")


def _attention_table(frame, lang: str):
    columns = [
        ("estate", i18n.t("filter.estates", lang)),
        ("tickets", i18n.t("metric.tickets", lang)),
        ("sla", i18n.t("metric.within_sla_pct", lang)),
        ("csat", i18n.t("metric.csat_pct", lang)),
        ("escalation", i18n.t("metric.escalation_rate", lang)),
        ("reasons", i18n.t("overview.reasons", lang)),
    ]
    rows = [
        {
            "estate": f"{r.name}（{r.city}）" if lang == "zh" else f"{r.name} ({r.city})",
            "tickets": i18n.number(r.tickets, lang),
            "sla": i18n.percent(r.within_sla_pct, lang),
            "csat": i18n.percent(r.csat_pct, lang),
            "escalation": i18n.percent(r.escalation_rate_pct, lang),
            "reasons": "、".join(i18n.t(f"overview.reason_{x}", lang) for x in r.reasons) if lang == "zh" else ", ".join(i18n.t(f"overview.reason_{x}", lang) for x in r.reasons),
        }
        for r in frame.itertuples()
    ]
    return create_table(columns, rows, table_id="attention-table", empty_text=i18n.t("overview.attention_none", lang))


def _watchlist_table(frame, total: int, lang: str):
    columns = [
        ("ticket", i18n.t("overview.ticket", lang)),
        ("estate", i18n.t("filter.estates", lang)),
        ("area", i18n.t("filter.areas", lang)),
        ("severity", i18n.t("overview.severity", lang)),
        ("days", i18n.t("overview.days_open", lang)),
        ("owner", i18n.t("overview.owner", lang)),
    ]
    rows = [
        {
            "ticket": r.ticket_id,
            "estate": r.estate_name or r.estate_id,
            "area": i18n.area(r.service_area, lang) if r.service_area in SERVICE_AREAS else (r.service_area or ""),
            "severity": i18n.label("severity", r.severity if r.severity in ("minor", "important", "major") else "unclassified", lang),
            "days": i18n.number(r.days_open, lang, 0),
            "owner": r.owner_name or "",
        }
        for r in frame.itertuples()
    ]
    table = create_table(columns, rows, table_id="watchlist-table", empty_text=i18n.t("overview.watchlist_none", lang))
    if total <= len(rows):
        return table
    more = i18n.t("overview.watchlist_more", lang, shown=len(rows), total=i18n.number(total, lang))
    return html.Div([table, html.Div(more, className="empty-note", id="watchlist-more")])


# Three callbacks rather than one: the browser asks for them at once, so they run side by side.
@cached_callback(
    Output("overview-caption", "children"),
    Output("overview-tiles", "children"),
    Output("overview-areas", "children"),
    Output("overview-area-chart", "figure"),
    database_problem("overview"),
    Input("url", "search"),
    State("lang", "data"),
)
def update_headlines(search, lang):
    try:
        svc, scope, filters, comparison_filters = selection(search)
        current, comparison = svc.metrics_side_by_side(filters, comparison_filters, scope)
    except DataSourceError as exc:
        return (no_update,) * 4 + (str(exc),)
    caption = i18n.t(
        "filter.showing", lang,
        period=i18n.date_range(filters.start, filters.end, lang),
        compare=i18n.date_range(comparison_filters.start, comparison_filters.end, lang),
    )
    tiles = [create_tile(h, lang) for h in headlines(current, comparison, svc.settings, lang)]
    if current["tickets"]["total"] == 0 and current["satisfaction"]["responses"] == 0:
        tiles = [dbc.Alert(i18n.t("app.no_data", lang), color="secondary", id="no-data-note", className="w-100")] + tiles
    return caption, tiles, _area_panel(current, lang), area_tickets(current, comparison, lang), None


@cached_callback(
    Output("overview-attention", "children"),
    database_problem("overview-attention"),
    Input("url", "search"),
    State("lang", "data"),
)
def update_attention(search, lang):
    try:
        svc, scope, filters, _ = selection(search)
        league = svc.league(filters, scope, medians=False)  # not shown here
    except DataSourceError as exc:
        return no_update, str(exc)
    return _attention_table(estates_needing_attention(league, svc.settings), lang), None


@cached_callback(
    Output("overview-watchlist", "children"),
    database_problem("overview-watchlist"),
    Input("url", "search"),
    State("lang", "data"),
)
def update_watchlist(search, lang):
    try:
        svc, scope, filters, _ = selection(search)
        days = svc.rules.complaint_overdue_days
        watch = svc.cached("watchlist", complaint_watchlist, svc.db, filters, scope, overdue_days=days, limit=WATCHLIST_ROWS, personal_data=svc.personal_data())
        total = svc.cached("watchlist_count", complaint_watchlist_count, svc.db, filters, scope, overdue_days=days)
    except DataSourceError as exc:
        return no_update, str(exc)
    return _watchlist_table(watch, total, lang), None


@callback(
    navigation_target("overview"),
    Input("overview-area-chart", "clickData"),
    State("url", "search"),
    prevent_initial_call=True,
)
def narrow_to_clicked_area(click, search):
    """Cross-filter: clicking an area's bar narrows every figure to that area."""
    if not click or not click.get("points"):
        return no_update
    area = click["points"][0].get("customdata")
    if area not in SERVICE_AREAS:
        return no_update
    view = known_view(search)
    return urlstate.to_query(view.with_changes(areas=(area,)))
