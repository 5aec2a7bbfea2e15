"""Redaction at the door: property tests over every way a CPR or card number can be written."""
from __future__ import annotations

import datetime as dt
from datetime import date, timedelta

import pytest

from hypothesis import assume, example, given
from hypothesis import strategies as st

from bot.privacy import CARD_PLACEHOLDER, CPR_PLACEHOLDER, redact, redaction_warning
from bot.privacy.redaction import cpr_birth_date

# Between the birth date and the last four digits, as citizens and phones type them.
SEPARATORS = ["", "-", " ", "  ", " - ", "\u2013", "\u2011", "\u00a0", "/", ".", "_"]
# Inside the birth date: "010190", "01 01 90", "01.01.90", "01-01-90", "01/01/90".
DATE_SEPARATORS = ["", " ", ".", "-", "/"]
# Invisible characters a copy from a web page or a phone's keyboard can leave inside a number.
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff"]
FULL_WIDTH = str.maketrans("0123456789-", "\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff0d")
# Text around a number: letters, Danish letters, punctuation and spaces, never touching digits.
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzæøåÆØÅ .,!?:()'\"\n", max_size=40)


# The CPR office's century rules, written out here so the tests do not trust the code they test:
# (seventh digits, lowest two-digit year, highest two-digit year, century).
CPR_CENTURIES = [
    ((0, 1, 2, 3), 0, 99, 1900),
    ((4, 9), 0, 36, 2000),
    ((4, 9), 37, 99, 1900),
    ((5, 6, 7, 8), 0, 57, 2000),
    ((5, 6, 7, 8), 58, 99, 1800),
]


def real_cpr_date(day: int, month: int, yy: int, seventh: int) -> bool:
    """Whether DDMMYY with this seventh digit is a real birth date, by the table above and datetime."""
    (century,) = [c for digits, low, high, c in CPR_CENTURIES if seventh in digits and low <= yy <= high]
    try:
        dt.date(century + yy, month, day)
    except ValueError:
        return False
    return True


def century_digits_for(year: int) -> list[int]:
    """The seventh digits that place a birth year in its century, as the CPR office defines them."""
    yy = year % 100
    if 1900 <= year <= 1999:
        return [0, 1, 2, 3] + ([4, 9] if yy >= 37 else [])
    if 2000 <= year <= 2036:
        return [4, 9, 5, 6, 7, 8]
    if 2037 <= year <= 2057:
        return [5, 6, 7, 8]
    return [5, 6, 7, 8]  # 1858-1899


