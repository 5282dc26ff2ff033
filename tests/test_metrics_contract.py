"""compute_metrics follows METRICS.md exactly, identically on SQLite, PostgreSQL and MariaDB.

Three layers of evidence:
- a hand-computed example (numbers worked out on paper) checks the reference and the SQL;
- a seeded random dataset with deliberately placed edge cases is compared figure by
  figure with the pandas reference (tests/reference.py) for many selections and scopes;
- the same data written by other tools (pandas.to_sql text timestamps, hand-written DDL)
  gives the same figures.
"""
from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from data_access import Filters, Scope, ServiceRules
from data_access.metrics import compute_metrics
from engines import (
    Dataset,
    dataset_from_records,
    engine_unavailable,
    execute_ddl,
    insert_into_existing_tables,
    read_dataset,
    write_dataset,
    write_dataset_with_pandas,
)
from reference import reference_metrics

CONTRACT_TOP_LEVEL_KEYS = {
    "period", "filters", "tickets", "first_response", "resolution",
    "escalations", "complaints", "satisfaction", "by_area",
}

D = dt.date
T = dt.datetime
MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
SECOND = dt.timedelta(seconds=1)


# --- comparing figures ---------------------------------------------------------------
def figure_differences(actual, expected, path: str = "") -> list[str]:
    """Every place where `actual` departs from `expected`: counts exact, floats to 1e-9 relative,
    None only where None is expected, the same keys at every level."""
    where = path or "<root>"
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {actual!r}"]
        differences = []
        for key in sorted(set(expected) - set(actual)):
            differences.append(f"{path}.{key}: missing")
        for key in sorted(set(actual) - set(expected)):
            differences.append(f"{path}.{key}: unexpected key")
        for key in expected:
            if key in actual:
                differences += figure_differences(actual[key], expected[key], f"{path}.{key}")
        return differences
    if expected is None:
        return [] if actual is None else [f"{where}: expected null, got {actual!r}"]
    if isinstance(expected, (str, list)):
        return [] if actual == expected else [f"{where}: expected {expected!r}, got {actual!r}"]
    if isinstance(expected, (int, np.integer)):
        if type(actual) is not int or actual != expected:
            return [f"{where}: expected the count {expected!r}, got {actual!r}"]
        return []
    if actual is None or isinstance(actual, bool) or not isinstance(actual, (int, float)):
        return [f"{where}: expected {expected!r}, got {actual!r}"]
    if not math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9):
        return [f"{where}: expected {expected!r}, got {actual!r}"]
    return []


def assert_same_figures(actual: dict, expected: dict) -> None:
    differences = figure_differences(actual, expected)
    assert not differences, f"{len(differences)} figure(s) differ:\n  " + "\n  ".join(differences)


def metrics_of(db, start, end, *, scope: Scope = Scope.everything(), rules: ServiceRules = ServiceRules(), **filters):
    return compute_metrics(db, rules, Filters(start, end, **filters), scope)


# --- a hand-computed example ---------------------------------------------------------
HAND_WEEK = (D(2026, 2, 2), D(2026, 2, 8))


def hand_example() -> Dataset:
    estates = [
        {"estate_id": "EA", "name": "阳光花园", "city": "深圳", "region": "华南", "households": 200},
        {"estate_id": "EB", "name": "新建小区", "city": "深圳", "region": "华南", "households": 0},
    ]

    def ticket(ticket_id, estate_id, created_at, request_type, service_area, priority, status, *,
               reply_after=None, resolved_after=None, severity=None, escalation_level=0, channel="phone"):
        return {
            "ticket_id": ticket_id, "estate_id": estate_id, "created_at": created_at, "channel": channel,
            "request_type": request_type, "service_area": service_area, "priority": priority,
            "severity": severity, "status": status,
            "first_response_at": None if reply_after is None else created_at + reply_after,
            "resolved_at": None if resolved_after is None else created_at + resolved_after,
            "escalation_level": escalation_level, "reopened_count": 0,
        }

    tickets = [
        ticket("h1", "EA", T(2026, 2, 2, 0, 0, 0), "repair", "security", "urgent", "resolved",
               reply_after=10 * MINUTE, resolved_after=4 * HOUR),
        ticket("h2", "EA", T(2026, 2, 3, 9, 0, 0), "complaint", "cleaning", "normal", "closed",
               reply_after=20 * MINUTE, resolved_after=80 * HOUR, escalation_level=2, channel="app"),
        ticket("h3", "EA", T(2026, 2, 8, 23, 59, 59), "inquiry", "security", "normal", "open", escalation_level=1),
        # reply and resolution recorded before creation: both invalid, treated as missing
        ticket("h4", "EB", T(2026, 2, 5, 12, 0, 0), "complaint", "repair", "urgent", "in_progress",
               reply_after=-5 * MINUTE, resolved_after=-1 * HOUR, severity="major", escalation_level=3),
        ticket("h5", "EA", T(2026, 2, 9, 0, 0, 0), "repair", "security", "urgent", "open", escalation_level=3),
        ticket("h6", "EA", T(2026, 2, 4, 10, 0, 0), "complaint", "security", "urgent", "cancelled",
               reply_after=MINUTE, escalation_level=3),
        ticket("h7", "EA", T(2026, 2, 1, 23, 59, 59), "repair", "security", "urgent", "open"),
    ]

    def survey(survey_id, ticket_id, estate_id, service_area, surveyed_at, score, attitude=None, speed=None,
               result=None, professionalism=None):
        return {
            "survey_id": survey_id, "ticket_id": ticket_id, "estate_id": estate_id, "service_area": service_area,
            "surveyed_at": surveyed_at, "channel": "phone", "score": score, "attitude": attitude, "speed": speed,
            "result": result, "professionalism": professionalism,
        }

    surveys = [
        survey("s1", "h1", "EA", "security", T(2026, 2, 3, 10, 0), 5, attitude=5, speed=4, result=5),
        survey("s2", None, "EA", "cleaning", T(2026, 2, 6, 9, 0), 3, attitude=3, speed=3),
        survey("s3", None, "EA", "security", T(2026, 2, 7, 9, 0), None, attitude=1),
        survey("s4", None, "EA", "security", T(2026, 2, 9, 0, 0), 1, attitude=1),
        survey("s5", "h4", "EB", "repair", T(2026, 2, 6, 15, 0), 2),
    ]
    return dataset_from_records(estates, tickets, surveys)


