"""The shell around every page: header with navigation and language switch, filter bar,
message banners, and the page itself under a loading indicator."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import dash
import dash_bootstrap_components as dbc
import flask
from dash import ALL, Input, Output, State, callback, clientside_callback, dcc, html

from data_access import DataSourceError

from . import filterbar, i18n
from .auth import current_user
from .services import services

log = logging.getLogger(__name__)
RETRY_SECONDS = 5
NAV = ("overview", "response", "escalations", "satisfaction", "estates", "tickets")
MORE = ("methodology", "quality", "annotations")  # reference pages, behind a "More" menu
PAGES = NAV + MORE


def current_language() -> str:
    """The language cookie, else the browser's preference, else Chinese."""
    if not flask.has_request_context():
        return i18n.DEFAULT_LANGUAGE
    chosen = flask.request.cookies.get("lang")
    if chosen:
        return i18n.normalise_language(chosen)
    best = flask.request.accept_languages.best_match(["zh", "zh-CN", "en"])
    return i18n.normalise_language(best)


def _page_path(name: str) -> str:
    return "/" if name == "overview" else f"/{name}"


def _user_menu(lang: str):
    user = current_user()
    if user is None or not services().settings.sign_in_required:
        return None
    return html.Span(
        [
            html.I(className="bi bi-person-circle me-1"),
            html.Span(f"{user.display_name} · {i18n.t(f'auth.role.{user.role}', lang)}", id="signed-in-user"),
            html.A(i18n.t("auth.sign_out", lang), href="/logout", className="ms-2 sign-out", id="sign-out"),
        ],
        className="user-menu me-3",
    )


def _header(lang: str) -> dbc.Navbar:
    links = [
        dbc.NavItem(dbc.NavLink(i18n.t(f"nav.{name}", lang), href=_page_path(name), id=f"nav-{name}", active="exact"))
        for name in NAV
    ]
    links.append(
        dbc.DropdownMenu(
            [dbc.DropdownMenuItem(i18n.t(f"nav.{name}", lang), href=_page_path(name), id=f"nav-{name}") for name in MORE],
            label=i18n.t("nav.more", lang),
            nav=True,
            in_navbar=True,
            align_end=True,
            id="nav-more",
        )
    )
    return dbc.Navbar(
        dbc.Container(
            [
                html.A(
                    [html.Img(src=dash.get_asset_url("logo.svg"), height="30", className="me-2"), html.Span(i18n.t("app.title", lang), className="brand-title")],
                    href="/",
                    className="navbar-brand d-flex align-items-center",
                ),
                dbc.NavbarToggler(id="nav-toggle"),
                dbc.Collapse(dbc.Nav(links, navbar=True, className="me-auto"), id="nav-collapse", navbar=True),
                _user_menu(lang),
                dbc.Button(i18n.t("app.language_switch", lang), id="language-switch", color="light", size="sm", outline=True, className="language-switch"),
            ],
            fluid=True,
        ),
        color="dark",
        dark=True,
        className="app-header",
    )


def _rollup_note(state, lang: str) -> str:
    """When the pre-aggregates were refreshed; days changed since are read from the raw tables."""
    if state is None or state.refreshed_at is None:
        return ""
    note = " · " + i18n.t("app.rollups_refreshed", lang, when=i18n.datetime(state.refreshed_at, lang))
    if state.dirty:
        note += " · " + i18n.t("app.rollups_pending", lang, days=i18n.number(len(state.dirty), lang))
    return note


@dataclass(frozen=True)
class RequestedPage:
    """The page the browser is showing, as its request for the layout names it (Referer)."""

    location: dict  # a dcc.Location's props, equal to the browser's location
    layout: object
    title: str


