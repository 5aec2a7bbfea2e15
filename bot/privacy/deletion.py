"""Deleting conversations: the gateway's transcript and Rasa's tracker, together.

Rasa's tracker store is its SQLTrackerStore on the same database (table `events`, keyed by
`sender_id`, which is our conversation id), so a plain DELETE there removes what Rasa remembers.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, inspect, select, text
from sqlalchemy.orm import Session

from bot.store import Conversation, Database

logger = logging.getLogger(__name__)

RASA_EVENTS_TABLE = "events"


@dataclass(frozen=True)
class PurgeResult:
    conversations: int
    tracker_conversations: int


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
        if _has_events_table(session):
            session.execute(text(f"DELETE FROM {RASA_EVENTS_TABLE} WHERE sender_id = :id"), {"id": conversation_id})
    return bool(deleted)


def purge_older_than(db: Database, days: int, now: datetime | None = None) -> PurgeResult:
    """Delete every conversation untouched for `days` days, and every Rasa tracker idle as long."""
    cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=days)
    with db.session() as session:
        old_ids = list(session.scalars(select(Conversation.id).where(Conversation.updated_at < cutoff)))
        for start in range(0, len(old_ids), 500):
            batch = old_ids[start : start + 500]
            session.execute(delete(Conversation).where(Conversation.id.in_(batch)))
        trackers = 0
        if _has_events_table(session):
            # Trackers without a gateway conversation (e.g. from `rasa shell`) age out by their last event too.
            idle = text(
                f"SELECT sender_id FROM {RASA_EVENTS_TABLE} GROUP BY sender_id HAVING MAX(timestamp) < :cutoff"
            )
            idle_senders = {row[0] for row in session.execute(idle, {"cutoff": cutoff.timestamp()})}
            trackers = _delete_trackers(session, sorted(idle_senders | set(old_ids)))
    logger.info("Purged %d conversations and %d idle trackers older than %d days", len(old_ids), trackers, days)
    return PurgeResult(conversations=len(old_ids), tracker_conversations=trackers)
