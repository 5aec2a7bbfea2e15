"""Keeps CPR numbers and payment card numbers out of everything the gateway stores or sends on.

A CPR number counts only when its first six digits are a real date (the seventh digit fixes the
century, as the CPR office defines it); a card number only when it passes the Luhn check. Anything
else that merely looks like them (phone numbers, booking references, amounts) is kept, because a
citizen's message that loses its meaning is worse than useless.

Numbers are looked for in a normalised copy of the text (NFKC, so full-width digits and dashes are
ordinary ones, and without invisible characters such as a zero-width space), and the matches are
cut out of the text as written: everything around a number stays exactly as the citizen typed it.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

CPR_PLACEHOLDER = "[CPR-nummer fjernet]"
CARD_PLACEHOLDER = "[kortnummer fjernet]"

# Spaces as people and phones type them: space, no-break space, narrow no-break space, thin space.
_SPACE = "[ \u00a0\u202f\u2009]"
# Dashes: hyphen-minus, hyphen, non-breaking hyphen, figure dash, en dash, em dash, minus sign.
_DASH = "[-\u2010\u2011\u2012\u2013\u2014\u2212]"
# Between the birth date and the last four digits: a dash, slash, dot or underscore with up to three
# spaces around it ("010190-1234", "010190 - 1234", "010190.1234"), or spaces alone ("010190  1234").
_CPR_MIDDLE = rf"(?:{_SPACE}{{0,3}}(?:{_DASH}|[/._]){_SPACE}{{0,3}}|{_SPACE}{{1,3}})"
# A CPR number: the birth date as DDMMYY or DDMMYYYY, its parts split by nothing, by the same space,
# dot, dash or slash twice ("01 01 90", "01.01.1990"), or by a space before the year ("0101 90");
# then the last four digits, whole or, after a date written without spaces or dots between its
# parts, as two pairs ("010190-12 34"; "10 11 12 13 14" is counting).
_CPR = re.compile(
    rf"(?<![\d])(\d{{2}})(?:({_SPACE}|[./]|{_DASH})(\d{{2}})\2|(\d{{2}}){_SPACE}?)(\d{{2}}|\d{{4}})"
    rf"{_CPR_MIDDLE}?(\d)(?(2)\d{{3}}|(?:\d{{3}}|\d{_SPACE}\d{{2}}))(?![\d])"
)
# Card numbers: 13 to 19 digits, whole or in groups split by spaces, a dash, a dot or an underscore.
_CARD_SEPARATOR = rf"(?:{_SPACE}?(?:{_DASH}|[._]){_SPACE}?|{_SPACE}{{1,3}})"
_DIGIT_GROUPS = re.compile(rf"(?<![\d])\d+(?:{_CARD_SEPARATOR}\d+)*(?![\d])")
_SPLIT_GROUPS = re.compile(r"\d+")
# Cards are printed in groups of 4 (4-4-4-4, 4-4-4-4-3), 4-6-5 or 4-6-4; two-digit groups are how
# phone numbers are written ("20 30 40 50") and short runs are counting, so a number split into
# groups counts only when every group is 3 to 6 digits long, or, read out in pairs after a first
# group of four ("4111 11 11 1111 1111"), 2 to 6.
_CARD_GROUP_MIN, _CARD_GROUP_MAX = 3, 6
_CARD_PAIRS_AFTER = 4
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


def _invisible(char: str) -> bool:
    # Format characters (zero-width space and joiners, word joiner, soft hyphen, direction marks, BOM).
    return unicodedata.category(char) == "Cf"


def _normalised(text: str) -> tuple[str, list[int]]:
    """`text` in NFKC without invisible characters, and for each of its characters the index it came from."""
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if _invisible(char):
            continue
        for normal in unicodedata.normalize("NFKC", char):
            chars.append(normal)
            origin.append(index)
    return "".join(chars), origin


def _replace_spans(text: str, find: Callable[[str], Iterator[tuple[int, int]]], placeholder: str) -> tuple[str, int]:
    """Replace, in `text` as written, what `find` finds in its normalised copy."""
    normal, origin = _normalised(text)
    pieces: list[str] = []
    written = 0
    count = 0
    for start, end in find(normal):
        first, last = origin[start], origin[end - 1] + 1
        pieces += [text[written:first], placeholder]
        written = last
        count += 1
    pieces.append(text[written:])
    return "".join(pieces), count


def _cpr_spans(text: str) -> Iterator[tuple[int, int]]:
    for match in _CPR.finditer(text):
        day = int(match.group(1))
        month = int(match.group(3) or match.group(4))
        written_year = match.group(5)
        century = int(match.group(6))
        born = cpr_birth_date(day, month, int(written_year[-2:]), century)
        if born is None or (len(written_year) == 4 and born.year != int(written_year)):
            continue
        yield match.span()


def _card_like(groups: list[str]) -> bool:
    if len(groups) == 1:
        return True
    if all(_CARD_GROUP_MIN <= len(group) <= _CARD_GROUP_MAX for group in groups):
        return True
    return len(groups[0]) == _CARD_PAIRS_AFTER and all(2 <= len(group) <= _CARD_GROUP_MAX for group in groups)


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


def _card_spans_in(groups: list[re.Match[str]]) -> Iterator[tuple[int, int]]:
    while groups:
        span = _card_span([group.group(0) for group in groups])
        if span is None:
            return
        start, end = span
        yield groups[start].start(), groups[end].end()
        groups = groups[end + 1 :]


def _card_spans(text: str) -> Iterator[tuple[int, int]]:
    for match in _DIGIT_GROUPS.finditer(text):
        groups = list(_SPLIT_GROUPS.finditer(text, match.start(), match.end()))
        yield from _card_spans_in(groups)


def redact(text: str) -> Redaction:
    """Replace every CPR number and card number in `text` by a placeholder."""
    # Cards first: a card's middle group and last one can read as a CPR number ("0000-010100-0008"),
    # while a CPR number alone has at most 12 digits, too few for a card.
    text, cards = _replace_spans(text, _card_spans, CARD_PLACEHOLDER)
    text, cprs = _replace_spans(text, _cpr_spans, CPR_PLACEHOLDER)
    return Redaction(text, cprs, cards)
