"""What the booking and handoff actions need: the database, the municipality's rules, a clock.

rasa_sdk builds actions without arguments, so by default this comes from the environment
(DATABASE_URL, MUNICIPALITY_CONFIG, PRESENCE_TIMEOUT_SECONDS, BOOKING_RECHECK_AFTER_MINUTES), one
per database URL and process.
Tests pass their own.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from actions.context import municipality
from bot.booking.config import BookingSettings, StruggleThresholds, booking_settings, parse_struggle_thresholds
from bot.booking.handoff import DEFAULT_PRESENCE_TIMEOUT, HandoffDesk, presence_timeout_from_env
from bot.booking.service import BookingService
from bot.config import Municipality, env_number
from bot.store.db import Database, database_url_from_env
from bot.times import utcnow

# After this long without a word from the citizen, the one writing may be someone else (a library
# computer): the conversation alone no longer proves a booking made before the break is theirs.
DEFAULT_RECHECK_AFTER = timedelta(minutes=30)


def recheck_after_from_env(env: Mapping[str, str]) -> timedelta:
    """BOOKING_RECHECK_AFTER_MINUTES (default 30, at least 1)."""
    minutes = env_number(env, "BOOKING_RECHECK_AFTER_MINUTES", DEFAULT_RECHECK_AFTER.total_seconds() / 60, 1.0)
    return timedelta(minutes=minutes)


@dataclass(frozen=True)
class BookingContext:
    municipality: Municipality
    settings: BookingSettings
    thresholds: StruggleThresholds
    bookings: BookingService
    desk: HandoffDesk
    clock: Callable[[], datetime]
    recheck_after: timedelta = DEFAULT_RECHECK_AFTER

    @property
    def zone(self) -> ZoneInfo:
        return self.municipality.timezone

    @property
    def phone(self) -> str:
        return self.municipality.borgerservice.phone

    @classmethod
    def create(
        cls,
        database: Database,
        place: Municipality,
        clock: Callable[[], datetime] = utcnow,
        presence_timeout: float = DEFAULT_PRESENCE_TIMEOUT,
        recheck_after: timedelta = DEFAULT_RECHECK_AFTER,
    ) -> BookingContext:
        settings = booking_settings(place)
        return cls(
            municipality=place,
            settings=settings,
            thresholds=parse_struggle_thresholds(place.raw),
            bookings=BookingService(database, settings, place.timezone, clock),
            desk=HandoffDesk(database, place, clock, presence_timeout),
            clock=clock,
            recheck_after=recheck_after,
        )


@lru_cache(maxsize=4)
def _context_for(database_url: str, presence_timeout: float, recheck_after: timedelta) -> BookingContext:
    return BookingContext.create(
        Database(database_url), municipality(), presence_timeout=presence_timeout, recheck_after=recheck_after
    )


def booking_context() -> BookingContext:
    env = os.environ
    return _context_for(database_url_from_env(), presence_timeout_from_env(env), recheck_after_from_env(env))


class UsesBookingContext:
    """Mixin for actions: the context given to the constructor (tests), else the environment's."""

    def __init__(self, context: BookingContext | None = None) -> None:
        self._context = context

    @property
    def context(self) -> BookingContext:
        return self._context or booking_context()
