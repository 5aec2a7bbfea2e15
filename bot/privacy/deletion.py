"""Deleting conversations: the gateway's transcript, Rasa's tracker and the citizen's words in bookings.

Rasa's tracker store is its SQLTrackerStore on the same database (table `events`, keyed by
`sender_id`, which is our conversation id), so a plain DELETE there removes what Rasa remembers.
When that table is not in the database (Rasa's tracker store was set up elsewhere), "Slet min
samtale" deletes nothing and raises `TrackerNotDeleted`: the citizen must not be told their
conversation is gone while Rasa still has it. The purge says so in the log and purges the rest.

The purge also forgets the log-in back-off's counts once they are quiet (their keys hold whatever
was typed as a user name, a password now and then), and audit log entries after their own, longer
period (`AUDIT_RETENTION_DAYS`).

A booking outlives its conversation (staff still need to call back at the booked time), so it is
not deleted with it; only the citizen's quoted messages in its summary are. What staff need to run
the booking stays: time, kind, topic, and the first name and phone number given for it. Bookings
whose time is longer ago than the retention are deleted by the purge.

Before the purge deletes conversations and bookings it adds their counts (no text, no person) to the
daily statistics, in the same transaction, so a year's trend survives the transcripts. Each purge
locks the rows it deletes and counts only those, so replicas purging at once never count one twice.
A conversation the citizen deletes ("Slet min samtale") is deleted with no trace, counts included.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, inspect, or_, select, text
from sqlalchemy.orm import Session

from bot.booking.summary import QUOTES_LABEL, without_citizen_words
from bot.config import Municipality, env_number, load_municipality
from bot.insight.counting import count_bookings, count_conversations, keep
from bot.store import AuditEntry, Booking, Conversation, Database
from bot.store.models import LoginThrottle
from bot.store.telegram_outbox import forget_old_sent
from bot.store.telegram_updates import forget_old_updates

logger = logging.getLogger(__name__)

RASA_EVENTS_TABLE = "events"
DEFAULT_AUDIT_RETENTION_DAYS = 365
# The log-in back-off forgets a count after an hour of quiet (bot.console.throttle); so does the purge.
THROTTLE_QUIET = timedelta(hours=1)


class TrackerNotDeleted(RuntimeError):
    """Rasa's tracker table is not in this database, so what Rasa remembers could not be deleted."""


def audit_retention_days_from_env(env: Mapping[str, str] | None = None) -> int:
    return int(env_number(os.environ if env is None else env, "AUDIT_RETENTION_DAYS", DEFAULT_AUDIT_RETENTION_DAYS, 1))


@dataclass(frozen=True)
class PurgeResult:
    conversations: int
    tracker_conversations: int
    bookings: int = 0
    login_counts: int = 0
    audit_entries: int = 0


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
    """Delete one conversation everywhere, or nothing (TrackerNotDeleted); True when the gateway knew it."""
    with db.session() as session:
        if not _has_events_table(session):
            raise TrackerNotDeleted(
                f"Rasa's tracker table {RASA_EVENTS_TABLE!r} is not in the gateway's database, so conversation "
                f"{conversation_id} was not deleted: Rasa's tracker store must be this database (endpoints.yml)"
            )
        deleted = session.execute(delete(Conversation).where(Conversation.id == conversation_id)).rowcount
        _forget_citizen_words_in_bookings(session, Booking.conversation_id == conversation_id)
        session.execute(text(f"DELETE FROM {RASA_EVENTS_TABLE} WHERE sender_id = :id"), {"id": conversation_id})
    return bool(deleted)


def _take_write_lock(session: Session) -> None:
    # SQLite: the purge's transaction starts by writing, so it waits for another purge to finish and
    # then reads what that one left (PostgreSQL uses row locks below instead).
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("UPDATE statistics_daily SET value = value WHERE 1 = 0"))


