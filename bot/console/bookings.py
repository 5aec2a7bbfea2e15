"""Bookings and helpers' availability, as staff see and change them in the console.

Booking itself (free slots, the unique slot index, cancel by the citizen) is `bot.booking`'s; what
only staff do lives here: marking a time done or a no-show, cancelling without the citizen's proof,
and editing the weekly hours and exceptions (the database is their source of truth once loaded).
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, time, timezone

from sqlalchemy import delete, select, update

from bot.booking.config import booking_settings
from bot.booking.phone import format_phone
from bot.booking.service import BookingService, Cancelled
from bot.config import Municipality
from bot.console import texts
from bot.console.desk import Refused
from bot.console.sessions import StaffIdentity
from bot.danish import WEEKDAY_NAMES, format_day, format_moment, topic_label
from bot.gateway.conversations import ConversationNotFound, ConversationService
from bot.store import AvailabilityException, AvailabilityRule, Booking, BookingKind, BookingStatus, Database, audit
from bot.store.models import utcnow
from bot.times import as_utc

KIND_LABELS = {BookingKind.CALLBACK: "Opringning", BookingKind.MEETING: "Møde i borgerservice"}
STATUS_LABELS = {
    BookingStatus.BOOKED: "Bestilt",
    BookingStatus.DONE: "Gennemført",
    BookingStatus.NO_SHOW: "Udeblev",
    BookingStatus.CANCELLED: "Aflyst",
}
MARKS = {"done": BookingStatus.DONE, "no_show": BookingStatus.NO_SHOW}


@dataclass(frozen=True)
class BookingLine:
    id: int
    reference: str
    kind_label: str
    day: date
    day_label: str
    when: str
    clock: str
    first_name: str
    phone: str | None
    topic: str | None
    summary: str | None
    status: BookingStatus
    status_label: str
    conversation_id: str | None


@dataclass(frozen=True)
class RuleLine:
    id: int
    kind: BookingKind
    kind_label: str
    weekday: int
    weekday_label: str
    start: str
    end: str
    slot_minutes: int


@dataclass(frozen=True)
class ExceptionLine:
    id: int
    day: date
    day_label: str
    kind_label: str
    hours: str
    note: str


def _clock(moment: time) -> str:
    return f"{moment.hour:02d}.{moment.minute:02d}"


class BookingDesk:
    def __init__(self, db: Database, service: ConversationService, municipality: Municipality) -> None:
        self.db = db
        self.service = service
        self.municipality = municipality
        self.zone = municipality.timezone

    def _bookings(self) -> BookingService:
        # Built when needed: a municipality.yml without booking rules still gives a working console.
        return BookingService(self.db, booking_settings(self.municipality), self.zone)

    def _line(self, row: Booking) -> BookingLine:
        local = as_utc(row.starts_at).astimezone(self.zone)
        status = BookingStatus(row.status)
        return BookingLine(
            id=row.id,
            reference=row.reference,
            kind_label=KIND_LABELS[BookingKind(row.kind)],
            day=local.date(),
            day_label=format_day(local.date()),
            when=format_moment(local),
            clock=_clock(local.time()),
            first_name=row.first_name,
            phone=format_phone(row.phone) if row.phone else None,
            topic=topic_label(row.topic) if row.topic else None,
            summary=row.summary,
            status=status,
            status_label=STATUS_LABELS[status],
            conversation_id=row.conversation_id,
        )

    def upcoming(self, now: datetime | None = None) -> list[BookingLine]:
        """Today's bookings (whatever became of them) and every coming one, in time order."""
        local_now = (now or utcnow()).astimezone(self.zone)
        start_of_today = datetime.combine(local_now.date(), time(0), tzinfo=self.zone).astimezone(timezone.utc)
        with self.db.session() as session:
            rows = session.scalars(
                select(Booking).where(Booking.starts_at >= start_of_today).order_by(Booking.starts_at, Booking.id)
            )
            return [self._line(row) for row in rows]

    async def mark(self, staff: StaffIdentity, booking_id: int, mark: str) -> None:
        status = MARKS.get(mark)
        if status is None:
            raise Refused(400, "Ukendt markering.")

        def change() -> int:
            with self.db.session() as session:
                return session.execute(
                    update(Booking)
                    .where(Booking.id == booking_id, Booking.status == BookingStatus.BOOKED)
                    .values(status=status)
                ).rowcount

        if not await asyncio.to_thread(change):
            raise Refused(409, "Tiden er ikke længere bestilt. Den kan være aflyst eller allerede markeret.")
        await asyncio.to_thread(audit.record, self.db, staff.staff_id, f"booking_{status.value}", booking_id=booking_id)

    async def cancel(self, staff: StaffIdentity, booking_id: int) -> BookingLine:
        """Cancel a booked time; the citizen is told in their conversation if it still exists."""

        def change() -> BookingLine | None:
            if not isinstance(self._bookings().cancel_for_staff(booking_id), Cancelled):
                return None
            with self.db.session() as session:
                return self._line(session.get(Booking, booking_id))

        line = await asyncio.to_thread(change)
        if line is None:
            raise Refused(409, "Tiden er ikke længere bestilt og kan ikke aflyses.")
        await asyncio.to_thread(audit.record, self.db, staff.staff_id, "booking_cancelled", booking_id=booking_id)
        if line.conversation_id and await self.service.get(line.conversation_id) is not None:
            try:
                await self.service.add_system_message(
                    line.conversation_id,
                    texts.booking_cancelled(self.municipality, line.when, line.reference),
                    [texts.BOOK_BUTTON],
                )
            except ConversationNotFound:
                pass
        return line

    # Availability ------------------------------------------------------------------------------

    def availability(self, now: datetime | None = None) -> tuple[list[RuleLine], list[ExceptionLine]]:
        """The weekly hours and the coming exceptions, after copying the configured ones in if the
        database has none yet (as the assistant would on its first booking)."""
        self._bookings().ensure_schedule()
        today = (now or utcnow()).astimezone(self.zone).date()
        with self.db.session() as session:
            rules = [
                RuleLine(
                    id=row.id,
                    kind=BookingKind(row.kind),
                    kind_label=KIND_LABELS[BookingKind(row.kind)],
                    weekday=row.weekday,
                    weekday_label=WEEKDAY_NAMES[row.weekday],
                    start=_clock(row.start_time),
                    end=_clock(row.end_time),
                    slot_minutes=row.slot_minutes,
                )
                for row in session.scalars(
                    select(AvailabilityRule).order_by(
                        AvailabilityRule.kind, AvailabilityRule.weekday, AvailabilityRule.start_time
                    )
                )
            ]
            exceptions = [
                ExceptionLine(
                    id=row.id,
                    day=row.day,
                    day_label=format_day(row.day),
                    kind_label=KIND_LABELS[BookingKind(row.kind)] if row.kind else "Begge",
                    hours=f"{_clock(row.start_time)}-{_clock(row.end_time)}"
                    if row.start_time and row.end_time
                    else "Lukket",
                    note=row.note or "",
                )
                for row in session.scalars(
                    select(AvailabilityException)
                    .where(AvailabilityException.day >= today)
                    .order_by(AvailabilityException.day, AvailabilityException.start_time)
                )
            ]
        return rules, exceptions

    def add_rule(self, kind: str, weekday: str, start: str, end: str, slot_minutes: str) -> None:
        parsed_kind = _kind(kind, allow_both=False)
        try:
            day = int(weekday)
            minutes = int(slot_minutes)
        except ValueError:
            raise Refused(400, "Vælg en ugedag, og skriv tidens længde i minutter.") from None
        if not 0 <= day <= 6 or not 5 <= minutes <= 240:
            raise Refused(400, "Vælg en ugedag, og skriv en længde mellem 5 og 240 minutter.")
        first, last = _interval(start, end)
        with self.db.session() as session:
            session.add(
                AvailabilityRule(kind=parsed_kind, weekday=day, start_time=first, end_time=last, slot_minutes=minutes)
            )

    def delete_rule(self, rule_id: int) -> None:
        with self.db.session() as session:
            session.execute(delete(AvailabilityRule).where(AvailabilityRule.id == rule_id))

    def add_exception(self, day: str, kind: str, closed: bool, start: str, end: str, note: str) -> None:
        try:
            when = date.fromisoformat(day)
        except ValueError:
            raise Refused(400, "Skriv datoen som åååå-mm-dd, fx 2026-12-24.") from None
        parsed_kind = _kind(kind, allow_both=True)
        first = last = None
        if not closed:
            first, last = _interval(start, end)
        with self.db.session() as session:
            session.add(
                AvailabilityException(
                    day=when, kind=parsed_kind, start_time=first, end_time=last, note=note.strip()[:128]
                )
            )

    def delete_exception(self, exception_id: int) -> None:
        with self.db.session() as session:
            session.execute(delete(AvailabilityException).where(AvailabilityException.id == exception_id))


def _kind(value: str, allow_both: bool) -> BookingKind | None:
    if allow_both and value in ("", "both"):
        return None
    try:
        return BookingKind(value)
    except ValueError:
        raise Refused(400, "Vælg opringning eller møde.") from None


def _time(value: str) -> time:
    try:
        hours, minutes = value.strip().replace(".", ":").split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise Refused(400, f"{value!r} er ikke et klokkeslæt som 10:00.") from None


def _interval(start: str, end: str) -> tuple[time, time]:
    first, last = _time(start), _time(end)
    if last <= first:
        raise Refused(400, "Sluttidspunktet skal ligge efter starttidspunktet.")
    return first, last


def upcoming_by_day(lines: list[BookingLine]) -> list[tuple[str, list[BookingLine]]]:
    days: dict[date, tuple[str, list[BookingLine]]] = {}
    for line in lines:
        days.setdefault(line.day, (line.day_label, []))[1].append(line)
    return [days[day] for day in sorted(days)]

