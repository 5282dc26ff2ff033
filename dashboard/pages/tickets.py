"""Tickets: the tickets behind the current selection, paged and sorted in the database (AG Grid's
infinite row model), owners' details masked, exportable to XLSX and CSV."""
from __future__ import annotations

import os
import tempfile

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update

from data_access import DataSourceError
from data_access.ticket_lists import iter_ticket_rows, ticket_codes, ticket_count, ticket_page

from .. import audit, i18n, urlstate
from ..exports import MAX_EXPORT_ROWS, file_name, write_csv, write_xlsx
from ..filterbar import known_view, selection
from ..layout import create_navigation_store, current_language, navigation_target
from ..services import services
from ..ticket_table import CROSS_FILTERS, as_sort_model, column_defs, grid_locale, grid_rows, sort_model

BLOCK_ROWS = 100


def layout(**_query):
    lang = current_language()
    grid = dag.AgGrid(
        id="tickets-grid",
        rowModelType="infinite",
        columnDefs=column_defs(lang),
        defaultColDef={"resizable": True, "suppressHeaderMenuButton": True, "wrapHeaderText": True, "autoHeaderHeight": True},
        dashGridOptions={
            "cacheBlockSize": BLOCK_ROWS,
            "maxBlocksInCache": 20,
            # dash-ag-grid answers one request at a time: a second block asked for meanwhile would get the first's rows.
            "maxConcurrentDatasourceRequests": 1,
            "infiniteInitialRowCount": 1,
            "getRowId": {"function": "params.data.ticket_id"},
            "localeText": grid_locale(lang),
            "tooltipShowDelay": 400,
            "rowHeight": 32,
            "animateRows": False,
            "suppressColumnVirtualisation": True,  # 18 columns: all rendered, so find-in-page sees them
        },
        className="tickets-grid",
        style={"height": "560px", "width": "100%"},
    )
    toolbar = html.Div(
        [
            html.Div(id="tickets-count", className="tickets-count"),
            dbc.Checkbox(
                id="tickets-include-cancelled", label=i18n.t("tickets.include_cancelled", lang), value=False,
                persistence=True, persistence_type="session", className="tickets-cancelled",
            ),
            html.Div(
                [
                    dbc.Button([html.I(className="bi bi-file-earmark-excel me-1"), i18n.t("tickets.export_xlsx", lang)],
                               id="tickets-export-xlsx", color="success", size="sm", outline=True),
                    dbc.Button([html.I(className="bi bi-filetype-csv me-1"), i18n.t("tickets.export_csv", lang)],
                               id="tickets-export-csv", color="secondary", size="sm", outline=True),
                ],
                className="tickets-exports",
            ),
        ],
        className="tickets-toolbar",
    )
    notes = html.Div(
        [i18n.t("tickets.masked_note", lang), " ", i18n.t("tickets.sort_hint", lang), " ", i18n.t("tickets.cancelled_note", lang)],
        className="tickets-notes",
    )
    return html.Div(
        [
            dcc.Store(id="tickets-error"),
            create_navigation_store("tickets"),
            dcc.Store(id="tickets-refreshed"),
            dcc.Download(id="tickets-download"),
            html.Div(id="tickets-caption", className="period-caption"),
            dbc.Card(
                [
                    dbc.CardHeader(i18n.t("tickets.title", lang), className="card-title-bar"),
                    dbc.CardBody(
                        [
                            toolbar,
                            notes,
                            dcc.Loading(dbc.Alert(id="tickets-export-note", is_open=False, color="info", dismissable=True,
                                                  className="py-2 my-2"), type="dot", delay_show=200),
                            grid,
                        ]
                    ),
                ],
                className="panel",
                id="tickets-card",
            ),
        ],
        className="page page-tickets",
    )


dash.register_page(__name__, path="/tickets", name="Tickets", order=5, layout=layout)


def _count(svc, filters, scope, include_cancelled: bool) -> int:
    return svc.cached("ticket_count", ticket_count, svc.db, filters, scope, include_cancelled=bool(include_cancelled))


# Page-local outputs only (the shell's banner follows tickets-error): a callback on the url that also
# wrote the banner would fire on every other page.
@callback(
    Output("tickets-caption", "children"),
    Output("tickets-count", "children"),
    Output("tickets-error", "data"),
    Input("url", "search"),
    Input("tickets-include-cancelled", "value"),
    State("lang", "data"),
)
def update_count(search, include_cancelled, lang):
    try:
        svc, scope, filters, _ = selection(search)
        total = _count(svc, filters, scope, include_cancelled)
        cancelled = total - _count(svc, filters, scope, False) if include_cancelled else 0
    except DataSourceError as exc:
        return no_update, no_update, str(exc)
    caption = i18n.date_range(filters.start, filters.end, lang)
    if total == 0:
        return caption, i18n.t("tickets.none", lang), None
    if include_cancelled:
        text = i18n.t("tickets.count_with_cancelled", lang, count=i18n.number(total, lang), cancelled=i18n.number(cancelled, lang))
    else:
        text = i18n.t("tickets.count", lang, count=i18n.number(total, lang))
    return caption, text, None


