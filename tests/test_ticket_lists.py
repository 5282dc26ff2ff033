"""The ticket list behind a selection (data_access.ticket_lists): the same tickets as the figures,
paged and sorted in the database with a whitelist, owners' details masked, streamed for exports.

A hand-made week checks exact orders and masks; a small demo database on every engine checks
that the list always holds tickets.total of compute_metrics for the same selection.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from engines import dataset_from_records, write_dataset, write_dataset_with_pandas

from data_access import ALL, Filters, Scope, ServiceRules
from data_access.demo import generate_demo
from data_access.metrics import compute_metrics
from data_access.ticket_lists import (
    MAX_PAGE_ROWS,
    SORTABLE,
    TICKET_LIST_COLUMNS,
    iter_ticket_rows,
    ticket_codes,
    ticket_count,
    ticket_page,
)

T = dt.datetime
MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
WEEK = Filters(dt.date(2026, 2, 2), dt.date(2026, 2, 8))
RULES = ServiceRules()


def _ticket(ticket_id, estate_id, created_at, request_type, area, *, channel="phone", priority="normal", severity=None,
            status="open", reply=None, resolved=None, level=0, reopened=0, owner=None, phone=None, room=None, summary=""):
    return {
        "ticket_id": ticket_id, "estate_id": estate_id, "created_at": created_at, "channel": channel,
        "request_type": request_type, "service_area": area, "priority": priority, "severity": severity,
        "status": status, "first_response_at": None if reply is None else created_at + reply,
        "resolved_at": None if resolved is None else created_at + resolved, "escalation_level": level,
        "reopened_count": reopened, "owner_name": owner, "owner_phone": phone, "room": room, "summary": summary,
    }


def hand_week():
    estates = [
        {"estate_id": "E1", "name": "阳光花园", "city": "深圳", "region": "华南", "households": 400},
        {"estate_id": "E2", "name": "Riverside", "city": "上海", "region": "华东", "households": 300},
    ]
    tickets = [
        _ticket("a1", "E1", T(2026, 2, 2, 8), "repair", "repair", priority="urgent", status="resolved", reply=10 * MINUTE,
                resolved=3 * HOUR, owner="张三丰", phone="13812341234", room="3-1201", summary="水管漏水 & <急>"),
        _ticket("a2", "E1", T(2026, 2, 3, 9), "complaint", "cleaning", channel="app", severity="major", reply=40 * MINUTE,
                level=2, reopened=1, owner="李四", phone="+86 139 0000 5678", room="1-101", summary="楼道没人打扫"),
        _ticket("a3", "E2", T(2026, 2, 4, 10), "inquiry", "security", status="closed", reply=-5 * MINUTE, resolved=2 * HOUR,
                owner="Alice Wong", phone="021-5555-1234", room="B-7", summary="Parking permit"),
        _ticket("a4", "E2", T(2026, 2, 5, 11), "complaint", "other", status="in_progress", level=1, owner="王五",
                phone="15900001111", room="2-202"),
        _ticket("a5", "E1", T(2026, 2, 6, 12), "repair", "repair", status="cancelled", reply=5 * MINUTE, owner="赵六",
                phone="18600002222", room="5-501"),
        _ticket("a6", "E2", T(2026, 2, 8, 23, 59, 59), "suggestion", "greening", channel="email", reply=120 * MINUTE,
                owner="钱七", phone="13700003333", room="6-601"),
        _ticket("a7", "E1", T(2026, 2, 9, 0, 0, 0), "repair", "repair", owner="孙八", phone="13600004444"),
        _ticket("a8", "E1", T(2026, 2, 1, 23, 59, 59), "repair", "repair", owner="周九", phone="13500005555"),
        # An estate missing from the estates table still lists, without a name.
        _ticket("a9", "E9", T(2026, 2, 7, 7), "praise", "other", channel="front_desk", priority="urgent", owner="吴十",
                phone="13400006666", room="9-901"),
    ]
    return dataset_from_records(estates, tickets, [])


IN_WEEK = ["a1", "a2", "a3", "a4", "a6", "a9"]  # a5 cancelled, a7 and a8 outside the week


@pytest.fixture(scope="module")
def hand_db(engine_name, scratch_databases):
    db = scratch_databases.new(engine_name)
    write_dataset(db, hand_week())
    return db


def ids(frame: pd.DataFrame) -> list[str]:
    return list(frame["ticket_id"])


def test_count_is_tickets_total_and_cancelled_only_on_request(hand_db):
    assert ticket_count(hand_db, WEEK, ALL) == len(IN_WEEK) == compute_metrics(hand_db, RULES, WEEK, ALL)["tickets"]["total"]
    assert ticket_count(hand_db, WEEK, ALL, include_cancelled=True) == len(IN_WEEK) + 1
    assert "a5" in ids(ticket_page(hand_db, WEEK, ALL, 0, 50, include_cancelled=True))
    assert "a5" not in ids(ticket_page(hand_db, WEEK, ALL, 0, 50))


def test_default_order_is_newest_first_and_pages_join_up(hand_db):
    everything = ids(ticket_page(hand_db, WEEK, ALL, 0, 100))
    assert everything == ["a6", "a9", "a4", "a3", "a2", "a1"]
    paged = []
    for start in range(0, 8, 2):
        paged += ids(ticket_page(hand_db, WEEK, ALL, start, start + 2))
    assert paged == everything
    assert ids(ticket_page(hand_db, WEEK, ALL, 6, 8)) == []


def test_columns_types_and_durations(hand_db):
    page = ticket_page(hand_db, WEEK, ALL, 0, 100).set_index("ticket_id")
    assert list(page.reset_index().columns) == list(TICKET_LIST_COLUMNS)
    assert page.loc["a1", "created_at"] == pd.Timestamp("2026-02-02 08:00:00")
    assert page.loc["a1", "first_response_minutes"] == pytest.approx(10.0)
    assert page.loc["a1", "resolution_hours"] == pytest.approx(3.0)
    # A reply recorded before the ticket was received is invalid: missing, as in every figure.
    assert pd.isna(page.loc["a3", "first_response_minutes"])
    assert page.loc["a3", "resolution_hours"] == pytest.approx(2.0)
    assert page.loc["a2", "escalation_level"] == 2 and page.loc["a2", "reopened_count"] == 1
    assert page.loc["a1", "estate_name"] == "阳光花园" and page.loc["a1", "city"] == "深圳"
    assert pd.isna(page.loc["a9", "estate_name"])


@pytest.mark.parametrize(
    ("column", "ascending", "descending"),
    [
        # Missing values last both ways; ties by ticket id.
        ("first_response_minutes", ["a1", "a2", "a6", "a3", "a4", "a9"], ["a6", "a2", "a1", "a3", "a4", "a9"]),
        ("resolution_hours", ["a3", "a1", "a2", "a4", "a6", "a9"], ["a1", "a3", "a2", "a4", "a6", "a9"]),
        # Coded values in the domain's order: urgent before normal, open before closed.
        ("priority", ["a1", "a9", "a2", "a3", "a4", "a6"], ["a2", "a3", "a4", "a6", "a1", "a9"]),
        ("status", ["a2", "a6", "a9", "a4", "a1", "a3"], ["a3", "a1", "a4", "a2", "a6", "a9"]),
        ("escalation_level", ["a1", "a3", "a6", "a9", "a4", "a2"], ["a2", "a4", "a1", "a3", "a6", "a9"]),
        ("estate_name", ["a3", "a4", "a6", "a1", "a2", "a9"], ["a1", "a2", "a3", "a4", "a6", "a9"]),
        ("created_at", ["a1", "a2", "a3", "a4", "a9", "a6"], ["a6", "a9", "a4", "a3", "a2", "a1"]),
        ("ticket_id", ["a1", "a2", "a3", "a4", "a6", "a9"], ["a9", "a6", "a4", "a3", "a2", "a1"]),
    ],
)
def test_sorting_on_the_server_with_missing_values_last(hand_db, column, ascending, descending):
    assert ids(ticket_page(hand_db, WEEK, ALL, 0, 50, [{"colId": column, "sort": "asc"}])) == ascending
    assert ids(ticket_page(hand_db, WEEK, ALL, 0, 50, [{"colId": column, "sort": "desc"}])) == descending


def test_sorting_by_two_columns(hand_db):
    model = [{"colId": "request_type", "sort": "asc"}, {"colId": "created_at", "sort": "desc"}]
    assert ids(ticket_page(hand_db, WEEK, ALL, 0, 50, model)) == ["a1", "a4", "a2", "a3", "a6", "a9"]


@pytest.mark.parametrize(
    "model",
    [
        [{"colId": "owner_phone", "sort": "asc"}],  # shown but not sortable: personal data
        [{"colId": "summary; DROP TABLE tickets", "sort": "asc"}],
        [{"colId": "created_at", "sort": "asc; DELETE FROM tickets"}],
        [{"colId": "tickets.created_at", "sort": "asc"}],
        ["created_at"],
        [],
        None,
    ],
)
def test_sort_model_is_whitelisted(hand_db, model):
    assert ids(ticket_page(hand_db, WEEK, ALL, 0, 50, model)) == ["a6", "a9", "a4", "a3", "a2", "a1"]
    order_by = hand_db.trace[-1].sql.split("ORDER BY")[1]
    assert "DROP" not in order_by and "DELETE" not in order_by and "owner_phone" not in order_by
    assert ticket_count(hand_db, WEEK, ALL) == len(IN_WEEK)  # nothing was harmed


def test_personal_columns_are_not_sortable():
    assert {"owner_name", "owner_phone", "room", "summary"}.isdisjoint(SORTABLE)


def test_page_bounds_are_clamped(hand_db):
    assert ids(ticket_page(hand_db, WEEK, ALL, -5, 2)) == ["a6", "a9"]
    assert ids(ticket_page(hand_db, WEEK, ALL, 4, 2)) == []
    assert ids(ticket_page(hand_db, WEEK, ALL, 0, 10 * MAX_PAGE_ROWS)) == ["a6", "a9", "a4", "a3", "a2", "a1"]


def test_owners_details_are_masked(hand_db):
    page = ticket_page(hand_db, WEEK, ALL, 0, 50).set_index("ticket_id")
    assert page.loc["a1", "owner_name"] == "张**"
    assert page.loc["a1", "owner_phone"] == "138****1234"
    assert page.loc["a2", "owner_phone"] == "861****5678"  # digits only, whatever the punctuation
    assert page.loc["a3", "owner_name"] == "A*********"
    assert set(page["room"].dropna()) == {"***"}
    shown = page.astype(str).to_string()
    for phone in ("13812341234", "139 0000 5678", "15900001111", "13700003333", "13400006666", "5555-1234"):
        assert phone not in shown
    assert "3-1201" not in shown and "张三丰" not in shown


def test_personal_data_only_with_the_permission(hand_db):
    page = ticket_page(hand_db, WEEK, ALL, 0, 50, personal_data=True).set_index("ticket_id")
    assert page.loc["a1", "owner_phone"] == "13812341234" and page.loc["a1", "room"] == "3-1201"


def test_scope_and_filters_apply(hand_db):
    mine = Scope.of({"E1"})
    assert ids(ticket_page(hand_db, WEEK, mine, 0, 50)) == ["a2", "a1"]
    assert ticket_count(hand_db, WEEK.narrowed(estates={"E2"}), mine) == 0
    assert ticket_count(hand_db, WEEK.narrowed(estates={"E2"}), mine, include_cancelled=True) == 0
    assert ids(ticket_page(hand_db, WEEK.narrowed(areas={"repair", "other"}), ALL, 0, 50)) == ["a9", "a4", "a1"]
    assert ids(ticket_page(hand_db, WEEK.narrowed(channels={"app", "email"}), ALL, 0, 50)) == ["a6", "a2"]
    assert ids(ticket_page(hand_db, WEEK.narrowed(request_types={"complaint"}), ALL, 0, 50)) == ["a4", "a2"]
    for narrowed in (WEEK.narrowed(areas={"repair"}), WEEK.narrowed(channels={"phone"}), WEEK.narrowed(request_types={"repair"})):
        assert ticket_count(hand_db, narrowed, ALL) == compute_metrics(hand_db, RULES, narrowed, ALL)["tickets"]["total"]


def test_codes_of_a_clicked_ticket_respect_the_scope(hand_db):
    assert ticket_codes(hand_db, ALL, "a2") == {"estate_id": "E1", "service_area": "cleaning", "request_type": "complaint", "channel": "app"}
    assert ticket_codes(hand_db, Scope.of({"E2"}), "a2") is None
    assert ticket_codes(hand_db, ALL, "no-such-ticket") is None


def test_stream_delivers_the_whole_selection_in_chunks(hand_db):
    chunks = list(iter_ticket_rows(hand_db, WEEK, ALL, chunk_rows=4))
    assert [len(c) for c in chunks] == [4, 2]
    assert ids(pd.concat(chunks)) == ids(ticket_page(hand_db, WEEK, ALL, 0, 50))
    assert set(pd.concat(chunks)["owner_phone"]) >= {"138****1234"}
    assert sum(map(len, iter_ticket_rows(hand_db, WEEK, ALL, max_rows=3))) == 3
    model = [{"colId": "first_response_minutes", "sort": "desc"}]
    assert ids(pd.concat(iter_ticket_rows(hand_db, WEEK, ALL, model, chunk_rows=5))) == ids(ticket_page(hand_db, WEEK, ALL, 0, 50, model))
    assert list(iter_ticket_rows(hand_db, WEEK.with_period(dt.date(2030, 1, 1), dt.date(2030, 1, 7)), ALL)) == []


def test_timestamps_written_as_text_by_other_tools(tmp_path):
    from data_access import Database

    db = Database(f"sqlite:///{tmp_path / 'pandas.sqlite'}")
    write_dataset_with_pandas(db, hand_week(), timestamp_format="%Y-%m-%dT%H:%M")
    page = ticket_page(db, WEEK, ALL, 0, 50).set_index("ticket_id")
    assert page.loc["a6", "created_at"] == pd.Timestamp("2026-02-08 23:59:00")
    assert page.loc["a1", "first_response_minutes"] == pytest.approx(10.0)
    assert ticket_count(db, WEEK, ALL) == compute_metrics(db, RULES, WEEK, ALL)["tickets"]["total"]


# --- a demo database on every engine --------------------------------------------------------
DEMO_END = dt.date(2026, 3, 31)


@pytest.fixture(scope="module")
def demo_db(engine_name, scratch_databases):
    db = scratch_databases.new(engine_name)
    generate_demo(db, estates=5, tickets=4_000, months=3, seed=3, end=DEMO_END, progress=False)
    return db


SELECTIONS = [
    Filters(dt.date(2026, 3, 1), DEMO_END),
    Filters(dt.date(2026, 1, 1), DEMO_END),
    Filters(dt.date(2026, 2, 1), dt.date(2026, 2, 28), areas={"security", "repair"}),
    Filters(dt.date(2026, 3, 9), dt.date(2026, 3, 15), channels={"phone", "app"}, request_types={"complaint", "repair"}),
    Filters(dt.date(2026, 1, 5), dt.date(2026, 3, 29), estates={"E001", "E003"}),
    Filters(dt.date(2027, 1, 1), dt.date(2027, 1, 7)),
]


@pytest.mark.parametrize("filters", SELECTIONS, ids=lambda f: f"{f.start}..{f.end}")
def test_count_equals_tickets_total_on_every_engine(demo_db, filters):
    total = compute_metrics(demo_db, RULES, filters, ALL)["tickets"]["total"]
    assert ticket_count(demo_db, filters, ALL) == total
    assert sum(map(len, iter_ticket_rows(demo_db, filters, ALL, chunk_rows=700))) == total


def test_pages_of_a_sorted_selection_match_the_stream(demo_db):
    filters = SELECTIONS[1]
    for model in (None, [{"colId": "resolution_hours", "sort": "desc"}], [{"colId": "city", "sort": "asc"}, {"colId": "severity", "sort": "desc"}]):
        streamed = ids(pd.concat(iter_ticket_rows(demo_db, filters, ALL, model, chunk_rows=500)))
        assert len(streamed) == len(set(streamed)) == ticket_count(demo_db, filters, ALL)
        for start in (0, 100, len(streamed) - 50):
            assert ids(ticket_page(demo_db, filters, ALL, start, start + 100, model)) == streamed[start:start + 100]


def test_demo_owners_are_masked_on_every_engine(demo_db):
    page = ticket_page(demo_db, SELECTIONS[0], ALL, 0, 200)
    assert page["owner_phone"].dropna().str.fullmatch(r"\d{3}\*{4}\d{4}").all()
    assert page["owner_name"].dropna().str.fullmatch(r".\*+").all()
    assert set(page["room"].dropna()) <= {"***"}


def test_a_slow_reader_is_not_stopped_by_the_statement_limit(engine_name, scratch_databases):
    """Writing an export takes longer than a query may: the stream's time limit is per fetch (or the
    export's own), not the statement limit for the whole stream. Fat rows overflow MariaDB's socket
    buffers, so the server really waits for the reader."""
    import time

    from data_access import Database

    db = scratch_databases.new(engine_name)
    estates = [{"estate_id": "E1", "name": "阳光花园", "city": "深圳", "region": "华南", "households": 100}]
    tickets = [_ticket(f"s{i:05d}", "E1", T(2026, 2, 2, 8) + i * MINUTE, "repair", "repair", summary="漏水" * 1000)
               for i in range(3000)]
    write_dataset(db, dataset_from_records(estates, tickets, []))
    impatient = Database(db.url.render_as_string(hide_password=False), statement_timeout=0.5)
    delivered = 0
    for chunk in iter_ticket_rows(impatient, WEEK, ALL, chunk_rows=300):
        delivered += len(chunk)
        time.sleep(0.12)
    impatient.dispose()
    assert delivered == 3000
