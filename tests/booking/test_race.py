"""Citizens racing for the last slot: the database gives it to one; the others are offered the next.

Real concurrency: threads with their own connections, and separate processes, released together
by a barrier so their transactions overlap. No check before the write can decide this; only the
unique index can.
"""
from __future__ import annotations

import multiprocessing
import threading
from datetime import datetime, timezone

import pytest
import yaml
from sqlalchemy import func, select, text

from bot.booking.config import parse_booking_settings
from bot.booking.service import Booked, BookingRequest, BookingService, SlotTaken
from bot.config import parse_municipality
from bot.store import Database
from bot.store.models import Booking, BookingKind, BookingStatus

from .conftest import MONDAY_MORNING, MUNICIPALITY_YAML, ZONE, Clock

CONTENDERS = 6
PROCESS_CONTENDERS = 4  # each process imports SQLAlchemy; the machine has two cores
LAST = datetime(2026, 11, 27, 11, 40, tzinfo=ZONE)  # Friday's last call-back slot


def _fill_all_but(service: BookingService, keep: set[datetime]) -> None:
    with service.database.session() as session:
        for number, slot in enumerate(service.free_slots(BookingKind.CALLBACK)):
            if slot.starts_at not in keep:
                session.add(
                    Booking(
                        reference=f"F{number:05d}",
                        kind=BookingKind.CALLBACK,
                        starts_at=slot.starts_at,
                        length_minutes=slot.minutes,
                        first_name="Fyld",
                        status=BookingStatus.BOOKED,
                    )
                )


def _request(number: int) -> BookingRequest:
    return BookingRequest(BookingKind.CALLBACK, LAST, f"Borger{number}", "20304050", conversation_id=f"conv-{number}")


def _outcome(result) -> tuple[str, datetime | None]:
    if isinstance(result, Booked):
        return "booked", result.booking.starts_at
    assert isinstance(result, SlotTaken), result
    return "taken", result.alternative.starts_at if result.alternative else None


def _race_threads(service: BookingService) -> list[tuple[str, datetime | None]]:
    barrier = threading.Barrier(CONTENDERS)
    outcomes: list = [None] * CONTENDERS

    def contender(number: int) -> None:
        barrier.wait()
        outcomes[number] = _outcome(service.book(_request(number)))

    threads = [threading.Thread(target=contender, args=(n,)) for n in range(CONTENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


def _contender_process(url: str, number: int, barrier, results) -> None:
    raw = yaml.safe_load(MUNICIPALITY_YAML)
    settings = parse_booking_settings(raw, parse_municipality(raw))
    database = Database(url)
    service = BookingService(database, settings, ZONE, Clock(MONDAY_MORNING))
    service.ensure_schedule()
    barrier.wait()
    try:
        results.put((number, _outcome(service.book(_request(number)))))
    except Exception as error:  # reported to the parent, which fails the test with it
        results.put((number, ("error", repr(error))))
    finally:
        database.dispose()


def _race_processes(url: str) -> list[tuple[str, datetime | None]]:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESS_CONTENDERS)
    results = context.Queue()
    processes = [
        context.Process(target=_contender_process, args=(url, n, barrier, results)) for n in range(PROCESS_CONTENDERS)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(30)
    return [outcome for _, outcome in sorted(outcomes)]


def _live_bookings_at(database: Database, moment: datetime) -> int:
    with database.session() as session:
        return session.scalar(
            select(func.count())
            .select_from(Booking)
            .where(Booking.starts_at == moment.astimezone(timezone.utc), Booking.status == BookingStatus.BOOKED)
        )


@pytest.mark.parametrize("how", ["threads", "processes"])
def test_race_for_the_last_slot_with_a_next_one(db, service, how):
    following = datetime(2026, 11, 30, 10, 0, tzinfo=ZONE)  # the next free slot: Monday after
    _fill_all_but(service, {LAST, following})
    outcomes = _race_threads(service) if how == "threads" else _race_processes(db.url)
    assert sorted(kind for kind, _ in outcomes) == ["booked"] + ["taken"] * (len(outcomes) - 1)
    assert all(slot == following for kind, slot in outcomes if kind == "taken")
    assert _live_bookings_at(db, LAST) == 1


def test_race_for_the_very_last_slot_leaves_the_losers_without_one(db, service):
    _fill_all_but(service, {LAST})
    outcomes = _race_threads(service)
    assert sorted(outcomes, key=str) == sorted([("booked", LAST)] + [("taken", None)] * (CONTENDERS - 1), key=str)
    assert _live_bookings_at(db, LAST) == 1


def test_without_the_unique_index_the_same_race_double_books(sqlite_db, settings, clock):
    """The control experiment: nothing but the index stops a double booking."""
    with sqlite_db.session() as session:
        session.execute(text("DROP INDEX uq_bookings_live_slot"))
    service = BookingService(sqlite_db, settings, ZONE, clock)
    outcomes = _race_threads(service)
    assert [kind for kind, _ in outcomes] == ["booked"] * CONTENDERS
    assert _live_bookings_at(sqlite_db, LAST) == CONTENDERS
