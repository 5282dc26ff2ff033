"""The filter bar on every page and its two-way binding with the URL.

The URL is the single source of truth: controls write it, and reading it (first load,
back and forward, a pasted link) sets the controls. Pages listen to the URL only.
"""
from __future__ import annotations

import datetime as dt

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update

from data_access import DataSourceError
from data_access.schema import REQUEST_TYPES, SERVICE_AREAS, TICKET_CHANNELS

from . import i18n, urlstate
from .periods import COMPARISONS, PRESETS
from .services import services

CITY_PREFIX = "city:"
CONTROLS = ("filter-period", "filter-compare", "filter-estates", "filter-areas", "filter-types", "filter-channels")
# The estates dropdown lists the whole cities and the selection, and this many more estates, all
# matching what is typed; the browser finds them in a store of every option (estate_choices_store).
# dcc.Dropdown indexes every option it holds for its search as it mounts: a group's 2,000 estates
# took ~0.3-0.5 s of the browser's main thread on every first load. Its "select all" takes what
# is listed, so at most this many estates at once (a city's option takes all of the city's).
ESTATES_LISTED = 200


def estate_options(estates, lang: str) -> list[dict]:
    """Whole cities first (they expand to their estates), then estates grouped by city."""
    options = []
    for city, group in estates.groupby(estates["city"].fillna(""), sort=True):
        if city:
            options.append({"label": i18n.t("filter.city_all", lang, city=city, count=len(group)), "value": CITY_PREFIX + city})
    return options + single_estate_options(estates)


def single_estate_options(estates) -> list[dict]:
    """An option per estate, without whole cities (the Annotations page's dropdown)."""
    # the dropdown searches labels and values: city, name and estate id
    return [{"label": f"{row.city or ''} · {row.name}", "value": row.estate_id} for row in estates.itertuples()]


def estate_choices_store(store_id: str, options: list[dict], city_prefix: str | None = None) -> dcc.Store:
    """The store LISTED_ESTATES picks a dropdown's options from: every option as [value, label]."""
    choices = [[o["value"], o["label"]] for o in options]
    return dcc.Store(id=store_id, data={"options": choices, "listed": ESTATES_LISTED, "city_prefix": city_prefix})


def selected_options(options: list[dict], selected) -> list[dict]:
    """The options of the selected values: the dropdown needs them for its labels from the start."""
    chosen = set(selected or ())
    return [o for o in options if o["value"] in chosen]


def dropdown_labels(lang: str) -> dict:
    """The dropdown's own words (search, select all...) in the user's language."""
    keys = ("select_all", "deselect_all", "search", "clear_search", "clear_selection", "no_options_found")
    labels = {key: i18n.t(f"dropdown.{key}", lang) for key in keys}
    labels["selected_count"] = i18n.t("dropdown.selected_count", lang)  # keeps its {num_selected}
    return labels


def _multi(control_id: str, label_key: str, options: list[dict], lang: str, values: dict, placeholder_key: str = "filter.all", extra=()):
    return html.Div(
        [
            dbc.Label(i18n.t(label_key, lang), html_for=control_id, className="filter-label"),
            dcc.Dropdown(
                id=control_id, options=options, value=values.get(control_id), multi=True, searchable=True,
                placeholder=i18n.t(placeholder_key, lang), labels=dropdown_labels(lang),
            ),
            *extra,
        ],
        className="filter-item",
    )


def _estates_dropdown(estates, lang: str, values: dict):
    options = estate_options(estates, lang)
    store = estate_choices_store("filter-estates-choices", options, CITY_PREFIX)
    return _multi("filter-estates", "filter.estates", selected_options(options, values.get("filter-estates")), lang, values,
                  "filter.estates_placeholder", extra=(store,))


