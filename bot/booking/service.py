"""Book, cancel and move a citizen's time with a helper.

No double booking: the partial unique index `uq_bookings_live_slot` (one live booking per kind and
start) decides who gets a slot, inside one transaction per operation. Nothing checks "is it free?"
before writing; the loser of a race gets the next free slot offered instead.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.booking.availability import Availability, load_schedule, read_availability, schedule_is_loaded
from bot.booking.config import BookingSettings
from bot.booking.phrases import TimeWish
from bot.booking.reference import new_reference, normalise_reference
from bot.booking.slots import Choice, Slot, bookable_range, choose_slot, free_slots, slots_on
from bot.booking.unit import DatabaseUnavailable, unit_of_work
from bot.store.db import Database
from bot.store.models import Booking, BookingKind, BookingStatus, utcnow
from bot.times import as_utc


@dataclass(frozen=True)
class BookingRequest:
    kind: BookingKind
    starts_at: datetime
    first_name: str
    phone: str | None = None
    topic: str | None = None
    channel: str | None = None
    conversation_id: str | None = None
    summary: str | None = None


@dataclass(frozen=True)
class BookingView:
    """A booking as the assistant and the gateway see it (no live database object)."""

    id: int
    reference: str
    kind: BookingKind
    starts_at: datetime
    length_minutes: int
    first_name: str
    phone: str | None
    topic: str | None
    status: BookingStatus
    conversation_id: str | None
    summary: str | None
    created_at: datetime | None = None

    @classmethod
    def of(cls, booking: Booking) -> BookingView:
        return cls(
            id=booking.id,
            reference=booking.reference,
            kind=BookingKind(booking.kind),
            starts_at=as_utc(booking.starts_at),
            length_minutes=booking.length_minutes,
            first_name=booking.first_name,
            phone=booking.phone,
            topic=booking.topic,
            status=BookingStatus(booking.status),
            conversation_id=booking.conversation_id,
            summary=booking.summary,
            created_at=as_utc(booking.created_at) if booking.created_at else None,
        )

    @property
    def slot(self) -> Slot:
        return Slot(self.starts_at, self.kind, self.length_minutes)


@dataclass(frozen=True)
class Booked:
    booking: BookingView


@dataclass(frozen=True)
class SlotTaken:
    """Someone else got the slot first (or it was already taken); `alternative` is the next free one."""

    wanted: Slot
    alternative: Slot | None


@dataclass(frozen=True)
class NotBookable:
    """The time is not a slot the helpers offer now (past, too soon, too far ahead, outside hours)."""

    wanted: Slot


@dataclass(frozen=True)
class NotFound:
    reference: str


@dataclass(frozen=True)
class NotAllowed:
    """The booking exists, but this conversation and phone number do not prove it is the citizen's."""

    booking: BookingView


@dataclass(frozen=True)
class Cancelled:
    booking: BookingView


@dataclass(frozen=True)
class Moved:
    booking: BookingView
    previous: Slot


BookResult = Booked | SlotTaken | NotBookable
CancelResult = Cancelled | NotFound | NotAllowed
MoveResult = Moved | SlotTaken | NotBookable | NotFound | NotAllowed

_CONVERSATION_ID_LENGTH = Booking.__table__.c.conversation_id.type.length