def _requested_page() -> RequestedPage | None:
    """The page being opened, so the layout can carry it: otherwise the browser asks for it in
    a second round trip (Dash's page router) before any figure is asked for. The Locations get
    the browser's own address, so mounting them changes nothing and the router stays quiet.
    None (the router draws the page, as usual) without a Referer or for an unknown path. A
    Referer cut down to the site's root is caught in the browser (the address check below)."""
    if not flask.has_request_context() or not flask.request.referrer:
        return None
    address = urlsplit(flask.request.referrer)
    if address.netloc != flask.request.host:
        return None
    path = "/" + dash.strip_relative_path(address.path or "/")
    page = next((p for p in dash.page_registry.values() if p["path"] == path and not p.get("path_template")), None)
    if page is None:
        return None
    search = f"?{address.query}" if address.query else ""
    query = {key: values[-1] for key, values in parse_qs(address.query).items()}
    layout = page["layout"](**query) if callable(page["layout"]) else page["layout"]
    title = page["title"]() if callable(page["title"]) else page["title"]
    return RequestedPage({"pathname": address.path, "search": search}, layout, title)


def _control_values(here: RequestedPage) -> dict:
    return filterbar.control_values(filterbar.known_view(here.location["search"]), services().today())


def page_container(here: RequestedPage | None):
    """dash.page_container, holding the requested page already when it is known."""
    if here is None:
        return dash.page_container
    return html.Div(
        [
            dcc.Location(id="_pages_location", refresh="callback-nav", **here.location),
            html.Div(here.layout, id="_pages_content", disable_n_clicks=True),
            dcc.Store(id="_pages_store", data={"title": here.title}),
            html.Div(id="_pages_dummy", disable_n_clicks=True),
        ]
    )


def shell() -> html.Div:
    lang = current_language()
    svc = services()
    try:
        estates = svc.estates(svc.scope())
        latest = svc.data_as_of()
        data_as_of = i18n.t("app.data_as_of", lang, when=i18n.datetime(latest, lang)) if latest else ""
        data_as_of += _rollup_note(svc.rollup_state(), lang)
        db_problem = None
    except DataSourceError as exc:
        import pandas as pd

        estates = pd.DataFrame(columns=["estate_id", "name", "city", "region", "households"])
        data_as_of, db_problem = "", str(exc)
    try:
        here = _requested_page()
    except Exception:  # a page that fails to draw fails in the router, as before, not the whole shell
        log.exception("could not draw the requested page into the layout; the router will")
        here = None
    return html.Div(
        [
            dcc.Location(id="url", refresh=False, **(here.location if here else {})),
            dcc.Store(id="lang", data=lang),
            dcc.Store(id="address-corrected"),  # true when the browser's address overrode the layout's
            dcc.Store(id="db-error-template", data=banner_template(lang)),
            # While the database is unreachable, poll it; reload the page once it answers again.
            dcc.Store(id="db-recovered"),
            dcc.Interval(id="db-retry", interval=RETRY_SECONDS * 1000, disabled=not db_problem),
            _header(lang),
            html.Div(
                [filterbar.create_filter_bar(lang, estates, here and _control_values(here)), html.Div(data_as_of, className="data-as-of", id="data-as-of")],
                className="filter-shell",
            ),
            dbc.Container(
                [
                    dbc.Alert(id="url-notes", is_open=False, color="warning", dismissable=True, className="mt-2"),
                    dbc.Alert(
                        i18n.t("app.db_error", lang, detail=db_problem) if db_problem else "",
                        id="db-alert", is_open=bool(db_problem), color="danger", className="mt-2",
                    ),
                    # While any callback of the page runs: the page stays visible, dimmed, under a spinner.
                    dcc.Loading(
                        page_container(here), type="dot", delay_show=300, color="#2563eb", id="page-loading",
                        overlay_style={"visibility": "visible", "opacity": 0.55},
                    ),
                ],
                fluid=True,
                className="page-body",
            ),
        ],
        className=f"app lang-{lang}",
        lang="zh-CN" if lang == "zh" else "en",
    )


# Switching language sets the cookie and reloads: every label, axis and number is rendered anew.
clientside_callback(
    """
    function(n, lang) {
        if (!n) { return window.dash_clientside.no_update; }
        const next = lang === 'zh' ? 'en' : 'zh';
        document.cookie = 'lang=' + next + ';path=/;max-age=31536000;SameSite=Lax';
        window.location.reload();
        return next;
    }
    """,
    Output("lang", "data"),
    Input("language-switch", "n_clicks"),
    State("lang", "data"),
    prevent_initial_call=True,
)

