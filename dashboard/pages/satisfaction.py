"""Satisfaction: how owners rate the service, by area, week, dimension and estate, and how
the speed of the first reply shows in the score."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, html, no_update

from data_access import DataSourceError, Filters
from data_access.satisfaction import follow_up_coverage, score_by_first_reply
from data_access.schema import SERVICE_AREAS

from .. import i18n, urlstate
from ..components import create_card, create_graph
from ..figures import satisfaction as figures
from ..filterbar import known_view
from ..output_cache import cached_callback, drawn_annotations
from ..layout import create_error_store, create_navigation_store, current_language, database_problem, navigation_target
from ..services import services

GRAPHS = ("by-area", "trend", "dimensions", "distribution", "estates", "first-reply", "coverage")
AREA_CHARTS = ("satisfaction-by-area", "satisfaction-dimensions", "satisfaction-coverage")


def layout(**_query):
    lang = current_language()

    def card(key: str, graph: str):
        return create_card(i18n.t(key, lang), create_graph(f"satisfaction-{graph}", lang), card_id=f"satisfaction-card-{graph}")

    return html.Div(
        [
            create_error_store("satisfaction"),
            create_navigation_store("satisfaction"),
            html.Div(id="satisfaction-caption", className="period-caption"),
            dbc.Row(
                [dbc.Col(card("satisfaction.by_area", "by-area"), lg=6), dbc.Col(card("satisfaction.trend", "trend"), lg=6)],
                className="g-3",
            ),
            dbc.Row(
                [
                    dbc.Col(card("satisfaction.dimensions", "dimensions"), lg=6),
                    dbc.Col(card("satisfaction.distribution", "distribution"), lg=6),
                ],
                className="g-3 mt-1",
            ),
            dbc.Row(
                [
                    dbc.Col(card("satisfaction.estates_ranked", "estates"), lg=6),
                    dbc.Col(
                        html.Div(
                            [card("satisfaction.first_reply", "first-reply"), card("satisfaction.coverage", "coverage")],
                            className="satisfaction-stack",
                        ),
                        lg=6,
                    ),
                ],
                className="g-3 mt-1",
            ),
        ],
        className="page page-satisfaction",
    )


dash.register_page(__name__, path="/satisfaction", name="Satisfaction", order=3, layout=layout)


def trend_filters(filters: Filters) -> Filters:
    """The selection over the weekly trend's window."""
    return filters.with_period(*figures.trend_period(filters.start, filters.end))


@cached_callback(
    Output("satisfaction-caption", "children"),
    *[Output(f"satisfaction-{g}", "figure") for g in GRAPHS],
    database_problem("satisfaction"),
    Input("url", "search"),
    State("lang", "data"),
    annotations=trend_filters,
)
def update_satisfaction(search, lang):
    svc = services()
    scope = svc.scope()
    settings = svc.settings
    try:
        view = known_view(search)
        filters = view.filters(svc.today(), svc.city_estates(scope))
        trend = trend_filters(filters)
        overall = svc.survey_summary(filters, scope)
        by_area = svc.survey_summary(filters, scope, ("service_area",))
        by_week_area = svc.survey_summary(trend, scope, ("week", "service_area"))
        by_week = svc.survey_summary(trend, scope, ("week",))
        by_score = svc.survey_summary(filters, scope, ("score",))
        by_estate = svc.survey_summary(filters, scope, ("estate_id",))
        coverage = svc.cached("follow_up_coverage", follow_up_coverage, svc.db, svc.rules, filters, scope)
        buckets = svc.cached("score_by_first_reply", score_by_first_reply, svc.db, svc.rules, filters, scope)
        estates = svc.estates(scope)
    except DataSourceError as exc:
        return (no_update,) * (1 + len(GRAPHS)) + (str(exc),)
    totals = overall.iloc[0]
    caption = i18n.t(
        "satisfaction.caption", lang,
        period=i18n.date_range(filters.start, filters.end, lang),
        responses=i18n.number(int(totals["responses"]), lang),
        csat=i18n.percent(figures.number_or_none(totals["csat_pct"]), lang),
        mean=i18n.number(figures.number_or_none(totals["mean_score"]), lang, 2),
    )
    ranked, left_out = figures.rank_estates(by_estate, estates)
    return (
        caption,
        figures.area_satisfaction(by_area, lang, settings.target_csat_pct),
        figures.weekly_trend(by_week_area, by_week, lang, (trend.start, trend.end),
                             annotations=drawn_annotations(trend, scope)),
        figures.dimension_heatmap(by_area, overall, lang),
        figures.score_distribution(by_score, lang),
        figures.estate_ranking(ranked, left_out, lang, settings.target_csat_pct),
        figures.score_by_first_reply(buckets, lang),
        figures.follow_up_coverage(coverage, lang, settings.target_follow_up_coverage_pct),
        None,
    )


@callback(
    navigation_target("satisfaction"),
    *[Input(chart, "clickData") for chart in AREA_CHARTS],
    Input("satisfaction-estates", "clickData"),
    State("url", "search"),
    State("lang", "data"),
    prevent_initial_call=True,
)
def narrow_to_clicked(by_area, dimensions, coverage, ranking, search, lang):
    """Cross-filter: an area's bar or heatmap row narrows to that area, an estate's bar to that estate."""
    clicks = dict(zip((*AREA_CHARTS, "satisfaction-estates"), (by_area, dimensions, coverage, ranking)))
    click = clicks.get(ctx.triggered_id)
    if not click or not click.get("points"):
        return no_update
    point = click["points"][0]
    view = known_view(search)
    if ctx.triggered_id == "satisfaction-estates":
        estate = point.get("customdata")
        svc = services()
        if estate not in set(svc.estates(svc.scope())["estate_id"]):
            return no_update
        return urlstate.to_query(view.with_changes(estates=(estate,), cities=()))
    # A heatmap's click reports its labels, not its customdata.
    area = figures.area_of_label(point.get("y"), lang) if ctx.triggered_id == "satisfaction-dimensions" else point.get("customdata")
    if area not in SERVICE_AREAS:
        return no_update
    return urlstate.to_query(view.with_changes(areas=(area,)))
