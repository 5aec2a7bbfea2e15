"""`python -m bot.booking`: the helpers' schedule and the bookings, for a municipality's IT department.

  load-schedule [--replace]  copy the booking: section of municipality.yml into the database
  schedule                   print the schedule the assistant uses (from the database) and the next free times
  bookings [--days N]        list the live bookings of the next N days (default 7)
"""
from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from bot.booking.availability import read_availability, schedule_is_loaded
from bot.booking.config import booking_settings
from bot.booking.phone import format_phone
from bot.booking.service import BookingService
from bot.booking.unit import DatabaseUnavailable, unit_of_work
from bot.config import ConfigError, load_municipality
from bot.danish import WEEKDAY_NAMES, format_day, format_moment, topic_label
from bot.store.db import Database, database_url_from_env
from bot.store.models import Booking, BookingKind, BookingStatus
from bot.times import as_utc

KIND_NAMES = {BookingKind.CALLBACK: "opkald", BookingKind.MEETING: "møde"}


def _service() -> BookingService:
    place = load_municipality()
    database = Database(database_url_from_env())
    database.upgrade()
    return BookingService(database, booking_settings(place), place.timezone)


def load_schedule(args: argparse.Namespace) -> int:
    service = _service()
    with unit_of_work(service.database) as session:
        loaded = schedule_is_loaded(session)
    if loaded and not args.replace:
        print("The database already has a schedule; it was left as it is. Use --replace to copy the file in again.")
        return 0
    service.reload_schedule()
    print("Copied the helpers' schedule and exceptions from municipality.yml into the database.")
    return 0


def show_schedule(args: argparse.Namespace) -> int:
    service = _service()
    service.ensure_schedule()
    today = datetime.now(timezone.utc).astimezone(service.zone).date()
    with unit_of_work(service.database) as session:
        availability = read_availability(session, today, today + timedelta(days=service.settings.days_ahead))
    for kind in BookingKind:
        print(f"{KIND_NAMES[kind].capitalize()} ({availability.slot_minutes.get(kind, '?')} min):")
        for weekday, name in enumerate(WEEKDAY_NAMES):
            windows = availability.weekly[kind].get(weekday, ())
            hours = ", ".join(f"{w.start:%H.%M}-{w.end:%H.%M}" for w in windows) or "lukket"
            print(f"  {name:8} {hours}")
        for day in sorted(availability.exceptions):
            windows = availability.windows_on(kind, day)
            if windows != availability.weekly[kind].get(day.weekday(), ()):
                hours = ", ".join(f"{w.start:%H.%M}-{w.end:%H.%M}" for w in windows) or "lukket"
                print(f"  {format_day(day)}: {hours}")
        free = service.free_slots(kind, limit=3)
        print("  Næste ledige: " + (", ".join(s.label(service.zone) for s in free) or "ingen"))
    return 0


def list_bookings(args: argparse.Namespace) -> int:
    service = _service()
    start = datetime.now(timezone.utc)
    with unit_of_work(service.database) as session:
        rows = session.scalars(
            select(Booking)
            .where(
                Booking.status == BookingStatus.BOOKED,
                Booking.starts_at >= start,
                Booking.starts_at < start + timedelta(days=args.days),
            )
            .order_by(Booking.starts_at)
        ).all()
    for row in rows:
        phone = f" {format_phone(row.phone)}" if row.phone else ""
        when = format_moment(as_utc(row.starts_at).astimezone(service.zone))
        kind = KIND_NAMES[BookingKind(row.kind)]
        print(f"{row.reference}  {when}  {kind:7} {row.first_name}{phone}  {topic_label(row.topic)}")
    if not rows:
        print(f"No bookings in the next {args.days} days.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.booking", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    load = commands.add_parser("load-schedule", help="copy the schedule from municipality.yml into the database")
    load.add_argument("--replace", action="store_true", help="replace the schedule already in the database")
    load.set_defaults(handler=load_schedule)
    commands.add_parser("schedule", help="show the schedule in use and the next free times").set_defaults(
        handler=show_schedule
    )
    listing = commands.add_parser("bookings", help="list the coming bookings")
    listing.add_argument("--days", type=int, default=7)
    listing.set_defaults(handler=list_bookings)
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except ConfigError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    except DatabaseUnavailable as error:
        print(f"The database cannot be reached: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
