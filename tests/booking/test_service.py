"""Booking, cancelling and moving through BookingService, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.booking.phrases import parse_time_wish
from bot.booking.unit import DatabaseUnavailable
from bot.booking.service import (
    Booked,
    BookingRequest,
    BookingService,
    Cancelled,
    Moved,
    NotAllowed,
    NotBookable,
    NotFound,
    SlotTaken,
)
from bot.booking.slots import Problem
from bot.store import Database
from bot.store.models import AvailabilityRule, Booking, BookingKind, BookingStatus

from .conftest import ZONE


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=ZONE)


def request(starts_at: datetime, kind=BookingKind.CALLBACK, **extra) -> BookingRequest:
    values = dict(first_name="Mette", phone="20304050", topic="mitid_forgot_pin", conversation_id="conv-1")
    values.update(extra)
    return BookingRequest(kind=kind, starts_at=starts_at, **values)


def test_free_slots_follow_the_schedule_notice_and_exceptions(service):
    slots = service.free_slots(BookingKind.CALLBACK, limit=3)
    assert [s.label(ZONE) for s in slots] == [
        "mandag 23. nov. kl. 10.00",
        "mandag 23. nov. kl. 10.20",
        "mandag 23. nov. kl. 10.40",
    ]
    meetings = service.free_slots(BookingKind.MEETING)
    days = {s.local(ZONE).date().isoformat() for s in meetings}
    assert "2026-11-25" not in days  # the meeting-only exception (staff meeting)
    assert "2026-11-28" not in days and "2026-11-29" not in days  # weekend
    assert max(days) <= "2026-12-07"  # 14 days ahead
    assert all(s.minutes == 30 for s in meetings)


def test_minimum_notice_hides_slots_too_soon(service, clock):
    clock.now = at(23, 10, 30).astimezone(clock.now.tzinfo)
    first = service.free_slots(BookingKind.CALLBACK, limit=1)[0]
    assert first.label(ZONE) == "mandag 23. nov. kl. 11.40"


def test_book_gives_a_readable_reference_and_stores_utc(service, db):
    result = service.book(request(at(24, 10)))
    assert isinstance(result, Booked)
    booking = result.booking
    assert len(booking.reference) == 7 and booking.reference[3] == "-"
    assert not set(booking.reference) & set("0O1IL")
    assert booking.starts_at.utcoffset() == timedelta(0)
    assert booking.starts_at == at(24, 10)
    with db.session() as session:
        stored = session.scalar(select(Booking))
        assert stored.first_name == "Mette" and stored.phone == "20304050"
        assert stored.status == BookingStatus.BOOKED and stored.length_minutes == 20
    assert service.find(booking.reference.lower()) == booking
    assert at(24, 10) not in [s.starts_at for s in service.free_slots(BookingKind.CALLBACK)]


def test_a_taken_slot_offers_the_next_one(service):
    assert isinstance(service.book(request(at(24, 10))), Booked)
    second = service.book(request(at(24, 10), conversation_id="conv-2"))
    assert isinstance(second, SlotTaken)
    assert second.alternative.starts_at == at(24, 10, 20)


def test_callbacks_and_meetings_do_not_share_slots(service):
    assert isinstance(service.book(request(at(24, 10))), Booked)
    assert isinstance(service.book(request(at(24, 10), kind=BookingKind.MEETING, phone=None)), Booked)


@pytest.mark.parametrize(
    "starts_at",
    [at(23, 7), at(24, 10, 5), at(24, 18), at(28, 10), at(23, 8, 20)],
    ids=["past", "not on the grid", "after hours", "saturday", "too soon"],
)
def test_times_that_are_not_offered_cannot_be_booked(service, starts_at):
    assert isinstance(service.book(request(starts_at)), NotBookable)


def test_too_far_ahead_cannot_be_booked(service):
    assert isinstance(service.book(request(datetime(2026, 12, 10, 10, tzinfo=ZONE))), NotBookable)


def test_cancel_needs_the_same_conversation_or_the_phone_number(service):
    booking = service.book(request(at(24, 10))).booking
    assert isinstance(service.cancel(booking.reference, conversation_id="someone-else"), NotAllowed)
    assert isinstance(service.cancel(booking.reference, conversation_id="x", phone="99999999"), NotAllowed)
    result = service.cancel(booking.reference, conversation_id="someone-else", phone="20304050")
    assert isinstance(result, Cancelled) and result.booking.status == BookingStatus.CANCELLED
    assert isinstance(service.cancel(booking.reference, conversation_id="conv-1"), NotFound)
    assert service.find(booking.reference) is None
    # The cancelled slot is free again, and can be booked by someone else.
    assert isinstance(service.book(request(at(24, 10), conversation_id="conv-2")), Booked)


def test_cancel_unknown_code(service):
    assert isinstance(service.cancel("ABC-234", conversation_id="conv-1"), NotFound)
    assert isinstance(service.cancel("not a code", conversation_id="conv-1"), NotFound)


def test_move_keeps_the_code_and_frees_the_old_slot(service):
    booking = service.book(request(at(24, 10))).booking
    moved = service.move(booking.reference, at(26, 13), conversation_id="conv-1")
    assert isinstance(moved, Moved)
    assert moved.booking.reference == booking.reference
    assert moved.booking.starts_at == at(26, 13)
    assert moved.previous.starts_at == at(24, 10)
    free = [s.starts_at for s in service.free_slots(BookingKind.CALLBACK)]
    assert at(24, 10) in free and at(26, 13) not in free


def test_move_to_a_taken_slot_offers_the_next(service):
    mine = service.book(request(at(24, 10))).booking
    service.book(request(at(24, 11), conversation_id="conv-2"))
    result = service.move(mine.reference, at(24, 11), conversation_id="conv-1")
    assert isinstance(result, SlotTaken) and result.alternative.starts_at == at(24, 11, 20)
    assert service.find(mine.reference).starts_at == at(24, 10)


def test_move_needs_proof_and_a_real_slot(service):
    mine = service.book(request(at(24, 10))).booking
    assert isinstance(service.move(mine.reference, at(24, 11), conversation_id="other"), NotAllowed)
    assert isinstance(service.move(mine.reference, at(24, 19), conversation_id="conv-1"), NotBookable)
    assert isinstance(service.move("ZZZ-ZZ2", at(24, 11), conversation_id="conv-1"), NotFound)


def test_bookings_for_conversation_lists_only_live_future_ones(service, clock):
    first = service.book(request(at(24, 10))).booking
    second = service.book(request(at(26, 10))).booking
    service.book(request(at(27, 10), conversation_id="conv-2"))
    service.cancel(second.reference, conversation_id="conv-1")
    assert [b.reference for b in service.bookings_for_conversation("conv-1")] == [first.reference]
    clock.now = at(25, 9).astimezone(clock.now.tzinfo)
    assert service.bookings_for_conversation("conv-1") == []


def test_schedule_is_loaded_once_and_the_database_wins(db, settings, clock):
    BookingService(db, settings, ZONE, clock).free_slots(BookingKind.CALLBACK)
    with db.session() as session:
        rules = session.scalar(select(func.count()).select_from(AvailabilityRule))
        # A municipality changes Monday's call-back hours in the database (for example from a console).
        for rule in session.scalars(select(AvailabilityRule).where(AvailabilityRule.weekday == 0)):
            session.delete(rule)
    fresh = BookingService(db, settings, ZONE, clock)
    assert fresh.free_slots(BookingKind.CALLBACK, limit=1)[0].label(ZONE).startswith("tirsdag")
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(AvailabilityRule)) < rules
    fresh.reload_schedule()
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(AvailabilityRule)) == rules
    assert fresh.free_slots(BookingKind.CALLBACK, limit=1)[0].label(ZONE).startswith("mandag")


def test_choose_matches_free_text_to_a_free_slot(service):
    wish = parse_time_wish("i morgen kl 10", at(23, 8).date())
    choice = service.choose(BookingKind.CALLBACK, wish)
    assert choice.slot.starts_at == at(24, 10) and choice.exact
    service.book(request(at(24, 10)))
    choice = service.choose(BookingKind.CALLBACK, wish)
    assert choice.slot.starts_at == at(24, 10, 20) and not choice.exact
    choice = service.choose(BookingKind.MEETING, parse_time_wish("på onsdag", at(23, 8).date()))
    assert choice.problem is Problem.CLOSED_DAY and choice.alternatives


def test_unreachable_database_raises_database_unavailable(settings, clock, tmp_path):
    # A directory is not a database file: every connection attempt fails, like a server that is down.
    broken = BookingService(Database(f"sqlite:///{tmp_path}"), settings, ZONE, clock)
    with pytest.raises(DatabaseUnavailable):
        broken.free_slots(BookingKind.CALLBACK)
    with pytest.raises(DatabaseUnavailable):
        broken.book(request(at(24, 10)))


def test_unreachable_postgresql_raises_database_unavailable(settings, clock):
    broken = BookingService(Database("postgresql://postgres@127.0.0.1:1/none"), settings, ZONE, clock)
    with pytest.raises(DatabaseUnavailable):
        broken.cancel("ABC-234", conversation_id="conv-1")
