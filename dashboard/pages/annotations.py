"""Annotations: analysts record what happened (a typhoon, a staffing change, a new contractor)
with its dates and estates; the weekly trend charts and the reports shade those days.

Stored in the dashboard's own SQLite file (data_access.annotations), never in the ticket
database. Someone who sees only some estates annotates, lists and deletes only theirs.
"""
from __future__ import annotations

import datetime as dt

import dash
import dash_bootstrap_components as dbc
import sqlalchemy as sa
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from data_access import DataSourceError
from data_access.annotations import MAX_LABEL, MAX_NOTE, AnnotationError, annotation_store

from .. import filterbar, i18n
from ..auth import current_user
from ..components import create_card, create_table
from ..filterbar import dropdown_labels
from ..layout import create_error_store, current_language, database_problem
from ..services import services


def _estate_options() -> list[dict]:
    """Every estate in scope: the dropdown lists what is typed from these (filterbar.LISTED_ESTATES),
    as it indexes all it holds when it mounts."""
    svc = services()
    return filterbar.single_estate_options(svc.estates(svc.scope()))


def _form(lang: str, options: list[dict]) -> html.Div:
    def field(label_key: str, control, width: int):
        return dbc.Col([dbc.Label(i18n.t(label_key, lang), html_for=control.id), control], md=width)

    return html.Div(
        [
            filterbar.estate_choices_store("annotation-estates-choices", options),
            dbc.Row(
                [
                    field("annotations.start", dbc.Input(id="annotation-start", type="date"), 3),
                    field("annotations.end", dbc.Input(id="annotation-end", type="date"), 3),
                    field("annotations.label", dbc.Input(id="annotation-label", maxlength=MAX_LABEL,
                                                         placeholder=i18n.t("annotations.label_placeholder", lang)), 6),
                ],
                className="g-2",
            ),
            dbc.Row(
                [
                    field("annotations.estates", dcc.Dropdown(id="annotation-estates", options=[], multi=True, searchable=True,
                                                              placeholder=i18n.t("annotations.estates_placeholder", lang),
                                                              labels=dropdown_labels(lang)), 6),
                    field("annotations.note", dbc.Textarea(id="annotation-note", maxlength=MAX_NOTE, rows=2,
                                                           placeholder=i18n.t("annotations.note_placeholder", lang)), 6),
                ],
                className="g-2 mt-1",
            ),
            html.Div(
                [
                    dbc.Button([html.I(className="bi bi-plus-lg me-1"), i18n.t("annotations.add", lang)], id="annotation-add", color="primary", size="sm"),
                    dbc.Alert(id="annotation-feedback", is_open=False, className="py-1 px-2 mb-0 ms-3 d-inline-block", dismissable=False),
                ],
                className="d-flex align-items-center mt-2",
            ),
        ],
        className="annotations-form",
    )


def layout(**_query):
    lang = current_language()
    try:
        options = _estate_options()
        problem = None
    except DataSourceError as exc:
        options, problem = [], str(exc)
    return html.Div(
        [
            create_error_store("annotations"),
            dcc.Store(id="annotations-version", data=0),
            dcc.Store(id="annotations-startup-problem", data=problem),
            html.H1(i18n.t("nav.annotations", lang), className="page-title"),
            html.P(i18n.t("annotations.intro", lang), className="text-muted"),
            create_card(i18n.t("annotations.new", lang), _form(lang, options), card_id="annotations-new"),
            create_card(i18n.t("annotations.recorded", lang), html.Div(id="annotations-list"), card_id="annotations-recorded", class_name="mt-3"),
        ],
        className="page page-annotations",
    )


dash.register_page(__name__, path="/annotations", name="Annotations", order=7, layout=layout)
filterbar.list_estates_as_typed("annotation-estates", "annotation-estates-choices")


def _store():
    return annotation_store(services().settings.data_dir)


def _estate_names() -> dict[str, str]:
    svc = services()
    estates = svc.estates(svc.scope())
    return dict(zip(estates["estate_id"], estates["name"]))


