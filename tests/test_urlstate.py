"""The URL is the view: parsing is total (never raises), cleaning says what it dropped,
and a view survives the round trip through its query string."""
from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard import urlstate
from dashboard.periods import comparison_range, preset_range

TODAY = dt.date(2026, 11, 23)  # a Monday
KNOWN_ESTATES = {"E001", "E002", "E003"}
KNOWN_CITIES = {"上海", "杭州"}


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=400))
def test_any_query_string_gives_a_usable_view(query):
    view = urlstate.parse(query, known_estates=KNOWN_ESTATES, known_cities=KNOWN_CITIES)
    filters = view.filters(TODAY, {"上海": ["E001"], "杭州": ["E002"]})
    assert filters.start <= filters.end
    assert (filters.end - filters.start).days < urlstate.MAX_PERIOD_DAYS
    assert filters.estates <= KNOWN_ESTATES
    assert urlstate.parse(urlstate.to_query(view), known_estates=KNOWN_ESTATES, known_cities=KNOWN_CITIES) == view


parameter = st.sampled_from(["period", "from", "to", "compare", "estate", "city", "area", "type", "channel", "x"])
value = st.one_of(
    st.text(max_size=40),
    st.dates(min_value=dt.date(1, 1, 1)).map(dt.date.isoformat),
    st.sampled_from(["custom", "last_week", "year_to_date", "E001", "greening", "complaint", "app", "上海", "' OR 1=1 --", "<script>"]),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(parameter, value), max_size=12))
def test_structured_garbage_is_cleaned_to_a_safe_view(pairs):
    query = "?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in pairs)
    view = urlstate.parse(query, known_estates=KNOWN_ESTATES, known_cities=KNOWN_CITIES)
    filters = view.filters(TODAY)
    assert filters.start <= filters.end
    assert set(view.areas) <= {"security", "cleaning", "greening", "repair", "other"}
    assert set(view.estates) <= KNOWN_ESTATES


def test_custom_period_round_trip():
    view = urlstate.parse("?period=custom&from=2026-10-01&to=2026-10-31&estate=E002,E001&area=repair")
    assert view.period(TODAY) == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert urlstate.to_query(view) == "?period=custom&from=2026-10-01&to=2026-10-31&estate=E002,E001&area=repair"
    assert view.notes == ()


def test_reversed_dates_are_swapped_with_a_note():
    view = urlstate.parse("?period=custom&from=2026-10-31&to=2026-10-01")
    assert view.period(TODAY) == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert "period reversed" in view.notes


def test_decades_are_clamped_to_three_years():
    view = urlstate.parse("?period=custom&from=2001-01-01&to=2026-10-31")
    start, end = view.period(TODAY)
    assert end == dt.date(2026, 10, 31) and (end - start).days + 1 == urlstate.MAX_PERIOD_DAYS
    assert any("three years" in note for note in view.notes)


def test_unknown_estates_and_injection_strings_are_dropped_with_a_note():
    view = urlstate.parse("?estate=E001,E999,%27%3BDROP%20TABLE%20tickets&area=greening,lawns", known_estates=KNOWN_ESTATES)
    assert view.estates == ("E001",)
    assert view.areas == ("greening",)
    assert any("E999" in note for note in view.notes) and any("lawns" in note for note in view.notes)


def test_huge_lists_are_capped():
    estates = {f"E{i:05d}" for i in range(2000)}
    view = urlstate.parse("?estate=" + ",".join(sorted(estates)), known_estates=estates)
    assert len(view.estates) == urlstate.MAX_LIST_ITEMS


def test_cities_expand_to_their_estates():
    view = urlstate.parse("?city=上海&estate=E003", known_estates=KNOWN_ESTATES, known_cities=KNOWN_CITIES)
    assert view.filters(TODAY, {"上海": ["E001", "E002"]}).estates == {"E001", "E002", "E003"}


def test_presets_on_a_monday():
    assert preset_range("last_week", TODAY) == (dt.date(2026, 11, 16), dt.date(2026, 11, 22))
    assert preset_range("this_week", TODAY) == (TODAY, TODAY)
    assert preset_range("last_4_weeks", TODAY) == (dt.date(2026, 10, 26), dt.date(2026, 11, 22))
    assert preset_range("last_month", TODAY) == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert preset_range("this_quarter", TODAY) == (dt.date(2026, 10, 1), TODAY)
    assert preset_range("year_to_date", TODAY) == (dt.date(2026, 1, 1), TODAY)


def test_comparison_periods():
    assert comparison_range(dt.date(2026, 11, 16), dt.date(2026, 11, 22), "previous") == (dt.date(2026, 11, 9), dt.date(2026, 11, 15))
    assert comparison_range(dt.date(2024, 2, 1), dt.date(2024, 2, 29), "last_year") == (dt.date(2023, 2, 1), dt.date(2023, 2, 28))
