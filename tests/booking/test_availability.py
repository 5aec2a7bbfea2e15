"""A day's windows as the availability gives them (found by mypy: windows were sorted without an order)."""
from __future__ import annotations

from datetime import date, time

from bot.booking.availability import Availability, AvailabilityExceptionRow, Window
from bot.store.models import BookingKind


def test_an_exception_day_with_two_stretches_gives_them_in_order():
    day = date(2026, 12, 23)
    afternoon_then_morning = ((time(13), time(15)), (time(9), time(11)))
    availability = Availability(
        weekly={},
        exceptions={day: (AvailabilityExceptionRow(kind=None, hours=afternoon_then_morning, note="jul"),)},
        slot_minutes={BookingKind.CALLBACK: 20},
    )
    assert availability.windows_on(BookingKind.CALLBACK, day) == (
        Window(time(9), time(11), 20),
        Window(time(13), time(15), 20),
    )
