"""i18n.number formats as Babel does for both languages, though it takes shortcuts for speed
(a league of 2,000 estates formats ~30,000 numbers): whole counts, decimals rounded by Python
where the float and its shortest decimal round alike, and half to even on that decimal elsewhere."""
from __future__ import annotations

import pytest
from babel.numbers import format_decimal
from hypothesis import given
from hypothesis import strategies as st

from dashboard import i18n


def babel(value, lang: str, digits: int) -> str:
    return format_decimal(value, format="#,##0" + ("." + "0" * digits if digits else ""), locale=i18n.locale(lang))


# Decimals ending in a 5 (a tie for rounding to one digit fewer), as floats: where the float
# and its shortest decimal can round apart.
TIES = st.integers(min_value=-10**8, max_value=10**8).flatmap(lambda k: st.sampled_from([(10 * k + 5) / 10 ** p for p in (1, 2, 3)]))


@pytest.mark.parametrize("lang", ["en", "zh"])
@given(value=st.integers(min_value=-10**12, max_value=10**12))
def test_counts_as_babel(lang, value):
    assert i18n.number(value, lang) == babel(value, lang, 0)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("digits", [0, 1, 2])
@given(value=st.floats(min_value=-1e9, max_value=1e9, allow_nan=False) | st.sampled_from([0.25, 0.35, 2.5, 82.25, 1234.5, 1.05, 2.675, 1.005])
       | TIES | st.floats(min_value=-1e15, max_value=1e15))
def test_decimals_as_babel(lang, digits, value):
    assert i18n.number(value, lang, digits) == babel(value, lang, digits)
    assert i18n.number_formatter(lang, digits)(value) == i18n.number(value, lang, digits)