@callback(
    Output("tickets-grid", "getRowsResponse"),
    Output("tickets-error", "data", allow_duplicate=True),
    Input("tickets-grid", "getRowsRequest"),
    State("url", "search"),
    State("tickets-include-cancelled", "value"),
    State("lang", "data"),
    prevent_initial_call=True,
)
def serve_rows(request, search, include_cancelled, lang):
    """One block of rows, sorted and cut in the database: the browser never holds the selection."""
    if not request:
        return no_update, no_update
    try:
        svc, scope, filters, _ = selection(search)
        total = _count(svc, filters, scope, include_cancelled)
        page = svc.cached(
            "ticket_page", ticket_page, svc.db, filters, scope, int(request.get("startRow") or 0),
            int(request.get("endRow") or 0), as_sort_model(sort_model(request)), svc.personal_data(),
            include_cancelled=bool(include_cancelled),
        )
    except DataSourceError as exc:
        return {"rowData": [], "rowCount": 0}, str(exc)
    return {"rowData": grid_rows(page, lang), "rowCount": total}, None


# A new selection or the cancelled switch: drop the grid's loaded blocks and ask again from the top.
clientside_callback(
    """
    function(search, includeCancelled) {
        dash_ag_grid.getApiAsync("tickets-grid").then(api => {
            api.purgeInfiniteCache();
            api.ensureIndexVisible(0, "top");
        });
        return window.dash_clientside.no_update;
    }
    """,
    Output("tickets-refreshed", "data"),
    Input("url", "search"),
    Input("tickets-include-cancelled", "value"),
    prevent_initial_call=True,
)


@callback(
    Output("tickets-download", "data"),
    Output("tickets-export-note", "children"),
    Output("tickets-export-note", "is_open"),
    Output("tickets-export-note", "color"),
    Input("tickets-export-xlsx", "n_clicks"),
    Input("tickets-export-csv", "n_clicks"),
    State("url", "search"),
    State("tickets-include-cancelled", "value"),
    State("tickets-grid", "getRowsRequest"),
    State("lang", "data"),
    prevent_initial_call=True,
    running=[
        (Output("tickets-export-xlsx", "disabled"), True, False),
        (Output("tickets-export-csv", "disabled"), True, False),
    ],
)
def export_selection(_xlsx, _csv, search, include_cancelled, request, lang):
    """The whole selection (not just the rows on screen) in the grid's order, masked like the grid."""
    kind = "xlsx" if ctx.triggered_id == "tickets-export-xlsx" else "csv"
    try:
        svc, scope, filters, _ = selection(search)
        total = _count(svc, filters, scope, include_cancelled)
        if total == 0:
            return no_update, i18n.t("tickets.export_empty", lang), True, "secondary"
        if total > MAX_EXPORT_ROWS[kind]:
            key = "tickets.export_too_large" if kind == "csv" else "tickets.export_too_large_xlsx"
            message = i18n.t(key, lang, count=i18n.number(total, lang), limit=i18n.number(MAX_EXPORT_ROWS[kind], lang))
            return no_update, message, True, "warning"
        chunks = iter_ticket_rows(svc.db, filters, scope, as_sort_model(sort_model(request)), svc.personal_data(),
                                  include_cancelled=bool(include_cancelled), max_rows=MAX_EXPORT_ROWS[kind])
        handle, path = tempfile.mkstemp(suffix="." + kind)
        try:
            with os.fdopen(handle, "wb") as out:
                written = (write_xlsx if kind == "xlsx" else write_csv)(chunks, out, lang)
            download = dcc.send_file(path, filename=file_name(kind, filters.start, filters.end))
        finally:
            os.unlink(path)
    except DataSourceError as exc:
        return no_update, i18n.t("app.db_error", lang, detail=str(exc)), True, "danger"
    audit.record("export", kind=kind, rows=written, period=f"{filters.start}..{filters.end}", estates=sorted(filters.estates),
                 areas=sorted(filters.areas), personal_data=svc.personal_data())
    return download, i18n.t("tickets.export_done", lang, count=i18n.number(written, lang)), True, "success"


@callback(
    navigation_target("tickets"),
    Input("tickets-grid", "cellClicked"),
    State("url", "search"),
    prevent_initial_call=True,
)
def narrow_to_clicked(cell, search):
    """Cross-filter: a ticket's estate, city, area, type or channel narrows every page to it."""
    column = (cell or {}).get("colId")
    if column not in CROSS_FILTERS or not cell.get("rowId"):
        return no_update
    svc = services()
    try:
        codes = ticket_codes(svc.db, svc.scope(), str(cell["rowId"]))
    except DataSourceError:
        return no_update
    if not codes:
        return no_update
    view = known_view(search)
    if column in ("estate_name", "city"):
        return urlstate.to_query(view.with_changes(estates=(codes["estate_id"],), cities=()))
    filter_name = CROSS_FILTERS[column]
    if codes[column] is None:
        return no_update
    return urlstate.to_query(view.with_changes(**{filter_name: (codes[column],)}))


@callback(
    Output("db-alert", "children", allow_duplicate=True),
    Output("db-alert", "is_open", allow_duplicate=True),
    Input("tickets-error", "data"),
    State("lang", "data"),
    prevent_initial_call=True,
)
def show_database_error(problem, lang):
    return (i18n.t("app.db_error", lang, detail=problem), True) if problem else ("", False)
