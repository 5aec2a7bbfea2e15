"""Helpers' availability: copied from config into the database once, then read from the database.

The database is the source of truth after the first load, so a staff console (or an SQL update) can
change the hours without a restart; `load_schedule(..., replace=True)` copies the file in again.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from bot.booking.config import BookingSettings, Interval
from bot.store.models import AvailabilityException, AvailabilityRule, BookingKind


@dataclass(frozen=True, order=True)
class Window:
    start: time
    end: time
    slot_minutes: int


@dataclass(frozen=True)
class Availability:
    """Everything needed to say which slots exist on a day, as read from the database."""

    weekly: Mapping[BookingKind, Mapping[int, tuple[Window, ...]]]
    exceptions: Mapping[date, tuple[AvailabilityExceptionRow, ...]]
    slot_minutes: Mapping[BookingKind, int]

    def windows_on(self, kind: BookingKind, day: date) -> tuple[Window, ...]:
        """The day's windows: a closing exception wins, then one for this kind, then one for both."""
        rows = [row for row in self.exceptions.get(day, ()) if row.kind in (None, kind)]
        if not rows:
            return self.weekly.get(kind, {}).get(day.weekday(), ())
        if any(not row.hours for row in rows):
            return ()
        own = [row for row in rows if row.kind is kind] or rows
        minutes = self.slot_minutes.get(kind, 20)
        return tuple(sorted(Window(start, end, minutes) for row in own for start, end in row.hours))


@dataclass(frozen=True)
class AvailabilityExceptionRow:
    kind: BookingKind | None
    hours: tuple[Interval, ...]
    note: str


def _lock_schedule(session: Session) -> None:
    # Two processes starting at once must not both copy the schedule in. PostgreSQL has a table lock;
    # SQLite takes its single write lock at the first write, so write (nothing) before reading.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE availability_rules IN EXCLUSIVE MODE"))
    else:
        session.execute(delete(AvailabilityRule).where(AvailabilityRule.id < 0))


def schedule_is_loaded(session: Session) -> bool:
    return bool(session.scalar(select(func.count()).select_from(AvailabilityRule)))


def load_schedule(session: Session, settings: BookingSettings, replace: bool = False) -> bool:
    """Copies the configured weekly hours and exceptions into the database.

    Without `replace`, does nothing when a schedule is already there (the database wins).
    Returns whether it wrote anything. Runs inside the caller's transaction.
    """
    _lock_schedule(session)
    if schedule_is_loaded(session) and not replace:
        return False
    session.execute(delete(AvailabilityRule))
    session.execute(delete(AvailabilityException))
    for kind, schedule in settings.schedules.items():
        for weekday, intervals in schedule.hours.items():
            for start, end in intervals:
                session.add(
                    AvailabilityRule(
                        kind=kind, weekday=weekday, start_time=start, end_time=end, slot_minutes=schedule.slot_minutes
                    )
                )
    for exception in settings.exceptions:
        if not exception.hours:
            session.add(AvailabilityException(day=exception.day, kind=exception.kind, note=exception.note[:128]))
        for start, end in exception.hours:
            session.add(
                AvailabilityException(
                    day=exception.day, kind=exception.kind, start_time=start, end_time=end, note=exception.note[:128]
                )
            )
    session.flush()
    return True


def read_availability(session: Session, first_day: date, last_day: date) -> Availability:
    weekly: dict[BookingKind, dict[int, list[Window]]] = {kind: {} for kind in BookingKind}
    slot_minutes: dict[BookingKind, int] = {}
    for rule in session.scalars(select(AvailabilityRule).order_by(AvailabilityRule.start_time)):
        weekly[rule.kind].setdefault(rule.weekday, []).append(Window(rule.start_time, rule.end_time, rule.slot_minutes))
        slot_minutes.setdefault(rule.kind, rule.slot_minutes)
    grouped: dict[date, list[AvailabilityExceptionRow]] = {}
    query = select(AvailabilityException).where(
        AvailabilityException.day >= first_day, AvailabilityException.day <= last_day
    )
    for row in session.scalars(query):
        hours: tuple[Interval, ...] = ()
        if row.start_time is not None and row.end_time is not None:
            hours = ((row.start_time, row.end_time),)
        grouped.setdefault(row.day, []).append(AvailabilityExceptionRow(row.kind, hours, row.note or ""))
    # A day with both a closing row and interval rows for the same kind is closed; merge intervals per kind.
    exceptions = {day: tuple(_merge(rows)) for day, rows in grouped.items()}
    return Availability(
        weekly={kind: {day: tuple(windows) for day, windows in days.items()} for kind, days in weekly.items()},
        exceptions=exceptions,
        slot_minutes=slot_minutes,
    )


def _merge(rows: list[AvailabilityExceptionRow]) -> list[AvailabilityExceptionRow]:
    merged: dict[BookingKind | None, AvailabilityExceptionRow] = {}
    for row in rows:
        previous = merged.get(row.kind)
        if previous is None:
            merged[row.kind] = row
        elif not previous.hours or not row.hours:
            merged[row.kind] = AvailabilityExceptionRow(row.kind, (), previous.note or row.note)
        else:
            merged[row.kind] = AvailabilityExceptionRow(
                row.kind, tuple(sorted(previous.hours + row.hours)), previous.note
            )
    return list(merged.values())
