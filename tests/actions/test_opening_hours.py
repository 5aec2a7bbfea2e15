"""Opening hours computed from the municipality's config for a given moment."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest
import yaml

from actions.opening_hours import opening_hours_answer
from bot.config import ConfigError, parse_municipality

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
CONFIG = yaml.safe_load(
    """
municipality:
  name: Testby Kommune
  borgerservice: {phone: "11 22 33 44", address: Torvet 1}
opening_hours:
  monday: ["10:00-15:00"]
  tuesday: ["10:00-15:00"]
  wednesday: ["09:00-12:00", "13:00-15:00"]
  thursday: ["10:00-17:00"]
  friday: ["10:00-13:00"]
  saturday: lukket
  sunday: lukket
opening_hours_exceptions:
  - {date: 2026-12-24, hours: lukket, note: Juleaftensdag}
  - {date: 2026-12-31, hours: ["10:00-12:00"], note: Nytårsaftensdag}
"""
)


@pytest.fixture
def place():
    return parse_municipality(CONFIG)


def at(year, month, day, hour, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=COPENHAGEN).astimezone(timezone.utc)


def test_before_opening_says_todays_hours(place):
    # Thursday 26 November 2026, 08:00
    answer = opening_hours_answer(place, at(2026, 11, 26, 8))
    assert answer["today_text"] == "I dag har vi åbent 10.00–17.00."


def test_while_open_says_open_now_and_until_when(place):
    answer = opening_hours_answer(place, at(2026, 11, 26, 12, 30))
    assert answer["today_text"].startswith("Vi har åbent nu, til kl. 17.00.")


def test_after_closing_points_to_the_next_open_day(place):
    # Friday after 13.00: next is Monday
    answer = opening_hours_answer(place, at(2026, 11, 27, 14))
    assert "Vi har lukket for i dag." in answer["today_text"]
    assert "Næste gang vi har åbent er mandag 30. nov.: 10.00–15.00." in answer["today_text"]


def test_closed_weekend_day_says_so_and_next_is_tomorrow_when_it_is(place):
    answer = opening_hours_answer(place, at(2026, 11, 29, 11))  # Sunday
    assert answer["today_text"] == "I dag har vi lukket. Næste gang vi har åbent er i morgen: 10.00–15.00."


def test_split_day_lists_both_intervals(place):
    answer = opening_hours_answer(place, at(2026, 11, 25, 7))  # Wednesday
    assert answer["today_text"] == "I dag har vi åbent 09.00–12.00 og 13.00–15.00."


def test_exception_day_overrides_the_week_and_names_the_reason(place):
    answer = opening_hours_answer(place, at(2026, 12, 24, 9))
    assert answer["today_text"].startswith("I dag har vi lukket (Juleaftensdag).")


def test_week_and_coming_exceptions_are_listed(place):
    answer = opening_hours_answer(place, at(2026, 12, 20, 9))
    assert "Mandag: 10.00–15.00" in answer["week_text"]
    assert "Lørdag: lukket" in answer["week_text"]
    assert "Torsdag 24. dec.: lukket (Juleaftensdag)" in answer["exceptions_text"]
    assert "Torsdag 31. dec.: 10.00–12.00 (Nytårsaftensdag)" in answer["exceptions_text"]
    assert opening_hours_answer(place, at(2026, 11, 2, 9))["exceptions_text"] == ""


def test_is_open_at_follows_the_local_clock(place):
    assert place.is_open_at(at(2026, 11, 26, 16, 59))
    assert not place.is_open_at(at(2026, 11, 26, 17, 0))
    assert place.hours_on(date(2026, 12, 24))[0] == ()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"opening_hours": {"monday": ["25:00-26:00"]}}, "not a real time"),
        ({"opening_hours": {"monday": ["15:00-10:00"]}}, "ends before it starts"),
        ({"opening_hours": {"mondag": ["10:00-15:00"]}}, "unknown weekday"),
        ({"opening_hours": {"monday": "10-15"}}, "expected 'lukket' or a list"),
        ({"opening_hours_exceptions": [{"date": "24/12", "hours": "lukket"}]}, "not a date"),
    ],
)
def test_mistakes_in_the_config_get_a_clear_error(change, message):
    broken = {**CONFIG, **change}
    with pytest.raises(ConfigError, match=message):
        parse_municipality(broken)


def test_in_english_for_a_newcomer(place):
    parts = opening_hours_answer(place, at(2026, 12, 23, 11), "en")
    assert parts["today_text"] == "We are open now, until 12:00. Today we are open 09:00–12:00 and 13:00–15:00."
    assert parts["week_text"].splitlines()[2] == "Wednesday: 09:00–12:00 and 13:00–15:00"
    assert parts["week_text"].splitlines()[5] == "Saturday: closed"
    assert parts["exceptions_text"].startswith("Please note:\nThursday 24 Dec: closed (Juleaftensdag)")