def _empty_area(tickets: int = 0, escalations: int = 0) -> dict:
    return {
        "tickets": tickets, "first_response_median_minutes": None, "first_response_within_target_pct": None,
        "resolution_median_hours": None, "within_sla_pct": None, "escalations": escalations,
        "responses": 0, "mean_score": None, "csat_pct": None,
    }


HAND_EXPECTED = {
    "period": {"from": "2026-02-02", "to": "2026-02-08"},
    "filters": {"estates": [], "areas": [], "channels": [], "request_types": []},
    "tickets": {
        "total": 4,  # h1-h4: h5 is after the week, h7 before it, h6 cancelled
        "by_type": {"repair": 1, "complaint": 2, "inquiry": 1, "suggestion": 0, "praise": 0},
        "open": 2,
        "per_1000_households": 20.0,
    },
    "first_response": {
        "responded": 2,  # h1 (10 min), h2 (20 min); h4's reply is before creation
        "median_minutes": 15.0,
        "p90_minutes": 19.0,
        "target_minutes": 15.0,
        "within_target_pct": 25.0,  # 1 of 4: unanswered tickets are misses
    },
    "resolution": {
        "resolved": 2,  # h1 (4 h), h2 (80 h)
        "median_hours": 42.0,
        "p90_hours": 72.4,
        "within_sla_pct": 25.0,  # h1 meets urgent repair 4 h exactly; h2 misses normal complaint 72 h
    },
    "escalations": {"total": 3, "rate_pct": 75.0, "by_level": {"1": 1, "2": 1, "3": 1}},
    "complaints": {
        "total": 2,
        "by_severity": {"minor": 0, "important": 0, "major": 1, "unclassified": 1},
        "overdue_30d": 0,
    },
    "satisfaction": {
        "responses": 3,  # s1, s2, s5; s3 has no score, s4 is after the week
        "mean_score": 10 / 3,
        "csat_pct": 100 / 3,
        "dimensions": {"attitude": 3.0, "speed": 3.5, "result": 5.0, "professionalism": None},
        "follow_up_coverage_pct": 50.0,  # h1 surveyed, h2 not; h4's resolution is invalid
    },
    "by_area": {
        "security": {
            "tickets": 2, "first_response_median_minutes": 10.0, "first_response_within_target_pct": 50.0,
            "resolution_median_hours": 4.0, "within_sla_pct": 50.0, "escalations": 1,
            "responses": 1, "mean_score": 5.0, "csat_pct": 100.0,
        },
        "cleaning": {
            "tickets": 1, "first_response_median_minutes": 20.0, "first_response_within_target_pct": 0.0,
            "resolution_median_hours": 80.0, "within_sla_pct": 0.0, "escalations": 1,
            "responses": 1, "mean_score": 3.0, "csat_pct": 0.0,
        },
        "greening": _empty_area(),
        "repair": {**_empty_area(tickets=1, escalations=1), "responses": 1, "mean_score": 2.0, "csat_pct": 0.0},
        "other": _empty_area(),
    },
}


def test_reference_reproduces_the_hand_computed_example():
    assert_same_figures(reference_metrics(hand_example(), *HAND_WEEK), HAND_EXPECTED)


