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

# Spaces as people and phones type them: space, no-break space, narrow no-break space, thin space.
_SPACE = "[ \u00a0\u202f\u2009]"
# Dashes: hyphen-minus, hyphen, non-breaking hyphen, figure dash, en dash, em dash, minus sign.
_DASH = "[-\u2010\u2011\u2012\u2013\u2014\u2212]"
# A CPR number: DDMMYY (the three parts may be split by one space, dot, dash or slash, the same
# one twice: "01 01 90", "01.01.90"), then the last four digits after nothing, spaces, or a dash
# or slash with spaces around it ("010190-1234", "010190  1234", "010190 - 1234", "010190/1234").
_CPR = re.compile(
    rf"(?<![\d])(\d{{2}})({_SPACE}|[./]|{_DASH})?(\d{{2}})(?(2)\2)(\d{{2}})"
    rf"(?:{_SPACE}{{0,3}}(?:{_DASH}|/){_SPACE}{{0,3}}|{_SPACE}{{1,3}})?(\d)(\d{{3}})(?![\d])"
)
# Card numbers: 13 to 19 digits, whole or in groups split by spaces, a dash or a dot.
_CARD_SEPARATOR = rf"(?:{_SPACE}?(?:{_DASH}|\.){_SPACE}?|{_SPACE}{{1,3}})"
_DIGIT_GROUPS = re.compile(rf"(?<![\d])\d+(?:{_CARD_SEPARATOR}\d+)*(?![\d])")
# Cards are printed in groups of 4 (4-4-4-4, 4-4-4-4-3), 4-6-5 or 4-6-4; two-digit groups are how
# phone numbers are written ("20 30 40 50") and short runs are counting, so a number split into
# groups counts only when every group is 3 to 6 digits long.
_CARD_GROUP_MIN, _CARD_GROUP_MAX = 3, 6
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
        day, month, year, century = (int(match.group(i)) for i in (1, 3, 4, 5))
        if cpr_birth_date(day, month, year, century) is None:
            return match.group(0)
        count += 1
        return CPR_PLACEHOLDER

    return _CPR.sub(replace, text), count


def _card_like(groups: list[str]) -> bool:
    if len(groups) == 1:
        return True
    return all(_CARD_GROUP_MIN <= len(group) <= _CARD_GROUP_MAX for group in groups)


def _card_span(groups: list[str]) -> tuple[int, int] | None:
    """The longest run of whole, card-like digit groups that is a Luhn-valid card number, leftmost first."""
    best: tuple[int, int] | None = None
    for start in range(len(groups)):
        length = 0
        for end in range(start, len(groups)):
            length += len(groups[end])
            if length > _CARD_MAX:
                break
            run = groups[start : end + 1]
            if length >= _CARD_MIN and _card_like(run) and luhn_valid("".join(run)):
                if best is None or end - start > best[1] - best[0]:
                    best = (start, end)
    return best


def _redact_cards_in(chunk: str) -> tuple[str, int]:
    parts = re.split(f"({_CARD_SEPARATOR})", chunk)  # group i at 2*i, the separator after it at 2*i + 1
    span = _card_span(parts[0::2])
    if span is None:
        return chunk, 0
    start, end = span
    head = "".join(parts[: 2 * start])
    if 2 * end + 1 >= len(parts):
        return head + CARD_PLACEHOLDER, 1
    separator, tail = parts[2 * end + 1], "".join(parts[2 * end + 2 :])
    rest, more = _redact_cards_in(tail)
    return head + CARD_PLACEHOLDER + separator + rest, 1 + more


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
