"""Reusable layout pieces, built by create_* functions from plain values."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from . import i18n
from .figures.common import CHART_HEIGHT, graph_config, placeholder_figure
from .headlines import Headline

STATUS_ICONS = {"good": "bi-check-circle-fill", "watch": "bi-exclamation-circle-fill", "bad": "bi-x-circle-fill"}


def create_tile(headline: Headline, lang: str) -> html.Div:
    status = headline.status or "neutral"
    trend = "neutral" if headline.improved is None else ("better" if headline.improved else "worse")
    children = [
        html.Div(
            [
                html.Span(headline.label, className="tile-label"),
                html.I(className=f"bi {STATUS_ICONS[headline.status]} tile-status-icon", title=i18n.t(f"status.{headline.status}", lang))
                if headline.status else None,
            ],
            className="tile-head",
        ),
        html.Div(headline.display, className="tile-value", id=f"tile-value-{headline.key}"),
        html.Div(headline.detail, className="tile-detail"),
        html.Div(headline.delta, className=f"tile-delta delta-{trend}"),
    ]
    return html.Div(children, className=f"tile status-{status}", id=f"tile-{headline.key}")


def create_card(title: str, body, *, card_id: str | None = None, class_name: str = "") -> dbc.Card:
    kwargs = {"id": card_id} if card_id else {}
    return dbc.Card([dbc.CardHeader(title, className="card-title-bar"), dbc.CardBody(body)], className=f"panel {class_name}", **kwargs)


def create_graph(graph_id: str, lang: str, *, height: int | None = None, **kwargs) -> dcc.Graph:
    """A chart, blank until its figure arrives. Where the figure's height is fixed, give it: the
    chart keeps it from the start, so it is drawn once (a chart whose box grows as its figure or
    the page around it arrives is drawn again when the box resizes: ~100-170 ms of a first load)."""
    box = {} if height is None else {"style": {"height": f"{height}px"}}
    return dcc.Graph(id=graph_id, config=graph_config(lang), figure=placeholder_figure(height or CHART_HEIGHT), className="chart",
                     **box, **kwargs)


# For a grid whose rows keep each raw value (sorted and filtered by) with its text beside it as
# `<field>__text`: the grid shows the text.
SHOW_TEXT = {"function": "params.data == null ? '' : params.data[params.colDef.field + '__text']"}


def create_table(columns: list[tuple[str, str]], rows: list[dict], *, table_id: str | None = None, empty_text: str = "") -> html.Div:
    """A plain responsive table; `columns` is (key, header) pairs, rows hold display strings."""
    if not rows:
        return html.Div(empty_text, className="empty-note", id=table_id) if table_id else html.Div(empty_text, className="empty-note")
    head = html.Thead(html.Tr([html.Th(header) for _, header in columns]))
    body = html.Tbody([html.Tr([html.Td(row.get(key, "")) for key, _ in columns]) for row in rows])
    kwargs = {"id": table_id} if table_id else {}
    return html.Div(dbc.Table([head, body], size="sm", hover=True, striped=True, className="mb-0"), className="table-responsive", **kwargs)


def create_period_caption(text: str) -> html.Div:
    return html.Div(text, className="period-caption", id="period-caption")