@pytest.fixture(scope="module")
def hand_db(engine_name, scratch_databases):
    db = scratch_databases.new(engine_name)
    write_dataset(db, hand_example())
    return db


def test_hand_computed_example(hand_db):
    assert_same_figures(metrics_of(hand_db, *HAND_WEEK), HAND_EXPECTED)


def test_estate_without_households_has_no_rate_per_1000(hand_db):
    figures = metrics_of(hand_db, *HAND_WEEK, estates={"EB"})
    assert figures["tickets"]["total"] == 1
    assert figures["tickets"]["per_1000_households"] is None
    assert figures["first_response"]["within_target_pct"] is None  # its only reply is invalid
    assert figures["satisfaction"]["follow_up_coverage_pct"] is None  # and so is its resolution


def sub_second_example() -> Dataset:
    """Source systems export microseconds; a fraction of a second decides target and SLA here."""
    estates = [{"estate_id": "EA", "name": "阳光花园", "city": "深圳", "region": "华南", "households": 100}]
    created_1, created_2 = T(2026, 2, 3, 10, 0, 0, 400_000), T(2026, 2, 3, 11, 0, 0, 900_000)
    tickets = [
        edge_ticket("missed-by-a-fifth-of-a-second", created_1, estate_id="EA", priority="urgent",
                    reply_after=15 * MINUTE + dt.timedelta(microseconds=200_000),
                    resolved_after=4 * HOUR + dt.timedelta(microseconds=500_000)),
        edge_ticket("met-with-a-twentieth-to-spare", created_2, estate_id="EA", priority="urgent",
                    reply_after=15 * MINUTE - dt.timedelta(microseconds=50_000),
                    resolved_after=4 * HOUR - dt.timedelta(microseconds=50_000)),
    ]
    return dataset_from_records(estates, tickets, [])


def test_fractions_of_a_second_are_kept(engine_name, scratch_databases):
    data = sub_second_example()
    db = scratch_databases.new(engine_name)
    write_dataset(db, data)
    figures = metrics_of(db, *HAND_WEEK)
    assert (figures["first_response"]["within_target_pct"], figures["resolution"]["within_sla_pct"]) == (50.0, 50.0)
    assert_same_figures(figures, reference_metrics(data, *HAND_WEEK))


# --- a seeded random dataset with deliberate edge cases ------------------------------
PERIOD = (D(2026, 1, 1), D(2026, 3, 31))
WEEK = (D(2026, 2, 2), D(2026, 2, 8))  # Monday to Sunday
JANUARY = (D(2026, 1, 1), D(2026, 1, 31))
HISTORY = (T(2025, 11, 1), T(2026, 4, 20))  # tickets before and after the period too

ESTATE_NAMES = ["阳光花园", "翠湖居", "锦绣华庭", "海景豪苑", "金色家园", "碧桂园", "云山小区", "龙湖天街", "万科城", "华侨城"]
CITIES = ["深圳", "广州", "东莞"]
ZERO_HOUSEHOLDS_ESTATE = "E11"  # just handed over: no households registered yet

AREAS = ["security", "cleaning", "greening", "repair", "other"]
TYPES = ["repair", "complaint", "inquiry", "suggestion", "praise"]
TYPE_WEIGHTS = [0.45, 0.2, 0.2, 0.1, 0.05]
CHANNELS = ["phone", "front_desk", "app", "mailbox", "patrol", "email", "other"]
SURVEY_CHANNELS = ["phone", "sms", "visit", "app"]
SEVERITY_CHOICES = ["minor", "important", "major", None]
SLA_GUIDE_HOURS = {"repair": 20, "complaint": 48, "inquiry": 10, "suggestion": 100, "praise": 100}


