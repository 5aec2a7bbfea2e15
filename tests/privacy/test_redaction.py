"""Redaction at the door: property tests over every way a CPR or card number can be written."""
from __future__ import annotations

from datetime import date, timedelta

from hypothesis import assume, example, given
from hypothesis import strategies as st

from bot.privacy import CARD_PLACEHOLDER, CPR_PLACEHOLDER, redact, redaction_warning
from bot.privacy.redaction import cpr_birth_date, luhn_valid

SEPARATORS = ["", "-", " "]
# Text around a number: letters, Danish letters, punctuation and spaces, never touching digits.
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzæøåÆØÅ .,!?:()'\"\n", max_size=40)


def century_digits_for(year: int) -> list[int]:
    """The seventh digits that place a birth year in its century, as the CPR office defines them."""
    yy = year % 100
    if 1900 <= year <= 1999:
        return [0, 1, 2, 3] + ([4, 9] if yy >= 37 else []) + ([5, 6, 7, 8] if yy >= 58 else [])
    if 2000 <= year <= 2036:
        return [4, 9, 5, 6, 7, 8]
    if 2037 <= year <= 2057:
        return [5, 6, 7, 8]
    return [5, 6, 7, 8]  # 1858-1899


@st.composite
def valid_cprs(draw) -> str:
    born = draw(st.dates(min_value=date(1858, 1, 1), max_value=date(2057, 12, 31)))
    century = draw(st.sampled_from(century_digits_for(born.year)))
    serial = draw(st.integers(0, 999))
    separator = draw(st.sampled_from(SEPARATORS))
    return f"{born:%d%m}{born.year % 100:02d}{separator}{century}{serial:03d}"


@st.composite
def invalid_date_cprs(draw) -> str:
    day = draw(st.integers(0, 99))
    month = draw(st.integers(0, 99))
    year = draw(st.integers(0, 99))
    century = draw(st.integers(0, 9))
    assume(cpr_birth_date(day, month, year, century) is None)
    return f"{day:02d}{month:02d}{year:02d}{draw(st.sampled_from(SEPARATORS))}{century}{draw(st.integers(0, 999)):03d}"


def with_luhn_digit(body: str) -> str:
    for check in "0123456789":
        if luhn_valid(body + check):
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
    if length == 16 and draw(st.booleans()):
        separator = draw(st.sampled_from([" ", "-"]))
        number = separator.join(number[i : i + 4] for i in range(0, 16, 4))
    return number


@given(before=words, cpr=valid_cprs(), after=words)
@example(before="mit cpr er ", cpr="010190-1234", after=" tak")
@example(before="", cpr="2902004123", after="")  # 29 Feb 2000 (7th digit 4), a leap year
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


def test_everyday_numbers_are_kept():
    for text in ("ring på 70 00 00 00", "+45 12345678", "booking ABC123", "det koster 1.200 kr.", "kl. 10.00-15.00"):
        assert redact(text).text == text


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
