"""Deleting conversations: the gateway's transcript, Rasa's tracker and the citizen's words in bookings.

Rasa's tracker store is its SQLTrackerStore on the same database (table `events`, keyed by
`sender_id`, which is our conversation id), so a plain DELETE there removes what Rasa remembers.

A booking outlives its conversation (staff still need to call back at the booked time), so it is
not deleted with it; only the citizen's quoted messages in its summary are. What staff need to run
the booking stays: time, kind, topic, and the first name and phone number given for it. Bookings
whose time is longer ago than the retention are deleted by the purge.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, inspect, or_, select, text
from sqlalchemy.orm import Session

from bot.booking.summary import QUOTES_LABEL, without_citizen_words
from bot.store import Booking, Conversation, Database
from bot.store.telegram_updates import forget_old_updates

logger = logging.getLogger(__name__)

RASA_EVENTS_TABLE = "events"


@dataclass(frozen=True)
class PurgeResult:
    conversations: int
    tracker_conversations: int
    bookings: int = 0


def _forget_citizen_words_in_bookings(session: Session, *conditions) -> None:
    """Blank the citizen's quoted messages in the summaries of the bookings matching `conditions`."""
    quoting = select(Booking).where(Booking.summary.contains(QUOTES_LABEL, autoescape=True), *conditions)
    for booking in session.scalars(quoting):
        booking.summary = without_citizen_words(booking.summary)


def _has_events_table(session: Session) -> bool:
    return inspect(session.connection()).has_table(RASA_EVENTS_TABLE)


def _delete_trackers(session: Session, senders: list[str]) -> int:
    """Delete the Rasa trackers of these senders; returns how many had one."""
    found = 0
    for start in range(0, len(senders), 500):
        params = {f"s{i}": sender for i, sender in enumerate(senders[start : start + 500])}
        placeholders = ", ".join(f":{name}" for name in params)
        where = f"FROM {RASA_EVENTS_TABLE} WHERE sender_id IN ({placeholders})"
        found += session.execute(text(f"SELECT COUNT(DISTINCT sender_id) {where}"), params).scalar_one()
        session.execute(text(f"DELETE {where}"), params)
    return found


def delete_conversation(db: Database, conversation_id: str) -> bool:
    """Delete one conversation everywhere; True when the gateway knew it."""
    with db.session() as session:
        deleted = session.execute(delete(Conversation).where(Conversation.id == conversation_id)).rowcount
        _forget_citizen_words_in_bookings(session, Booking.conversation_id == conversation_id)
        if _has_events_table(session):
            session.execute(text(f"DELETE FROM {RASA_EVENTS_TABLE} WHERE sender_id = :id"), {"id": conversation_id})
    from bot.learning.inbox import forget_conversation  # here, not above: bot.learning imports bot.privacy

    forget_conversation(db, conversation_id)
    return bool(deleted)


def purge_older_than(db: Database, days: int, now: datetime | None = None) -> PurgeResult:
    """Delete every conversation untouched for `days` days, every Rasa tracker idle as long, and every
    booking whose time is as long ago; bookings still to come lose the quotes of deleted conversations."""
    cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=days)
    with db.session() as session:
        old_ids = list(session.scalars(select(Conversation.id).where(Conversation.updated_at < cutoff)))
        for start in range(0, len(old_ids), 500):
            batch = old_ids[start : start + 500]
            session.execute(delete(Conversation).where(Conversation.id.in_(batch)))
        old_bookings = session.execute(delete(Booking).where(Booking.starts_at < cutoff)).rowcount
        # Also catches bookings whose conversation went before this rule existed, or by another way.
        gone = ~select(Conversation.id).where(Conversation.id == Booking.conversation_id).exists()
        _forget_citizen_words_in_bookings(session, or_(Booking.conversation_id.is_(None), gone))
        trackers = 0
        if _has_events_table(session):
            # Trackers without a gateway conversation (e.g. from `rasa shell`) age out by their last event too.
            idle = text(
                f"SELECT sender_id FROM {RASA_EVENTS_TABLE} GROUP BY sender_id HAVING MAX(timestamp) < :cutoff"
            )
            idle_senders = {row[0] for row in session.execute(idle, {"cutoff": cutoff.timestamp()})}
            trackers = _delete_trackers(session, sorted(idle_senders | set(old_ids)))
    forget_old_updates(db, now or datetime.now(timezone.utc))
    from bot.learning.inbox import purge_older_than as purge_inbox  # here, not above: bot.learning imports bot.privacy

    purge_inbox(db, days, now)  # the inbox of missed messages follows the same retention
    logger.info(
        "Purged %d conversations, %d idle trackers and %d bookings older than %d days",
        len(old_ids), trackers, old_bookings, days,
    )
    return PurgeResult(conversations=len(old_ids), tracker_conversations=trackers, bookings=old_bookings)
