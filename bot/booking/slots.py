"""Which times can be booked, and which free time fits what the citizen asked for.

Pure functions: the caller reads the availability and the taken times from the database.
Times are UTC inside, Europe/Copenhagen (the municipality's zone) wherever a citizen sees them.
"""
from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.booking.availability import Window
from bot.booking.phrases import TimeWish
from bot.danish import format_moment
from bot.store.models import BookingKind
from bot.times import as_utc


@dataclass(frozen=True, order=True)
class Slot:
    starts_at: datetime  # UTC
    kind: BookingKind = field(compare=False)
    minutes: int = field(compare=False)

    def local(self, zone: ZoneInfo) -> datetime:
        return self.starts_at.astimezone(zone)

    def label(self, zone: ZoneInfo) -> str:
        """'tirsdag 24. nov. kl. 10.00'"""
        return format_moment(self.local(zone))


WindowsOn = Callable[[date], Sequence[Window]]


def slots_on(day: date, windows: Iterable[Window], kind: BookingKind, zone: ZoneInfo) -> list[Slot]:
    slots = []
    for window in windows:
        start = datetime.combine(day, window.start, tzinfo=zone)
        end = datetime.combine(day, window.end, tzinfo=zone)
        step = timedelta(minutes=window.slot_minutes)
        moment = start
        while moment + step <= end:
            slots.append(Slot(moment.astimezone(timezone.utc), kind, window.slot_minutes))
            moment += step
    return sorted(set(slots))


def bookable_range(now: datetime, zone: ZoneInfo, days_ahead: int, notice_minutes: int) -> tuple[datetime, date]:
    """The earliest bookable moment (UTC) and the last bookable day (local)."""
    earliest = as_utc(now) + timedelta(minutes=notice_minutes)
    last_day = now.astimezone(zone).date() + timedelta(days=days_ahead)
    return earliest, last_day


def free_slots(
    windows_on: WindowsOn,
    taken: set[datetime],
    kind: BookingKind,
    zone: ZoneInfo,
    earliest: datetime,
    last_day: date,
    after: datetime | None = None,
) -> list[Slot]:
    """Every free slot from `earliest` (and after `after`) to the end of `last_day`, in time order."""
    start = max(earliest, after) if after else earliest
    day = start.astimezone(zone).date()
    found: list[Slot] = []
    while day <= last_day:
        for slot in slots_on(day, windows_on(day), kind, zone):
            if slot.starts_at >= start and slot.starts_at not in taken:
                found.append(slot)
        day += timedelta(days=1)
    return found


class Problem(str, enum.Enum):
    """Why no slot fits the wish; the assistant says so and offers the nearest free times instead."""

    PAST = "past"
    CLOSED_DAY = "closed_day"
    OUTSIDE_HOURS = "outside_hours"
    FULLY_BOOKED = "fully_booked"
    TOO_SOON = "too_soon"
    TOO_FAR = "too_far"
    NO_FREE_SLOTS = "no_free_slots"


@dataclass(frozen=True)
class Choice:
    """A slot that fits (exactly, or the nearest free one on the wished day), or the reason none does."""

    slot: Slot | None = None
    exact: bool = True
    problem: Problem | None = None
    alternatives: tuple[Slot, ...] = ()


def _nearest(free: Sequence[Slot], target: datetime, count: int) -> tuple[Slot, ...]:
    ranked = sorted(free, key=lambda s: (abs((s.starts_at - target).total_seconds()), s.starts_at))[:count]
    return tuple(sorted(ranked))


def _in_part_of_day(slot: Slot, wish: TimeWish, zone: ZoneInfo) -> bool:
    local = slot.local(zone).time()
    return (wish.earliest is None or local >= wish.earliest) and (wish.latest is None or local < wish.latest)


