"""The ticket list as people read it: column headers in their language, coded values by name,
durations and times formatted, for the grid (display strings) and the exports (typed values).
Pure: a frame from data_access.ticket_lists and a language in."""
from __future__ import annotations

import math

import pandas as pd

from data_access.ticket_lists import SORTABLE, TICKET_LIST_COLUMNS

from . import i18n

# Coded columns and the catalogue group naming their values (common.toml).
CODED = {"service_area": "area", "request_type": "type", "channel": "channel", "priority": "priority",
         "severity": "severity", "status": "status", "escalation_level": "level"}
# Clicking one of these cells narrows the view to the ticket's value (the filter of urlstate.View).
CROSS_FILTERS = {"estate_name": "estates", "city": "estates", "service_area": "areas", "request_type": "request_types",
                 "channel": "channels"}
DECIMAL_COLUMNS = ("first_response_minutes", "resolution_hours")
RIGHT_ALIGNED = (*DECIMAL_COLUMNS, "reopened_count")
# Grid widths in pixels (the summary takes what is left).
GRID_WIDTHS = {"ticket_id": 105, "estate_name": 110, "city": 75, "created_at": 150, "service_area": 105,
               "request_type": 135, "channel": 125, "priority": 85, "severity": 115, "status": 110,
               "first_response_minutes": 110, "resolution_hours": 110, "escalation_level": 150, "reopened_count": 95,
               "owner_name": 90, "owner_phone": 125, "room": 75, "summary": 260}


def header(column: str, lang: str) -> str:
    return i18n.t(f"tickets.col_{column}", lang)


def _names(group: str, lang: str) -> dict:
    prefix = group + "."
    lang = i18n.normalise_language(lang)
    names = {key[len(prefix):]: texts[lang] for key, texts in i18n.catalogue().items() if key.startswith(prefix)}
    return {int(code): name for code, name in names.items()} if group == "level" else names


def translated(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Codes replaced by their names in `lang`. An unknown code stays as stored; a complaint without a
    severity reads "unclassified" (as in METRICS.md); other tickets have no severity at all."""
    frame = frame.copy()
    unclassified = (frame["request_type"] == "complaint") & frame["severity"].isna()
    for column, group in CODED.items():
        codes = frame[column].astype(object).where(frame[column].notna(), None)
        names = codes.map(_names(group, lang))
        frame[column] = names.where(names.notna(), codes).astype(object)
    frame.loc[unclassified, "severity"] = i18n.t("severity.unclassified", lang)
    return frame


def _missing(value) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def grid_rows(frame: pd.DataFrame, lang: str) -> list[dict]:
    """Display strings for the grid, one dict per ticket; a missing duration shows as "—"."""
    shown = translated(frame, lang)
    rows = []
    for record in shown.to_dict("records"):
        row = {}
        for column in TICKET_LIST_COLUMNS:
            value = record.get(column)
            if column == "created_at":
                row[column] = i18n.MISSING if _missing(value) else i18n.datetime(pd.Timestamp(value).to_pydatetime(), lang)
            elif column in DECIMAL_COLUMNS:
                row[column] = i18n.number(None if _missing(value) else float(value), lang, 1)
            elif column == "reopened_count":
                row[column] = i18n.number(None if _missing(value) else int(value), lang)
            else:
                row[column] = "" if _missing(value) else str(value)
        rows.append(row)
    return rows


def column_defs(lang: str) -> list[dict]:
    """Grid columns: sortable exactly where the server can sort (data_access.ticket_lists.SORTABLE)."""
    defs = []
    for column in TICKET_LIST_COLUMNS:
        definition = {"field": column, "headerName": header(column, lang), "sortable": column in SORTABLE,
                      "width": GRID_WIDTHS[column], "headerTooltip": header(column, lang)}
        if column in RIGHT_ALIGNED:
            definition["type"] = "rightAligned"
        if column == "ticket_id":
            definition["pinned"] = "left"
        if column in CROSS_FILTERS:
            definition["cellClass"] = "tickets-narrow"
        if column == "summary":
            definition.update(flex=1, minWidth=GRID_WIDTHS[column], tooltipField="summary")
        defs.append(definition)
    return defs


def grid_locale(lang: str) -> dict:
    """AG Grid's own texts (loading, no rows) in the user's language."""
    return {"loadingOoo": i18n.t("app.loading", lang), "noRowsToShow": i18n.t("tickets.none", lang)}


def sort_model(request: dict | None) -> tuple[tuple[str, str], ...]:
    """The grid's sort model as a hashable, cache-friendly tuple; anything malformed is dropped
    (the whitelist in data_access decides what may reach SQL)."""
    model = (request or {}).get("sortModel") or []
    return tuple(
        (item["colId"], item["sort"]) for item in model
        if isinstance(item, dict) and isinstance(item.get("colId"), str) and item.get("sort") in ("asc", "desc")
    )


def as_sort_model(pairs) -> list[dict]:
    return [{"colId": column, "sort": direction} for column, direction in pairs]
