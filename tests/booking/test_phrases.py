"""Danish dates and times read the way citizens type them, and the written form read back."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given, settings, strategies as st

from bot.booking.phrases import parse_time_wish
from bot.danish import format_moment

MONDAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    "text, first_day, at, earliest, latest",
    [
        ("i morgen kl 10", date(2026, 11, 24), time(10), None, None),
        ("imorgen klokken 9.30", date(2026, 11, 24), time(9, 30), None, None),
        ("i overmorgen kl. 14:15", date(2026, 11, 25), time(14, 15), None, None),
        ("på torsdag", date(2026, 11, 26), None, None, None),
        ("paa torsdag", date(2026, 11, 26), None, None, None),
        ("på mandag", date(2026, 11, 30), None, None, None),  # said on a Monday: next week's
        ("lordag", date(2026, 11, 28), None, None, None),
        ("efter frokost", None, None, time(12, 30), None),
        ("før frokost i morgen", date(2026, 11, 24), None, None, time(11, 30)),
        ("fredag formiddag", date(2026, 11, 27), None, None, time(12)),
        ("om eftermiddagen", None, None, time(12), None),
        ("halv 11", None, time(10, 30), None, None),
        ("kvart over 10 på onsdag", date(2026, 11, 25), time(10, 15), None, None),
        ("kvart i 2", None, time(13, 45), None, None),
        ("kl 2", None, time(14), None, None),
        ("mellem 10 og 12 på fredag", date(2026, 11, 27), None, time(10), time(12)),
        ("efter kl 13", None, None, time(13), None),
        ("tirsdag 24. nov. kl. 10.00", date(2026, 11, 24), time(10), None, None),
        ("24/11 kl 9", date(2026, 11, 24), time(9), None, None),
        ("d. 3.12", date(2026, 12, 3), None, None, None),
        ("3. december kl 11", date(2026, 12, 3), time(11), None, None),
        ("den 2.", date(2026, 12, 2), None, None, None),
        ("2026-12-01 kl 9", date(2026, 12, 1), time(9), None, None),
        ("1. jan", date(2027, 1, 1), None, None, None),
        ("10.30", None, time(10, 30), None, None),
    ],
)
def test_understood(text, first_day, at, earliest, latest):
    wish = parse_time_wish(text, MONDAY)
    assert wish is not None
    assert (wish.first_day, wish.at, wish.earliest, wish.latest) == (first_day, at, earliest, latest)
    assert not wish.in_past and not wish.soonest


def test_next_week():
    wish = parse_time_wish("næste uge", MONDAY)
    assert (wish.first_day, wish.last_day) == (date(2026, 11, 30), date(2026, 12, 6))


@pytest.mark.parametrize("text", ["hurtigst muligt", "snarest", "første ledige tid", "det er lige meget", "asap"])
def test_soonest(text):
    assert parse_time_wish(text, MONDAY).soonest


@pytest.mark.parametrize("text", ["i går kl 10", "igaar", "i forgårs", "i morges", "20. nov"])
def test_past(text):
    assert parse_time_wish(text, MONDAY).in_past


@pytest.mark.parametrize("text", ["banan", "", "   ", "hvad koster det", "Mette", "20 30 40 50", "2 tider", "🙂🙂", "ஆம்", "x" * 10000])
def test_not_a_time(text):
    assert parse_time_wish(text, MONDAY) is None


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)).map(lambda d: d.replace(second=0, microsecond=0)))
def test_every_written_time_is_read_back(moment):
    # The time buttons send their label; it must mean exactly that slot (within the booking horizon).
    today = moment.date() - timedelta(days=3)
    wish = parse_time_wish(format_moment(moment), today)
    assert (wish.first_day, wish.at) == (moment.date(), moment.time())


@pytest.mark.parametrize(
    "text, first_day, at, earliest, latest",
    [
        ("tomorrow at 10", date(2026, 11, 24), time(10), None, None),
        ("Tomorrow at 9:30", date(2026, 11, 24), time(9, 30), None, None),
        ("the day after tomorrow at 2pm", date(2026, 11, 25), time(14), None, None),
        ("on Thursday", date(2026, 11, 26), None, None, None),
        ("next Monday at 11am", date(2026, 11, 30), time(11), None, None),
        ("after lunch", None, None, time(12, 30), None),
        ("friday in the morning", date(2026, 11, 27), None, None, time(12)),
        ("between 10 and 12 on Friday", date(2026, 11, 27), None, time(10), time(12)),
        ("3 december at 11 o'clock", date(2026, 12, 3), time(11), None, None),
    ],
)
def test_english_times(text, first_day, at, earliest, latest):
    wish = parse_time_wish(text, MONDAY)
    assert wish is not None, text
    assert (wish.first_day, wish.at, wish.earliest, wish.latest) == (first_day, at, earliest, latest)


def test_english_soonest_and_no_time():
    assert parse_time_wish("as soon as possible", MONDAY).soonest
    assert parse_time_wish("I want a time", MONDAY) is None
    assert parse_time_wish("Other times", MONDAY) is None
