"""Who helps a struggling citizen: a staff member now (live chat), or a booked time.

Live only when a staff member is online and borgerservice is open; otherwise the assistant offers a
booking. "Online" counts only while a console keeps refreshing it (PRESENCE_TIMEOUT_SECONDS, the
same limit after which the console's watch sets a quiet member away): a gateway that crashed can no
longer leave someone online for ever. Either way the request is recorded with its reason and a
summary for staff, by the gateway: the action sends it `gateway_payload`, and the gateway is the
only writer of conversations and handoffs.
"""
from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.booking.unit import unit_of_work
from bot.config import Municipality, env_number
from bot.store.db import Database
from bot.store.models import Presence, StaffMember, StaffPresence
from bot.times import utcnow

# How long "online" lasts without a sign of life from the staff member's console. The console reads
# the same variable to set quiet members away; the action server reads it here.
DEFAULT_PRESENCE_TIMEOUT = 120.0


def presence_timeout_from_env(env: Mapping[str, str]) -> float:
    """PRESENCE_TIMEOUT_SECONDS in seconds (default 120, at least 10)."""
    return env_number(env, "PRESENCE_TIMEOUT_SECONDS", DEFAULT_PRESENCE_TIMEOUT, 10.0)


class HandoffMode(str, enum.Enum):
    LIVE = "live"
    BOOKING = "booking"


def decide_handoff(staff_online: bool, open_now: bool) -> HandoffMode:
    return HandoffMode.LIVE if staff_online and open_now else HandoffMode.BOOKING


def staff_online(session: Session, now: datetime, quiet_for: timedelta) -> bool:
    """Whether any active staff member is online for live chats, with a console that refreshed that
    within `quiet_for` of `now`. An older "online" is left behind by a console or gateway that
    stopped without saying so, and nobody would answer the chat."""
    # UTC, as stored: SQLite keeps the time without its zone, so a local time would compare wrongly.
    fresh_since = now.astimezone(timezone.utc) - quiet_for
    count = session.scalar(
        select(func.count())
        .select_from(StaffPresence)
        .join(StaffMember, StaffMember.id == StaffPresence.staff_id)
        .where(
            StaffPresence.status == Presence.ONLINE,
            StaffPresence.updated_at >= fresh_since,
            StaffMember.active.is_(True),
        )
    )
    return bool(count)


@dataclass(frozen=True)
class HandoffRequest:
    """Why the citizen needs a person, for staff; the gateway knows which conversation it came from."""

    reason: str
    topic: str | None
    summary: str


def gateway_payload(request: HandoffRequest, live: bool) -> dict[str, Any]:
    """The custom payload that tells the gateway of a request for a person (the citizen never sees it).

    `live`: the conversation goes to the staff queue, and the action pauses it in Rasa. Otherwise a
    booking was offered or the booking form started: the gateway keeps a trace that the citizen
    needed a person, and the assistant goes on."""
    return {
        "handoff": {"reason": request.reason, "topic": request.topic, "summary": request.summary, "live": live}
    }


class HandoffDesk:
    """Decides who helps: a staff member now, or a booked time."""

    def __init__(
        self,
        database: Database,
        municipality: Municipality,
        clock: Callable[[], datetime] = utcnow,
        presence_timeout: float = DEFAULT_PRESENCE_TIMEOUT,
    ) -> None:
        self.database = database
        self.municipality = municipality
        self.clock = clock
        self.presence_timeout = timedelta(seconds=presence_timeout)

    def request_person(self) -> HandoffMode:
        """Live chat or booking, now. Raises DatabaseUnavailable."""
        now = self.clock()
        with unit_of_work(self.database) as session:
            return decide_handoff(staff_online(session, now, self.presence_timeout), self.municipality.is_open_at(now))
