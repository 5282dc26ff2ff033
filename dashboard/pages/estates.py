"""Estates: every headline figure per estate in a sortable, filterable league table, and an
estate x service-area heatmap of one chosen figure."""
from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update

from data_access import DataSourceError
from data_access.league import areas_with_data, estate_medians, league_of_one_area
from data_access.schema import SERVICE_AREAS

from .. import i18n, urlstate
from ..components import create_card, create_graph
from ..figures import estates as figures
from ..filterbar import known_view
from ..output_cache import cached_callback
from ..layout import create_error_store, create_navigation_store, current_language, database_problem, navigation_target
from ..services import _canonical, services


def layout(**_query):
    lang = current_language()
    target = services().rules.first_response_target_minutes
    grid = dag.AgGrid(
        id="estates-league",
        columnDefs=figures.league_column_defs(lang, target),
        rowData=[],
        defaultColDef={"sortable": True, "resizable": True, "floatingFilter": True, "wrapHeaderText": True, "autoHeaderHeight": True,
                       "suppressHeaderMenuButton": True},
        dashGridOptions={
            "getRowId": {"function": "params.data[0]"},  # rows are arrays (figures.ROW_FIELDS), the estate first
            "localeText": figures.grid_locale(lang),
            "accentedSort": True,  # names sort by the language's collation (pinyin for Chinese)
            "animateRows": False,
            "suppressColumnVirtualisation": True,  # 17 columns: render all, so find-in-page sees them
            "rowHeight": 32,
        },
        className="league-grid",
        style={"height": "560px", "width": "100%"},
    )
    chooser = html.Div(
        [
            dbc.Label(i18n.t("estates.heatmap_figure", lang), html_for="estates-heatmap-figure", className="filter-label mb-0 me-2"),
            dcc.Dropdown(
                id="estates-heatmap-figure", options=figures.heatmap_options(lang), value=figures.DEFAULT_HEATMAP_FIGURE,
                clearable=False, searchable=False, persistence=True, persistence_type="session", className="heatmap-chooser",
            ),
        ],
        className="d-flex align-items-center mb-2",
    )
    return html.Div(
        [
            create_error_store("estates-league"),
            create_navigation_store("estates"),
            create_error_store("estates-medians"),
            dcc.Store(id="estates-medians-for"),  # the question the table's rows answer
            dcc.Store(id="estates-medians"),
            create_error_store("estates-heatmap"),
            html.Div(id="estates-caption", className="period-caption"),
            create_card(i18n.t("estates.league", lang), grid, card_id="estates-card-league"),
            create_card(i18n.t("estates.heatmap", lang), [chooser, create_graph("estates-heatmap", lang)],
                        card_id="estates-card-heatmap", class_name="mt-3"),
        ],
        className="page page-estates",
    )


dash.register_page(__name__, path="/estates", name="Estates", order=4, layout=layout)


def _heatmap_rows(estates, scope, filters, by_area):
    """Every estate of the selection gets a row, with or without data; past HEATMAP_ESTATES
    rows (a group's thousands of estates) those with most tickets, and how many were left out."""
    allowed = scope.allowed_estates(filters.estates)
    rows = estates if allowed is None else estates[estates["estate_id"].isin(allowed)]
    if len(rows) <= figures.HEATMAP_ESTATES:
        return rows, 0
    busiest = by_area.groupby("estate_id")["tickets"].sum().nlargest(figures.HEATMAP_ESTATES).index
    return rows[rows["estate_id"].isin(busiest)], len(rows) - min(len(busiest), figures.HEATMAP_ESTATES)


def _filters(search):
    svc = services()
    scope = svc.scope()
    view = known_view(search)
    return svc, scope, view, view.filters(svc.today(), svc.city_estates(scope))


@cached_callback(
    Output("estates-caption", "children"),
    Output("estates-league", "rowData"),
    Output("estates-medians-for", "data"),
    database_problem("estates-league"),
    Input("url", "search"),
    State("lang", "data"),
)
def update_league(search, lang):
    """Every column but the medians, which are asked for beside it (fill_medians): at a group's
    scale they cost seconds over a long period, the rest of the table a fraction of one. The
    question the rows answer is handed on resolved (dates, not "last week"), as this output is
    cached, so only medians of that same question go into them."""
    try:
        svc, scope, _view, filters = _filters(search)
        league = svc.league(filters, scope, medians=False)
    except DataSourceError as exc:
        return no_update, no_update, no_update, str(exc)
    caption = i18n.t("estates.caption", lang, period=i18n.date_range(filters.start, filters.end, lang), count=i18n.number(len(league), lang))
    return caption, figures.league_grid_rows(league, medians_pending=True), _canonical(filters), None


@cached_callback(  # the finished cells, in either language (the browser writes them)
    Output("estates-medians", "data"),
    database_problem("estates-medians"),
    Input("url", "search"),
)
def fill_medians(search):
    """The league's medians, worked out at the same time as the rest of the table (not after
    it: the first load waits for the slower of the two, not for both), named by the question
    they answer."""
    try:
        svc, scope, _view, filters = _filters(search)
    except DataSourceError as exc:
        return no_update, str(exc)
    try:
        medians = svc.cached("estate_medians", estate_medians, svc.db, svc.rules, filters, scope)
    except DataSourceError as exc:  # the banner says why; the cells stop waiting
        return {"for": _canonical(filters), **figures.median_cells(None)}, str(exc)
    return {"for": _canonical(filters), **figures.median_cells(medians)}, None