def random_dataset(seed: int = 20260101, tickets: int = 5000, periodic_surveys: int = 400) -> Dataset:
    """About ten estates over five and a half months, whole-second timestamps (as stored by any engine)."""
    rng = np.random.default_rng(seed)
    estates = [
        {"estate_id": f"E{i:02d}", "name": ESTATE_NAMES[i - 1], "city": CITIES[i % 3], "region": "华南",
         "households": int(rng.integers(150, 3200))}
        for i in range(1, 11)
    ]
    estates.append({"estate_id": ZERO_HOUSEHOLDS_ESTATE, "name": "新交付小区", "city": "深圳", "region": "华南",
                    "households": 0})
    estate_ids = [e["estate_id"] for e in estates]
    span_seconds = int((HISTORY[1] - HISTORY[0]).total_seconds())

    def seconds(value: float) -> dt.timedelta:
        return dt.timedelta(seconds=int(round(value)))

    ticket_rows, survey_rows = [], []
    for n in range(tickets):
        created = HISTORY[0] + dt.timedelta(seconds=int(rng.integers(0, span_seconds)))
        request_type = str(rng.choice(TYPES, p=TYPE_WEIGHTS))
        priority = "urgent" if rng.random() < 0.2 else "normal"
        reply = None
        if rng.random() < 0.88:
            reply = created + seconds(rng.lognormal(np.log(8 * 60), 0.9))
            if rng.random() < 0.02:
                reply = created - seconds(rng.integers(60, 3600))  # clock error: invalid
        resolved = None
        if rng.random() < 0.8:
            resolved = created + seconds(3600 * rng.lognormal(np.log(SLA_GUIDE_HOURS[request_type]), 0.9))
            if rng.random() < 0.015:
                resolved = created - seconds(rng.integers(60, 86400))  # invalid
        cancelled = rng.random() < 0.03
        if cancelled:
            status = "cancelled"
        elif resolved is not None:
            status = str(rng.choice(["resolved", "closed"]))
        else:
            status = str(rng.choice(["open", "in_progress"]))
        level = int(rng.choice([0, 1, 2, 3], p=[0.8, 0.12, 0.06, 0.02]))
        ticket_id = f"T{n:05d}"
        estate_id = str(rng.choice(estate_ids))
        area = str(rng.choice(AREAS))
        ticket_rows.append({
            "ticket_id": ticket_id, "estate_id": estate_id, "created_at": created,
            "channel": str(rng.choice(CHANNELS)), "request_type": request_type, "service_area": area,
            "priority": priority,
            "severity": rng.choice(SEVERITY_CHOICES, p=[0.5, 0.25, 0.1, 0.15]) if request_type == "complaint" else None,
            "status": status, "first_response_at": reply, "resolved_at": resolved,
            "closed_at": resolved + 3 * DAY if status == "closed" else None,
            "escalation_level": level, "escalated_at": created + 2 * HOUR if level else None,
            "reopened_count": int(rng.integers(0, 2)), "owner_name": "张三", "owner_phone": "13800000000",
            "room": "3-1201", "summary": "楼道漏水，请尽快处理 🚰",
        })
        if resolved is not None and not cancelled and rng.random() < 0.55:
            for k in range(1 + int(rng.random() < 0.08)):  # a few tickets are surveyed twice
                survey_rows.append(random_survey(rng, f"F{n:05d}-{k}", ticket_id, estate_id, area,
                                                 max(resolved, created) + seconds(rng.integers(3600, 6 * 86400))))
    for n in range(periodic_surveys):
        surveyed = HISTORY[0] + dt.timedelta(seconds=int(rng.integers(0, span_seconds)))
        survey_rows.append(random_survey(rng, f"P{n:05d}", None, str(rng.choice(estate_ids)),
                                         str(rng.choice(AREAS)), surveyed))
    edge_tickets, edge_surveys = edge_cases()
    return dataset_from_records(estates, ticket_rows + edge_tickets, survey_rows + edge_surveys)


def random_survey(rng, survey_id, ticket_id, estate_id, area, surveyed_at) -> dict:
    score = int(rng.choice([1, 2, 3, 4, 5], p=[0.05, 0.08, 0.17, 0.35, 0.35]))

    def dimension():
        return None if rng.random() < 0.2 else int(np.clip(score + rng.integers(-1, 2), 1, 5))

    return {
        "survey_id": survey_id, "ticket_id": ticket_id, "estate_id": estate_id, "service_area": area,
        "surveyed_at": surveyed_at, "channel": str(rng.choice(SURVEY_CHANNELS)),
        "score": None if rng.random() < 0.06 else score,
        "attitude": dimension(), "speed": dimension(), "result": dimension(), "professionalism": dimension(),
        "comment": "满意" if score >= 4 else "一般",
    }


def edge_ticket(ticket_id, created_at, *, estate_id="E01", request_type="repair", service_area="repair",
                priority="normal", status=None, reply_after=None, resolved_after=None, severity=None,
                escalation_level=0, channel="phone") -> dict:
    if status is None:
        status = "resolved" if resolved_after is not None else "open"
    return {
        "ticket_id": ticket_id, "estate_id": estate_id, "created_at": created_at, "channel": channel,
        "request_type": request_type, "service_area": service_area, "priority": priority, "severity": severity,
        "status": status,
        "first_response_at": None if reply_after is None else created_at + reply_after,
        "resolved_at": None if resolved_after is None else created_at + resolved_after,
        "escalation_level": escalation_level, "reopened_count": 0,
    }


def edge_survey(survey_id, surveyed_at, *, ticket_id=None, estate_id="E01", service_area="repair", score=4,
                **dimensions) -> dict:
    return {"survey_id": survey_id, "ticket_id": ticket_id, "estate_id": estate_id, "service_area": service_area,
            "surveyed_at": surveyed_at, "channel": "phone", "score": score, **dimensions}


