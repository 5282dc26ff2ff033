"""The Overview's Download buttons: the meeting pack as PDF or Excel for the filters on screen
(period, estates, cities, areas, channels, types), the user's estate scope, and owners' details
masked unless the user holds the personal-data permission. The same files as `estate-dashboard
report`: a whole ISO week or calendar month gives that report, any other period its own."""
from __future__ import annotations

import io

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from data_access import DataSourceError
from data_access.report import MONTHLY, ReportPeriod

from . import audit, i18n
from .filterbar import known_view
from .layout import create_error_store, database_problem
from .report import MEDIA_TYPES, build, file_name, render
from .services import services

BUTTONS = {"report-download-pdf": "pdf", "report-download-xlsx": "xlsx"}


def create_report_buttons(lang: str) -> html.Div:
    buttons = dbc.ButtonGroup(
        [
            dbc.Button([html.I(className="bi bi-file-earmark-pdf me-1"), i18n.t("report.download_pdf", lang)],
                       id="report-download-pdf", color="primary", outline=True, size="sm"),
            dbc.Button([html.I(className="bi bi-file-earmark-spreadsheet me-1"), i18n.t("report.download_xlsx", lang)],
                       id="report-download-xlsx", color="success", outline=True, size="sm"),
        ],
        size="sm",
    )
    return html.Div(
        [
            html.Span([html.I(className="bi bi-download me-1"), i18n.t("report.download", lang)], className="report-download-label"),
            buttons,
            # The spinner follows the Download component, which the callback writes when the file is ready.
            dcc.Loading(dcc.Download(id="report-download"), type="circle", delay_show=150, color="#2563eb",
                        id="report-download-loading", parent_className="report-download-spinner"),
            create_error_store("report-download"),
        ],
        className="report-download",
        id="report-download-group",
        title=i18n.t("report.download_title", lang),
    )


def report_period(view, today, city_estates) -> ReportPeriod:
    """The report's period and comparison as the Overview shows them; a whole month compared with
    "the previous period" is compared with the previous calendar month (month against month)."""
    filters = view.filters(today, city_estates)
    comparison = view.comparison(today, city_estates)
    period = ReportPeriod.custom(filters.start, filters.end, comparison.start, comparison.end)
    if period.kind == MONTHLY and view.compare == "previous":
        return ReportPeriod.of_month(filters.start)
    return period


@callback(
    Output("report-download", "data"),
    database_problem("report-download"),
    Input("report-download-pdf", "n_clicks"),
    Input("report-download-xlsx", "n_clicks"),
    State("url", "search"),
    State("lang", "data"),
    prevent_initial_call=True,
    running=[
        (Output("report-download-pdf", "disabled"), True, False),
        (Output("report-download-xlsx", "disabled"), True, False),
    ],
)
def download_report(_pdf, _xlsx, search, lang):
    fmt = BUTTONS.get(ctx.triggered_id)
    if fmt is None:
        return no_update, no_update
    svc = services()
    scope = svc.scope()
    view = known_view(search)
    try:
        city_estates = svc.city_estates(scope)
        filters = view.filters(svc.today(), city_estates)
        period = report_period(view, svc.today(), city_estates)
        report = build(svc.db, svc.settings, period, lang=lang, scope=scope, base=filters, personal_data=svc.personal_data())
        buffer = io.BytesIO()
        render(report, fmt, buffer)
    except DataSourceError as exc:
        return no_update, str(exc)
    name = file_name(report, fmt)
    audit.record("report_download", format=fmt, period=period.label, estates=sorted(filters.estates),
                 personal_data=svc.personal_data())
    return dcc.send_bytes(buffer.getvalue(), name, type=MEDIA_TYPES[fmt]), None
