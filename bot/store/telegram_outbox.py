"""The Telegram outbox's rows: queued, claimed by one replica at a time, settled once tried.

A chat's rows go in id order, so a row may be claimed only while it is the chat's first. The claim
is a lease (a conditional UPDATE, atomic on SQLite and PostgreSQL alike): a replica that dies while
holding one leaves it to expire, and another replica takes the row up. On PostgreSQL, rows for one
chat are queued under a transaction-scoped advisory lock, so their ids are drawn in the order they
are committed and a sender never sees a later row before an earlier one.

`telegram_sent` remembers the ids of the bot's messages while Telegram lets the bot delete them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, text, update

from bot.store.db import Database
from bot.store.models import Conversation, ConversationNote, TelegramOutgoing, TelegramSent

CHANNEL = "telegram"
# The Bot API deletes a message only if it was sent less than 48 hours ago; an hour's margin for clocks.
DELETABLE_FOR = timedelta(hours=47)
# Held until the row's transaction ends; two chats sharing a hash only wait for each other a moment.
_CHAT_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('telegram_outbox:' || :chat))")


@dataclass(frozen=True)
class Claimed:
    """One row, taken by this replica until its lease ends."""

    id: int
    chat_id: int
    conversation_id: str | None
    kind: str
    body: dict[str, Any]
    created_at: datetime
    failures: int


def queue(db: Database, chat_id: int, kind: str, body: dict[str, Any], conversation_id: str | None) -> int:
    with db.session() as session:
        if session.bind is not None and session.bind.dialect.name == "postgresql":
            session.execute(_CHAT_LOCK, {"chat": chat_id})
        row = TelegramOutgoing(chat_id=chat_id, kind=kind, body=body, conversation_id=conversation_id)
        session.add(row)
        session.flush()
        return row.id


def due_chats(db: Database, now: datetime, limit: int, busy: set[int]) -> list[int]:
    """Chats whose first row may be tried now and nobody holds, oldest first; none of `busy`."""
    firsts = select(func.min(TelegramOutgoing.id)).group_by(TelegramOutgoing.chat_id)
    query = (
        select(TelegramOutgoing.chat_id)
        .where(
            TelegramOutgoing.id.in_(firsts),
            TelegramOutgoing.not_before <= now,
            or_(TelegramOutgoing.lease_until.is_(None), TelegramOutgoing.lease_until < now),
        )
        .order_by(TelegramOutgoing.id)
        .limit(limit + len(busy))
    )
    with db.session() as session:
        return [chat_id for chat_id in session.scalars(query) if chat_id not in busy][:limit]


def claim_first(db: Database, chat_id: int, replica: str, now: datetime, lease: timedelta) -> Claimed | None:
    """The chat's first row, leased to `replica`; None when there is none, it is not due, or it is held.

    The UPDATE comes first, so SQLite takes its write lock at the start of the transaction (waiting
    for it, where a read that turned into a write would fail at once)."""
    first = select(func.min(TelegramOutgoing.id)).where(TelegramOutgoing.chat_id == chat_id).scalar_subquery()
    until = now + lease
    with db.session() as session:
        won = session.execute(
            update(TelegramOutgoing)
            .where(
                TelegramOutgoing.id == first,
                TelegramOutgoing.not_before <= now,
                or_(TelegramOutgoing.lease_until.is_(None), TelegramOutgoing.lease_until < now),
            )
            .values(leased_by=replica, lease_until=until)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not won:
            return None
        row = session.scalars(
            select(TelegramOutgoing)
            .where(TelegramOutgoing.chat_id == chat_id, TelegramOutgoing.leased_by == replica)
            .order_by(TelegramOutgoing.id)
            .limit(1)
        ).one()
        body = dict(row.body or {})
        return Claimed(row.id, chat_id, row.conversation_id, row.kind, body, row.created_at, row.failures)


def done(db: Database, row_id: int, sent: tuple[int, int] | None = None) -> None:
    """Sent (or dropped as not worth another try); `sent`: the chat and id of the message Telegram made."""
    with db.session() as session:
        session.execute(delete(TelegramOutgoing).where(TelegramOutgoing.id == row_id))
        if sent is not None:
            session.merge(TelegramSent(chat_id=sent[0], message_id=sent[1]))


def deletable(db: Database, chat_id: int, now: datetime) -> list[int]:
    """The bot's messages in this chat that Telegram still lets it delete, oldest first."""
    with db.session() as session:
        return list(
            session.scalars(
                select(TelegramSent.message_id)
                .where(TelegramSent.chat_id == chat_id, TelegramSent.sent_at > now - DELETABLE_FOR)
                .order_by(TelegramSent.message_id)
            )
        )


def forget_sent(db: Database, chat_id: int) -> None:
    """The chat's messages are deleted (or cannot be any more): nothing left to remember of them."""
    with db.session() as session:
        session.execute(delete(TelegramSent).where(TelegramSent.chat_id == chat_id))


def forget_old_sent(db: Database, now: datetime) -> int:
    with db.session() as session:
        return session.execute(delete(TelegramSent).where(TelegramSent.sent_at <= now - DELETABLE_FOR)).rowcount


def try_again(db: Database, row_id: int, not_before: datetime, failures: int, error: str) -> None:
    with db.session() as session:
        session.execute(
            update(TelegramOutgoing)
            .where(TelegramOutgoing.id == row_id)
            .values(not_before=not_before, failures=failures, last_error=error[:500], leased_by=None, lease_until=None)
            .execution_options(synchronize_session=False)
        )


def give_up(db: Database, row: Claimed, note: str) -> str | None:
    """Delete the row and leave `note` for staff on its conversation (or the chat's latest one);
    returns that conversation's id, or None when the chat has no conversation left."""
    with db.session() as session:
        session.execute(delete(TelegramOutgoing).where(TelegramOutgoing.id == row.id))
        conversation_id = row.conversation_id
        if conversation_id is None or session.get(Conversation, conversation_id) is None:
            conversation_id = session.scalars(
                select(Conversation.id)
                .where(Conversation.channel == CHANNEL, Conversation.channel_user_id == str(row.chat_id))
                .order_by(Conversation.created_at.desc())
                .limit(1)
            ).first()
        if conversation_id is not None:
            session.add(ConversationNote(conversation_id=conversation_id, staff_id=None, text=note))
        return conversation_id


def drop_chat(db: Database, chat_id: int) -> int:
    """Nothing more for this chat (the citizen blocked the bot)."""
    with db.session() as session:
        return session.execute(delete(TelegramOutgoing).where(TelegramOutgoing.chat_id == chat_id)).rowcount


def release(db: Database, replica: str) -> None:
    """This replica stops: its leases go now, not when they would have run out."""
    with db.session() as session:
        session.execute(
            update(TelegramOutgoing)
            .where(TelegramOutgoing.leased_by == replica)
            .values(leased_by=None, lease_until=None)
            .execution_options(synchronize_session=False)
        )


def pending(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(TelegramOutgoing)) or 0