def create_filter_bar(lang: str, estates, values: dict | None = None) -> html.Div:
    """The filter bar; `values` (control_values) set its controls from the start when the
    layout knows the page's URL, so no callback needs to."""
    values = values or {}
    presets = [{"label": i18n.t(f"preset.{p}", lang), "value": p} for p in PRESETS]
    comparisons = [{"label": i18n.t(f"compare.{c}", lang), "value": c} for c in COMPARISONS]
    return html.Div(
        [
            html.Div(
                [
                    dbc.Label(i18n.t("filter.period", lang), html_for="filter-period", className="filter-label"),
                    dcc.Dropdown(id="filter-period", options=presets, value=values.get("filter-period"), clearable=False, searchable=False,
                                 labels=dropdown_labels(lang)),
                ],
                className="filter-item filter-narrow",
            ),
            html.Div(
                [
                    dbc.Label(f"{i18n.t('filter.from', lang)} – {i18n.t('filter.to', lang)}", className="filter-label"),
                    dcc.DatePickerRange(
                        id="filter-dates",
                        start_date=values.get("filter-dates", (None, None))[0],
                        end_date=values.get("filter-dates", (None, None))[1],
                        display_format="YYYY-MM-DD",
                        first_day_of_week=1,
                        minimum_nights=0,
                        start_date_placeholder_text=i18n.t("filter.from", lang),
                        end_date_placeholder_text=i18n.t("filter.to", lang),
                    ),
                ],
                className="filter-item filter-dates",
            ),
            html.Div(
                [
                    dbc.Label(i18n.t("filter.compare", lang), html_for="filter-compare", className="filter-label"),
                    dcc.Dropdown(id="filter-compare", options=comparisons, value=values.get("filter-compare"), clearable=False, searchable=False,
                                 labels=dropdown_labels(lang)),
                ],
                className="filter-item filter-narrow",
            ),
            _estates_dropdown(estates, lang, values),
            _multi("filter-areas", "filter.areas", [{"label": i18n.area(a, lang), "value": a} for a in SERVICE_AREAS], lang, values),
            _multi("filter-types", "filter.types", [{"label": i18n.label("type", t, lang), "value": t} for t in REQUEST_TYPES], lang, values),
            _multi("filter-channels", "filter.channels", [{"label": i18n.label("channel", c, lang), "value": c} for c in TICKET_CHANNELS], lang,
                   values),
            html.Div(
                dbc.Button(
                    [html.I(className="bi bi-arrow-counterclockwise me-1"), i18n.t("filter.reset", lang)],
                    id="filter-reset", color="link", size="sm", className="filter-reset",
                ),
                className="filter-item filter-button",
            ),
        ],
        className="filter-bar",
        id="filter-bar",
    )


def known_view(search: str | None) -> urlstate.View:
    """The view in the URL, with estates and cities checked against the user's scope."""
    svc = services()
    try:
        estate_ids, cities = svc.known_names(svc.scope())
    except DataSourceError:  # the banner reports it; the view still parses
        return urlstate.parse(search)
    return urlstate.parse(search, known_estates=estate_ids, known_cities=cities)


def selection(search: str | None):
    """What every page callback starts from: the services, the signed-in user's scope, and the
    view's filters and comparison filters."""
    svc = services()
    scope = svc.scope()
    view = known_view(search)
    city_estates = svc.city_estates(scope)
    today = svc.today()
    return svc, scope, view.filters(today, city_estates), view.comparison(today, city_estates)


def _view_from_controls(period, dates_start, dates_end, compare, estates, areas, types, channels, triggered) -> urlstate.View:
    start = dt.date.fromisoformat(dates_start[:10]) if dates_start else None
    end = dt.date.fromisoformat(dates_end[:10]) if dates_end else None
    if triggered in ("filter-dates",) and start and end:
        period = "custom"
    estates = estates or []
    return urlstate.View(
        preset=period or "last_week",
        start=start if period == "custom" else None,
        end=end if period == "custom" else None,
        compare=compare or "previous",
        estates=tuple(e for e in estates if not e.startswith(CITY_PREFIX)),
        cities=tuple(e[len(CITY_PREFIX):] for e in estates if e.startswith(CITY_PREFIX)),
        areas=tuple(areas or ()),
        request_types=tuple(types or ()),
        channels=tuple(channels or ()),
    )


def control_values(view: urlstate.View, today: dt.date) -> dict:
    """What each control of the bar shows for a view."""
    start, end = view.period(today)
    return {
        "filter-period": view.preset,
        "filter-dates": (start.isoformat(), end.isoformat()),
        "filter-compare": view.compare,
        "filter-estates": [CITY_PREFIX + c for c in view.cities] + list(view.estates),
        "filter-areas": list(view.areas),
        "filter-types": list(view.request_types),
        "filter-channels": list(view.channels),
    }


