"""The weekly meeting's judgements: status against targets, change against the comparison
period, and which estates need attention. Pure functions, numbers in, words out."""
from __future__ import annotations

import copy

import pandas as pd
import pytest

from dashboard.attention import estates_needing_attention
from dashboard.headlines import BAD, GOOD, WATCH, headlines, status_at_least, status_at_most
from data_access import Settings

SETTINGS = Settings(target_within_sla_pct=90, target_csat_pct=85, ceiling_escalation_rate_pct=5, amber_margin_pct=5, attention_min_tickets=30)


def figures(**changes) -> dict:
    base = {
        "tickets": {"total": 200, "by_type": {}, "open": 12, "per_1000_households": 40.0},
        "first_response": {"responded": 190, "median_minutes": 6.0, "p90_minutes": 20.0, "target_minutes": 15.0, "within_target_pct": 91.0},
        "resolution": {"resolved": 180, "median_hours": 10.0, "p90_hours": 40.0, "within_sla_pct": 84.0},
        "escalations": {"total": 8, "rate_pct": 4.0, "by_level": {"1": 6, "2": 1, "3": 1}},
        "complaints": {"total": 20, "by_severity": {"minor": 15, "important": 3, "major": 2, "unclassified": 0}, "overdue_30d": 0},
        "satisfaction": {"responses": 150, "mean_score": 4.2, "csat_pct": 86.0, "dimensions": {}, "follow_up_coverage_pct": 70.0},
    }
    result = copy.deepcopy(base)
    for path, value in changes.items():
        section, key = path.split("__")
        result[section][key] = value
    return result


@pytest.mark.parametrize(
    "value, expected", [(None, None), (90.0, GOOD), (95.0, GOOD), (86.0, WATCH), (85.0, WATCH), (84.9, BAD)]
)
def test_status_against_a_target(value, expected):
    assert status_at_least(value, 90, 5) == expected


@pytest.mark.parametrize("value, expected", [(None, None), (5.0, GOOD), (7.0, WATCH), (10.0, WATCH), (10.1, BAD)])
def test_status_against_a_ceiling(value, expected):
    assert status_at_most(value, 5, 5) == expected


def test_headlines_judge_and_compare():
    current = figures()
    previous = figures(resolution__within_sla_pct=88.0, tickets__total=160, satisfaction__csat_pct=None)
    tiles = {h.key: h for h in headlines(current, previous, SETTINGS, "en")}
    assert tiles["within_sla"].display == "84.0%" and tiles["within_sla"].status == BAD
    assert tiles["within_sla"].delta == "-4.0 pts vs comparison" and tiles["within_sla"].improved is False
    assert tiles["tickets"].delta == "+40 (+25%) vs comparison" and tiles["tickets"].improved is None
    assert tiles["escalations"].status == GOOD  # rate 4% under the 5% ceiling
    assert tiles["major_complaints"].status == WATCH  # majors but none overdue
    assert tiles["csat"].status == GOOD and tiles["csat"].delta == "no comparison"
    assert tiles["follow_up_coverage"].status == BAD  # 70% against 80%
    zh = {h.key: h for h in headlines(current, previous, SETTINGS, "zh")}
    assert zh["within_sla"].delta == "较对比期 -4.0 个百分点"


def test_no_data_is_a_dash_and_no_status():
    empty = figures(resolution__within_sla_pct=None, resolution__median_hours=None, satisfaction__csat_pct=None)
    tiles = {h.key: h for h in headlines(empty, empty, SETTINGS, "en")}
    assert tiles["within_sla"].display == "—" and tiles["within_sla"].status is None
    assert tiles["csat"].display == "—" and tiles["csat"].status is None


def test_overdue_complaints_turn_the_complaint_tile_red():
    tiles = {h.key: h for h in headlines(figures(complaints__overdue_30d=1), figures(), SETTINGS, "en")}
    assert tiles["major_complaints"].status == BAD


def test_attention_ranks_off_target_estates_with_enough_tickets():
    league = pd.DataFrame(
        [
            {"estate_id": "A", "tickets": 100, "within_sla_pct": 70.0, "csat_pct": 70.0, "escalation_rate_pct": 12.0},
            {"estate_id": "B", "tickets": 100, "within_sla_pct": 80.0, "csat_pct": 90.0, "escalation_rate_pct": 2.0},
            {"estate_id": "C", "tickets": 100, "within_sla_pct": 95.0, "csat_pct": 88.0, "escalation_rate_pct": 3.0},
            {"estate_id": "D", "tickets": 10, "within_sla_pct": 10.0, "csat_pct": 10.0, "escalation_rate_pct": 50.0},
            {"estate_id": "E", "tickets": 100, "within_sla_pct": None, "csat_pct": 60.0, "escalation_rate_pct": 1.0},
        ]
    )
    flagged = estates_needing_attention(league, SETTINGS)
    assert list(flagged["estate_id"]) == ["A", "B", "E"]  # D has too few tickets to judge; C is on target
    assert flagged.iloc[0]["reasons"] == ["sla", "csat", "escalation"]
    assert flagged.iloc[1]["reasons"] == ["sla"]
    assert flagged.iloc[2]["reasons"] == ["csat"]
