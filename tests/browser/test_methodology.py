"""How numbers are computed: every definition of METRICS.md in both languages, with the values this
installation is configured with, read from the settings (not copied into the text)."""
from __future__ import annotations

import datetime as dt

import pytest
from conftest import screenshot, wait_for_dash

from data_access import Settings
from data_access.schema import REQUEST_TYPES

FIGURE_KEYS = ("tickets.total", "tickets.by_type", "tickets.open", "tickets.per_1000_households", "first_response.responded",
               "first_response.median_minutes", "first_response.target_minutes", "first_response.within_target_pct",
               "resolution.resolved", "resolution.median_hours", "resolution.within_sla_pct", "escalations.total",
               "escalations.rate_pct", "escalations.by_level", "complaints.total", "complaints.by_severity",
               "complaints.overdue_30d", "satisfaction.responses", "satisfaction.mean_score", "satisfaction.csat_pct",
               "satisfaction.dimensions", "satisfaction.follow_up_coverage_pct")


def test_methodology_in_english(page, dashboard_url):
    page.goto(dashboard_url + "/methodology")
    wait_for_dash(page)
    page.wait_for_selector("#methodology-targets-table")
    assert page.text_content("#nav-methodology") == "How numbers are computed"  # inside the "More" menu
    text = page.inner_text(".page-methodology")
    for key in FIGURE_KEYS:
        assert key in text, key
    for phrase in ("Cancelled tickets are left out of every figure", "treated as missing", "only follow-up surveys of matching tickets",
                   "every ratio, mean and percentile is \"—\"", "linear interpolation", "Open major and overdue complaints",
                   "Estates needing attention", "For each of the five service areas"):
        assert phrase in text, phrase
    # The configured values (the test server runs on the defaults).
    assert page.inner_text("#methodology-value-first_response_target_minutes") == "15 min"
    assert page.inner_text("#methodology-value-target_within_sla_pct") == "90%"
    assert page.inner_text("#methodology-value-target_csat_pct") == "85%"
    assert page.inner_text("#methodology-value-ceiling_escalation_rate_pct") == "5%"
    assert page.inner_text("#methodology-value-attention_min_tickets") == "30 tickets"
    assert page.inner_text("#methodology-sla-repair-urgent") == "4 h"
    assert page.inner_text("#methodology-sla-suggestion-normal") == "168 h"
    rule = page.inner_text("#methodology-rule-attention")
    assert "at least 30 tickets" in rule and "below 85%" in rule and "below 80%" in rule and "above 10%" in rule
    screenshot(page, "methodology-en")


def test_methodology_in_chinese(page_zh, dashboard_url):
    page_zh.goto(dashboard_url + "/methodology")
    wait_for_dash(page_zh)
    page_zh.wait_for_selector("#methodology-targets-table")
    text = page_zh.inner_text(".page-methodology")
    assert "指标口径" in text and "已取消的工单不计入任何指标" in text and "线性插值" in text
    assert "时限内解决率" in text and "需关注的项目" in text and "未结重大投诉及超期投诉" in text
    assert page_zh.inner_text("#methodology-value-first_response_target_minutes") == "15 分钟"
    assert page_zh.inner_text("#methodology-value-complaint_overdue_days") == "30 天"
    assert page_zh.inner_text("#methodology-sla-complaint-urgent") == "24 小时"
    assert "Resolved within SLA" not in text and "Cancelled" not in text
    screenshot(page_zh, "methodology-zh")


def test_language_switch_changes_the_text(page, dashboard_url):
    page.goto(dashboard_url + "/methodology")
    wait_for_dash(page)
    page.click("#language-switch")
    page.wait_for_function("() => document.querySelector('#nav-methodology') && document.querySelector('#nav-methodology').textContent === '指标口径'")
    wait_for_dash(page)
    assert page.inner_text("#methodology-value-target_csat_pct") == "85%"
    assert "满意率" in page.inner_text("#methodology-targets")


CONFIGURED = {
    "first_response_target_minutes": 10, "complaint_overdue_days": 21, "target_first_response_pct": 92.5,
    "target_within_sla_pct": 88, "target_csat_pct": 80, "target_follow_up_coverage_pct": 75,
    "ceiling_escalation_rate_pct": 4, "amber_margin_pct": 3, "attention_min_tickets": 50,
    "sla_hours": {"repair": {"urgent": 6}, "praise": {"normal": 200}},
}


@pytest.fixture
def draw(dashboard_url, tmp_path):
    """The page's layout as an installation configured away from every default draws it (no browser:
    the layout function inside a request of a Flask app carrying those settings)."""
    import flask

    from dashboard.pages import methodology  # registered by the app behind dashboard_url
    from dashboard.services import Services
    from data_access import Database

    server = flask.Flask(__name__)
    Services(Settings(today=dt.date(2026, 11, 23), data_dir=tmp_path, **CONFIGURED), Database(f"sqlite:///{tmp_path / 'x.sqlite'}")).init_app(server)

    def drawn(lang: str):
        with server.test_request_context("/methodology", headers={"Cookie": f"lang={lang}"}):
            return methodology.layout()

    return drawn


def find(component, component_id: str):
    """The component with `component_id` in a layout tree."""
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and not isinstance(child, (str, int, float)):
            found = find(child, component_id)
            if found is not None:
                return found
    return None


def text_of(component) -> str:
    if component is None:
        return ""
    if isinstance(component, (str, int, float)):
        return str(component)
    children = getattr(component, "children", None)
    return " ".join(text_of(c) for c in (children if isinstance(children, (list, tuple)) else [children]))


def test_configured_values_come_from_the_settings(draw):
    layout = draw("en")
    shown = {key: text_of(find(layout, f"methodology-value-{key}")) for key in (
        "first_response_target_minutes", "target_first_response_pct", "target_within_sla_pct", "target_csat_pct",
        "target_follow_up_coverage_pct", "ceiling_escalation_rate_pct", "amber_margin_pct", "attention_min_tickets",
        "complaint_overdue_days")}
    assert shown == {
        "first_response_target_minutes": "10 min", "target_first_response_pct": "92.5%", "target_within_sla_pct": "88%",
        "target_csat_pct": "80%", "target_follow_up_coverage_pct": "75%", "ceiling_escalation_rate_pct": "4%",
        "amber_margin_pct": "3 points", "attention_min_tickets": "50 tickets", "complaint_overdue_days": "21 days",
    }
    assert text_of(find(layout, "methodology-sla-repair-urgent")) == "6 h"
    assert text_of(find(layout, "methodology-sla-repair-normal")) == "48 h"
    assert text_of(find(layout, "methodology-sla-praise-normal")) == "200 h"
    # The thresholds of "estates needing attention": targets minus, the ceiling plus, the amber margin.
    attention = text_of(find(layout, "methodology-rule-attention"))
    assert "at least **50** tickets" in attention and "below **85%**" in attention and "below **77%**" in attention
    assert "above **7%**" in attention
    assert "**21 days**" in text_of(find(layout, "methodology-rule-watchlist"))
    assert "**10 min**" in text_of(find(layout, "methodology-figure-within_target"))
    zh = draw("zh")
    assert text_of(find(zh, "methodology-value-first_response_target_minutes")) == "10 分钟"
    assert text_of(find(zh, "methodology-value-attention_min_tickets")) == "50 张工单"


def test_every_request_type_has_its_sla_row(draw):
    layout = draw("zh")
    for request_type in REQUEST_TYPES:
        for priority in ("urgent", "normal"):
            assert text_of(find(layout, f"methodology-sla-{request_type}-{priority}")).endswith("小时")