def edge_cases() -> tuple[list[dict], list[dict]]:
    """Tickets and surveys placed on every boundary METRICS.md defines (ids say which)."""
    overdue_cutoff = T(2026, 3, 2)  # midnight after PERIOD's end, minus 30 days
    january_cutoff = T(2026, 1, 2)  # the same for JANUARY
    tickets = [
        # period boundaries: the first and last second are in, the second before and midnight after are not
        edge_ticket("edge-period-first-midnight", T(2026, 1, 1), service_area="security", reply_after=15 * MINUTE),
        edge_ticket("edge-period-second-before", T(2025, 12, 31, 23, 59, 59), reply_after=MINUTE, escalation_level=3),
        edge_ticket("edge-period-last-second", T(2026, 3, 31, 23, 59, 59), service_area="cleaning",
                    reply_after=15 * MINUTE + SECOND),
        edge_ticket("edge-period-midnight-after", T(2026, 4, 1), reply_after=MINUTE, escalation_level=2),
        edge_ticket("edge-week-monday-midnight", T(2026, 2, 2), estate_id="E03", reply_after=0 * MINUTE),
        edge_ticket("edge-week-sunday-before", T(2026, 2, 1, 23, 59, 59), estate_id="E03", escalation_level=1),
        edge_ticket("edge-week-last-second", T(2026, 2, 8, 23, 59, 59), estate_id="E03", request_type="praise",
                    service_area="other"),
        edge_ticket("edge-week-next-monday", T(2026, 2, 9), estate_id="E03", request_type="praise"),
        # cancelled tickets count nowhere
        edge_ticket("edge-cancelled-complaint", T(2026, 2, 3, 10), request_type="complaint", severity="major",
                    status="cancelled", reply_after=MINUTE, resolved_after=HOUR, escalation_level=3),
        edge_ticket("edge-cancelled-zero-households", T(2026, 2, 4, 10), estate_id=ZERO_HOUSEHOLDS_ESTATE,
                    status="cancelled", reply_after=MINUTE),
        # unanswered, and times recorded before creation (invalid: treated as missing)
        edge_ticket("edge-unanswered", T(2026, 2, 5, 8), service_area="greening"),
        edge_ticket("edge-reply-before-created", T(2026, 2, 5, 9), service_area="greening",
                    reply_after=-10 * MINUTE, resolved_after=2 * HOUR),
        edge_ticket("edge-resolved-before-created", T(2026, 2, 5, 10), reply_after=5 * MINUTE,
                    resolved_after=-HOUR, status="resolved"),
        edge_ticket("edge-complaint-resolved-before-created", T(2026, 1, 20, 10), request_type="complaint",
                    severity="important", resolved_after=-2 * HOUR, status="resolved"),
        # severity
        edge_ticket("edge-complaint-unclassified", T(2026, 2, 6, 11), request_type="complaint",
                    resolved_after=5 * HOUR),
        # the 30-day complaint rule, resolved ...
        edge_ticket("edge-complaint-resolved-30d", T(2026, 1, 10, 10), request_type="complaint", severity="minor",
                    resolved_after=30 * DAY),
        edge_ticket("edge-complaint-resolved-30d-1s", T(2026, 1, 10, 11), request_type="complaint",
                    severity="minor", resolved_after=30 * DAY + SECOND),
        # ... and unresolved around the cutoff (whole period, then January)
        edge_ticket("edge-complaint-open-before-cutoff", overdue_cutoff - SECOND, request_type="complaint"),
        edge_ticket("edge-complaint-open-at-cutoff", overdue_cutoff, request_type="complaint"),
        edge_ticket("edge-complaint-open-before-jan-cutoff", january_cutoff - SECOND, request_type="complaint",
                    status="in_progress"),
        edge_ticket("edge-complaint-open-at-jan-cutoff", january_cutoff, request_type="complaint",
                    status="in_progress"),
        # SLA by request type and priority, on and just past the limit
        edge_ticket("edge-sla-urgent-repair-4h", T(2026, 2, 4, 8), priority="urgent", resolved_after=4 * HOUR),
        edge_ticket("edge-sla-urgent-repair-4h-1s", T(2026, 2, 4, 9), priority="urgent",
                    resolved_after=4 * HOUR + SECOND),
        edge_ticket("edge-sla-normal-repair-4h-1s", T(2026, 2, 4, 10), resolved_after=4 * HOUR + SECOND),
        edge_ticket("edge-sla-urgent-complaint-24h", T(2026, 2, 4, 11), request_type="complaint", priority="urgent",
                    severity="major", resolved_after=24 * HOUR),
        edge_ticket("edge-sla-normal-complaint-72h-1s", T(2026, 2, 4, 12), request_type="complaint",
                    severity="important", resolved_after=72 * HOUR + SECOND),
        # escalation levels 0-3 in one day
        *[edge_ticket(f"edge-escalation-{level}", T(2026, 2, 7, 10 + level), escalation_level=level,
                      service_area="security") for level in range(4)],
    ]
    surveys = [
        edge_survey("edge-survey-period-first-midnight", T(2026, 1, 1), score=5),
        edge_survey("edge-survey-period-second-before", T(2025, 12, 31, 23, 59, 59), score=1),
        edge_survey("edge-survey-period-last-second", T(2026, 3, 31, 23, 59, 59), score=2),
        edge_survey("edge-survey-period-midnight-after", T(2026, 4, 1), score=1),
        edge_survey("edge-survey-week-monday-midnight", T(2026, 2, 2), estate_id="E03", score=3),
        edge_survey("edge-survey-week-next-monday", T(2026, 2, 9), estate_id="E03", score=1),
        edge_survey("edge-survey-without-score", T(2026, 2, 5, 12), score=None, attitude=1, speed=2, result=1,
                    professionalism=2),
        edge_survey("edge-survey-of-zero-households-estate", T(2026, 2, 6, 12), estate_id=ZERO_HOUSEHOLDS_ESTATE,
                    score=4, attitude=4),
        # follow-ups: one for a ticket whose resolution is invalid, one long after the period
        edge_survey("edge-survey-of-invalid-resolution", T(2026, 2, 6, 9), ticket_id="edge-resolved-before-created"),
        edge_survey("edge-survey-after-the-period", T(2026, 4, 10, 9), ticket_id="edge-sla-urgent-repair-4h"),
    ]
    return tickets, surveys