# In the browser: the medians go into the rows once both have arrived for the same question,
# whichever came first. The rows are replaced whole (the grid keeps them by estate id), so no
# change can land on another question's rows.
clientside_callback(
    """
    function(medians, awaited, rows) {
        if (!medians || !rows || !awaited || JSON.stringify(medians.for) !== JSON.stringify(awaited)) {
            return window.dash_clientside.no_update;
        }
        const fill = (row, cells) => {
            const copy = row.slice();
            medians.at.forEach((at, i) => { copy[at] = cells ? cells[i] : null; });
            copy[medians.pending_at] = 0;
            return copy;
        };
        return rows.map(row => fill(row, medians.cells[row[0]]));
    }
    """,
    Output("estates-league", "rowData", allow_duplicate=True),
    Input("estates-medians", "data"),
    Input("estates-medians-for", "data"),
    State("estates-league", "rowData"),
    prevent_initial_call=True,
)


@cached_callback(
    Output("estates-heatmap", "figure"),
    database_problem("estates-heatmap"),
    Input("url", "search"),
    Input("estates-heatmap-figure", "value"),
    State("lang", "data"),
)
def update_heatmap(search, figure, lang):
    try:
        svc, scope, _view, filters = _filters(search)
        by_area, areas = _heatmap_data(svc, filters, scope, figure)
        rows, left_out = _heatmap_rows(svc.estates(scope), scope, filters, by_area)
    except DataSourceError as exc:
        return no_update, str(exc)
    return figures.estate_area_heatmap(by_area, rows, figure, lang, left_out=left_out, areas=areas), None


def _heatmap_data(svc, filters, scope, figure):
    """The league per estate and area of the estates the heatmap draws, and its columns (None:
    the areas in those rows); medians, the costliest figure of all, only when shown. Past
    HEATMAP_ESTATES estates with tickets only the busiest are asked for, found in the table's
    own league (cached beside it), and the columns are every area holding data in the selection:
    at a group's scale 60 estates' rows, not 2,000 estates' (three years at 10M: ~0.9 s -> ~0.25 s).
    Those are asked of the database only when the busiest estates leave out an area: mostly they
    hold all five, and no other estate can add a column."""
    medians = figure == "response_median"
    league = svc.league(filters, scope, medians=False)
    tickets = league[league["tickets"] > 0].groupby("estate_id")["tickets"].sum()
    # One area: the table's rows are its column (2,000 estates, a year: ~170 -> ~55 ms).
    area = next(iter(filters.areas)) if len(filters.areas) == 1 and not medians else None
    if len(tickets) <= figures.HEATMAP_ESTATES:
        if area:
            return league_of_one_area(league, area), None
        return svc.league(filters, scope, by_area=True, medians=medians), None
    busiest = filters.narrowed(estates=tickets.nlargest(figures.HEATMAP_ESTATES).index)  # as _heatmap_rows picks them
    if area:  # the area asked for holds data: its busiest estates have tickets there
        return league_of_one_area(league[league["estate_id"].isin(busiest.estates)], area), [area]
    by_area = svc.league(busiest, scope, by_area=True, medians=medians)
    drawn = set(by_area.loc[(by_area["tickets"] > 0) | (by_area["surveys"] > 0), "service_area"])
    if drawn >= set(SERVICE_AREAS):
        return by_area, list(SERVICE_AREAS)
    return by_area, svc.cached("areas_with_data", areas_with_data, svc.db, svc.rules, filters, scope)


@callback(
    navigation_target("estates"),
    Input("estates-league", "cellClicked"),
    Input("estates-heatmap", "clickData"),
    State("url", "search"),
    State("lang", "data"),
    State("estates-heatmap-figure", "value"),
    prevent_initial_call=True,
)
def narrow_to_clicked(cell, click, search, lang, figure):
    """Cross-filter: an estate's row narrows to the estate; a heatmap cell to the estate and area."""
    svc = services()
    scope = svc.scope()
    view = known_view(search)
    if ctx.triggered_id == "estates-league":
        estate = (cell or {}).get("rowId")
        if estate not in set(svc.estates(scope)["estate_id"]):
            return no_update
        return urlstate.to_query(view.with_changes(estates=(estate,), cities=()))
    points = (click or {}).get("points") or []
    filters = view.filters(svc.today(), svc.city_estates(scope))
    if not points:
        return no_update
    rows, _ = _heatmap_rows(svc.estates(scope), scope, filters, _heatmap_data(svc, filters, scope, figure)[0])  # as drawn
    chosen = figures.clicked_cell(points[0], rows, lang)
    if chosen is None:
        return no_update
    return urlstate.to_query(view.with_changes(estates=(chosen[0],), cities=(), areas=(chosen[1],)))
