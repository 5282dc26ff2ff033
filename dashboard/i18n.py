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


def written(value, lang: str, digits: int, template: str = "{value}") -> str:
    """`number` set into `template` ("{value}%", "{value} min"); MISSING for None."""
    return MISSING if value is None else template.format(value=number(value, lang, digits))


def percent(value, lang: str, digits: int = 1) -> str:
    """A value already in percent (0-100)."""
    return written(value, lang, digits, "{value}%")


def minutes(value, lang: str) -> str:
    return written(value, lang, 1, t("unit.minutes", lang))


def hours(value, lang: str) -> str:
    return written(value, lang, 1, t("unit.hours", lang))


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
