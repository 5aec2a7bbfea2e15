"""Who helps a struggling citizen: a staff member now (live chat), or a booked time.

Live only when a staff member is online and borgerservice is open; otherwise the assistant offers a
booking. "Online" counts only while a console keeps refreshing it (PRESENCE_TIMEOUT_SECONDS, the
same limit after which the console's watch sets a quiet member away): a gateway that crashed can no
longer leave someone online for ever. Either way the request is recorded with its reason and a
summary for staff: a live one by the gateway when it acts on the handoff payload, an offered
booking here.
"""
from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.booking.unit import unit_of_work
from bot.config import Municipality, env_number
from bot.store.db import Database
from bot.store.models import Conversation, Handoff, Presence, StaffMember, StaffPresence, utcnow

_CONVERSATION_ID_LENGTH = Conversation.__table__.c.id.type.length

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
    conversation_id: str
    channel: str | None
    reason: str
    topic: str | None
    summary: str


@dataclass(frozen=True)
class HandoffDecision:
    mode: HandoffMode
    handoff_id: int | None  # set when a booking was offered and recorded here


class HandoffDesk:
    """Decides and records requests for a person."""

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

    def request_person(self, request: HandoffRequest) -> HandoffDecision:
        """Decides live chat or booking; records an offered booking. Raises DatabaseUnavailable."""
        now = self.clock()
        with unit_of_work(self.database) as session:
            mode = decide_handoff(staff_online(session, now, self.presence_timeout), self.municipality.is_open_at(now))
            handoff_id = record_handoff(session, request) if mode is HandoffMode.BOOKING else None
        return HandoffDecision(mode, handoff_id)


    def record_booking_request(self, request: HandoffRequest) -> int | None:
        """Records that the citizen was sent to the booking form, before anything is booked: a citizen
        who stops the form still leaves a trace of having needed a person. Raises DatabaseUnavailable."""
        with unit_of_work(self.database) as session:
            return record_handoff(session, request)


def record_handoff(session: Session, request: HandoffRequest) -> int | None:
    """Stores an offered booking against the gateway's conversation, creating the conversation when
    the assistant is reached without the gateway (Rasa's own REST channel)."""
    if len(request.conversation_id) > _CONVERSATION_ID_LENGTH:
        return None
    conversation = session.get(Conversation, request.conversation_id)
    if conversation is None:
        conversation = Conversation(
            id=request.conversation_id,
            channel=(request.channel or "rasa")[:16],
            channel_user_id=request.conversation_id,
        )
        session.add(conversation)
    handoff = Handoff(
        conversation_id=conversation.id,
        reason=request.reason[:64],
        topic=(request.topic or None) and request.topic[:64],
        summary=request.summary,
        outcome="booking_offered",
        ended_at=utcnow(),
    )
    session.add(handoff)
    session.flush()
    return handoff.id
