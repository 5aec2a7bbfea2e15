"""Keeps CPR numbers and payment card numbers out of everything the gateway stores or sends on.

A CPR number counts only when its first six digits are a real date (the seventh digit fixes the
century, as the CPR office defines it); a card number only when it passes the Luhn check. Anything
else that merely looks like them (phone numbers, booking references, amounts) is kept, because a
citizen's message that loses its meaning is worse than useless.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

CPR_PLACEHOLDER = "[CPR-nummer fjernet]"
CARD_PLACEHOLDER = "[kortnummer fjernet]"

# Dashes as people and phones type them: hyphen-minus, hyphen, non-breaking hyphen, figure dash, en dash.
_CPR = re.compile(r"(?<![\d])(\d{2})(\d{2})(\d{2})[-\u2010\u2011\u2012\u2013 \u00a0]?(\d)(\d{3})(?![\d])")
# Card numbers: 13 to 19 digits, whole or in groups split by one space or dash.
_DIGIT_GROUPS = re.compile(r"(?<![\d])\d+(?:[ \-]\d+)*(?![\d])")
_CARD_MIN, _CARD_MAX = 13, 19


@dataclass(frozen=True)
class Redaction:
    text: str
    cpr_numbers: int = 0
    card_numbers: int = 0

    @property
    def found(self) -> bool:
        return bool(self.cpr_numbers or self.card_numbers)


def cpr_birth_date(day: int, month: int, year: int, century_digit: int) -> date | None:
    """The birth date a CPR number encodes, or None when it is not a real date."""
    if century_digit <= 3:
        full_year = 1900 + year
    elif century_digit in (4, 9):
        full_year = (2000 if year <= 36 else 1900) + year
    else:
        full_year = (2000 if year <= 57 else 1800) + year
    try:
        return date(full_year, month, day)
    except ValueError:
        return None


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _redact_cpr(text: str) -> tuple[str, int]:
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        day, month, year, century = (int(match.group(i)) for i in (1, 2, 3, 4))
        if cpr_birth_date(day, month, year, century) is None:
            return match.group(0)
        count += 1
        return CPR_PLACEHOLDER

    return _CPR.sub(replace, text), count


def _card_span(groups: list[str]) -> tuple[int, int] | None:
    """The longest run of whole digit groups that is a Luhn-valid card number, leftmost first."""
    best: tuple[int, int] | None = None
    for start in range(len(groups)):
        length = 0
        for end in range(start, len(groups)):
            length += len(groups[end])
            if length > _CARD_MAX:
                break
            if length >= _CARD_MIN and luhn_valid("".join(groups[start : end + 1])):
                if best is None or end - start > best[1] - best[0]:
                    best = (start, end)
    return best


def _redact_cards_in(chunk: str) -> tuple[str, int]:
    parts = re.split(r"([ \-])", chunk)  # group i at 2*i, the separator after it at 2*i + 1
    span = _card_span(parts[0::2])
    if span is None:
        return chunk, 0
    start, end = span
    head, tail = "".join(parts[: 2 * start]), "".join(parts[2 * end + 1 :])
    if not tail:
        return head + CARD_PLACEHOLDER, 1
    rest, more = _redact_cards_in(tail[1:])
    return head + CARD_PLACEHOLDER + tail[0] + rest, 1 + more


def _redact_cards(text: str) -> tuple[str, int]:
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        redacted, found = _redact_cards_in(match.group(0))
        count += found
        return redacted

    return _DIGIT_GROUPS.sub(replace, text), count


def redact(text: str) -> Redaction:
    """Replace every CPR number and card number in `text` by a placeholder."""
    text, cprs = _redact_cpr(text)
    text, cards = _redact_cards(text)
    return Redaction(text, cprs, cards)