@pytest.fixture(scope="session")
def contract_data() -> Dataset:
    return random_dataset()


@pytest.fixture(scope="module")
def contract_db(database, contract_data):
    """The engine's session database holding the contract dataset, and the tables as read back."""
    write_dataset(database, contract_data)
    return database, read_dataset(database)


def test_dataset_exercises_every_edge_case(contract_data):
    """Guard against a generator change that silently removes the cases the comparisons rely on."""
    whole = reference_metrics(contract_data, *PERIOD)
    assert 2000 < whole["tickets"]["total"] < 3500
    assert whole["first_response"]["responded"] < whole["tickets"]["total"]
    assert whole["complaints"]["by_severity"]["unclassified"] > 0
    assert whole["complaints"]["overdue_30d"] > 0
    assert all(whole["escalations"]["by_level"][level] > 0 for level in ("1", "2", "3"))
    tickets = contract_data.tickets
    in_period = tickets[(tickets["created_at"] >= "2026-01-01") & (tickets["created_at"] < "2026-04-01")]
    assert (in_period["status"] == "cancelled").sum() > 20
    assert (in_period["first_response_at"] < in_period["created_at"]).sum() > 10
    assert (in_period["resolved_at"] < in_period["created_at"]).sum() > 10
    assert contract_data.surveys["ticket_id"].isna().sum() > 300
    assert (contract_data.surveys["score"].isna() & contract_data.surveys["attitude"].notna()).sum() > 10
    assert reference_metrics(contract_data, *PERIOD, estates={ZERO_HOUSEHOLDS_ESTATE})["tickets"]["total"] > 100


def test_tables_read_back_equal_what_was_written(contract_db, contract_data):
    """The reference is computed from the stored tables; they must hold exactly the generated rows."""
    _, stored = contract_db
    for name, written in contract_data.tables().items():
        read = stored.tables()[name].sort_values(written.columns[0]).reset_index(drop=True)
        expected = written.sort_values(written.columns[0]).reset_index(drop=True)
        pd.testing.assert_frame_equal(read[expected.columns], expected, check_dtype=False)


SELECTIONS = {
    "whole-period": dict(start=PERIOD[0], end=PERIOD[1]),
    "one-week": dict(start=WEEK[0], end=WEEK[1]),
    "january": dict(start=JANUARY[0], end=JANUARY[1]),
    "last-day-only": dict(start=PERIOD[1], end=PERIOD[1]),
    "single-estate": dict(start=PERIOD[0], end=PERIOD[1], estates={"E03"}),
    "zero-households-estate": dict(start=PERIOD[0], end=PERIOD[1], estates={ZERO_HOUSEHOLDS_ESTATE}),
    "two-estates-one-without-households": dict(start=PERIOD[0], end=PERIOD[1], estates={"E02", ZERO_HOUSEHOLDS_ESTATE}),
    "two-areas": dict(start=PERIOD[0], end=PERIOD[1], areas={"security", "cleaning"}),
    "empty-period-far-in-the-past": dict(start=D(2001, 1, 1), end=D(2001, 3, 31)),
    "channels": dict(start=PERIOD[0], end=PERIOD[1], channels={"phone", "app"}),
    "request-types": dict(start=PERIOD[0], end=PERIOD[1], request_types={"complaint", "inquiry"}),
    "every-filter-at-once": dict(start=WEEK[0], end=D(2026, 3, 8), estates={"E01", "E03", "E07"},
                                 areas={"repair", "security"}, channels={"phone"}, request_types={"repair"}),
}


