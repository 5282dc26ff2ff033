"""Response times: how fast owners get a first reply and a resolution, per area, priority
and channel, and at which hours replies run late."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, html, no_update

from data_access import DataSourceError
from data_access.distributions import (
    DEFAULT_RESPONSE_EDGES,
    bucket_edges,
    first_reply_attainment,
    response_time_distribution,
)
from data_access.schema import SERVICE_AREAS, TICKET_CHANNELS

from .. import i18n, urlstate
from ..components import create_card, create_graph
from ..figures import response as figures
from ..filterbar import known_view, selection
from ..output_cache import cached_callback, drawn_annotations
from ..layout import create_error_store, create_navigation_store, current_language, database_problem, navigation_target
from ..services import services

# One callback per group of charts: the browser asks for them at once, so the page waits for
# the slowest query rather than for the sum of them. Each reports failure in its own store.
ERROR_STORES = ("response-trend", "response-attainment", "response-hours")


def layout(**_query):
    lang = current_language()

    def card(key: str, graph_id: str, **kwargs):
        return create_card(i18n.t(key, lang, **kwargs), create_graph(graph_id, lang))

    target = f"{services().rules.first_response_target_minutes:g}"
    return html.Div(
        [
            *[create_error_store(name) for name in ERROR_STORES],
            create_navigation_store("response"),
            html.Div(id="response-caption", className="period-caption"),
            dbc.Row(
                [
                    dbc.Col(card("response.reply_trend", "response-reply-trend"), lg=8),
                    dbc.Col(card("response.distribution", "response-distribution"), lg=4),
                ],
                className="g-3",
            ),
            dbc.Row(
                [
                    dbc.Col(card("response.sla_by_area", "response-sla-area"), lg=7),
                    dbc.Col(card("response.sla_by_channel", "response-sla-channel"), lg=5),
                ],
                className="g-3 mt-1",
            ),
            dbc.Row(
                [
                    dbc.Col(card("response.resolution_trend", "response-resolution-trend"), lg=5),
                    dbc.Col(card("response.slow_heatmap", "response-slow-heatmap", target=target), lg=7),
                ],
                className="g-3 mt-1",
            ),
        ],
        className="page page-response",
    )


dash.register_page(__name__, path="/response", name="Response times", order=1, layout=layout)


# Only page-local outputs: a url callback that also wrote the shell's banner would fire (and
# fail on the missing outputs) on every other page. The banner follows the error stores.
@cached_callback(
    Output("response-caption", "children"),
    Output("response-reply-trend", "figure"),
    Output("response-resolution-trend", "figure"),
    database_problem("response-trend"),
    Input("url", "search"),
    State("lang", "data"),
    annotations=figures.trend_filters,
)
def update_trends(search, lang):
    try:
        svc, scope, filters, _ = selection(search)
        trend = figures.trend_filters(filters)
        weekly = svc.ticket_summary(trend, scope, ("week", "service_area"))
    except DataSourceError as exc:
        return no_update, no_update, no_update, str(exc)
    caption = i18n.t(
        "response.caption",
        lang,
        period=i18n.date_range(filters.start, filters.end, lang),
        weeks=i18n.number((trend.days + 6) // 7, lang),
        window=i18n.date_range(trend.start, trend.end, lang),
    )
    target = svc.rules.first_response_target_minutes
    notes = drawn_annotations(trend, scope)
    return caption, figures.reply_trend(weekly, target, lang, annotations=notes), figures.resolution_trend(weekly, lang, annotations=notes), None


@cached_callback(
    Output("response-distribution", "figure"),
    Output("response-sla-area", "figure"),
    Output("response-sla-channel", "figure"),
    database_problem("response-attainment"),
    Input("url", "search"),
    State("lang", "data"),
)
def update_attainment(search, lang):
    try:
        svc, scope, filters, _ = selection(search)
        target = svc.rules.first_response_target_minutes
        edges = bucket_edges(DEFAULT_RESPONSE_EDGES, must_include=(target,))
        buckets = svc.cached("response_distribution", response_time_distribution, svc.db, filters, scope, edges)
        by_priority = svc.ticket_rates(filters, scope, ("service_area", "priority"))  # counts and rates: no percentiles drawn
        by_channel = svc.ticket_rates(filters, scope, ("channel",))
    except DataSourceError as exc:
        return no_update, no_update, no_update, str(exc)
    # Every ticket is in one channel group (null included), so the groups add up to the selection.
    unreplied = int(by_channel["tickets"].sum() - by_channel["responded"].sum()) if not by_channel.empty else 0
    sla_target = svc.settings.target_within_sla_pct
    return (
        figures.reply_distribution(buckets, target, lang, unreplied=unreplied),
        figures.sla_by_area_priority(by_priority, lang, target_pct=sla_target),
        figures.sla_by_channel(by_channel, lang, target_pct=sla_target),
        None,
    )


@cached_callback(
    Output("response-slow-heatmap", "figure"),
    database_problem("response-hours"),
    Input("url", "search"),
    State("lang", "data"),
)
def update_slow_hours(search, lang):
    try:
        svc, scope, filters, _ = selection(search)
        target = svc.rules.first_response_target_minutes
        by_hour = svc.cached(
            "first_reply_attainment",
            first_reply_attainment,
            svc.db,
            figures.trend_filters(filters),
            scope,
            target,
            ("weekday", "hour"),
        )
    except DataSourceError as exc:
        return no_update, str(exc)
    return figures.slow_reply_heatmap(by_hour, target, lang), None


@callback(
    navigation_target("response"),
    Input("response-sla-area", "clickData"),
    Input("response-sla-channel", "clickData"),
    State("url", "search"),
    prevent_initial_call=True,
)
def narrow_to_clicked_bar(area_click, channel_click, search):
    """Cross-filter: an area's bar narrows every figure to that area, a channel's to that channel."""
    click = area_click if ctx.triggered_id == "response-sla-area" else channel_click
    if not click or not click.get("points"):
        return no_update
    code = click["points"][0].get("customdata")
    view = known_view(search)
    if ctx.triggered_id == "response-sla-area" and code in SERVICE_AREAS:
        return urlstate.to_query(view.with_changes(areas=(code,)))
    if ctx.triggered_id == "response-sla-channel" and code in TICKET_CHANNELS:
        return urlstate.to_query(view.with_changes(channels=(code,)))
    return no_update