# What an estates dropdown lists (ESTATES_LISTED): the selection, then the first options matching
# every word typed, in their order (whole cities, which do not count, first). A superset of what
# the dropdown's own search keeps (each word within a word of the value or label), so it hides
# nothing it would show. `choices` is a store of {options: [[value, label]], listed, city_prefix}.
LISTED_ESTATES = """
    function(typed, selected, choices) {
        if (!choices) { return window.dash_clientside.no_update; }
        const chosen = new Set(selected || []);
        const words = (typed || "").toLocaleLowerCase().split(/\\s+/).filter(Boolean);
        const options = [];
        let listed = 0;
        for (const [value, label] of choices.options) {
            const city = choices.city_prefix !== null && value.startsWith(choices.city_prefix);
            const keep = chosen.has(value) || ((city || listed < choices.listed)
                && words.every(word => `${value} ${label}`.toLocaleLowerCase().includes(word)) && (city || ++listed));
            if (keep) { options.push({label, value}); }
        }
        return options;
    }
"""


def list_estates_as_typed(dropdown: str, choices: str) -> None:
    """Fill the dropdown `dropdown` in the browser with what LISTED_ESTATES picks from the store `choices`."""
    clientside_callback(LISTED_ESTATES, Output(dropdown, "options"), Input(dropdown, "search_value"), Input(dropdown, "value"),
                        State(choices, "data"))


list_estates_as_typed("filter-estates", "filter-estates-choices")


# Not on the first load: the layout sets the controls from the URL (create_filter_bar's
# `values`), or, where it could not tell the URL, the address bar's arrival in `url` calls this.
@callback(
    Output("url", "search"),
    Output("filter-period", "value"),
    Output("filter-dates", "start_date"),
    Output("filter-dates", "end_date"),
    Output("filter-compare", "value"),
    Output("filter-estates", "value"),
    Output("filter-areas", "value"),
    Output("filter-types", "value"),
    Output("filter-channels", "value"),
    # With the estates it sets, their options: dcc.Dropdown drops a value it holds no option for
    # (an estate beyond those listed, set by a cross-filter click or back and forward).
    Output("filter-estates", "options", allow_duplicate=True),
    Input("url", "search"),
    Input("filter-period", "value"),
    Input("filter-dates", "start_date"),
    Input("filter-dates", "end_date"),
    Input("filter-compare", "value"),
    Input("filter-estates", "value"),
    Input("filter-areas", "value"),
    Input("filter-types", "value"),
    Input("filter-channels", "value"),
    Input("filter-reset", "n_clicks"),
    State("lang", "data"),
    prevent_initial_call=True,
)
def sync_filters_and_url(search, period, start, end, compare, estates, areas, types, channels, _reset, lang):
    triggered = ctx.triggered_id
    today = services().today()
    if triggered == "filter-reset":
        view = urlstate.View()
    elif triggered in (None, "url"):
        view = known_view(search)
    else:
        view = _view_from_controls(period, start, end, compare, estates, areas, types, channels, triggered)
    query = urlstate.to_query(view)
    values = control_values(view, today)
    controls = (
        values["filter-period"], *values["filter-dates"], values["filter-compare"], values["filter-estates"],
        values["filter-areas"], values["filter-types"], values["filter-channels"],
    )
    # A link's own wording is kept (its notes stay visible); control changes write the canonical form.
    new_search = query if triggered not in (None, "url") and query != (search or "") else no_update
    return (new_search, *controls, _options_of(values["filter-estates"], lang))


def _options_of(selected: list[str], lang: str):
    """The options of the selected estates and cities (the dropdown's own callback lists the rest
    right after); no change with nothing selected (nothing to drop) or when the estates cannot
    be read. Built from the selected rows only: this runs on every filter change."""
    if not selected:
        return no_update
    svc = services()
    try:
        estates = svc.estates(svc.scope())
    except DataSourceError:
        return no_update
    cities = {v[len(CITY_PREFIX):] for v in selected if v.startswith(CITY_PREFIX)}
    rows = estates[estates["estate_id"].isin(set(selected)) | estates["city"].isin(cities)]
    return selected_options(estate_options(rows, lang), selected)


@callback(Output("url-notes", "children"), Output("url-notes", "is_open"), Input("url", "search"), State("lang", "data"))
def show_cleaned_parameters(search, lang):
    view = known_view(search)
    if not view.notes:
        return "", False
    return i18n.t("app.cleaned_url", lang, detail="; ".join(view.notes)), True
