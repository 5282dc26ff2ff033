"""Masking of owners' personal data: names, phone numbers and rooms are confidential."""
from __future__ import annotations

import re

_DIGITS = re.compile(r"\d")


def mask_name(name: str | None) -> str | None:
    """张三丰 -> 张**, Alice Wong -> A********"""
    if not name:
        return name
    name = str(name).strip()
    return name[0] + "*" * max(1, len(name) - 1)


def mask_phone(phone: str | None) -> str | None:
    """13812341234 -> 138****1234; shorter numbers keep only their last two digits."""
    if not phone:
        return phone
    digits = "".join(_DIGITS.findall(str(phone)))
    if len(digits) >= 11:
        return digits[:3] + "****" + digits[-4:]
    if len(digits) >= 3:
        return "*" * (len(digits) - 2) + digits[-2:]
    return "***"


def mask_room(room: str | None) -> str | None:
    return "***" if room else room


_LONG_NUMBER = re.compile(r"\d[\d\s-]{5,}\d")


def mask_numbers_in_text(text: str | None) -> str | None:
    """Free text (a ticket's summary) may quote a phone number: runs of seven or more digits are
    masked like phone numbers."""
    if not text:
        return text
    return _LONG_NUMBER.sub(lambda m: mask_phone(m.group()) if len(_DIGITS.findall(m.group())) >= 7 else m.group(), str(text))
