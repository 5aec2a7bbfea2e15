"""Booking reference codes a citizen can read aloud on the phone: 'K7M-4PX'.

No 0/O, 1/I/L: the letters and digits that are mistaken for each other are left out.
"""
from __future__ import annotations

import re
import secrets

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 6


def new_reference() -> str:
    code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{code[:3]}-{code[3:]}"


def normalise_reference(text: str) -> str | None:
    """The code in canonical form ('K7M-4PX'), or None if the text holds no valid code."""
    candidates = re.findall(r"[A-Za-z0-9]{3}[\s-]?[A-Za-z0-9]{3}", text or "")
    for candidate in candidates:
        code = re.sub(r"[\s-]", "", candidate).upper()
        if len(code) == LENGTH and all(character in ALPHABET for character in code):
            return f"{code[:3]}-{code[3:]}"
    return None
