"""What a report says, in one language, independent of its file format: the title block, the
headline figures (the Overview's own `headlines`, so tiles and report agree) and sections of
typed tables. The PDF formats each cell for reading; the XLSX writes the same values as numbers,
dates and percentages for pivoting."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from data_access import Settings
from data_access.privacy import mask_numbers_in_text
from data_access.report import MONTHLY, WEEKLY, ReportData
from data_access.schema import ESCALATION_LEVELS, SATISFACTION_DIMENSIONS, SERVICE_AREAS, SEVERITIES

from .. import i18n
from ..attention import estates_needing_attention
from ..headlines import Headline, headlines

# Column kinds: how a value is shown in the PDF and typed in the XLSX.
TEXT, INT, PCT, NUM1, NUM2, POINTS, COUNT_CHANGE, DATE, DATETIME = (
    "text", "int", "pct", "num1", "num2", "points", "count_change", "date", "datetime",
)

# Headline key -> the trend column that follows it week by week.
TREND_OF_HEADLINE = {
    "tickets": "tickets",
    "first_response_within_target": "within_target_pct",
    "first_response_median": "response_median",
    "within_sla": "within_sla_pct",
    "escalations": "escalations",
    "major_complaints": "severity_major",
    "csat": "csat_pct",
    "mean_score": "mean_score",
    "follow_up_coverage": "follow_up_coverage_pct",
}


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = TEXT
    width: int | None = None  # XLSX width in characters (None: from the header and values)


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[list]
    empty_text: str = ""
    note: str = ""
    # Per row, kinds that override the columns' (a table of figures in different units).
    row_kinds: list[dict[str, str]] | None = None

    def kind(self, row_index: int, column: Column) -> str:
        if self.row_kinds is None:
            return column.kind
        return self.row_kinds[row_index].get(column.key, column.kind)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=[c.key for c in self.columns])


@dataclass
class Section:
    key: str
    title: str
    tables: list[Table]
    charts: list[str] = field(default_factory=list)  # chart keys (see charts.py), drawn beside the tables
    note: str = ""


@dataclass
class Report:
    lang: str
    title: str
    subtitle: str
    period_text: str
    compare_text: str
    facts: list[tuple[str, str]]  # (label, value) lines of the title block: filters, data as of, generated
    headlines: list[Headline]
    sparklines: dict[str, list]  # headline key -> values over the trend periods (None = no data)
    trend_labels: list[str]
    no_data_text: str | None
    sections: list[Section]
    file_stem: str
    data: ReportData
    settings: Settings


def _t(key: str, lang: str, **values) -> str:
    return i18n.t(key, lang, **values)


def period_text(data: ReportData, lang: str) -> str:
    period = data.period
    dates = i18n.date_range(period.start, period.end, lang)
    if period.kind == WEEKLY:
        year, week, _ = period.start.isocalendar()
        return _t("report.period_week", lang, year=year, week=week, dates=dates)
    if period.kind == MONTHLY:
        month = f"{period.start.year}年{period.start.month}月" if lang == "zh" else period.start.strftime("%B %Y")
        return _t("report.period_month", lang, month=month, dates=dates)
    return dates


def trend_label(start: dt.date, unit: str, lang: str) -> str:
    if unit == "month":
        return f"{start.year}年{start.month}月" if lang == "zh" else start.strftime("%b %Y")
    return _t("report.week_short", lang, week=start.isocalendar()[1])


def _names(codes, group: str, lang: str) -> str:
    return ", ".join(i18n.label(group, c, lang) for c in sorted(codes)) if lang == "en" else "、".join(i18n.label(group, c, lang) for c in sorted(codes))


def _facts(data: ReportData, lang: str, now: dt.datetime) -> list[tuple[str, str]]:
    filters = data.filters
    sep = "、" if lang == "zh" else ", "
    if filters.estates:
        names = [f"{r.name}" for r in data.estates.itertuples()]
        estates = sep.join(names) if len(names) <= 12 else _t("report.estates_many", lang, count=i18n.number(len(names), lang), first=sep.join(names[:8]))
    else:
        estates = _t("report.all_estates", lang, count=i18n.number(len(data.estates), lang))
    facts = [
        (_t("report.fact_period", lang), period_text(data, lang)),
        (_t("report.fact_compare", lang), i18n.date_range(data.comparison_filters.start, data.comparison_filters.end, lang)),
        (_t("filter.estates", lang), estates),
        (_t("filter.areas", lang), sep.join(i18n.area(a, lang) for a in SERVICE_AREAS if a in filters.areas) if filters.areas else _t("filter.all", lang)),
    ]
    if filters.request_types:
        facts.append((_t("filter.types", lang), _names(filters.request_types, "type", lang)))
    if filters.channels:
        facts.append((_t("filter.channels", lang), _names(filters.channels, "channel", lang)))
    facts.append((_t("report.fact_data_as_of", lang), i18n.datetime(data.data_as_of, lang) if data.data_as_of else _t("report.no_tickets_at_all", lang)))
    facts.append((_t("report.fact_generated", lang), i18n.datetime(now, lang)))
    facts.append((_t("report.fact_privacy", lang), _t("report.privacy_full" if data.personal_data else "report.privacy_masked", lang)))
    return facts


def _area_table(data: ReportData, lang: str) -> Table:
    target = f"{data.current['first_response']['target_minutes']:g}"
    columns = [
        Column("area", _t("report.col_area", lang)),
        Column("tickets", _t("metric.tickets", lang), INT),
        Column("tickets_previous", _t("report.col_previous", lang, figure=_t("metric.tickets", lang)), INT),
        Column("first_response_median", _t("report.col_reply_median", lang), NUM1),
        Column("within_target", _t("metric.within_target_pct", lang, target=target), PCT),
        Column("resolution_median", _t("report.col_resolution_median", lang), NUM1),
        Column("within_sla", _t("metric.within_sla_pct", lang), PCT),
        Column("escalations", _t("metric.escalations", lang), INT),
        Column("responses", _t("metric.responses", lang), INT),
        Column("csat", _t("metric.csat_pct", lang), PCT),
        Column("mean_score", _t("metric.mean_score", lang), NUM2),
    ]
    rows = []
    for area in SERVICE_AREAS:
        f, p = data.current["by_area"][area], data.previous["by_area"][area]
        rows.append([
            i18n.area(area, lang), f["tickets"], p["tickets"], f["first_response_median_minutes"],
            f["first_response_within_target_pct"], f["resolution_median_hours"], f["within_sla_pct"], f["escalations"],
            f["responses"], f["csat_pct"], f["mean_score"],
        ])
    c, fr, res = data.current, data.current["first_response"], data.current["resolution"]
    sat = c["satisfaction"]
    rows.append([
        _t("report.all_areas", lang), c["tickets"]["total"], data.previous["tickets"]["total"], fr["median_minutes"],
        fr["within_target_pct"], res["median_hours"], res["within_sla_pct"], c["escalations"]["total"],
        sat["responses"], sat["csat_pct"], sat["mean_score"],
    ])
    return Table("by_area", _t("report.by_area", lang), columns, rows, note=_t("report.by_area_note", lang))


def _escalation_tables(data: ReportData, lang: str) -> list[Table]:
    current, previous = data.current["escalations"], data.previous["escalations"]
    columns = [
        Column("level", _t("report.col_level", lang)),
        Column("current", _t("report.col_this_period", lang), INT),
        Column("previous", _t("report.col_previous_period", lang), INT),
        Column("change", _t("report.col_change", lang), COUNT_CHANGE),
    ]
    rows = []
    for level in ESCALATION_LEVELS:
        now, before = current["by_level"][str(level)], previous["by_level"][str(level)]
        rows.append([i18n.label("level", level, lang), now, before, now - before])
    rows.append([_t("report.all_levels", lang), current["total"], previous["total"], current["total"] - previous["total"]])
    levels = Table("escalation_levels", _t("report.escalation_levels", lang), columns, rows,
                   note=_t("report.escalation_rate_note", lang, rate=i18n.percent(current["rate_pct"], lang),
                           previous=i18n.percent(previous["rate_pct"], lang)))
    by_area = data.escalations_by_area.set_index("service_area") if len(data.escalations_by_area) else pd.DataFrame()
    area_columns = [Column("area", _t("report.col_area", lang)), Column("tickets", _t("metric.tickets", lang), INT)]
    area_columns += [Column(f"level_{n}", i18n.label("level", n, lang), INT) for n in ESCALATION_LEVELS]
    area_columns += [Column("escalations", _t("metric.escalations", lang), INT), Column("rate", _t("metric.escalation_rate", lang), PCT)]
    area_rows = []
    for area in SERVICE_AREAS:
        if area in by_area.index:
            r = by_area.loc[area]
            area_rows.append([i18n.area(area, lang), int(r["tickets"]), *[int(r[f"level_{n}"]) for n in ESCALATION_LEVELS],
                              int(r["escalations"]), _num(r["escalation_rate_pct"])])
        else:
            area_rows.append([i18n.area(area, lang), 0, 0, 0, 0, 0, None])
    return [levels, Table("escalations_by_area", _t("report.escalations_by_area", lang), area_columns, area_rows)]


def _num(value):
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return float(value)


def _watchlist_table(data: ReportData, lang: str) -> Table:
    columns = [
        Column("ticket", _t("overview.ticket", lang), TEXT, 12),
        Column("received", _t("report.col_received", lang), DATETIME, 16),
        Column("estate", _t("report.col_estate", lang), TEXT, 14),
        Column("area", _t("report.col_area", lang), TEXT, 9),
        Column("severity", _t("overview.severity", lang), TEXT, 8),
        Column("status", _t("report.col_status", lang), TEXT, 8),
        Column("level", _t("report.col_level", lang), TEXT, 12),
        Column("days_open", _t("overview.days_open", lang), INT, 8),
        Column("owner", _t("overview.owner", lang), TEXT, 8),
        Column("summary", _t("report.col_summary", lang), TEXT, 40),
    ]
    rows = []
    for r in data.watchlist.itertuples():
        severity = r.severity if r.severity in SEVERITIES else "unclassified"
        level = int(r.escalation_level) if r.escalation_level is not None and not pd.isna(r.escalation_level) else 0
        summary = r.summary or ""
        rows.append([
            r.ticket_id, r.created_at.to_pydatetime() if not pd.isna(r.created_at) else None, r.estate_name or r.estate_id,
            i18n.area(r.service_area, lang) if r.service_area in SERVICE_AREAS else (r.service_area or ""),
            i18n.label("severity", severity, lang),
            i18n.label("status", r.status, lang) if r.status in ("open", "in_progress", "resolved", "closed") else (r.status or ""),
            i18n.label("level", level, lang) if level in (0, 1, 2, 3) else str(level),
            round(float(r.days_open)) if not pd.isna(r.days_open) else None,
            r.owner_name or "",
            summary if data.personal_data else mask_numbers_in_text(summary),
        ])
    shown, total = len(rows), data.watchlist_total
    note = _t("report.watchlist_more", lang, shown=i18n.number(shown, lang), total=i18n.number(total, lang)) if total > shown else ""
    return Table("watchlist", _t("overview.watchlist", lang), columns, rows, empty_text=_t("overview.watchlist_none", lang), note=note)


def _attention_table(data: ReportData, settings: Settings, lang: str) -> Table:
    frame = estates_needing_attention(data.league, settings)
    sep = "、" if lang == "zh" else ", "
    columns = [
        Column("estate", _t("report.col_estate", lang), TEXT, 16),
        Column("city", _t("report.col_city", lang), TEXT, 8),
        Column("tickets", _t("metric.tickets", lang), INT),
        Column("within_sla", _t("metric.within_sla_pct", lang), PCT),
        Column("csat", _t("metric.csat_pct", lang), PCT),
        Column("escalation_rate", _t("metric.escalation_rate", lang), PCT),
        Column("reasons", _t("overview.reasons", lang), TEXT, 24),
    ]
    rows = [
        [r.name, r.city, int(r.tickets), _num(r.within_sla_pct), _num(r.csat_pct), _num(r.escalation_rate_pct),
         sep.join(_t(f"overview.reason_{x}", lang) for x in r.reasons)]
        for r in frame.itertuples()
    ]
    note = _t("report.attention_note", lang, min_tickets=i18n.number(settings.attention_min_tickets, lang),
              sla=i18n.percent(settings.target_within_sla_pct - settings.amber_margin_pct, lang, 0),
              csat=i18n.percent(settings.target_csat_pct - settings.amber_margin_pct, lang, 0),
              escalation=i18n.percent(settings.ceiling_escalation_rate_pct + settings.amber_margin_pct, lang, 0))
    return Table("attention", _t("overview.attention", lang), columns, rows, empty_text=_t("overview.attention_none", lang), note=note)


def _satisfaction_table(data: ReportData, lang: str) -> Table:
    columns = [
        Column("area", _t("report.col_area", lang)),
        Column("responses", _t("metric.responses", lang), INT),
        Column("csat", _t("metric.csat_pct", lang), PCT),
        Column("mean_score", _t("metric.mean_score", lang), NUM2),
        *[Column(d, _t(f"dimension.{d}", lang), NUM2) for d in SATISFACTION_DIMENSIONS],
    ]
    by_area = data.satisfaction_by_area.set_index("service_area") if len(data.satisfaction_by_area) else pd.DataFrame()

    def row(name, r):
        if r is None:
            return [name, 0, None, None, *[None for _ in SATISFACTION_DIMENSIONS]]
        return [name, int(r["responses"]), _num(r["csat_pct"]), _num(r["mean_score"]), *[_num(r[f"{d}_mean"]) for d in SATISFACTION_DIMENSIONS]]

    rows = [row(i18n.area(a, lang), by_area.loc[a] if a in by_area.index else None) for a in SERVICE_AREAS]
    rows.append(row(_t("report.all_areas", lang), data.satisfaction_total.iloc[0]))
    coverage = data.current["satisfaction"]["follow_up_coverage_pct"]
    note = _t("report.satisfaction_note", lang, coverage=i18n.percent(coverage, lang))
    return Table("satisfaction", _t("report.satisfaction_by_area", lang), columns, rows, note=note)


def _trend_table(data: ReportData, lang: str) -> Table:
    target = f"{data.current['first_response']['target_minutes']:g}"
    columns = [
        Column("period", _t("report.col_trend_period", lang), TEXT, 14),
        Column("start", _t("report.col_from", lang), DATE, 11),
        Column("end", _t("report.col_to", lang), DATE, 11),
        Column("tickets", _t("metric.tickets", lang), INT),
        Column("within_target_pct", _t("metric.within_target_pct", lang, target=target), PCT),
        Column("response_median", _t("report.col_reply_median", lang), NUM1),
        Column("within_sla_pct", _t("metric.within_sla_pct", lang), PCT),
        Column("escalations", _t("metric.escalations", lang), INT),
        Column("escalation_rate_pct", _t("metric.escalation_rate", lang), PCT),
        Column("severity_major", _t("metric.major_complaints", lang), INT),
        Column("csat_pct", _t("metric.csat_pct", lang), PCT),
        Column("mean_score", _t("metric.mean_score", lang), NUM2),
        Column("follow_up_coverage_pct", _t("metric.follow_up_coverage", lang), PCT),
    ]
    rows = []
    for r in data.trend.to_dict("records"):
        rows.append([trend_label(r["start"], data.trend_unit, lang), r["start"], r["end"], *[r[c.key] for c in columns[3:]]])
    key = "report.trend_months" if data.trend_unit == "month" else "report.trend_weeks"
    return Table("trend", _t(key, lang, count=len(rows)), columns, rows, note=_t("report.trend_note", lang))


def _annotation_table(data: ReportData, lang: str) -> Table:
    names = dict(zip(data.estates["estate_id"], data.estates["name"])) if len(data.estates) else {}
    sep = "、" if lang == "zh" else ", "
    columns = [
        Column("start", _t("report.col_from", lang), DATE, 11),
        Column("end", _t("report.col_to", lang), DATE, 11),
        Column("label", _t("report.col_event", lang), TEXT, 20),
        Column("estates", _t("report.col_estates", lang), TEXT, 24),
        Column("note", _t("report.col_note", lang), TEXT, 50),
    ]
    rows = [
        [a.start, a.end, a.label, sep.join(names.get(e, e) for e in a.estates) if a.estates else _t("report.group_wide", lang), a.note]
        for a in data.annotations
    ]
    return Table("annotations", _t("report.annotations", lang), columns, rows, empty_text=_t("report.annotations_none", lang))


# --- monthly complaint analysis --------------------------------------------------------
def _complaint_causes(data: ReportData, lang: str) -> Table:
    columns = [Column("area", _t("report.col_area", lang))]
    columns += [Column(f"severity_{s}", i18n.label("severity", s, lang), INT) for s in (*SEVERITIES, "unclassified")]
    columns += [
        Column("complaints", _t("report.col_complaints_month", lang), INT),
        Column("share", _t("report.col_share", lang), PCT),
        Column("complaints_previous", _t("report.col_previous_month", lang), INT),
        Column("change", _t("report.col_change", lang), COUNT_CHANGE),
    ]
    current = data.escalations_by_area.set_index("service_area") if len(data.escalations_by_area) else pd.DataFrame()
    previous = data.complaints_previous_by_area
    previous = previous.set_index("service_area") if previous is not None and len(previous) else pd.DataFrame()
    total = int(data.current["complaints"]["total"])
    rows = []
    for area in SERVICE_AREAS:
        r = current.loc[area] if area in current.index else None
        counts = [int(r[f"severity_{s}"]) if r is not None else 0 for s in (*SEVERITIES, "unclassified")]
        now = int(r["complaints"]) if r is not None else 0
        before = int(previous.loc[area, "complaints"]) if area in previous.index else 0
        rows.append([i18n.area(area, lang), *counts, now, (100.0 * now / total) if total else None, before, now - before])
    by_severity = data.current["complaints"]["by_severity"]
    before_total = int(data.previous["complaints"]["total"])
    rows.append([_t("report.all_areas", lang), *[by_severity[s] for s in (*SEVERITIES, "unclassified")], total,
                 100.0 if total else None, before_total, total - before_total])
    return Table("complaint_causes", _t("report.complaint_causes", lang), columns, rows,
                 note=_t("report.overdue_note", lang, overdue=i18n.number(data.current["complaints"]["overdue_30d"], lang)))


def _month_against_month(data: ReportData, lang: str) -> Table:
    target = f"{data.current['first_response']['target_minutes']:g}"
    columns = [
        Column("figure", _t("report.col_figure", lang), TEXT, 28),
        Column("current", _t("report.col_this_month", lang), NUM2),
        Column("previous", _t("report.col_previous_month", lang), NUM2),
        Column("change", _t("report.col_change", lang), NUM2),
        Column("unit", _t("report.col_unit", lang), TEXT, 8),
    ]
    c, p = data.current, data.previous
    figures = [
        ("metric.tickets", ("tickets", "total"), "count"),
        ("metric.complaints", ("complaints", "total"), "count"),
        ("metric.major_complaints", ("complaints", "by_severity", "major"), "count"),
        ("metric.overdue_complaints", ("complaints", "overdue_30d"), "count"),
        ("metric.within_target_pct", ("first_response", "within_target_pct"), "pct"),
        ("metric.first_response_median", ("first_response", "median_minutes"), "minutes"),
        ("metric.within_sla_pct", ("resolution", "within_sla_pct"), "pct"),
        ("metric.resolution_median", ("resolution", "median_hours"), "hours"),
        ("metric.escalations", ("escalations", "total"), "count"),
        ("metric.escalation_rate", ("escalations", "rate_pct"), "pct"),
        ("metric.csat_pct", ("satisfaction", "csat_pct"), "pct"),
        ("metric.mean_score", ("satisfaction", "mean_score"), "score"),
        ("metric.follow_up_coverage", ("satisfaction", "follow_up_coverage_pct"), "pct"),
    ]

    def get(figures_dict, path):
        value = figures_dict
        for part in path:
            value = value[part]
        return value

    kinds = {"count": (INT, COUNT_CHANGE), "pct": (PCT, POINTS), "minutes": (NUM1, NUM1), "hours": (NUM1, NUM1), "score": (NUM2, NUM2)}
    rows, row_kinds = [], []
    for key, path, unit in figures:
        now, before = get(c, path), get(p, path)
        change = None if now is None or before is None else now - before
        rows.append([_t(key, lang, target=target), now, before, change, _t(f"report.unit_{unit}", lang)])
        value_kind, change_kind = kinds[unit]
        row_kinds.append({"current": value_kind, "previous": value_kind, "change": change_kind})
    return Table("month_against_month", _t("report.month_against_month", lang), columns, rows, row_kinds=row_kinds)


def _within_rules(data: ReportData, lang: str) -> Table:
    target = f"{data.current['first_response']['target_minutes']:g}"
    columns = [
        Column("scope", _t("report.col_selection", lang), TEXT, 14),
        Column("area", _t("report.col_area", lang), TEXT, 10),
        Column("tickets", _t("metric.tickets", lang), INT),
        Column("within_target", _t("metric.within_target_pct", lang, target=target), PCT),
        Column("within_target_previous", _t("report.col_previous", lang, figure=_t("report.short_within_target", lang)), PCT),
        Column("within_sla", _t("metric.within_sla_pct", lang), PCT),
        Column("within_sla_previous", _t("report.col_previous", lang, figure=_t("report.short_within_sla", lang)), PCT),
    ]
    rows = []
    for label_key, now, before in (("report.scope_all", data.current, data.previous),
                                   ("report.scope_complaints", data.complaints_current, data.complaints_previous)):
        if now is None:
            continue
        label = _t(label_key, lang)
        rows.append([label, _t("report.all_areas", lang), now["tickets"]["total"], now["first_response"]["within_target_pct"],
                     before["first_response"]["within_target_pct"], now["resolution"]["within_sla_pct"],
                     before["resolution"]["within_sla_pct"]])
        for area in SERVICE_AREAS:
            f, b = now["by_area"][area], before["by_area"][area]
            rows.append([label, i18n.area(area, lang), f["tickets"], f["first_response_within_target_pct"],
                         b["first_response_within_target_pct"], f["within_sla_pct"], b["within_sla_pct"]])
    return Table("within_rules", _t("report.within_rules", lang), columns, rows,
                 note=_t("report.within_rules_note", lang, target=target))


# --- the whole report -------------------------------------------------------------------
def file_stem(data: ReportData) -> str:
    kind = "complaints" if data.monthly else "pack"
    return f"estate-{kind}-{data.period.label}"


def build_report(data: ReportData, settings: Settings, lang: str, *, now: dt.datetime | None = None) -> Report:
    lang = i18n.normalise_language(lang)
    now = now or dt.datetime.now().replace(second=0, microsecond=0)
    title_key = "report.title_month" if data.monthly else "report.title_week"
    sparklines = {key: [(_num(v) if v is not None else None) for v in data.trend[column]] if len(data.trend) else []
                  for key, column in TREND_OF_HEADLINE.items()}
    trend_labels = [trend_label(s, data.trend_unit, lang) for s in data.trend["start"]] if len(data.trend) else []
    sections = [
        Section("areas", _t("report.section_areas", lang), [_area_table(data, lang)]),
        Section("trend", _t("report.section_trend", lang), [_trend_table(data, lang), _annotation_table(data, lang)],
                charts=["trend", "area_tickets"]),
        Section("escalations", _t("report.section_escalations", lang), _escalation_tables(data, lang), charts=["escalations_by_area"]),
        Section("complaints", _t("report.section_complaints", lang), [_watchlist_table(data, lang)]),
        Section("attention", _t("report.section_attention", lang), [_attention_table(data, settings, lang)]),
        Section("satisfaction", _t("report.section_satisfaction", lang), [_satisfaction_table(data, lang)], charts=["dimensions"]),
    ]
    if data.monthly:  # the complaint analysis is what the monthly report is for: it comes first
        sections[0:0] = [
            Section("complaint_causes", _t("report.section_complaint_causes", lang), [_complaint_causes(data, lang)], charts=["complaint_causes"]),
            Section("month_against_month", _t("report.section_month", lang), [_month_against_month(data, lang), _within_rules(data, lang)]),
        ]
    if not data.has_data:  # nothing to tabulate: the trend still shows the weeks before, and the events
        sections = [s for s in sections if s.key == "trend"]
    return Report(
        lang=lang,
        title=_t(title_key, lang),
        subtitle=_t("app.subtitle", lang),
        period_text=period_text(data, lang),
        compare_text=_t("report.compared_with", lang, compare=i18n.date_range(data.comparison_filters.start, data.comparison_filters.end, lang)),
        facts=_facts(data, lang, now),
        headlines=headlines(data.current, data.previous, settings, lang),
        sparklines=sparklines,
        trend_labels=trend_labels,
        no_data_text=None if data.has_data else _t("report.no_data", lang, period=period_text(data, lang)),
        sections=sections,
        file_stem=file_stem(data),
        data=data,
        settings=settings,
    )
