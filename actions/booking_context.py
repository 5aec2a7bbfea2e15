"""What the booking and handoff actions need: the database, the municipality's rules, a clock.

rasa_sdk builds actions without arguments, so by default this comes from the environment
(DATABASE_URL, MUNICIPALITY_CONFIG, PRESENCE_TIMEOUT_SECONDS), one per database URL and process.
Tests pass their own.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from actions.context import municipality
from bot.booking.config import BookingSettings, StruggleThresholds, booking_settings, parse_struggle_thresholds
from bot.booking.handoff import DEFAULT_PRESENCE_TIMEOUT, HandoffDesk, presence_timeout_from_env
from bot.booking.service import BookingService
from bot.config import Municipality
from bot.store.db import Database, database_url_from_env
from bot.times import utcnow


@dataclass(frozen=True)
class BookingContext:
    municipality: Municipality
    settings: BookingSettings
    thresholds: StruggleThresholds
    bookings: BookingService
    desk: HandoffDesk
    clock: Callable[[], datetime]

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
    ) -> BookingContext:
        settings = booking_settings(place)
        return cls(
            municipality=place,
            settings=settings,
            thresholds=parse_struggle_thresholds(place.raw),
            bookings=BookingService(database, settings, place.timezone, clock),
            desk=HandoffDesk(database, place, clock, presence_timeout),
            clock=clock,
        )


@lru_cache(maxsize=4)
def _context_for(database_url: str, presence_timeout: float) -> BookingContext:
    return BookingContext.create(Database(database_url), municipality(), presence_timeout=presence_timeout)


def booking_context() -> BookingContext:
    return _context_for(database_url_from_env(), presence_timeout_from_env(os.environ))


class UsesBookingContext:
    """Mixin for actions: the context given to the constructor (tests), else the environment's."""

    def __init__(self, context: BookingContext | None = None) -> None:
        self._context = context

    @property
    def context(self) -> BookingContext:
        return self._context or booking_context()
