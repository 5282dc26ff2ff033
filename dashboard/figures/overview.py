"""Overview charts: tickets and headline figures per service area against the comparison period."""
from __future__ import annotations

import plotly.graph_objects as go

from data_access.schema import SERVICE_AREAS

from .. import i18n
from .common import AREA_COLOURS, COMPARISON_COLOUR, base_layout, empty_figure

AREA_CHART_HEIGHT = 300


def area_tickets(current: dict, comparison: dict, lang: str, *, titled: bool = False) -> go.Figure:
    """Tickets per service area, this period beside the comparison period. Click a bar to filter."""
    title = i18n.t("overview.chart_area_tickets", lang) if titled else None
    counts = [current["by_area"][a]["tickets"] for a in SERVICE_AREAS]
    if sum(counts) == 0:
        return empty_figure(lang, title=title, height=AREA_CHART_HEIGHT)
    labels = [i18n.area(a, lang) for a in SERVICE_AREAS]
    previous = [comparison["by_area"][a]["tickets"] for a in SERVICE_AREAS]
    fig = go.Figure()
    fig.add_bar(
        x=labels, y=previous, name=i18n.t("overview.comparison_period", lang), marker_color=COMPARISON_COLOUR,
        customdata=list(SERVICE_AREAS), hovertemplate="%{x}: %{y:,}<extra></extra>",
    )
    fig.add_bar(
        x=labels, y=counts, name=i18n.t("overview.this_period", lang),
        marker_color=[AREA_COLOURS[a] for a in SERVICE_AREAS],
        customdata=list(SERVICE_AREAS), hovertemplate="%{x}: %{y:,}<extra></extra>",
    )
    fig.update_layout(barmode="group", bargap=0.25)
    return base_layout(fig, title=title, height=AREA_CHART_HEIGHT)
