"""The one place that turns the URL query string into a view (filters, period, comparison)
and back. Anything it cannot understand is dropped with a note, never an error."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qs, urlencode

from data_access.filters import Filters
from data_access.schema import REQUEST_TYPES, SERVICE_AREAS, TICKET_CHANNELS

from .periods import COMPARISONS, DEFAULT_COMPARISON, DEFAULT_PRESET, PRESETS, comparison_range, preset_range

MAX_PERIOD_DAYS = 3 * 366 + 31  # three years and a month: longer ranges are clamped
MAX_LIST_ITEMS = 500  # more estates than any selection a person makes
MAX_QUERY_LENGTH = 20_000
EARLIEST = dt.date(2000, 1, 1)


@dataclass(frozen=True)
class View:
    preset: str = DEFAULT_PRESET
    start: dt.date | None = None  # only for the custom preset
    end: dt.date | None = None
    compare: str = DEFAULT_COMPARISON
    estates: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    request_types: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=(), compare=False)  # what was cleaned away, for the banner

    def period(self, today: dt.date) -> tuple[dt.date, dt.date]:
        if self.preset == "custom" and self.start and self.end:
            return self.start, self.end
        return preset_range(self.preset if self.preset != "custom" else DEFAULT_PRESET, today)

    def filters(self, today: dt.date, city_estates: dict[str, list[str]] | None = None) -> Filters:
        start, end = self.period(today)
        estates = set(self.estates)
        for city in self.cities:
            estates.update((city_estates or {}).get(city, ()))
        return Filters(start, end, estates=estates, areas=self.areas, channels=self.channels, request_types=self.request_types)

    def comparison(self, today: dt.date, city_estates: dict[str, list[str]] | None = None) -> Filters:
        current = self.filters(today, city_estates)
        start, end = comparison_range(current.start, current.end, self.compare)
        return current.with_period(start, end)

    def with_changes(self, **changes) -> View:
        return replace(self, notes=(), **changes)


def _one(params: dict[str, list[str]], key: str) -> str | None:
    values = params.get(key)
    return values[-1].strip() if values else None


def _many(params: dict[str, list[str]], key: str) -> list[str]:
    items: list[str] = []
    for value in params.get(key, []):
        items.extend(part.strip() for part in value.split(",") if part.strip())
    return list(dict.fromkeys(items))  # unique, order kept


def _choose(values: list[str], allowed, name: str, notes: list[str]) -> tuple[str, ...]:
    kept = [v for v in values if v in allowed]
    dropped = [v for v in values if v not in allowed]
    if dropped:
        shown = ", ".join(d[:30] for d in dropped[:5]) + (" …" if len(dropped) > 5 else "")
        notes.append(f"{name}: {shown}")
    if len(kept) > MAX_LIST_ITEMS:
        notes.append(f"{name}: more than {MAX_LIST_ITEMS}")
        kept = kept[:MAX_LIST_ITEMS]
    return tuple(kept)


def _date(text: str | None, name: str, notes: list[str]) -> dt.date | None:
    if not text:
        return None
    try:
        value = dt.date.fromisoformat(text[:10]) if len(text) <= 10 else None
    except ValueError:
        value = None
    if value is None or not (EARLIEST <= value <= dt.date(2100, 12, 31)):
        notes.append(f"{name}: {text[:30]}")
        return None
    return value


def parse(query: str | None, *, known_estates=None, known_cities=None) -> View:
    """A view from a query string ('?period=custom&from=...'). Unknown estates and cities are
    dropped when the known sets are given; the view always answers."""
    notes: list[str] = []
    query = (query or "").lstrip("?")
    if len(query) > MAX_QUERY_LENGTH:
        notes.append("link too long")
        query = query[:MAX_QUERY_LENGTH]
    params = parse_qs(query, keep_blank_values=False)

    preset = _one(params, "period") or DEFAULT_PRESET
    if preset not in PRESETS:
        notes.append(f"period: {preset[:30]}")
        preset = DEFAULT_PRESET
    start = _date(_one(params, "from"), "from", notes)
    end = _date(_one(params, "to"), "to", notes)
    if preset == "custom":
        if start is None or end is None:
            preset, start, end = DEFAULT_PRESET, None, None
        else:
            if end < start:
                notes.append("period reversed")
                start, end = end, start
            if (end - start).days + 1 > MAX_PERIOD_DAYS:
                notes.append("period longer than three years")
                start = end - dt.timedelta(days=MAX_PERIOD_DAYS - 1)
    else:
        start = end = None

    compare = _one(params, "compare") or DEFAULT_COMPARISON
    if compare not in COMPARISONS:
        notes.append(f"compare: {compare[:30]}")
        compare = DEFAULT_COMPARISON

    estates = _many(params, "estate")
    cities = _many(params, "city")
    return View(
        preset=preset,
        start=start,
        end=end,
        compare=compare,
        estates=_choose(estates, known_estates if known_estates is not None else set(estates), "estate", notes),
        cities=_choose(cities, known_cities if known_cities is not None else set(cities), "city", notes),
        areas=_choose(_many(params, "area"), SERVICE_AREAS, "area", notes),
        request_types=_choose(_many(params, "type"), REQUEST_TYPES, "type", notes),
        channels=_choose(_many(params, "channel"), TICKET_CHANNELS, "channel", notes),
        notes=tuple(notes),
    )


def to_query(view: View) -> str:
    """The canonical query string of a view ('' for the default view), with a leading '?'."""
    params: list[tuple[str, str]] = []
    if view.preset != DEFAULT_PRESET:
        params.append(("period", view.preset))
    if view.preset == "custom" and view.start and view.end:
        params += [("from", view.start.isoformat()), ("to", view.end.isoformat())]
    if view.compare != DEFAULT_COMPARISON:
        params.append(("compare", view.compare))
    for key, values in (
        ("city", view.cities),
        ("estate", view.estates),
        ("area", view.areas),
        ("type", view.request_types),
        ("channel", view.channels),
    ):
        if values:
            params.append((key, ",".join(values)))
    return "?" + urlencode(params, safe=",") if params else ""
