"""Booking reference codes a citizen can read aloud on the phone: 'K7M-4PX'.

No 0/O, 1/I/L: the letters and digits that are mistaken for each other are left out. Every code has
a digit and a letter, so ordinary words in a message ("jeg har") are never taken for a code.
"""
from __future__ import annotations

import re
import secrets

LETTERS = "ABCDEFGHJKMNPQRSTUVWXYZ"
DIGITS = "23456789"
ALPHABET = LETTERS + DIGITS
LENGTH = 6
_CANDIDATE = re.compile(r"\b([A-Za-z0-9]{3})[\s-]?([A-Za-z0-9]{3})\b")


def _valid(code: str) -> bool:
    return (
        len(code) == LENGTH
        and all(character in ALPHABET for character in code)
        and any(character in DIGITS for character in code)
        and any(character in LETTERS for character in code)
    )


def new_reference() -> str:
    while True:
        code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        if _valid(code):
            return f"{code[:3]}-{code[3:]}"


def normalise_reference(text: str) -> str | None:
    """The code in canonical form ('K7M-4PX'), or None if the text holds no valid code."""
    for first, second in _CANDIDATE.findall(text or ""):
        code = (first + second).upper()
        if _valid(code):
            return f"{code[:3]}-{code[3:]}"
    return None
