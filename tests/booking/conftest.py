"""Fixtures for the booking tests: real SQLite files and a real PostgreSQL database on loopback.

PostgreSQL: one database per test session, named uniquely, created here and dropped afterwards.
Set BOOKING_TEST_POSTGRES_URL to use another server (default postgresql://postgres@127.0.0.1:5432).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import delete

from bot.booking.config import parse_booking_settings
from bot.booking.service import BookingService
from bot.config import parse_municipality
from bot.store import Database
from bot.store.models import (
    AvailabilityException,
    AvailabilityRule,
    Booking,
    Conversation,
    Handoff,
    StaffMember,
    StaffPresence,
)
from tests.support.databases import migrated_sqlite
from tests.support.postgres import fresh_postgres_database

ZONE = ZoneInfo("Europe/Copenhagen")

# Monday 23 November 2026, 08:00 in Copenhagen: before the helpers' first slot of the week.
MONDAY_MORNING = datetime(2026, 11, 23, 8, 0, tzinfo=ZONE)

MUNICIPALITY_YAML = """
municipality:
  name: Testkommune
  borgerservice:
    phone: "70 11 22 33"
    email: borgerservice@test.example
    address: Testvej 1, 9999 Testby
    booking_url: https://test.example/bestil-tid
  timezone: Europe/Copenhagen
opening_hours:
  monday: ["10:00-15:00"]
  tuesday: ["10:00-15:00"]
  wednesday: ["10:00-15:00"]
  thursday: ["10:00-17:00"]
  friday: ["10:00-13:00"]
  saturday: lukket
  sunday: lukket
opening_hours_exceptions:
  - date: 2026-12-24
    hours: lukket
    note: Juleaftensdag
national:
  mitid_support_phone: "33 98 00 10"
booking:
  days_ahead: 14
  minimum_notice_minutes: 60
  slots_shown: 4
  callback:
    slot_minutes: 20
    hours:
      monday: ["10:00-12:00", "13:00-14:00"]
      tuesday: ["10:00-12:00"]
      wednesday: ["10:00-12:00"]
      thursday: ["10:00-12:00", "13:00-16:00"]
      friday: ["10:00-12:00"]
  meeting:
    slot_minutes: 30
    hours:
      monday: ["10:00-14:30"]
      tuesday: ["10:00-14:30"]
      wednesday: ["10:00-14:30"]
      thursday: ["10:00-16:30"]
      friday: ["10:00-12:30"]
  exceptions:
    - date: 2026-11-25
      kind: meeting
      hours: lukket
      note: Personalemøde
struggle:
  fallbacks_in_a_row: 2
  not_helped: 2
  same_question: 3
"""


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now.astimezone(timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def raw_config() -> dict:
    return yaml.safe_load(MUNICIPALITY_YAML)


@pytest.fixture
def municipality(raw_config):
    return parse_municipality(raw_config)


@pytest.fixture
def settings(raw_config, municipality):
    return parse_booking_settings(raw_config, municipality)


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY_MORNING)


@pytest.fixture
def municipality_file(tmp_path) -> Path:
    path = tmp_path / "municipality.yml"
    path.write_text(MUNICIPALITY_YAML, encoding="utf-8")
    return path


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'borgerhjaelp.db'}"


@pytest.fixture
def sqlite_db(sqlite_url):
    database = migrated_sqlite(Path(sqlite_url.removeprefix("sqlite:///")))
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def postgres_url():
    with fresh_postgres_database("borgerhjaelp_test") as url:
        database = Database(url)
        database.upgrade()
        database.dispose()
        yield url


def _empty(database: Database) -> None:
    with database.session() as session:
        for table in (Handoff, Conversation, StaffPresence, StaffMember, Booking, AvailabilityException, AvailabilityRule):
            session.execute(delete(table))


@pytest.fixture
def postgres_db(postgres_url):
    database = Database(postgres_url)
    _empty(database)
    yield database
    _empty(database)
    database.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db(request):
    """The same test on both databases the project supports."""
    return request.getfixturevalue(f"{request.param}_db")


@pytest.fixture
def service(db, settings, clock) -> BookingService:
    return BookingService(db, settings, ZONE, clock)


@pytest.fixture
def context(sqlite_db, municipality, clock):
    """What the actions use, on a real SQLite file and the test municipality."""
    from actions.booking_context import BookingContext

    return BookingContext.create(sqlite_db, municipality, clock)


@pytest.fixture
def broken_context(tmp_path, municipality, clock):
    """The same, with a database that cannot be opened (a directory is not a database file)."""
    from actions.booking_context import BookingContext

    return BookingContext.create(Database(f"sqlite:///{tmp_path}"), municipality, clock)
