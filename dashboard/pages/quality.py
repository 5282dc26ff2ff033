"""Data quality: the health report of `estate-dashboard check` as a page (/quality)."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, html, no_update

from data_access import DataSourceError
from data_access.quality import quality_report

from .. import i18n
from ..components import create_card, create_table
from ..layout import create_error_store, current_language, database_problem
from ..services import services

DETAIL_VALUES = 5  # values / estates shown per finding


def layout(**_query):
    lang = current_language()
    return html.Div(
        [
            create_error_store("quality"),
            html.P(i18n.t("quality.intro", lang), className="period-caption"),
            html.Div(id="quality-summary"),
            dbc.Row(
                [
                    dbc.Col(create_card(i18n.t("quality.rows", lang), html.Div(id="quality-rows")), lg=4),
                    dbc.Col(create_card(i18n.t("quality.checks", lang), html.Div(id="quality-checks")), lg=8),
                ],
                className="g-3 mt-1",
            ),
            dbc.Row(
                [
                    dbc.Col(create_card(i18n.t("quality.outside_codes", lang), html.Div(id="quality-codes")), lg=6),
                    dbc.Col(create_card(i18n.t("quality.imports", lang), html.Div(id="quality-imports")), lg=6),
                ],
                className="g-3 mt-1",
            ),
        ],
        className="page page-quality",
    )


def _details(key: str, check: dict, lang: str) -> str:
    details = check["details"] or {}
    if not check["count"]:
        return ""
    if key == "values_outside_codes":
        return ", ".join(f"{column} ({i18n.number(found['rows'], lang)})" for column, found in details.items())
    if key == "missing_indexes":
        return ", ".join(details.get("indexes") or [])
    if key == "estates_without_households":
        shown = details.get("estates", [])[:DETAIL_VALUES]
        return ", ".join(shown) + ("…" if check["count"] > len(shown) else "")
    items = list(details.items())[:DETAIL_VALUES]
    return ", ".join(f"{k}: {i18n.number(v, lang) if isinstance(v, int) else v}" for k, v in items)


def _result(key: str, check: dict, lang: str) -> str:
    if key == "missing_indexes" and check["details"].get("indexes") is None:
        return i18n.t("quality.indexes_unknown", lang)
    return i18n.number(check["count"], lang) if check["count"] else i18n.t("quality.ok", lang)


def _rows_table(report: dict, lang: str):
    rows = [
        {"table": i18n.t(f"quality.table.{name}", lang), "count": i18n.t("quality.table_missing", lang) if n is None else i18n.number(n, lang)}
        for name, n in report["row_counts"].items()
    ]
    table = create_table([("table", i18n.t("quality.table", lang)), ("count", i18n.t("quality.count", lang))], rows, table_id="quality-rows-table")
    if not report["first_ticket_at"]:
        return table
    span = i18n.t("quality.span", lang, first=report["first_ticket_at"][:16], last=report["last_ticket_at"][:16])
    return html.Div([table, html.Div(span, className="empty-note", id="quality-span")])


def _checks_table(report: dict, lang: str):
    rows = [
        {"check": i18n.t(f"quality.check.{key}", lang), "result": _result(key, check, lang), "details": _details(key, check, lang)}
        for key, check in report["checks"].items()
    ]
    columns = [("check", i18n.t("quality.check", lang)), ("result", i18n.t("quality.result", lang)), ("details", i18n.t("quality.details", lang))]
    return create_table(columns, rows, table_id="quality-checks-table")


def _codes_table(report: dict, lang: str):
    rows = [
        {"column": column, "value": value, "count": i18n.number(n, lang)}
        for column, found in report["checks"]["values_outside_codes"]["details"].items()
        for value, n in found["values"].items()
    ]
    columns = [("column", i18n.t("quality.column", lang)), ("value", i18n.t("quality.value", lang)), ("count", i18n.t("quality.count", lang))]
    return create_table(columns, rows, table_id="quality-codes-table", empty_text=i18n.t("quality.none_outside", lang))


def _imports_table(report: dict, lang: str):
    rows = [
        {"at": str(item["imported_at"])[:16], "file": item["file"], "kind": i18n.t(f"quality.table.{item['kind']}", lang),
         "read": i18n.number(item["read"], lang), "loaded": i18n.number(item["loaded"], lang), "rejected": i18n.number(item["rejected"], lang)}
        for item in report["recent_imports"]
    ]
    columns = [(k, i18n.t(f"quality.{label}", lang)) for k, label in
               (("at", "imported_at"), ("file", "file"), ("kind", "kind"), ("read", "read"), ("loaded", "loaded"), ("rejected", "rejected"))]
    return create_table(columns, rows, table_id="quality-imports-table", empty_text=i18n.t("quality.imports_none", lang))


@callback(
    Output("quality-summary", "children"),
    Output("quality-rows", "children"),
    Output("quality-checks", "children"),
    Output("quality-codes", "children"),
    Output("quality-imports", "children"),
    database_problem("quality"),
    Input("url", "search"),
    State("lang", "data"),
)
def update_quality(_search, lang):
    svc = services()
    if svc.scope().estates is not None:  # the report names every estate: not for an estate-scoped user
        note = dbc.Alert(i18n.t("quality.restricted", lang), color="secondary", id="quality-restricted")
        return note, "", "", "", "", None
    try:
        report = svc.cached("quality", quality_report, svc.db)
    except DataSourceError as exc:
        return (no_update,) * 5 + (str(exc),)
    problems = report["problems"]
    summary = dbc.Alert(
        i18n.t("quality.summary_problems", lang, n=problems) if problems else i18n.t("quality.summary_ok", lang),
        color="warning" if problems else "success", id="quality-verdict",
    )
    return summary, _rows_table(report, lang), _checks_table(report, lang), _codes_table(report, lang), _imports_table(report, lang), None


dash.register_page(__name__, path="/quality", name="Data quality", order=90, layout=layout)
