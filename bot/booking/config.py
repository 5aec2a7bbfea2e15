"""The `booking:` and `struggle:` sections of municipality.yml, checked and typed.

The weekly hours and exceptions are copied into the database the first time they are needed (see
`bot.booking.availability`); the rules here (how far ahead, notice, thresholds) are read at start.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.config import CLOSED, WEEKDAYS, ConfigError, Interval, Municipality, parse_intervals
from bot.store.models import BookingKind


@dataclass(frozen=True)
class KindSchedule:
    """When helpers take one kind of booking, week by week."""

    slot_minutes: int
    hours: Mapping[int, tuple[Interval, ...]]  # weekday (0 = Monday) -> intervals


@dataclass(frozen=True)
class ScheduleException:
    """A day with other hours for one kind (or both, when `kind` is None); no hours: closed."""

    day: date
    kind: BookingKind | None
    hours: tuple[Interval, ...]
    note: str = ""


@dataclass(frozen=True)
class BookingSettings:
    days_ahead: int
    minimum_notice_minutes: int
    slots_shown: int
    schedules: Mapping[BookingKind, KindSchedule]
    exceptions: tuple[ScheduleException, ...] = field(default=())


@dataclass(frozen=True)
class StruggleThresholds:
    """How many signs of trouble before the assistant offers a person without being asked."""

    fallbacks_in_a_row: int = 2
    not_helped: int = 2
    same_question: int = 3


def _positive_int(section: Mapping[str, Any], key: str, default: int, where: str, minimum: int = 1) -> int:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{where}.{key}: expected a whole number of at least {minimum}, got {value!r}")
    return value


def _parse_kind(value: Any, where: str) -> BookingKind | None:
    if value in (None, "", "begge", "both"):
        return None
    try:
        return BookingKind(str(value))
    except ValueError:
        raise ConfigError(f"{where}: kind must be 'callback', 'meeting' or left out (both), got {value!r}") from None


def _parse_date(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{where}: '{value}' is not a date like 2026-12-23") from None


def parse_booking_settings(raw: Mapping[str, Any], municipality: Municipality | None = None) -> BookingSettings:
    """Reads `booking:`; the days borgerservice keeps other hours (opening_hours_exceptions) apply too."""
    section = raw.get("booking")
    if not isinstance(section, Mapping):
        raise ConfigError("municipality.yml: the 'booking' section is missing (see README, booking rules)")
    schedules: dict[BookingKind, KindSchedule] = {}
    for kind in BookingKind:
        where = f"booking.{kind.value}"
        kind_section = section.get(kind.value)
        if not isinstance(kind_section, Mapping):
            raise ConfigError(f"{where}: missing; give slot_minutes and hours per weekday")
        slot_minutes = _positive_int(kind_section, "slot_minutes", 20, where, minimum=5)
        hours_section = kind_section.get("hours") or {}
        unknown = set(hours_section) - set(WEEKDAYS)
        if unknown:
            raise ConfigError(f"{where}.hours: unknown weekday(s) {sorted(unknown)}; use {', '.join(WEEKDAYS)}")
        hours = {
            i: parse_intervals(hours_section.get(name), f"{where}.hours.{name}") for i, name in enumerate(WEEKDAYS)
        }
        schedules[kind] = KindSchedule(slot_minutes, hours)

    exceptions = []
    for position, item in enumerate(section.get("exceptions") or []):
        where = f"booking.exceptions[{position}]"
        if not isinstance(item, Mapping) or "date" not in item:
            raise ConfigError(f"{where}: give at least a date and hours ('{CLOSED}' or intervals)")
        exceptions.append(
            ScheduleException(
                day=_parse_date(item["date"], where),
                kind=_parse_kind(item.get("kind"), where),
                hours=parse_intervals(item.get("hours"), where),
                note=str(item.get("note", "")),
            )
        )
    if municipality is not None:
        # A day borgerservice closes or shortens is the same day for the helpers.
        for day, exception in municipality.exceptions.items():
            exceptions.append(ScheduleException(day, None, tuple(exception.hours), exception.note))

    return BookingSettings(
        days_ahead=_positive_int(section, "days_ahead", 14, "booking"),
        minimum_notice_minutes=_positive_int(section, "minimum_notice_minutes", 60, "booking", minimum=0),
        slots_shown=_positive_int(section, "slots_shown", 4, "booking"),
        schedules=schedules,
        exceptions=tuple(exceptions),
    )


def booking_settings(municipality: Municipality) -> BookingSettings:
    """The booking rules of the municipality's file, as every part that books reads them."""
    return parse_booking_settings(municipality.raw, municipality)


def parse_struggle_thresholds(raw: Mapping[str, Any]) -> StruggleThresholds:
    section = raw.get("struggle") or {}
    if not isinstance(section, Mapping):
        raise ConfigError("struggle: expected fallbacks_in_a_row, not_helped and same_question")
    defaults = StruggleThresholds()
    return StruggleThresholds(
        fallbacks_in_a_row=_positive_int(section, "fallbacks_in_a_row", defaults.fallbacks_in_a_row, "struggle"),
        not_helped=_positive_int(section, "not_helped", defaults.not_helped, "struggle"),
        same_question=_positive_int(section, "same_question", defaults.same_question, "struggle"),
    )
