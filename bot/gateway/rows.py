"""The rows the gateway writes: messages, and handoffs as conversations change hands; shared by the
conversation service and the assistant relay, the only writers of these tables."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.gateway.views import MessageView
from bot.store import Conversation, Handoff, Message, Sender
from bot.store.models import RasaDelivery, utcnow


def lock_for_new_message(session: Session, conversation_id: str) -> Conversation | None:
    """The conversation's row, locked until commit, before a message of it gets its id.

    Clients ask for "messages after id N". On PostgreSQL two transactions could draw ids 10 and 11
    and commit 11 first; a reader seeing 11 would then never ask for 10. Holding the conversation's
    row lock while the id is drawn makes one conversation's ids commit in order, across gateway
    replicas too. SQLite has one writer at a time already and ignores FOR UPDATE.
    """
    return session.get(Conversation, conversation_id, with_for_update=True)


def add_message(
    session: Session,
    conversation_id: str,
    sender: Sender,
    text: str,
    *,
    payload: dict[str, Any] | None = None,
    staff_id: int | None = None,
    client_message_id: str | None = None,
    rasa_status: RasaDelivery | None = None,
) -> Message:
    """One message row, added to the session; the caller flushes when it needs the row's id."""
    message = Message(
        conversation_id=conversation_id,
        sender=sender,
        text=text,
        staff_id=staff_id,
        client_message_id=client_message_id,
        rasa_status=rasa_status.value if rasa_status else None,
    )
    if payload:
        # Set only when there is one: a JSON column given None stores JSON null, not SQL NULL.
        message.payload = payload
    session.add(message)
    return message


def message_by_client_id(session: Session, conversation_id: str, client_message_id: str) -> MessageView | None:
    row = session.scalars(
        select(Message).where(
            Message.conversation_id == conversation_id, Message.client_message_id == client_message_id
        )
    ).first()
    return MessageView.of(row) if row else None


def open_handoff(session: Session, conversation_id: str) -> Handoff | None:
    return session.scalars(
        select(Handoff)
        .where(Handoff.conversation_id == conversation_id, Handoff.ended_at.is_(None))
        .order_by(Handoff.id.desc())
        .limit(1)
    ).first()


# What a change of state writes besides the state (ConversationService._transition runs these) ------


def start_handoff(session: Session, row: Conversation, reason: str, topic: str | None, summary: str | None) -> None:
    """The assistant's live handoff: queue the conversation for staff, and note that Rasa is paused
    (the handoff action's ConversationPaused) until it gets its `resume`."""
    now = utcnow()
    row.handoff_reason = (reason or "unknown")[:64]
    new_topic = topic or row.topic
    row.topic = str(new_topic)[:64] if new_topic else None
    row.summary = summary or row.summary
    row.waiting_since = row.rasa_paused_at = now
    session.add(Handoff(conversation_id=row.id, reason=row.handoff_reason, topic=row.topic, summary=summary))
    # Whatever the citizen writes from now on is for staff, including what Rasa has not seen yet.
    session.execute(
        update(Message)
        .where(Message.conversation_id == row.id, Message.rasa_status == RasaDelivery.PENDING.value)
        .values(rasa_status=RasaDelivery.STAFF.value)
        .execution_options(synchronize_session=False)
    )


def claim_handoff(session: Session, row: Conversation, staff_id: int) -> None:
    row.assigned_staff_id = staff_id
    handoff = open_handoff(session, row.id)
    if handoff is not None:
        handoff.claimed_by, handoff.claimed_at = staff_id, utcnow()


def requeue_handoff(session: Session, row: Conversation) -> None:
    """The staff member has gone: the old handoff ends as "staff_left" and a new one starts with the
    same reason, so the queue and the handoff timeout count from now."""
    old = open_handoff(session, row.id)
    if old is not None:
        old.ended_at, old.outcome = utcnow(), "staff_left"
    row.assigned_staff_id = None
    row.waiting_since = utcnow()
    summary = old.summary if old is not None else row.summary
    reason = row.handoff_reason or "unknown"
    session.add(Handoff(conversation_id=row.id, reason=reason, topic=row.topic, summary=summary))


def end_handoff(
    outcome: str, keep_staff: bool = False, closing: bool = False
) -> Callable[[Session, Conversation], None]:
    """The open handoff ends with `outcome`; the conversation no longer waits (and is closed, if `closing`)."""

    def extra(session: Session, row: Conversation) -> None:
        if not keep_staff:
            row.assigned_staff_id = None
        row.waiting_since = None
        if closing:
            row.closed_at = utcnow()
        handoff = open_handoff(session, row.id)
        if handoff is not None:
            handoff.ended_at, handoff.outcome = utcnow(), outcome

    return extra


def record_offered_booking(
    session: Session, conversation_id: str, reason: str, topic: str | None, summary: str | None
) -> None:
    """The assistant offered a booking or started the booking form: a trace that the citizen needed a
    person, even if they book nothing. Rasa was not paused, and nobody is queued."""
    now = utcnow()
    session.add(
        Handoff(
            conversation_id=conversation_id,
            reason=(reason or "unknown")[:64],
            topic=str(topic)[:64] if topic else None,
            summary=summary,
            outcome="booking_offered",
            requested_at=now,
            ended_at=now,
        )
    )