# Navigation links keep the filters: the query string travels with them.
clientside_callback(
    """
    function(search) {
        const paths = %s;
        return paths.map(p => p + (search || ''));
    }
    """
    % [_page_path(n) for n in PAGES],
    [Output(f"nav-{name}", "href") for name in PAGES],
    Input("url", "search"),
)

clientside_callback(
    "function(n, open) { return n ? !open : open; }",
    Output("nav-collapse", "is_open"),
    Input("nav-toggle", "n_clicks"),
    State("nav-collapse", "is_open"),
)


# Where the layout drew a page for an address the Referer gave (RequestedPage), check it is the
# browser's: a Referer cut down to the site's root (a proxy's Referrer-Policy, a very long link)
# would leave another page and the default filters on screen. Setting the address sets off the
# router and the filter bar's sync, as a first load without a Referer does.
clientside_callback(
    """
    function(_lang, pathname, search) {
        const here = window.location;
        if (!pathname || (here.pathname === pathname && here.search === (search || ''))) {
            return window.dash_clientside.no_update;
        }
        const address = {pathname: here.pathname, search: here.search};
        window.dash_clientside.set_props('_pages_location', address);
        window.dash_clientside.set_props('url', address);
        return true;
    }
    """,
    Output("address-corrected", "data"),
    Input("lang", "data"),
    State("url", "pathname"),
    State("url", "search"),
)


def banner_template(lang: str) -> str:
    """The database banner's text with a {detail} slot the browser fills with the page's problem."""
    return i18n.t("app.db_error", lang, detail="{detail}")


def create_error_store(page: str) -> dcc.Store:
    """Where a page's callbacks put a database problem; the shell shows it in the banner."""
    return dcc.Store(id={"type": "db-error", "page": page})


def create_navigation_store(page: str) -> dcc.Store:
    """Where a page's cross-filter callbacks (a click narrows the view) put the query string to
    go to; the shell moves it into the URL. The callbacks' output lives in the page beside their
    inputs: were it the URL itself, in the shell, Dash would call them as the page appears
    (prevent_initial_call cannot hold when only the inputs are new) and every figure of the
    page, listening to the URL, would wait for that round trip."""
    return dcc.Store(id={"type": "go-to", "page": page})


def navigation_target(page: str):
    """The Output a page's cross-filter callback writes the new query string to."""
    return Output({"type": "go-to", "page": page}, "data")


clientside_callback(
    """
    function(_targets) {
        const chosen = (window.dash_clientside.callback_context.triggered || []).find(t => t.value);
        return chosen ? chosen.value : window.dash_clientside.no_update;
    }
    """,
    Output("url", "search", allow_duplicate=True),
    Input({"type": "go-to", "page": ALL}, "data"),
    prevent_initial_call=True,
)


def database_problem(page: str):
    """The Output a page callback writes its DataSourceError message to (None when all is well)."""
    return Output({"type": "db-error", "page": page}, "data")


# In the browser: no round trip after every page update just to keep the banner closed.
clientside_callback(
    """
    function(problems, template) {
        const problem = (problems || []).find(p => p);
        return problem ? [template.replace('{detail}', problem), true] : ['', false];
    }
    """,
    Output("db-alert", "children", allow_duplicate=True),
    Output("db-alert", "is_open", allow_duplicate=True),
    Input({"type": "db-error", "page": ALL}, "data"),
    State("db-error-template", "data"),
    prevent_initial_call=True,
)

clientside_callback(
    "function(alertOpen) { return !alertOpen; }",
    Output("db-retry", "disabled"),
    Input("db-alert", "is_open"),
)


@callback(Output("db-recovered", "data"), Input("db-retry", "n_intervals"), prevent_initial_call=True)
def check_database(_n):
    return services().database_is_up()


clientside_callback(
    "function(up) { if (up) { window.location.reload(); } return window.dash_clientside.no_update; }",
    Output("db-recovered", "id"),
    Input("db-recovered", "data"),
    prevent_initial_call=True,
)
