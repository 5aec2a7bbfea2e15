"""Danish phone numbers for call-backs: 8 digits, spaces allowed, +45 or 0045 in front allowed."""
from __future__ import annotations

import re

_PREFIX = re.compile(r"(?:\+|\b00)45(?=[\s\-.]*\d)")


def normalise_phone(text: str) -> str | None:
    """'+45 20 30 40 50' -> '20304050'; None if it is not (only) a Danish phone number.

    A sentence around the number is fine ("mit nummer er 20 30 40 50"), but any other digit makes
    the answer ambiguous, and the citizen is asked again rather than called on a guess.
    """
    if not text:
        return None
    without_prefix = _PREFIX.sub("", text, count=1)
    if "+" in without_prefix:
        return None
    digits = re.sub(r"\D", "", without_prefix)
    # Danish subscriber numbers never start with 0 or 1 (those are prefixes and short codes).
    if not re.fullmatch(r"[2-9]\d{7}", digits):
        return None
    if not re.search(r"\d(?:[\s\-.]?\d){7}", without_prefix):
        return None
    return digits


def format_phone(number: str) -> str:
    """'20304050' -> '20 30 40 50'"""
    return " ".join(number[i : i + 2] for i in range(0, len(number), 2))