def purge_older_than(
    db: Database,
    days: int,
    now: datetime | None = None,
    audit_days: int = DEFAULT_AUDIT_RETENTION_DAYS,
    municipality: Municipality | None = None,
) -> PurgeResult:
    """Delete every conversation untouched for `days` days, every Rasa tracker idle as long, and every
    booking whose time is as long ago; bookings still to come lose the quotes of deleted conversations.
    What is deleted is counted first into the daily statistics (days in `municipality`'s time zone).
    Also quiet log-in counts, and audit log entries older than `audit_days` (never fewer than `days`)."""
    now = now or datetime.now(timezone.utc)
    cutoff = now - timedelta(days=days)
    municipality = municipality or load_municipality(retention_days=days)
    with db.session() as session:
        login_counts = session.execute(
            delete(LoginThrottle).where(
                LoginThrottle.last_failure_at < now - THROTTLE_QUIET,
                or_(LoginThrottle.blocked_until.is_(None), LoginThrottle.blocked_until < now),
            )
        ).rowcount
        audit_cutoff = now - timedelta(days=max(days, audit_days))
        audit_entries = session.execute(delete(AuditEntry).where(AuditEntry.created_at < audit_cutoff)).rowcount
    with db.session() as session:
        _take_write_lock(session)
        # SKIP LOCKED: rows another purge is deleting right now are that purge's to count.
        old_ids = list(
            session.scalars(
                select(Conversation.id).where(Conversation.updated_at < cutoff).with_for_update(skip_locked=True)
            )
        )
        keep(session, count_conversations(session, old_ids, municipality))
        for start in range(0, len(old_ids), 500):
            batch = old_ids[start : start + 500]
            session.execute(delete(Conversation).where(Conversation.id.in_(batch)))
        old_booking_ids = list(
            session.scalars(select(Booking.id).where(Booking.starts_at < cutoff).with_for_update(skip_locked=True))
        )
        old_bookings = 0
        for start in range(0, len(old_booking_ids), 500):
            batch = old_booking_ids[start : start + 500]
            keep(session, count_bookings(session, Booking.id.in_(batch), municipality))
            old_bookings += session.execute(delete(Booking).where(Booking.id.in_(batch))).rowcount
        # Also catches bookings whose conversation went before this rule existed, or by another way.
        gone = ~select(Conversation.id).where(Conversation.id == Booking.conversation_id).exists()
        _forget_citizen_words_in_bookings(session, or_(Booking.conversation_id.is_(None), gone))
        trackers = 0
        if _has_events_table(session):
            # Trackers without a gateway conversation (e.g. from `rasa shell`) age out by their last event too.
            # A conversation the gateway keeps keeps its tracker, however quiet Rasa has been: staff may still
            # be on it, or another purge is counting it right now (its language is read from these events).
            idle = text(
                f"SELECT sender_id FROM {RASA_EVENTS_TABLE} "
                f"WHERE sender_id NOT IN (SELECT id FROM {Conversation.__tablename__}) "
                "GROUP BY sender_id HAVING MAX(timestamp) < :cutoff"
            )
            idle_senders = {row[0] for row in session.execute(idle, {"cutoff": cutoff.timestamp()})}
            trackers = _delete_trackers(session, sorted(idle_senders | set(old_ids)))
        else:
            logger.error(
                "Rasa's tracker table %r is not in the gateway's database: Rasa's trackers were not purged",
                RASA_EVENTS_TABLE,
            )
    forget_old_updates(db, now)
    forget_old_sent(db, now)
    logger.info(
        "Purged %d conversations, %d idle trackers and %d bookings older than %d days, %d quiet log-in counts "
        "and %d audit log entries older than %d days",
        len(old_ids), trackers, old_bookings, days, login_counts, audit_entries, max(days, audit_days),
    )
    return PurgeResult(
        conversations=len(old_ids), tracker_conversations=trackers, bookings=old_bookings,
        login_counts=login_counts, audit_entries=audit_entries,
    )
