"""Phone numbers, reference codes and the booking configuration."""
from __future__ import annotations

import pytest
import yaml
from hypothesis import given, strategies as st

from bot.booking.config import parse_booking_settings, parse_struggle_thresholds
from bot.booking.phone import format_phone, normalise_phone
from bot.booking.reference import ALPHABET, new_reference, normalise_reference
from bot.config import ConfigError, parse_municipality
from bot.store.models import BookingKind

from .conftest import MUNICIPALITY_YAML


@pytest.mark.parametrize(
    "text, number",
    [
        ("20 30 40 50", "20304050"), ("20304050", "20304050"), ("+45 20 30 40 50", "20304050"),
        ("+4520304050", "20304050"), ("0045 20304050", "20304050"), ("2030 4050", "20304050"),
        ("20-30-40-50", "20304050"), ("mit nummer er 20 30 40 50", "20304050"),
        ("1234", None), ("2030405", None), ("203040501", None), ("12345678", None), ("02030405", None),
        ("+46 20304050", None), ("45 20304050", None), ("ring 20 30 40 50 efter kl 14", None),
        ("010190-1234", None), ("", None), ("tyve tredive", None),
    ],
)
def test_phone(text, number):
    assert normalise_phone(text) == number


@given(st.from_regex(r"[2-9][0-9]{7}", fullmatch=True), st.sampled_from(["", "+45 ", "0045", "+45"]))
def test_any_danish_number_with_spaces_and_prefix(number, prefix):
    assert normalise_phone(prefix + format_phone(number)) == number


def test_reference_codes_can_be_read_aloud():
    codes = {new_reference() for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert len(code) == 7 and code[3] == "-"
        assert not set(code) & set("01OIL")
        assert set(code.replace("-", "")) <= set(ALPHABET)
        assert normalise_reference(code.lower().replace("-", " ")) == code


@pytest.mark.parametrize(
    "text, code",
    [("K7M-4PX", "K7M-4PX"), ("k7m4px", "K7M-4PX"), ("min kode er k7m 4px", "K7M-4PX"), ("jeg har en tid", None),
     ("K0M-4PX", None), ("ABCDEF", None), ("222-333", None), ("hej", None)],
)
def test_reference_in_text(text, code):
    assert normalise_reference(text) == code


def raw():
    return yaml.safe_load(MUNICIPALITY_YAML)


def test_settings_from_config_include_borgerservice_closing_days():
    data = raw()
    settings = parse_booking_settings(data, parse_municipality(data))
    assert settings.days_ahead == 14 and settings.minimum_notice_minutes == 60 and settings.slots_shown == 4
    assert settings.schedules[BookingKind.MEETING].slot_minutes == 30
    days = {(e.day.isoformat(), e.kind) for e in settings.exceptions}
    assert ("2026-11-25", BookingKind.MEETING) in days and ("2026-12-24", None) in days
    assert parse_struggle_thresholds(data).same_question == 3


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.pop("booking"), "'booking' section is missing"),
        (lambda d: d["booking"]["callback"]["hours"].update(monday=["12:00-10:00"]), "ends before it starts"),
        (lambda d: d["booking"]["callback"]["hours"].update(mandag=["10:00-12:00"]), "unknown weekday"),
        (lambda d: d["booking"].update(days_ahead=0), "days_ahead"),
        (lambda d: d["booking"]["exceptions"].append({"date": "24-12-2026", "hours": "lukket"}), "not a date"),
        (lambda d: d["booking"]["exceptions"].append({"date": "2026-12-23", "kind": "video"}), "kind must be"),
        (lambda d: d["struggle"].update(not_helped="to"), "struggle.not_helped"),
    ],
)
def test_config_mistakes_are_explained(change, message):
    data = raw()
    change(data)
    with pytest.raises(ConfigError, match=message):
        parse_booking_settings(data, parse_municipality(data))
        parse_struggle_thresholds(data)


def test_the_shipped_municipality_file_is_valid():
    from bot.config import load_municipality

    place = load_municipality()
    settings = parse_booking_settings(place.raw, place)
    # Meetings happen in borgerservice: every meeting window lies within the opening hours.
    for weekday, windows in settings.schedules[BookingKind.MEETING].hours.items():
        for start, end in windows:
            assert any(open_ <= start and end <= close for open_, close in place.opening_hours[weekday])