@pytest.mark.parametrize("selection", SELECTIONS)
def test_figures_equal_the_reference(contract_db, selection):
    db, stored = contract_db
    chosen = dict(SELECTIONS[selection])
    start, end = chosen.pop("start"), chosen.pop("end")
    assert_same_figures(metrics_of(db, start, end, **chosen), reference_metrics(stored, start, end, **chosen))


def test_empty_period_is_null_not_zero(contract_db):
    db, _ = contract_db
    figures = metrics_of(db, D(2001, 1, 1), D(2001, 3, 31))
    assert figures["tickets"]["total"] == 0
    assert figures["tickets"]["per_1000_households"] == 0.0  # households exist; zero tickets is a real 0
    assert figures["satisfaction"]["responses"] == 0
    nulls = [
        figures["first_response"]["median_minutes"], figures["first_response"]["p90_minutes"],
        figures["first_response"]["within_target_pct"], figures["resolution"]["median_hours"],
        figures["resolution"]["p90_hours"], figures["resolution"]["within_sla_pct"],
        figures["escalations"]["rate_pct"], figures["satisfaction"]["mean_score"],
        figures["satisfaction"]["csat_pct"], figures["satisfaction"]["follow_up_coverage_pct"],
        *figures["satisfaction"]["dimensions"].values(),
        *[value for area in figures["by_area"].values() for key, value in area.items()
          if key not in ("tickets", "escalations", "responses")],
    ]
    assert nulls == [None] * len(nulls)


def test_configured_target_and_sla_are_used(contract_db):
    db, stored = contract_db
    sla = {"repair": (2, 24), "complaint": (12, 48), "inquiry": (2, 12), "suggestion": (48, 120), "praise": (48, 120)}
    rules = ServiceRules(
        first_response_target_minutes=10, sla_hours=tuple((t, float(u), float(n)) for t, (u, n) in sla.items())
    )
    assert_same_figures(
        metrics_of(db, *PERIOD, rules=rules),
        reference_metrics(stored, *PERIOD, target_minutes=10.0, sla_hours=sla),
    )


def test_top_level_keys_are_exactly_the_contract(contract_db):
    db, _ = contract_db
    assert set(metrics_of(db, *WEEK)) == CONTRACT_TOP_LEVEL_KEYS


# --- scope: a user sees only their estates -------------------------------------------
SCOPED_ESTATES = {"E01", "E02", ZERO_HOUSEHOLDS_ESTATE}


@pytest.mark.parametrize(
    "requested",
    [
        pytest.param(set(), id="no-estate-filter"),
        pytest.param({"E02"}, id="one-estate-in-scope"),
        pytest.param({"E02", "E05"}, id="one-estate-in-one-outside"),
        pytest.param({"E05"}, id="only-an-estate-outside"),
    ],
)
def test_scope_equals_the_reference_on_the_scoped_estates(contract_db, requested):
    db, stored = contract_db
    actual = metrics_of(db, *PERIOD, estates=requested, areas={"repair", "security", "other"},
                        scope=Scope.of(SCOPED_ESTATES))
    expected = reference_metrics(stored.restricted_to(SCOPED_ESTATES), *PERIOD, estates=requested,
                                 areas={"repair", "security", "other"})
    assert_same_figures(actual, expected)


def test_estate_outside_scope_yields_nothing_of_it(contract_db):
    db, _ = contract_db
    figures = metrics_of(db, *PERIOD, estates={"E05"}, scope=Scope.of({"E01"}))
    assert figures["tickets"]["total"] == 0
    assert figures["tickets"]["per_1000_households"] is None  # not even its households
    assert figures["satisfaction"]["responses"] == 0
    assert metrics_of(db, *PERIOD, estates={"E05"})["tickets"]["total"] > 0  # E05 does have tickets


def test_empty_scope_sees_nothing(contract_db):
    db, _ = contract_db
    figures = metrics_of(db, *PERIOD, scope=Scope.of(set()))
    assert (figures["tickets"]["total"], figures["satisfaction"]["responses"]) == (0, 0)


