"""The headline figures of the weekly meeting: value, change against the comparison period
and a green/amber/red status against the configured targets. Pure: metrics dicts in.

Used alike by the Overview tiles and (later) the meeting pack, so both say the same.
"""
from __future__ import annotations

from dataclasses import dataclass

from data_access import Settings

from . import i18n

GOOD, WATCH, BAD = "good", "watch", "bad"


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    value: object  # the raw figure (None = no data)
    display: str
    detail: str  # a second line: a related figure
    delta: str  # change against the comparison period, formatted
    improved: bool | None  # None: no change or not comparable
    status: str | None  # good / watch / bad against target; None when not judged


def status_at_least(value, target: float, margin: float) -> str | None:
    if value is None:
        return None
    if value >= target:
        return GOOD
    return WATCH if value >= target - margin else BAD


def status_at_most(value, ceiling: float, margin: float) -> str | None:
    if value is None:
        return None
    if value <= ceiling:
        return GOOD
    return WATCH if value <= ceiling + margin else BAD


def _change(current, previous, lang: str, *, kind: str, higher_is_better: bool | None):
    """(formatted change, improved?) of one figure against the comparison period."""
    if current is None or previous is None:
        return i18n.t("delta.none", lang), None
    difference = current - previous
    if kind == "points":
        text = f"{difference:+.1f} " + ("pts" if lang == "en" else "个百分点")
    elif kind == "count":
        if previous == 0:
            text = f"{difference:+,}"
        else:
            text = f"{difference:+,} ({100.0 * difference / previous:+.0f}%)"
    elif kind == "minutes":
        text = f"{difference:+.1f} " + ("min" if lang == "en" else "分钟")
    else:  # score
        text = f"{difference:+.2f}"
    if difference == 0 or higher_is_better is None:
        return text, None
    return text, (difference > 0) == higher_is_better


def headlines(current: dict, comparison: dict, settings: Settings, lang: str) -> list[Headline]:
    margin = settings.amber_margin_pct
    target_minutes = current["first_response"]["target_minutes"]
    compare_label = i18n.t("overview.comparison_short", lang)

    def delta(path, kind, higher):
        def get(figures):
            value = figures
            for part in path:
                value = value[part]
            return value

        text, improved = _change(get(current), get(comparison), lang, kind=kind, higher_is_better=higher)
        if improved is None and text == i18n.t("delta.none", lang):
            return text, None
        return i18n.t("delta.vs", lang, delta=text, compare=compare_label), improved

    t, fr, res, esc, com, sat = (current[k] for k in ("tickets", "first_response", "resolution", "escalations", "complaints", "satisfaction"))
    major = com["by_severity"]["major"]
    overdue = com["overdue_30d"]
    complaint_status = None if com["total"] == 0 and major == 0 and overdue == 0 else (BAD if overdue else (WATCH if major else GOOD))
    items = [
        ("tickets", i18n.t("metric.tickets", lang), t["total"], i18n.number(t["total"], lang),
         f"{i18n.number(t['per_1000_households'], lang, 1)} {i18n.t('metric.per_1000_households', lang)}",
         delta(("tickets", "total"), "count", None), None),
        ("first_response_within_target", i18n.t("metric.within_target_pct", lang, target=f"{target_minutes:g}"),
         fr["within_target_pct"], i18n.percent(fr["within_target_pct"], lang),
         f"{i18n.t('metric.first_response_p90', lang)} {i18n.minutes(fr['p90_minutes'], lang)}",
         delta(("first_response", "within_target_pct"), "points", True),
         status_at_least(fr["within_target_pct"], settings.target_first_response_pct, margin)),
        ("first_response_median", i18n.t("metric.first_response_median", lang), fr["median_minutes"],
         i18n.minutes(fr["median_minutes"], lang),
         f"{fr['responded']:,} / {t['total']:,}",
         delta(("first_response", "median_minutes"), "minutes", False),
         status_at_most(fr["median_minutes"], target_minutes, 5.0)),
        ("within_sla", i18n.t("metric.within_sla_pct", lang), res["within_sla_pct"], i18n.percent(res["within_sla_pct"], lang),
         f"{i18n.t('metric.resolution_median', lang)} {i18n.hours(res['median_hours'], lang)}",
         delta(("resolution", "within_sla_pct"), "points", True),
         status_at_least(res["within_sla_pct"], settings.target_within_sla_pct, margin)),
        ("escalations", i18n.t("metric.escalations", lang), esc["total"], i18n.number(esc["total"], lang),
         f"{i18n.t('metric.escalation_rate', lang)} {i18n.percent(esc['rate_pct'], lang)}",
         delta(("escalations", "total"), "count", False),
         status_at_most(esc["rate_pct"], settings.ceiling_escalation_rate_pct, margin)),
        ("major_complaints", i18n.t("metric.major_complaints", lang), major, i18n.number(major, lang),
         f"{i18n.t('metric.overdue_complaints', lang)} {i18n.number(overdue, lang)}",
         delta(("complaints", "by_severity", "major"), "count", False), complaint_status),
        ("csat", i18n.t("metric.csat_pct", lang), sat["csat_pct"], i18n.percent(sat["csat_pct"], lang),
         f"{i18n.t('metric.responses', lang)} {i18n.number(sat['responses'], lang)}",
         delta(("satisfaction", "csat_pct"), "points", True),
         status_at_least(sat["csat_pct"], settings.target_csat_pct, margin)),
        ("mean_score", i18n.t("metric.mean_score", lang), sat["mean_score"], i18n.number(sat["mean_score"], lang, 2),
         "1–5", delta(("satisfaction", "mean_score"), "score", True), None),
        ("follow_up_coverage", i18n.t("metric.follow_up_coverage", lang), sat["follow_up_coverage_pct"],
         i18n.percent(sat["follow_up_coverage_pct"], lang),
         f"{i18n.t('metric.open', lang)} {i18n.number(t['open'], lang)}",
         delta(("satisfaction", "follow_up_coverage_pct"), "points", True),
         status_at_least(sat["follow_up_coverage_pct"], settings.target_follow_up_coverage_pct, margin)),
    ]
    return [
        Headline(key=key, label=label, value=value, display=display, detail=detail, delta=d[0], improved=d[1], status=status)
        for key, label, value, display, detail, d, status in items
    ]