class BookingService:
    """Everything the assistant does with bookings; one instance per database and configuration."""

    def __init__(
        self,
        database: Database,
        settings: BookingSettings,
        zone: ZoneInfo,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.settings = settings
        self.zone = zone
        self.clock = clock
        self._schedule_seen = False

    def _unit(self):
        return unit_of_work(self.database)

    # --- schedule -------------------------------------------------------------------------------

    def ensure_schedule(self) -> None:
        """Copies the configured schedule into an empty database; the database wins once it has one."""
        if self._schedule_seen:
            return
        with self._unit() as session:
            loaded = schedule_is_loaded(session)
        if not loaded:
            with self._unit() as session:
                load_schedule(session, self.settings)
        self._schedule_seen = True

    def reload_schedule(self) -> None:
        """Replaces the database's schedule with the configured one."""
        with self._unit() as session:
            load_schedule(session, self.settings, replace=True)

    def _window(self) -> tuple[datetime, date]:
        return bookable_range(
            self.clock(), self.zone, self.settings.days_ahead, self.settings.minimum_notice_minutes
        )

    def _read(
        self, session: Session, kind: BookingKind, earliest: datetime, last_day: date
    ) -> tuple[Availability, set[datetime]]:
        availability = read_availability(session, earliest.astimezone(self.zone).date(), last_day)
        horizon = datetime.combine(last_day + timedelta(days=1), datetime.min.time(), tzinfo=self.zone)
        taken = session.scalars(
            select(Booking.starts_at).where(
                Booking.kind == kind,
                Booking.status == BookingStatus.BOOKED,
                Booking.starts_at >= earliest - timedelta(days=1),
                Booking.starts_at < horizon.astimezone(timezone.utc),
            )
        )
        return availability, {as_utc(moment) for moment in taken}

    # --- finding times --------------------------------------------------------------------------

    def free_slots(self, kind: BookingKind, after: datetime | None = None, limit: int | None = None) -> list[Slot]:
        """Free slots from the earliest bookable moment, in time order."""
        self.ensure_schedule()
        earliest, last_day = self._window()
        with self._unit() as session:
            availability, taken = self._read(session, kind, earliest, last_day)
        found = free_slots(
            lambda day: availability.windows_on(kind, day), taken, kind, self.zone, earliest, last_day, after
        )
        return found[:limit] if limit else found

    def choose(self, kind: BookingKind, wish: TimeWish) -> Choice:
        """The free slot that best fits what the citizen wrote, or why none does."""
        self.ensure_schedule()
        earliest, last_day = self._window()
        with self._unit() as session:
            availability, taken = self._read(session, kind, earliest, last_day)

        def windows_on(day: date):
            return availability.windows_on(kind, day)

        free = free_slots(windows_on, taken, kind, self.zone, earliest, last_day)
        return choose_slot(
            wish, free, windows_on, self.clock(), self.zone, earliest, last_day, self.settings.slots_shown
        )

    def _offered(self, session: Session, kind: BookingKind, starts_at: datetime) -> Slot | None:
        """The slot starting then, if helpers offer it now (in the schedule, not too soon or too far)."""
        earliest, last_day = self._window()
        local_day = starts_at.astimezone(self.zone).date()
        if starts_at < earliest or local_day > last_day:
            return None
        availability = read_availability(session, local_day, local_day)
        return next(
            (
                s
                for s in slots_on(local_day, availability.windows_on(kind, local_day), kind, self.zone)
                if s.starts_at == starts_at
            ),
            None,
        )

    def _next_free(self, kind: BookingKind, after: datetime) -> Slot | None:
        later = self.free_slots(kind, after=after + timedelta(seconds=1), limit=1)
        if later:
            return later[0]
        earlier = self.free_slots(kind, limit=1)
        return earlier[0] if earlier else None

    # --- booking --------------------------------------------------------------------------------

    def book(self, request: BookingRequest) -> BookResult:
        starts_at = as_utc(request.starts_at).replace(second=0, microsecond=0)
        wanted = Slot(starts_at, request.kind, self.settings.schedules[request.kind].slot_minutes)
        conversation_id = request.conversation_id
        if conversation_id and len(conversation_id) > _CONVERSATION_ID_LENGTH:
            conversation_id = None
        self.ensure_schedule()
        for _ in range(5):
            try:
                with self._unit() as session:
                    _take_write_lock(session)
                    slot = self._offered(session, request.kind, starts_at)
                    if slot is None:
                        return NotBookable(wanted)
                    booking = Booking(
                        reference=new_reference(),
                        kind=request.kind,
                        topic=(request.topic or None) and request.topic[:64],
                        starts_at=starts_at,
                        length_minutes=slot.minutes,
                        first_name=request.first_name[:64],
                        phone=request.phone,
                        channel=(request.channel or None) and request.channel[:16],
                        conversation_id=conversation_id,
                        summary=request.summary,
                        status=BookingStatus.BOOKED,
                    )
                    session.add(booking)
                    session.flush()
                    view = BookingView.of(booking)
                return Booked(view)
            except IntegrityError as error:
                if _is_reference_clash(error):
                    continue
                return SlotTaken(wanted, self._next_free(request.kind, starts_at))
        raise DatabaseUnavailable("could not find an unused reference code")

    def find(self, reference: str) -> BookingView | None:
        """The live booking with this code, if any."""
        code = normalise_reference(reference)
        if code is None:
            return None
        with self._unit() as session:
            booking = session.scalar(select(Booking).where(Booking.reference == code))
            if booking is None or booking.status != BookingStatus.BOOKED:
                return None
            return BookingView.of(booking)

    def bookings_for_conversation(self, conversation_id: str) -> list[BookingView]:
        """Live bookings made in this conversation that have not started yet, soonest first."""
        now = as_utc(self.clock())
        with self._unit() as session:
            rows = session.scalars(
                select(Booking)
                .where(
                    Booking.conversation_id == conversation_id,
                    Booking.status == BookingStatus.BOOKED,
                    Booking.starts_at >= now,
                )
                .order_by(Booking.starts_at)
            )
            return [BookingView.of(row) for row in rows]

    @staticmethod
    def may_manage(booking: BookingView, conversation_id: str | None, phone: str | None) -> bool:
        """The same conversation, or the phone number given when booking, proves it is the citizen's."""
        if conversation_id and booking.conversation_id == conversation_id:
            return True
        return bool(phone and booking.phone and phone == booking.phone)

    def _live(self, session: Session, reference: str) -> Booking | None:
        code = normalise_reference(reference)
        if code is None:
            return None
        query = select(Booking).where(Booking.reference == code, Booking.status == BookingStatus.BOOKED)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        return session.scalar(query)

    def cancel(self, reference: str, conversation_id: str | None = None, phone: str | None = None) -> CancelResult:
        with self._unit() as session:
            _take_write_lock(session)
            booking = self._live(session, reference)
            if booking is None:
                return NotFound(reference)
            view = BookingView.of(booking)
            if not self.may_manage(view, conversation_id, phone):
                return NotAllowed(view)
            return _cancelled(session, booking)

    def cancel_for_staff(self, booking_id: int) -> Cancelled | NotFound:
        """Staff cancel a live booking without the citizen's proof: they are signed in to the console."""
        with self._unit() as session:
            _take_write_lock(session)
            booking = session.get(Booking, booking_id, with_for_update=True)
            if booking is None or booking.status != BookingStatus.BOOKED:
                return NotFound(str(booking_id))
            return _cancelled(session, booking)

    def move(
        self, reference: str, new_start: datetime, conversation_id: str | None = None, phone: str | None = None
    ) -> MoveResult:
        """Moves a live booking to another free slot of the same kind; the code stays the same."""
        starts_at = as_utc(new_start).replace(second=0, microsecond=0)
        self.ensure_schedule()
        try:
            with self._unit() as session:
                _take_write_lock(session)
                booking = self._live(session, reference)
                if booking is None:
                    return NotFound(reference)
                view = BookingView.of(booking)
                if not self.may_manage(view, conversation_id, phone):
                    return NotAllowed(view)
                slot = self._offered(session, view.kind, starts_at)
                if slot is None:
                    return NotBookable(Slot(starts_at, view.kind, view.length_minutes))
                booking.starts_at = starts_at
                booking.length_minutes = slot.minutes
                session.flush()
                return Moved(BookingView.of(booking), view.slot)
        except IntegrityError:
            wanted = Slot(starts_at, view.kind, view.length_minutes)
            return SlotTaken(wanted, self._next_free(view.kind, starts_at))


def _cancelled(session: Session, booking: Booking) -> Cancelled:
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = utcnow()
    session.flush()
    return Cancelled(BookingView.of(booking))


def _take_write_lock(session: Session) -> None:
    # SQLite: a transaction that reads first and writes later fails at once ("database is locked")
    # when another writer committed in between. Taking the write lock first makes it wait its turn,
    # so the loser of a race meets the unique index like on PostgreSQL.
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("UPDATE bookings SET id = id WHERE 1 = 0"))


def _is_reference_clash(error: IntegrityError) -> bool:
    return "reference" in str(error.orig).lower()
