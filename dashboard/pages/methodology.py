"""How numbers are computed: METRICS.md written for analysts, in both languages, with the targets,
limits and SLA table this installation is configured with (read from the settings, not copied)."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from data_access import ServiceRules, Settings
from data_access.schema import PRIORITIES

from .. import i18n
from ..components import create_card
from ..layout import current_language
from ..services import services

# (figure, definition, key in `metrics --json`), in METRICS.md's order.
FIGURES = (
    ("tickets", "tickets.total"),
    ("by_type", "tickets.by_type.<type>"),
    ("open", "tickets.open"),
    ("per_1000", "tickets.per_1000_households"),
    ("responded", "first_response.responded"),
    ("response_times", "first_response.median_minutes, .p90_minutes"),
    ("target_minutes", "first_response.target_minutes"),
    ("within_target", "first_response.within_target_pct"),
    ("resolved", "resolution.resolved"),
    ("resolution_times", "resolution.median_hours, .p90_hours"),
    ("within_sla", "resolution.within_sla_pct"),
    ("escalations", "escalations.total"),
    ("escalation_rate", "escalations.rate_pct"),
    ("by_level", "escalations.by_level.1, .2, .3"),
    ("complaints", "complaints.total"),
    ("by_severity", "complaints.by_severity.<severity>"),
    ("overdue", "complaints.overdue_30d"),
    ("responses", "satisfaction.responses"),
    ("mean_score", "satisfaction.mean_score"),
    ("csat", "satisfaction.csat_pct"),
    ("dimensions", "satisfaction.dimensions.<dimension>"),
    ("follow_up", "satisfaction.follow_up_coverage_pct"),
)
SECTIONS = ("selection", "figures", "sla", "by_area", "rules", "targets")


def _plain(value: float) -> str:
    return f"{value:g}"


def _pct(value: float, lang: str) -> str:
    return i18n.percent(value, lang, 0 if float(value).is_integer() else 1)


def configured_values(settings: Settings, rules: ServiceRules, lang: str) -> dict[str, str]:
    """Every configured value the page quotes, formatted for `lang`."""
    margin = settings.amber_margin_pct
    return {
        "minutes": i18n.t("unit.minutes", lang, value=_plain(rules.first_response_target_minutes)),
        "days": _plain(rules.complaint_overdue_days),
        "timezone": settings.timezone,
        "min_tickets": i18n.number(settings.attention_min_tickets, lang),
        "margin": i18n.t("methodology.points", lang, value=_plain(margin)),
        "sla_floor": _pct(settings.target_within_sla_pct - margin, lang),
        "csat_floor": _pct(settings.target_csat_pct - margin, lang),
        "escalation_ceiling": _pct(settings.ceiling_escalation_rate_pct + margin, lang),
    }


def target_rows(settings: Settings, rules: ServiceRules, lang: str) -> list[tuple[str, str]]:
    """(setting name, formatted value) for the configured targets table."""
    return [
        ("first_response_target_minutes", i18n.t("unit.minutes", lang, value=_plain(rules.first_response_target_minutes))),
        ("target_first_response_pct", _pct(settings.target_first_response_pct, lang)),
        ("target_within_sla_pct", _pct(settings.target_within_sla_pct, lang)),
        ("target_csat_pct", _pct(settings.target_csat_pct, lang)),
        ("target_follow_up_coverage_pct", _pct(settings.target_follow_up_coverage_pct, lang)),
        ("ceiling_escalation_rate_pct", _pct(settings.ceiling_escalation_rate_pct, lang)),
        ("amber_margin_pct", i18n.t("methodology.points", lang, value=_plain(settings.amber_margin_pct))),
        ("attention_min_tickets", i18n.t("methodology.tickets", lang, value=i18n.number(settings.attention_min_tickets, lang))),
        ("complaint_overdue_days", i18n.t("methodology.days", lang, value=_plain(rules.complaint_overdue_days))),
    ]


def _text(key: str, lang: str, values: dict, **kwargs) -> dcc.Markdown:
    return dcc.Markdown(i18n.t(key, lang, **values), className="methodology-text", **kwargs)


def _selection(lang: str, values: dict):
    keys = ("period", "ticket_in_period", "filters", "cancelled", "invalid_times", "survey_filters")
    return html.Ul([html.Li(_text(f"methodology.{k}", lang, values), id=f"methodology-{k}") for k in keys], className="methodology-list")


def _figures(lang: str, values: dict):
    head = html.Thead(html.Tr([html.Th(i18n.t(f"methodology.col_{c}", lang)) for c in ("figure", "definition")]))
    body = html.Tbody([
        html.Tr(
            [
                html.Td([html.Div(i18n.t(f"methodology.fig_{name}", lang, **values), className="methodology-figure"),
                         html.Code(key, className="methodology-key")]),
                html.Td(_text(f"methodology.def_{name}", lang, values)),
            ],
            id=f"methodology-figure-{name}",
        )
        for name, key in FIGURES
    ])
    return [
        _text("methodology.figures_note", lang, values),
        html.Div(dbc.Table([head, body], size="sm", bordered=False, striped=True, className="methodology-table mb-0"),
                 className="table-responsive"),
    ]


def _sla(rules: ServiceRules, lang: str, values: dict):
    head = html.Thead(html.Tr([html.Th(i18n.t("methodology.col_type", lang))]
                              + [html.Th(i18n.label("priority", p, lang), className="text-end") for p in PRIORITIES]))
    body = html.Tbody([
        html.Tr(
            [html.Td(i18n.label("type", request_type, lang))]
            + [html.Td(i18n.t("unit.hours", lang, value=_plain(hours)), className="text-end", id=f"methodology-sla-{request_type}-{priority}")
               for priority, hours in zip(PRIORITIES, (urgent, normal))]
        )
        for request_type, urgent, normal in rules.sla_hours
    ])
    return [_text("methodology.sla_note", lang, values),
            dbc.Table([head, body], size="sm", striped=True, className="methodology-sla mb-0", id="methodology-sla-table")]


def _rules(lang: str, values: dict):
    keys = ("empty", "percentiles", "comparison", "watchlist", "attention", "lights", "masking", "report", "annotations")
    return html.Ul([html.Li(_text(f"methodology.rule_{k}", lang, values), id=f"methodology-rule-{k}") for k in keys],
                   className="methodology-list")


def _targets(settings: Settings, rules: ServiceRules, lang: str):
    body = html.Tbody([
        html.Tr(
            [
                html.Td([html.Div(i18n.t(f"methodology.set_{key}", lang), className="methodology-setting"),
                         html.Div(i18n.t(f"methodology.use_{key}", lang), className="methodology-use"),
                         html.Code(f"ESTATE_{key.upper()}", className="methodology-env")]),
                html.Td(value, className="methodology-value text-end", id=f"methodology-value-{key}"),
            ]
        )
        for key, value in target_rows(settings, rules, lang)
    ])
    head = html.Thead(html.Tr([html.Th(i18n.t("methodology.col_setting", lang)), html.Th(i18n.t("methodology.col_value", lang), className="text-end")]))
    return [dbc.Table([head, body], size="sm", className="methodology-targets mb-2", id="methodology-targets-table"),
            html.Div(i18n.t("methodology.targets_note", lang), className="methodology-use")]


def layout(**_query):
    lang = current_language()
    svc = services()
    settings, rules = svc.settings, svc.rules
    values = configured_values(settings, rules, lang)

    def title(section: str) -> str:
        return i18n.t(f"methodology.{section}", lang)

    contents = html.Nav(
        [html.Span(i18n.t("methodology.contents", lang), className="me-2")]
        + [html.A(title(s), href=f"#methodology-{s}", className="methodology-jump") for s in SECTIONS],
        className="methodology-contents",
    )
    definitions = [
        create_card(title("selection"), _selection(lang, values), card_id="methodology-selection"),
        create_card(title("figures"), _figures(lang, values), card_id="methodology-figures", class_name="mt-3"),
        create_card(title("sla"), _sla(rules, lang, values), card_id="methodology-sla", class_name="mt-3"),
        create_card(title("by_area"), _text("methodology.by_area_text", lang, values), card_id="methodology-by_area", class_name="mt-3"),
        create_card(title("rules"), _rules(lang, values), card_id="methodology-rules", class_name="mt-3"),
    ]
    return html.Div(
        [
            html.H1(i18n.t("nav.methodology", lang), className="page-title"),
            _text("methodology.intro", lang, values, id="methodology-intro"),
            contents,
            dbc.Row(
                [
                    dbc.Col(definitions, lg=8),
                    dbc.Col(html.Div(create_card(title("targets"), _targets(settings, rules, lang), card_id="methodology-targets"),
                                     className="methodology-aside", id="methodology-targets-aside"), lg=4),
                ],
                className="g-3",
            ),
        ],
        className="page page-methodology",
    )


dash.register_page(__name__, path="/methodology", name="How numbers are computed", order=6, layout=layout)
