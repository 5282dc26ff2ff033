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