# --- the same data written by other tools ---------------------------------------------
POSTGRES_DDL = [
    """CREATE TABLE estates (
        estate_id VARCHAR(20) PRIMARY KEY, households INTEGER NOT NULL, name TEXT, city VARCHAR(50),
        region VARCHAR(50), manager TEXT)""",
    """CREATE TABLE tickets (
        ticket_id TEXT PRIMARY KEY, estate_id TEXT NOT NULL, created_at TIMESTAMP(0) NOT NULL,
        channel VARCHAR(20), request_type VARCHAR(20), service_area VARCHAR(20), priority VARCHAR(10),
        severity VARCHAR(10), status VARCHAR(20), first_response_at TIMESTAMP, resolved_at TIMESTAMP(0),
        closed_at TIMESTAMP, escalation_level SMALLINT NOT NULL DEFAULT 0, escalated_at TIMESTAMP,
        reopened_count SMALLINT DEFAULT 0, owner_name TEXT, owner_phone TEXT, room TEXT, summary TEXT,
        imported_from TEXT)""",
    """CREATE TABLE surveys (
        survey_id TEXT PRIMARY KEY, ticket_id TEXT, estate_id TEXT NOT NULL, service_area TEXT,
        surveyed_at TIMESTAMP NOT NULL, channel TEXT, score SMALLINT, attitude SMALLINT, speed SMALLINT,
        result SMALLINT, professionalism SMALLINT, comment TEXT)""",
]
MARIADB_DDL = [
    """CREATE TABLE estates (
        estate_id VARCHAR(20) PRIMARY KEY, households INT NOT NULL, name VARCHAR(200), city VARCHAR(50),
        region VARCHAR(50), manager TEXT) DEFAULT CHARSET=utf8mb4""",
    """CREATE TABLE tickets (
        ticket_id VARCHAR(40) PRIMARY KEY, estate_id VARCHAR(20) NOT NULL, created_at DATETIME NOT NULL,
        channel VARCHAR(20), request_type VARCHAR(20), service_area VARCHAR(20), priority VARCHAR(10),
        severity VARCHAR(10), status VARCHAR(20), first_response_at DATETIME(6), resolved_at DATETIME,
        closed_at DATETIME, escalation_level TINYINT NOT NULL DEFAULT 0, escalated_at DATETIME,
        reopened_count TINYINT DEFAULT 0, owner_name VARCHAR(50), owner_phone VARCHAR(20), room VARCHAR(20),
        summary TEXT, imported_from TEXT) DEFAULT CHARSET=utf8mb4""",
    """CREATE TABLE surveys (
        survey_id VARCHAR(40) PRIMARY KEY, ticket_id VARCHAR(40), estate_id VARCHAR(20) NOT NULL,
        service_area VARCHAR(20), surveyed_at DATETIME NOT NULL, channel VARCHAR(10), score TINYINT,
        attitude TINYINT, speed TINYINT, result TINYINT, professionalism TINYINT, comment TEXT)
        DEFAULT CHARSET=utf8mb4""",
]


def to_sql_with_iso_t_text(db, data):
    write_dataset_with_pandas(db, data, timestamp_format="%Y-%m-%dT%H:%M:%S")


def to_sql_with_space_text(db, data):
    write_dataset_with_pandas(db, data, timestamp_format="%Y-%m-%d %H:%M:%S")


def with_ddl(statements):
    def write(db, data):
        execute_ddl(db, statements)
        insert_into_existing_tables(db, data)

    return write


FOREIGN_WRITERS = {  # name -> (engine, how the tables get written)
    "sqlite-to_sql-iso-T": ("sqlite", to_sql_with_iso_t_text),
    "sqlite-to_sql-space": ("sqlite", to_sql_with_space_text),
    "postgresql-hand-written-ddl": ("postgresql", with_ddl(POSTGRES_DDL)),
    "mariadb-hand-written-ddl": ("mariadb", with_ddl(MARIADB_DDL)),
}


@pytest.fixture(scope="module", params=[pytest.param(w, marks=pytest.mark.engines) for w in FOREIGN_WRITERS])
def foreign_db(request, scratch_databases, contract_data):
    """The contract dataset written by another tool, and its tables as read back."""
    engine, write = FOREIGN_WRITERS[request.param]
    db = scratch_databases.new(engine)
    write(db, contract_data)
    return db, read_dataset(db)


# Without our indexes the follow-up lookup is slow, so two selections that between them touch
# every figure, both period edges and every filter column.
@pytest.mark.parametrize("selection", ["whole-period", "every-filter-at-once"])
def test_tables_written_by_other_tools_give_the_same_figures(foreign_db, contract_data, selection):
    db, stored = foreign_db
    chosen = dict(SELECTIONS[selection])
    start, end = chosen.pop("start"), chosen.pop("end")
    expected = reference_metrics(contract_data, start, end, **chosen)
    assert_same_figures(reference_metrics(stored, start, end, **chosen), expected)  # nothing lost on the way in
    assert_same_figures(metrics_of(db, start, end, **chosen), expected)


# --- the harness itself --------------------------------------------------------------
def test_unreachable_engine_skips_locally_but_fails_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="not reachable"):
        engine_unavailable("PostgreSQL not reachable at postgresql://x@127.0.0.1:1/test")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="not reachable"):
        engine_unavailable("PostgreSQL not reachable at postgresql://x@127.0.0.1:1/test")
