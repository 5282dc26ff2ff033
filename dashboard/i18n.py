"""Languages: the message catalogue (dashboard/catalogue/*.toml, every key in en and zh) and
locale-aware number and date formatting through Babel.

The language is a cookie (`lang`), so server-rendered layouts and callbacks alike know it
and the choice is remembered; a figure shown as None is "—", never 0.
"""
from __future__ import annotations

import datetime as dt
import decimal
import math
import tomllib
from functools import lru_cache
from pathlib import Path

import babel
import numpy as np
from babel import dates as babel_dates
from babel import numbers as babel_numbers

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
LOCALES = {"zh": "zh_CN", "en": "en_GB"}
MISSING = "—"
CATALOGUE_DIR = Path(__file__).parent / "catalogue"


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    messages: dict[str, dict[str, str]] = {}
    for path in sorted(CATALOGUE_DIR.glob("*.toml")):
        with path.open("rb") as handle:
            for key, texts in tomllib.load(handle).items():
                if key in messages:
                    raise ValueError(f"message {key!r} defined twice ({path.name})")
                missing = [lang for lang in LANGUAGES if lang not in texts]
                if missing:
                    raise ValueError(f"message {key!r} in {path.name} lacks {missing}")
                messages[key] = texts
    return messages


def normalise_language(value: str | None) -> str:
    if not value:
        return DEFAULT_LANGUAGE
    value = value.lower()
    if value.startswith("en"):
        return "en"
    if value.startswith("zh"):
        return "zh"
    return DEFAULT_LANGUAGE


def t(key: str, lang: str, **values) -> str:
    """The message `key` in `lang`, with {placeholders} filled in."""
    entry = catalogue().get(key)
    if entry is None:
        raise KeyError(f"no message {key!r} in the catalogue")
    text = entry[normalise_language(lang)]
    return text.format(**values) if values else text


def locale(lang: str) -> str:
    return LOCALES[normalise_language(lang)]


@lru_cache(maxsize=None)
def _number_format(lang: str, digits: int):
    """Babel's locale and pattern, parsed once, and whether the locale writes numbers as Python
    does (",", ".", "-"): then Python formats them, babel's way of rounding kept, 20x faster (a
    league table of 2,000 estates formats 26,000 numbers)."""
    parsed = babel.Locale.parse(locale(lang))
    pattern = babel_numbers.parse_pattern("#,##0" + ("." + "0" * digits if digits else ""))
    symbols = (babel_numbers.get_group_symbol(parsed), babel_numbers.get_decimal_symbol(parsed), babel_numbers.get_minus_sign_symbol(parsed))
    return parsed, pattern, symbols == (",", ".", "-"), decimal.Decimal(1).scaleb(-digits)


def number(value, lang: str, digits: int = 0) -> str:
    if value is None:
        return MISSING
    return number_formatter(lang, digits)(value)


def number_formatter(lang: str, digits: int = 0):
    """`number` with the language resolved once, for a column of thousands of figures."""
    return _formatter(normalise_language(lang), digits)


@lru_cache(maxsize=None)
def _formatter(lang: str, digits: int):
    parsed, pattern, plain, quantum = _number_format(lang, digits)
    fast = digits <= 3  # below 1e9 two decimals of digits + 1 places are further apart than a float's precision

    def format_number(value) -> str:
        if value is None:
            return MISSING
        if not plain or isinstance(value, bool) or not math.isfinite(value):
            return pattern.apply(value, parsed)
        if isinstance(value, int):
            if digits == 0:  # a count: nothing to round (most of a league's cells)
                return f"{value:,}"
        elif fast and isinstance(value, float) and -1e9 < value < 1e9:
            # Babel rounds the shortest decimal of the value (its repr) half to even, Python the
            # float itself: the two agree unless that decimal ends in a tie just past the digits.
            text = repr(value)
            if "e" not in text and not (text[-1] == "5" and len(text) - text.index(".") == digits + 2):
                return f"{value:,.{digits}f}"
        return f"{decimal.Decimal(str(value)).quantize(quantum, rounding=decimal.ROUND_HALF_EVEN):,}"

    return format_number


def number_column(values, lang: str, digits: int = 0, template: str = "{value}") -> list[str]:
    """`number` of each value, written into `template` (MISSING for None, untemplated): what
    mapping number_formatter and the template over the values gives, several times faster for
    a table of thousands of figures (a league of 2,000 estates: ~26,000). The values that
    could be a rounding tie are found for all floats at once in numpy and take number's own path;
    every other float is a plain f-string, as number's fast path writes it."""
    one = number_formatter(lang, digits)
    plain = _number_format(normalise_language(lang), digits)[2]
    if not plain or digits > 3:
        return [MISSING if v is None else template.format(value=one(v)) for v in values]
    prefix, _, suffix = template.partition("{value}")
    floats = np.array([v for v in values if type(v) is float], dtype=float)
    scaled = np.abs(floats) * 10.0 ** (digits + 1)
    nearest = np.rint(scaled)
    # A tie (the shortest decimal of the value ends in 5 just past the digits) lies within a
    # hundredth of a whole number ending in 5 for values under 1e9; beyond them (and NaN, the
    # infinities) number decides.
    with np.errstate(invalid="ignore"):
        near_tie = (np.abs(scaled - nearest) < 0.01) & (nearest % 10 == 5)
    slow = iter((near_tie | ~(scaled < 1e9 * 10.0 ** (digits + 1))).tolist())
    out = []
    for v in values:
        if v is None:
            out.append(MISSING)
        elif type(v) is float and not next(slow):
            out.append(f"{prefix}{v:,.{digits}f}{suffix}")
        elif type(v) is int and digits == 0:
            out.append(f"{prefix}{v:,}{suffix}")
        else:
            out.append(f"{prefix}{one(v)}{suffix}")
    return out


def percent(value, lang: str, digits: int = 1) -> str:
    """A value already in percent (0-100)."""
    return percent_formatter(lang, digits)(value)


def minutes(value, lang: str) -> str:
    return unit_formatter("unit.minutes", lang)(value)


def hours(value, lang: str) -> str:
    return unit_formatter("unit.hours", lang)(value)


def percent_formatter(lang: str, digits: int = 1):
    """`percent` with the language resolved once (as number_formatter)."""
    return _with_unit("{value}%", number_formatter(lang, digits))


def unit_formatter(key: str, lang: str):
    """A duration with one decimal in the catalogue's unit `key` ("unit.minutes", "unit.hours"),
    the language and the message resolved once (as number_formatter)."""
    return _with_unit(t(key, lang), number_formatter(lang, 1))


def _with_unit(template: str, number):
    return lambda value: MISSING if value is None else template.format(value=number(value))


def date(value: dt.date | None, lang: str, fmt: str = "medium") -> str:
    if value is None:
        return MISSING
    return babel_dates.format_date(value, format=fmt, locale=locale(lang))


def date_range(start: dt.date, end: dt.date, lang: str) -> str:
    return f"{date(start, lang)} – {date(end, lang)}"


def datetime(value: dt.datetime | None, lang: str) -> str:
    if value is None:
        return MISSING
    return babel_dates.format_datetime(value, format="short", locale=locale(lang))


def area(key: str, lang: str) -> str:
    return t(f"area.{key}", lang)


def label(group: str, key, lang: str) -> str:
    """A coded value's name (request type, channel, priority, severity...)."""
    return t(f"{group}.{key}", lang)