def luhn(digits: str) -> bool:
    """The Luhn check as card issuers define it, written out here so the tests do not trust the code."""
    doubled = [int(c) * (2 if i % 2 else 1) for i, c in enumerate(reversed(digits))]
    return sum(d // 10 + d % 10 for d in doubled) % 10 == 0


@st.composite
def disguised(draw, number: str) -> str:
    """`number` as a phone or a web page may hand it over: full-width, or with an invisible character inside."""
    how = draw(st.sampled_from(["plain", "full-width", "invisible"]))
    if how == "full-width":
        return number.translate(FULL_WIDTH)
    if how == "invisible":
        at = draw(st.integers(1, len(number) - 1))
        return number[:at] + draw(st.sampled_from(INVISIBLE)) + number[at:]
    return number


@st.composite
def valid_cprs(draw) -> str:
    born = draw(st.dates(min_value=date(1858, 1, 1), max_value=date(2057, 12, 31)))
    century = draw(st.sampled_from(century_digits_for(born.year)))
    serial = f"{century}{draw(st.integers(0, 999)):03d}"
    separator = draw(st.sampled_from(SEPARATORS))
    d = draw(st.sampled_from(DATE_SEPARATORS + ["0101 90"]))
    year = f"{born.year % 100:02d}"
    if d and draw(st.booleans()):
        year = str(born.year)  # "01.01.1990-1234"
    if d == "0101 90":  # the day and month together, the year apart
        birth = f"{born:%d}{born:%m} {year}"
    else:
        birth = f"{born:%d}{d}{born:%m}{d}{year}"
    if d in ("", "0101 90") and separator.strip() and draw(st.booleans()):
        serial = f"{serial[:2]} {serial[2:]}"  # "010190-12 34"
    return draw(disguised(f"{birth}{separator}{serial}"))


@st.composite
def invalid_date_cprs(draw) -> str:
    day = draw(st.integers(0, 99))
    month = draw(st.integers(0, 99))
    year = draw(st.integers(0, 99))
    century = draw(st.integers(0, 9))
    assume(not real_cpr_date(day, month, year, century))
    d = draw(st.sampled_from(DATE_SEPARATORS))
    separator = draw(st.sampled_from(SEPARATORS))
    return f"{day:02d}{d}{month:02d}{d}{year:02d}{separator}{century}{draw(st.integers(0, 999)):03d}"


CARD_SEPARATORS = [" ", "-", "  ", ".", "\u00a0", " - ", "\u2013", "_"]


def with_luhn_digit(body: str) -> str:
    for check in "0123456789":
        if luhn(body + check):
            return body + check
    raise AssertionError("unreachable")


@st.composite
def card_numbers(draw, valid: bool = True) -> str:
    length = draw(st.integers(13, 19))
    body = draw(st.text(alphabet="0123456789", min_size=length - 1, max_size=length - 1))
    number = with_luhn_digit(body)
    if not valid:
        wrong = str((int(number[-1]) + draw(st.integers(1, 9))) % 10)
        number = number[:-1] + wrong
    # The groupings cards are printed in: 4-4-4-4(-3), Amex 4-6-5, Diners 4-6-4.
    # Read out in pairs after the first four: 4-2-2-4-4.
    groupings = {16: [(4, 4, 4, 4), (4, 2, 2, 4, 4)], 19: [(4, 4, 4, 4, 3)], 15: [(4, 6, 5)], 14: [(4, 6, 4)]}
    # (A wrong 19-digit number in 4-4-4-4-3 may still hold a right 16-digit one: not drawn as wrong.)
    if length in groupings and (valid or length != 19) and draw(st.booleans()):
        separator = draw(st.sampled_from(CARD_SEPARATORS))
        groups, start = [], 0
        for size in draw(st.sampled_from(groupings[length])):
            groups.append(number[start : start + size])
            start += size
        number = separator.join(groups)
    return draw(disguised(number)) if valid else number


@given(before=words, cpr=valid_cprs(), after=words)
@example(before="mit cpr er ", cpr="010190-1234", after=" tak")
@example(before="", cpr="2902004123", after="")  # 29 Feb 2000 (7th digit 4), a leap year
@example(before="", cpr="010190 - 1234", after="")
@example(before="", cpr="010190  1234", after="")
@example(before="", cpr="01 01 90 1234", after="")
@example(before="", cpr="01.01.90-1234", after="")
@example(before="", cpr="01-01-90-1234", after="")
@example(before="", cpr="010190/1234", after="")
@example(before="", cpr="010190\u20131234", after="")
@example(before="cpr:", cpr="0101901234", after=".")
def test_every_valid_cpr_is_removed_and_the_text_around_is_kept(before, cpr, after):
    result = redact(f"{before} {cpr} {after}")
    assert result.text == f"{before} {CPR_PLACEHOLDER} {after}"
    assert result.cpr_numbers == 1 and result.card_numbers == 0


@given(before=words, number=invalid_date_cprs(), after=words)
@example(before="", number="3102901234", after="")  # 31 February
@example(before="", number="2902001234", after="")  # 29 Feb 1900 (7th digit 1), not a leap year
def test_ten_digits_that_are_not_a_date_are_kept(before, number, after):
    text = f"{before} {number} {after}"
    assert redact(text).text == text


@given(before=words, card=card_numbers(valid=True), after=words)
@example(before="kort: ", card="4111 1111 1111 1111", after=" udløb 12/27")
@example(before="", card="4111  1111 1111 1111", after="")
@example(before="", card="4111\u00a01111\u00a01111\u00a01111", after="")
@example(before="", card="4111.1111.1111.1111", after="")
@example(before="", card="3714 496353 98431", after="")
@example(before="", card="3782-822463-10005", after="")
@example(before="", card="3056 930902 5904", after="")
@example(before="", card="0000-010100-0008", after="")  # its middle and end read as a CPR number
def test_every_luhn_valid_card_number_is_removed(before, card, after):
    result = redact(f"{before} {card} {after}")
    assert result.text == f"{before} {CARD_PLACEHOLDER} {after}"
    assert result.card_numbers == 1


@given(before=words, card=card_numbers(valid=False), after=words)
def test_numbers_failing_luhn_are_kept(before, card, after):
    text = f"{before} {card} {after}"
    assert redact(text).text == text


@given(words)
def test_text_without_numbers_is_untouched(text):
    assert redact(text).text == text and not redact(text).found


@pytest.mark.parametrize(
    "text",
    [
        "ring på 70 00 00 00",
        "+45 12345678",
        "booking ABC123",
        "det koster 1.200 kr.",
        "kl. 10.00-15.00",
        # Danish phone numbers, alone and several in a row: 2030405060708006 passes Luhn.
        "ring på 20 30 40 50 60 70 80 06",
        "12 34 56 78 og 87 65 43 21",
        "12 34 56 78 87 65 43 21",
        "12345678 87654321",
        "tel. 11 22 33 44 55",
        "tlf 2345 6789 konto 1234 5678901234",
        # Counting and amounts: 2..13 pass Luhn together.
        "1 2 3 4 5 6 7 8 9 10 11 12 13 14",
        "beløb 1 234 567 890 123 kr",
        "ordre 1234567890123",
        "2024-11-24 kl 10",
        "fra 1.1.2020 til 31.12.2024",
        "CPR 2902011234",  # 29 Feb 1901 is not a date
        "0101901234567",  # thirteen digits, neither a CPR nor a card
        "mødet 01.01.2024 1200-1300",  # a four-digit year the seventh digit contradicts
        "tlf 2030 40 50 60 70",  # pairs after four digits, but too short for a card
        "\uff11\uff12\uff13 kr",  # full-width digits alone stay as written
        "hej\u200bmed dig",  # an invisible character outside a number stays
    ],
)
def test_everyday_numbers_are_kept(text):
    assert redact(text).text == text and not redact(text).found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("010190 - 1234", CPR_PLACEHOLDER),
        ("010190  1234", CPR_PLACEHOLDER),
        ("01 01 90 1234", CPR_PLACEHOLDER),
        ("01.01.90-1234", CPR_PLACEHOLDER),
        ("010190\u20111234", CPR_PLACEHOLDER),
        ("4111  1111 1111 1111", CARD_PLACEHOLDER),
        ("4111\u00a01111\u00a01111\u00a01111", CARD_PLACEHOLDER),
        ("4111.1111.1111.1111", CARD_PLACEHOLDER),
        ("\uff15\uff15" + "\uff10" * 13 + "\uff14", CARD_PLACEHOLDER),  # full-width 5500 0000 0000 0004
        ("ring 20 30 40 50 om 4111 1111 1111 1111", f"ring 20 30 40 50 om {CARD_PLACEHOLDER}"),
        # Kept by the redaction the security review found:
        ("010190.1234", CPR_PLACEHOLDER),
        ("0101 90 1234", CPR_PLACEHOLDER),
        ("010190-12 34", CPR_PLACEHOLDER),
        ("01.01.1990-1234", CPR_PLACEHOLDER),
        ("\uff10\uff11\uff10\uff11\uff19\uff10\uff0d\uff11\uff12\uff13\uff14", CPR_PLACEHOLDER),
        ("0101\u200b901234", CPR_PLACEHOLDER),
        ("4111 11 11 1111 1111", CARD_PLACEHOLDER),
        ("4111_1111_1111_1111", CARD_PLACEHOLDER),
        ("kort 4111 11\u200b11 1111 1111 tak", f"kort {CARD_PLACEHOLDER} tak"),
        ("4111 1111 1111 1111 og 010190-1234", f"{CARD_PLACEHOLDER} og {CPR_PLACEHOLDER}"),
    ],
)
def test_the_audits_missed_formats_are_removed(text, expected):
    assert redact(text).text == expected


def test_the_century_rules_agree_with_the_cpr_office_for_every_date_and_seventh_digit():
    for seventh in range(10):
        for yy in range(100):
            for month in range(1, 13):
                for day in range(1, 32):
                    expected = real_cpr_date(day, month, yy, seventh)
                    assert (cpr_birth_date(day, month, yy, seventh) is not None) == expected, (day, month, yy, seventh)


def test_several_numbers_in_one_message():
    result = redact("010190-1234, 020290 1234 og 4111111111111111")
    assert result.text == f"{CPR_PLACEHOLDER}, {CPR_PLACEHOLDER} og {CARD_PLACEHOLDER}"
    assert (result.cpr_numbers, result.card_numbers) == (2, 1)


def test_the_warning_is_kind_and_names_what_was_removed():
    assert redaction_warning(redact("hej")) is None
    cpr = redaction_warning(redact("0101901234"))
    assert "CPR-nummer" in cpr and "ikke bliver gemt" in cpr
    assert "kortnummer" in redaction_warning(redact("4111111111111111"))


def test_all_birth_dates_of_a_year_are_real_dates():
    day = date(2024, 1, 1)
    while day.year == 2024:
        assert cpr_birth_date(day.day, day.month, 24, 4) == day
        day += timedelta(days=1)