def _list(lang: str):
    svc = services()
    notes = _store().list(svc.scope())
    names = _estate_names()
    sep = "、" if lang == "zh" else ", "
    rows = [
        {
            "dates": i18n.date_range(a.start, a.end, lang),
            "label": html.B(a.label),
            "estates": html.Span(sep.join(names.get(e, e) for e in a.estates) if a.estates else i18n.t("report.group_wide", lang),
                                 className="annotation-estates"),
            "note": html.Span(a.note, className="annotation-note"),
            "by": a.created_by or "",
            "delete": dbc.Button(html.I(className="bi bi-trash"), id={"type": "annotation-delete", "index": a.annotation_id},
                                 color="danger", outline=True, size="sm", title=i18n.t("annotations.delete", lang)),
        }
        for a in notes
    ]
    columns = [("dates", i18n.t("annotations.dates", lang)), ("label", i18n.t("annotations.label", lang)),
               ("estates", i18n.t("annotations.estates", lang)), ("note", i18n.t("annotations.note", lang)),
               ("by", i18n.t("annotations.by", lang)), ("delete", "")]
    return create_table(columns, rows, table_id="annotations-table", empty_text=i18n.t("annotations.none", lang))


@callback(
    Output("annotations-list", "children"),
    database_problem("annotations"),
    Input("annotations-version", "data"),
    Input("annotations-startup-problem", "data"),
    State("lang", "data"),
)
def show_annotations(_version, startup_problem, lang):
    try:
        return _list(lang), startup_problem
    except DataSourceError as exc:
        return no_update, str(exc)
    except (sa.exc.SQLAlchemyError, OSError) as exc:
        return html.Div(i18n.t("annotations.store_error", lang, detail=str(exc).splitlines()[0]), className="empty-note"), None


def _day(text):
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


@callback(
    Output("annotations-version", "data"),
    Output("annotation-feedback", "children"),
    Output("annotation-feedback", "color"),
    Output("annotation-feedback", "is_open"),
    Output("annotation-label", "value"),
    Output("annotation-note", "value"),
    Input("annotation-add", "n_clicks"),
    State("annotation-start", "value"),
    State("annotation-end", "value"),
    State("annotation-estates", "value"),
    State("annotation-label", "value"),
    State("annotation-note", "value"),
    State("annotations-version", "data"),
    State("lang", "data"),
    prevent_initial_call=True,
    running=[(Output("annotation-add", "disabled"), True, False)],
)
def add_annotation(_clicks, start, end, estates, label, note, version, lang):
    svc = services()
    scope = svc.scope()
    try:
        known = set(_estate_names())
        chosen = [e for e in (estates or []) if e in known]  # the dropdown offers only estates in scope
        user = current_user()
        added = _store().add(_day(start), _day(end) or _day(start), label, note=note or "", estates=chosen, scope=scope,
                             created_by=user.username if user else None)
    except AnnotationError as exc:
        return no_update, i18n.t(f"annotations.error_{exc.key}", lang), "warning", True, no_update, no_update
    except DataSourceError as exc:
        return no_update, i18n.t("app.db_error", lang, detail=str(exc)), "danger", True, no_update, no_update
    except (sa.exc.SQLAlchemyError, OSError) as exc:
        return no_update, i18n.t("annotations.store_error", lang, detail=str(exc).splitlines()[0]), "danger", True, no_update, no_update
    message = i18n.t("annotations.added", lang, label=added.label, dates=i18n.date_range(added.start, added.end, lang))
    return (version or 0) + 1, message, "success", True, "", ""


@callback(
    Output("annotations-version", "data", allow_duplicate=True),
    Output("annotation-feedback", "children", allow_duplicate=True),
    Output("annotation-feedback", "color", allow_duplicate=True),
    Output("annotation-feedback", "is_open", allow_duplicate=True),
    Input({"type": "annotation-delete", "index": ALL}, "n_clicks"),
    State("annotations-version", "data"),
    State("lang", "data"),
    prevent_initial_call=True,
)
def delete_annotation(clicks, version, lang):
    # The buttons are re-created with every list: only a real click deletes.
    if not ctx.triggered_id or not any(clicks or []) or not ctx.triggered[0].get("value"):
        return no_update, no_update, no_update, no_update
    try:
        deleted = _store().delete(int(ctx.triggered_id["index"]), services().scope())
    except AnnotationError as exc:
        return no_update, i18n.t(f"annotations.error_{exc.key}", lang), "warning", True
    except (sa.exc.SQLAlchemyError, OSError) as exc:
        return no_update, i18n.t("annotations.store_error", lang, detail=str(exc).splitlines()[0]), "danger", True
    if not deleted:
        return (version or 0) + 1, no_update, no_update, no_update
    return (version or 0) + 1, i18n.t("annotations.deleted", lang), "secondary", True
