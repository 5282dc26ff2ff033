"""Period presets (weeks run Monday to Sunday) and comparison periods. Pure date arithmetic."""
from __future__ import annotations

import datetime as dt

PRESETS = ("last_week", "this_week", "last_4_weeks", "this_month", "last_month", "this_quarter", "year_to_date", "custom")
COMPARISONS = ("previous", "last_year")
DEFAULT_PRESET = "last_week"
DEFAULT_COMPARISON = "previous"


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def preset_range(preset: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The closed date range a preset means on `today`. Ranges that include today end today."""
    if preset == "last_week":
        start = _monday(today) - dt.timedelta(days=7)
        return start, start + dt.timedelta(days=6)
    if preset == "this_week":
        return _monday(today), today
    if preset == "last_4_weeks":
        end = _monday(today) - dt.timedelta(days=1)
        return end - dt.timedelta(days=27), end
    if preset == "this_month":
        return _month_start(today), today
    if preset == "last_month":
        end = _month_start(today) - dt.timedelta(days=1)
        return _month_start(end), end
    if preset == "this_quarter":
        first_month = 3 * ((today.month - 1) // 3) + 1
        return dt.date(today.year, first_month, 1), today
    if preset == "year_to_date":
        return dt.date(today.year, 1, 1), today
    raise ValueError(f"unknown period preset {preset!r}")


def _shift_year(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year + years, day=28)


def comparison_range(start: dt.date, end: dt.date, comparison: str) -> tuple[dt.date, dt.date]:
    """The period to compare with: the equally long one just before, or the same dates a year earlier."""
    if comparison == "last_year":
        return _shift_year(start, -1), _shift_year(end, -1)
    length = (end - start).days + 1
    return start - dt.timedelta(days=length), start - dt.timedelta(days=1)


TREND_WEEKS = 13  # a quarter of context up to the period's end


def trend_window(start: dt.date, end: dt.date, weeks: int = TREND_WEEKS) -> tuple[dt.date, dt.date]:
    """The window of a weekly trend: the period itself, or the `weeks` Monday-to-Sunday weeks
    ending with it when it is shorter (one week of data is a point, not a trend)."""
    earliest = end - dt.timedelta(days=end.weekday()) - dt.timedelta(weeks=weeks - 1)
    return min(start, earliest), end
