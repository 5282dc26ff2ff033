"""Overview charts: tickets and headline figures per service area against the comparison period."""
from __future__ import annotations

import plotly.graph_objects as go

from data_access.schema import SERVICE_AREAS

from .. import i18n
from .common import AREA_COLOURS, COMPARISON_COLOUR, chart, empty_figure

AREA_CHART_HEIGHT = 300


def area_tickets(current: dict, comparison: dict, lang: str, *, titled: bool = False) -> go.Figure:
    """Tickets per service area, this period beside the comparison period. Click a bar to filter."""
    title = i18n.t("overview.chart_area_tickets", lang) if titled else None
    counts = [current["by_area"][a]["tickets"] for a in SERVICE_AREAS]
    if sum(counts) == 0:
        return empty_figure(lang, title=title, height=AREA_CHART_HEIGHT)
    labels = [i18n.area(a, lang) for a in SERVICE_AREAS]
    previous = [comparison["by_area"][a]["tickets"] for a in SERVICE_AREAS]
    # Both periods' bars: one per area, its code the click's customdata.
    per_area = {
        "type": "bar", "x": labels, "customdata": list(SERVICE_AREAS), "hovertemplate": "%{x}: %{y:,}<extra></extra>",
    }
    bars = [
        {**per_area, "y": previous, "name": i18n.t("overview.comparison_period", lang),
         "marker": {"color": COMPARISON_COLOUR}},
        {**per_area, "y": counts, "name": i18n.t("overview.this_period", lang),
         "marker": {"color": [AREA_COLOURS[a] for a in SERVICE_AREAS]}},
    ]
    return chart(bars, {"barmode": "group", "bargap": 0.25}, title=title, height=AREA_CHART_HEIGHT)