def choose_slot(
    wish: TimeWish,
    free: Sequence[Slot],
    windows_on: WindowsOn,
    now: datetime,
    zone: ZoneInfo,
    earliest: datetime,
    last_day: date,
    count: int,
) -> Choice:
    """The free slot that fits the wish, nearest first; otherwise why not, with the nearest alternatives."""
    now_local = now.astimezone(zone)
    today = now_local.date()
    if not free:
        return Choice(problem=Problem.NO_FREE_SLOTS)
    if wish.soonest:
        return Choice(free[0])

    first_day = wish.first_day or today
    last_wished = wish.last_day or (wish.first_day or last_day)
    target_time = wish.at or wish.earliest or wish.latest or time(10, 0)
    target = datetime.combine(max(first_day, today), target_time, tzinfo=zone).astimezone(timezone.utc)
    alternatives = _nearest(free, target, count)

    if wish.in_past or last_wished < today:
        return Choice(problem=Problem.PAST, alternatives=alternatives)
    if wish.first_day == today and last_wished == today:
        if (wish.at and wish.at <= now_local.time()) or (wish.latest and wish.latest <= now_local.time()):
            return Choice(problem=Problem.PAST, alternatives=alternatives)
    if first_day > last_day:
        return Choice(problem=Problem.TOO_FAR, alternatives=tuple(free[:count]))

    days = [first_day + timedelta(days=n) for n in range((min(last_wished, last_day) - first_day).days + 1)]
    days = [day for day in days if day >= today]

    if wish.at is not None:
        return _choose_at(wish.at, days, wish.has_day, free, windows_on, zone, earliest, alternatives)

    fitting = [
        s for s in free if s.local(zone).date() in days and _in_part_of_day(s, wish, zone)
    ]
    if fitting:
        return Choice(fitting[0])
    existing = [s for day in days for s in slots_on(day, windows_on(day), free[0].kind, zone)]
    if not existing:
        return Choice(problem=Problem.CLOSED_DAY if wish.has_day else Problem.OUTSIDE_HOURS, alternatives=alternatives)
    in_part = [s for s in existing if _in_part_of_day(s, wish, zone)]
    if not in_part:
        return Choice(problem=Problem.OUTSIDE_HOURS, alternatives=alternatives)
    if all(s.starts_at < earliest for s in in_part):
        return Choice(problem=Problem.TOO_SOON, alternatives=tuple(free[:count]))
    return Choice(problem=Problem.FULLY_BOOKED, alternatives=alternatives)


def _choose_at(
    at: time,
    days: list[date],
    day_given: bool,
    free: Sequence[Slot],
    windows_on: WindowsOn,
    zone: ZoneInfo,
    earliest: datetime,
    alternatives: tuple[Slot, ...],
) -> Choice:
    seen: set[Problem] = set()
    for day in days:
        windows = windows_on(day)
        if not windows:
            seen.add(Problem.CLOSED_DAY)
            continue
        if not any(w.start <= at < w.end for w in windows):
            seen.add(Problem.OUTSIDE_HOURS)
            continue
        wished = datetime.combine(day, at, tzinfo=zone).astimezone(timezone.utc)
        if wished < earliest:
            seen.add(Problem.TOO_SOON)
            continue
        same_day = [s for s in free if s.local(zone).date() == day]
        exact = next((s for s in same_day if s.starts_at == wished), None)
        if exact:
            return Choice(exact)
        if same_day:
            return Choice(_nearest(same_day, wished, 1)[0], exact=False)
        seen.add(Problem.FULLY_BOOKED)
    if seen <= {Problem.CLOSED_DAY} and day_given:
        return Choice(problem=Problem.CLOSED_DAY, alternatives=alternatives)
    if seen <= {Problem.CLOSED_DAY, Problem.OUTSIDE_HOURS}:
        return Choice(problem=Problem.OUTSIDE_HOURS, alternatives=alternatives)
    if Problem.FULLY_BOOKED not in seen:
        return Choice(problem=Problem.TOO_SOON, alternatives=tuple(free[: len(alternatives)]))
    return Choice(problem=Problem.FULLY_BOOKED, alternatives=alternatives)
