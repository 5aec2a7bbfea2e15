"""What every console handler works with: the console's parts, built once per gateway.

`Console` (in `app.py`) is this plus its routes and its background watch. The handlers' modules
(`auth`, `pages`, `api`, `socket`, and new ones) reach it as `console_of(request)` and import this
module, never `app.py`: the routes import the handlers, so the handlers must not import the routes.
"""
from __future__ import annotations

import asyncio
from datetime import timedelta

from starlette.requests import HTTPConnection

from bot.config import Municipality
from bot.console.bookings import BookingDesk
from bot.console.desk import Desk
from bot.console.rendering import Renderer
from bot.console.sessions import SessionStore
from bot.console.settings import ConsoleSettings
from bot.console.throttle import LoginThrottle
from bot.console.watch import HandoffWatch
from bot.gateway.conversations import ConversationService
from bot.gateway.delivery import Delivery
from bot.store import Database

# An argon2 check takes 64 MiB for its moment; this many at once at most, the rest wait their turn.
PASSWORD_CHECKS_AT_ONCE = 2


class ConsoleContext:
    """The console's parts: sessions, login throttle, the desk, bookings, the handoff watch, pages."""

    def __init__(
        self,
        db: Database,
        service: ConversationService,
        delivery: Delivery,
        municipality: Municipality,
        settings: ConsoleSettings,
    ) -> None:
        self.db = db
        self.service = service
        self.delivery = delivery
        self.municipality = municipality
        self.settings = settings
        self.sessions = SessionStore(
            db, timedelta(hours=settings.session_hours), timedelta(minutes=settings.session_idle_minutes)
        )
        self.throttle = LoginThrottle(db)
        self.password_checks = asyncio.Semaphore(PASSWORD_CHECKS_AT_ONCE)
        self.desk = Desk(db, service)
        self.bookings = BookingDesk(db, service, municipality)
        self.watch = HandoffWatch(db, service, municipality, settings)
        self.renderer = Renderer(municipality.timezone, municipality.name)


def console_of(connection: HTTPConnection) -> ConsoleContext:
    """The console that serves this request (the gateway keeps it as `app.state.console`)."""
    return connection.app.state.console
