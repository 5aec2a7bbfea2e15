"""Conversations: who has them (an explicit state machine), what was said, and the way to Rasa.

Every citizen message is redacted, then stored, then (while the assistant has the conversation)
passed to Rasa. A message Rasa could not take stays marked as pending in the database and is
tried again until Rasa answers, so nothing a citizen writes is lost while a part is down.

Whether Rasa needs its `resume` first (a handoff paused the conversation in Rasa) is read from the
database each time, not remembered in memory, so a restart or another gateway replica cannot lose it.
"""
from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Awaitable, Callable, Iterable

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.config import Municipality
from bot.gateway import satisfaction, texts
from bot.gateway.events import ConversationDeleted, EventBus, MessageAdded, StateChanged, TypingChanged
from bot.gateway.language import conversation_language
from bot.gateway.rasa import RasaClient, RasaUnavailable
from bot.gateway.views import ConversationView, MessageView
from bot.privacy import delete_conversation, redact, redaction_warning
from bot.store import Conversation, ConversationState, Database, Handoff, Message, Sender, StaffMember
from bot.store.models import utcnow

logger = logging.getLogger(__name__)

BOT, WAITING, HUMAN, CLOSED = (
    ConversationState.BOT,
    ConversationState.WAITING,
    ConversationState.HUMAN,
    ConversationState.CLOSED,
)

# Every allowed change of state and what it is called; anything else is refused.
TRANSITIONS: dict[tuple[ConversationState, ConversationState], str] = {
    (BOT, WAITING): "handoff_requested",
    (WAITING, HUMAN): "claimed",
    (HUMAN, WAITING): "staff_left",
    (WAITING, BOT): "handed_back",
    (HUMAN, BOT): "handed_back",
    (BOT, CLOSED): "closed",
    (WAITING, CLOSED): "closed",
    (HUMAN, CLOSED): "closed",
    (CLOSED, BOT): "reopened",
}

DELETE_PAYLOAD = "/delete_conversation"
GREETING_PAYLOAD = "/greet"
# Message.payload["rasa"]: where a citizen message stands with the assistant.
PENDING, SENT, FOR_STAFF = "pending", "sent", "staff"
PENDING_LOOKBACK = timedelta(days=2)


class ConversationNotFound(LookupError):
    pass


class MessageRejected(ValueError):
    """The message was not stored; `text` tells the citizen why in Danish."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(code)
        self.code = code
        self.text = text


@dataclass(frozen=True)
class Seen:
    """What a staff member's check saw before acting: the state and who had the conversation (None: nobody).

    A change given a `Seen` happens only if the conversation is still exactly so when the UPDATE
    runs, so a claim by someone else in between makes it fail instead of undoing their claim."""

    state: ConversationState
    owner: int | None


@dataclass(frozen=True)
class Received:
    message: MessageView | None  # None when the message deleted the conversation
    duplicate: bool = False
    deleted: bool = False


def _lock_for_new_message(session: Session, conversation_id: str) -> Conversation | None:
    """The conversation's row, locked until commit, before a message of it gets its id.

    Clients ask for "messages after id N". On PostgreSQL two transactions could draw ids 10 and 11
    and commit 11 first; a reader seeing 11 would then never ask for 10. Holding the conversation's
    row lock while the id is drawn makes one conversation's ids commit in order, across gateway
    replicas too. SQLite has one writer at a time already and ignores FOR UPDATE.
    """
    return session.get(Conversation, conversation_id, with_for_update=True)


def _add_message(
    session: Session,
    conversation_id: str,
    sender: Sender,
    text: str,
    *,
    payload: dict[str, Any] | None = None,
    staff_id: int | None = None,
    client_message_id: str | None = None,
) -> Message:
    """One message row, added to the session; the caller flushes when it needs the row's id."""
    message = Message(
        conversation_id=conversation_id, sender=sender, text=text, staff_id=staff_id, client_message_id=client_message_id
    )
    if payload is not None:
        # Set only when there is one: a JSON column given None stores JSON null, not SQL NULL.
        message.payload = payload
    session.add(message)
    return message


def _sources(states: Iterable[ConversationState], target: ConversationState) -> list[ConversationState]:
    return [state for state in states if (state, target) in TRANSITIONS]


class ConversationService:
    """The one place that changes conversations; the web widget, Telegram and the console all call it."""

    def __init__(
        self,
        db: Database,
        rasa: RasaClient,
        municipality: Municipality,
        *,
        max_message_length: int = 1000,
        events: EventBus | None = None,
    ) -> None:
        self.db = db
        self.rasa = rasa
        self.municipality = municipality
        self.max_message_length = max_message_length
        self.events = events or EventBus()
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._waiting_for_rasa: set[str] = set()
        self._told_down: set[str] = set()
        # The handoff (by its requested_at) this process last sent `resume` for, per conversation:
        # when Rasa took the resume but not the message, the retry does not append it twice.
        self._resumed: dict[str, datetime] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    # Reading ---------------------------------------------------------------------------------

    async def get(self, conversation_id: str) -> ConversationView | None:
        return await asyncio.to_thread(self._get, conversation_id)

    def _get(self, conversation_id: str) -> ConversationView | None:
        with self.db.session() as session:
            row = session.get(Conversation, conversation_id)
            return ConversationView.of(row) if row else None

    async def get_for_user(self, channel: str, channel_user_id: str, conversation_id: str) -> ConversationView | None:
        """The conversation, only if it belongs to this user on this channel."""
        conversation = await self.get(conversation_id)
        if conversation and conversation.channel == channel and conversation.channel_user_id == channel_user_id:
            return conversation
        return None

    async def latest_for_user(self, channel: str, channel_user_id: str) -> ConversationView | None:
        """The user's newest conversation on this channel (Telegram has one chat, not a stored id)."""

        def load() -> ConversationView | None:
            with self.db.session() as session:
                row = session.scalars(
                    select(Conversation)
                    .where(Conversation.channel == channel, Conversation.channel_user_id == channel_user_id)
                    .order_by(Conversation.created_at.desc())
                    .limit(1)
                ).first()
                return ConversationView.of(row) if row else None

        return await asyncio.to_thread(load)

    async def history(self, conversation_id: str, after_id: int = 0, limit: int = 1000) -> list[MessageView]:
        """Messages after `after_id`, oldest first: what a reconnecting client has not seen yet."""

        def load() -> list[MessageView]:
            with self.db.session() as session:
                rows = session.execute(
                    select(Message, StaffMember.first_name)
                    .outerjoin(StaffMember, StaffMember.id == Message.staff_id)
                    .where(Message.conversation_id == conversation_id, Message.id > after_id)
                    .order_by(Message.id)
                    .limit(limit)
                ).all()
                return [MessageView.of(message, name) for message, name in rows]

        return await asyncio.to_thread(load)

    # The citizen's side ------------------------------------------------------------------------

    async def start(self, channel: str, channel_user_id: str, *, greet: bool = True) -> ConversationView:
        """A new conversation; with `greet`, the assistant says hello first (its buttons included)."""

        def create() -> ConversationView:
            with self.db.session() as session:
                row = Conversation(channel=channel, channel_user_id=channel_user_id, state=BOT)
                session.add(row)
                session.flush()
                return ConversationView.of(row)

        conversation = await asyncio.to_thread(create)
        if greet:
            await self.greet(conversation)
        return conversation

    async def greet(self, conversation: ConversationView) -> None:
        """Let the assistant say hello (its buttons included) without a citizen message being stored."""
        self._spawn(self._greet(conversation))

    async def receive(
        self,
        conversation_id: str,
        text: str,
        *,
        client_message_id: str | None = None,
        rasa_payload: str | None = None,
    ) -> Received:
        """Take one citizen message: redact, store once, and pass it on to whoever has the conversation.

        `rasa_payload` is what a pressed button sends to Rasa; `text` is its title, shown and stored.
        """
        if rasa_payload == DELETE_PAYLOAD or text.strip() == DELETE_PAYLOAD:
            return Received(None, deleted=await self.delete(conversation_id))
        score = satisfaction.score_of(rasa_payload or text)
        if score is not None:
            return await self._rate(conversation_id, text, score, client_message_id)
        if len(text) > self.max_message_length:
            raise MessageRejected("too_long", texts.message_too_long(self.max_message_length))
        if not text.strip() and not rasa_payload:
            raise MessageRejected("empty", texts.EMPTY_MESSAGE)
        redaction = redact(text)
        payload_redaction = redact(rasa_payload) if rasa_payload else None

        stored = await asyncio.to_thread(
            self._store_citizen_message,
            conversation_id,
            redaction.text,
            client_message_id,
            payload_redaction.text if payload_redaction else None,
        )
        conversation, message, duplicate, reopened_from = stored
        if duplicate:
            return Received(message, duplicate=True)
        if reopened_from is not None:
            await self.events.emit(StateChanged(conversation, reopened_from, "reopened"))
        await self.events.emit(MessageAdded(conversation, message))
        warning = redaction_warning(redaction)
        if warning:
            await self.add_system_message(conversation_id, warning)
        if conversation.state == BOT:
            self._spawn(self._forward_pending(conversation_id))
        return Received(message)

    def _store_citizen_message(
        self, conversation_id: str, text: str, client_message_id: str | None, rasa_payload: str | None
    ) -> tuple[ConversationView, MessageView, bool, ConversationState | None]:
        try:
            with self.db.session() as session:
                conversation = _lock_for_new_message(session, conversation_id)
                if conversation is None:
                    raise ConversationNotFound(conversation_id)
                if client_message_id:
                    existing = self._by_client_id(session, conversation_id, client_message_id)
                    if existing is not None:
                        return ConversationView.of(conversation), existing, True, None
                reopened_from = None
                if conversation.state == CLOSED:
                    reopened_from = CLOSED
                    conversation.state = BOT
                    conversation.closed_at = None
                payload: dict[str, Any] = {"rasa": PENDING if conversation.state == BOT else FOR_STAFF}
                if rasa_payload:
                    payload["rasa_payload"] = rasa_payload
                message = _add_message(
                    session, conversation_id, Sender.CITIZEN, text, payload=payload, client_message_id=client_message_id
                )
                conversation.updated_at = utcnow()
                session.flush()
                return ConversationView.of(conversation), MessageView.of(message), False, reopened_from
        except IntegrityError:
            # The same client message raced in twice (two sockets after a reconnect): the first one won.
            with self.db.session() as session:
                conversation = session.get(Conversation, conversation_id)
                existing = self._by_client_id(session, conversation_id, client_message_id or "")
                if conversation is None or existing is None:
                    raise
                return ConversationView.of(conversation), existing, True, None

    async def _rate(self, conversation_id: str, text: str, score: int, client_message_id: str | None) -> Received:
        """Store the answer to the satisfaction question; it neither reopens the conversation nor goes to Rasa."""

        def store() -> tuple[ConversationView, MessageView, bool]:
            with self.db.session() as session:
                row = _lock_for_new_message(session, conversation_id)
                if row is None:
                    raise ConversationNotFound(conversation_id)
                if client_message_id:
                    existing = self._by_client_id(session, conversation_id, client_message_id)
                    if existing is not None:
                        return ConversationView.of(row), existing, True
                row.satisfaction = score
                message = _add_message(
                    session,
                    conversation_id,
                    Sender.CITIZEN,
                    text.strip() or str(score),
                    payload={"rasa": FOR_STAFF, "satisfaction": score},
                    client_message_id=client_message_id,
                )
                session.flush()
                return ConversationView.of(row), MessageView.of(message), False

        conversation, message, duplicate = await asyncio.to_thread(store)
        if duplicate:
            return Received(message, duplicate=True)
        await self.events.emit(MessageAdded(conversation, message))
        await self.add_system_message(conversation_id, satisfaction.THANKS)
        return Received(message)

    @staticmethod
    def _by_client_id(session: Session, conversation_id: str, client_message_id: str) -> MessageView | None:
        row = session.scalars(
            select(Message).where(
                Message.conversation_id == conversation_id, Message.client_message_id == client_message_id
            )
        ).first()
        return MessageView.of(row) if row else None

    async def delete(self, conversation_id: str) -> bool:
        """Delete the conversation here and in Rasa's tracker ("Slet min samtale")."""
        conversation = await self.get(conversation_id)
        async with self._locks[conversation_id]:
            deleted = await asyncio.to_thread(delete_conversation, self.db, conversation_id)
        self._forget(conversation_id)
        if conversation is not None:
            await self.events.emit(ConversationDeleted(conversation))
        return deleted

    def _forget(self, conversation_id: str) -> None:
        for bucket in (self._waiting_for_rasa, self._told_down):
            bucket.discard(conversation_id)
        self._resumed.pop(conversation_id, None)
        lock = self._locks.get(conversation_id)
        if lock is not None and not lock.locked():
            del self._locks[conversation_id]

    async def set_typing(self, conversation_id: str, who: str, on: bool) -> None:
        conversation = await self.get(conversation_id)
        if conversation is not None:
            await self.events.emit(TypingChanged(conversation, who, on))

    # The staff's side --------------------------------------------------------------------------

    async def request_handoff(
        self, conversation_id: str, reason: str, topic: str | None = None, summary: str | None = None
    ) -> bool:
        """Put the conversation in the staff queue; False when it is not the assistant's to give away."""

        def extra(session: Session, row: Conversation) -> None:
            now = utcnow()
            row.handoff_reason = (reason or "unknown")[:64]
            new_topic = topic or row.topic
            row.topic = str(new_topic)[:64] if new_topic else None
            row.summary = summary or row.summary
            row.waiting_since = now
            session.add(Handoff(conversation_id=row.id, reason=row.handoff_reason, topic=row.topic, summary=summary))
            # Whatever the citizen writes from now on is for staff, including what Rasa has not seen yet.
            for message in self._pending_rows(session, row.id):
                message.payload = {**(message.payload or {}), "rasa": FOR_STAFF}

        changed = await self._transition(conversation_id, WAITING, extra=extra)
        if changed:
            self._waiting_for_rasa.discard(conversation_id)
        return changed

    async def claim(self, conversation_id: str, staff_id: int, first_name: str) -> bool:
        """Give a waiting conversation to one staff member; the database decides between two at once."""

        def extra(session: Session, row: Conversation) -> None:
            row.assigned_staff_id = staff_id
            handoff = self._open_handoff(session, row.id)
            if handoff is not None:
                handoff.claimed_by, handoff.claimed_at = staff_id, utcnow()

        changed = await self._transition(conversation_id, HUMAN, staff_id=staff_id, extra=extra)
        if changed:
            await self.add_system_message(conversation_id, texts.staff_joined(first_name))
        return changed

    async def back_to_queue(self, conversation_id: str, owner: int | None) -> bool:
        """The staff member who had the conversation has gone: it waits for someone else again.

        Only if `owner` still has it (they may have come back and handed it on meanwhile). The old
        handoff ends as "staff_left" and a new one starts with the same reason, so the queue and the
        handoff timeout count from now."""

        def extra(session: Session, row: Conversation) -> None:
            old = self._open_handoff(session, row.id)
            if old is not None:
                old.ended_at, old.outcome = utcnow(), "staff_left"
            row.assigned_staff_id = None
            row.waiting_since = utcnow()
            session.add(
                Handoff(
                    conversation_id=row.id,
                    reason=row.handoff_reason or "unknown",
                    topic=row.topic,
                    summary=old.summary if old is not None else row.summary,
                )
            )

        changed = await self._transition(conversation_id, WAITING, extra=extra, seen=Seen(HUMAN, owner))
        if changed:
            await self.add_system_message(conversation_id, texts.STAFF_LEFT)
        return changed

    async def reply_as_staff(
        self, conversation_id: str, staff_id: int, text: str, client_message_id: str | None = None
    ) -> MessageView:
        """Store and deliver a staff member's reply, redacted like a citizen's (a pasted CPR number is
        personal data whoever typed it)."""
        text = redact(text).text

        def store() -> tuple[ConversationView, MessageView]:
            with self.db.session() as session:
                row = _lock_for_new_message(session, conversation_id)
                if row is None:
                    raise ConversationNotFound(conversation_id)
                if row.state != HUMAN:
                    raise MessageRejected("not_claimed", "Samtalen er ikke overtaget af en medarbejder.")
                if row.assigned_staff_id != staff_id:
                    # Checked under the row lock: a hand-back and someone else's claim cannot slip in between.
                    raise MessageRejected("not_owner", "Samtalen er overtaget af en anden medarbejder.")
                message = _add_message(
                    session, conversation_id, Sender.STAFF, text, staff_id=staff_id, client_message_id=client_message_id
                )
                row.updated_at = utcnow()
                session.flush()
                staff = session.get(StaffMember, staff_id) if staff_id is not None else None
                return ConversationView.of(row), MessageView.of(message, staff.first_name if staff else None)

        conversation, message = await asyncio.to_thread(store)
        await self.events.emit(MessageAdded(conversation, message))
        return message

    async def hand_back(self, conversation_id: str, staff_id: int | None = None, *, seen: Seen | None = None) -> bool:
        """Give the conversation back to the assistant; Rasa gets its `resume` event before the next message.

        With `seen`, only if the conversation is still in that state with that owner."""
        changed = await self._transition(
            conversation_id, BOT, staff_id=staff_id, extra=self._end_handoff("handed_back", keep_staff=False), seen=seen
        )
        if changed:
            await self.add_system_message(conversation_id, texts.HANDED_BACK)
            self._spawn(self._forward_pending(conversation_id))
        return changed

    async def offer_booking(self, conversation_id: str, text: str, buttons: list[dict[str, str]]) -> bool:
        """Nobody claimed the waiting conversation in time: back to the assistant (its `resume` event first),
        with `text` and `buttons` offering a booking that the assistant then takes."""
        changed = await self._transition(
            conversation_id,
            BOT,
            expected=WAITING,
            extra=self._end_handoff("booking_offered", keep_staff=False),
        )
        if changed:
            await self.add_system_message(conversation_id, text, buttons)
            self._spawn(self._forward_pending(conversation_id))
        return changed

    async def close(self, conversation_id: str, staff_id: int | None = None, *, seen: Seen | None = None) -> bool:
        """Close the conversation; with `seen`, only if it is still in that state with that owner."""
        end = self._end_handoff("closed", keep_staff=True)

        def extra(session: Session, row: Conversation) -> None:
            end(session, row)
            row.closed_at = utcnow()

        changed = await self._transition(conversation_id, CLOSED, staff_id=staff_id, extra=extra, seen=seen)
        if changed:
            self._waiting_for_rasa.discard(conversation_id)
            await self.add_system_message(conversation_id, texts.CLOSED)
        return changed

    async def add_system_message(
        self, conversation_id: str, said: str | texts.Said, buttons: list[dict[str, str]] | None = None
    ) -> MessageView:
        def store() -> tuple[ConversationView, MessageView]:
            with self.db.session() as session:
                row = _lock_for_new_message(session, conversation_id)
                if row is None:
                    raise ConversationNotFound(conversation_id)
                text = said if isinstance(said, str) else said[conversation_language(session, conversation_id)]
                message = _add_message(
                    session, conversation_id, Sender.SYSTEM, text, payload={"buttons": buttons} if buttons else None
                )
                session.flush()
                return ConversationView.of(row), MessageView.of(message)

        conversation, message = await asyncio.to_thread(store)
        await self.events.emit(MessageAdded(conversation, message))
        return message

    def _end_handoff(self, outcome: str, keep_staff: bool) -> Callable[[Session, Conversation], None]:
        def extra(session: Session, row: Conversation) -> None:
            if not keep_staff:
                row.assigned_staff_id = None
            row.waiting_since = None
            handoff = self._open_handoff(session, row.id)
            if handoff is not None:
                handoff.ended_at, handoff.outcome = utcnow(), outcome

        return extra

    @staticmethod
    def _open_handoff(session: Session, conversation_id: str) -> Handoff | None:
        return session.scalars(
            select(Handoff)
            .where(Handoff.conversation_id == conversation_id, Handoff.ended_at.is_(None))
            .order_by(Handoff.id.desc())
            .limit(1)
        ).first()

    async def _transition(
        self,
        conversation_id: str,
        target: ConversationState,
        *,
        staff_id: int | None = None,
        extra: Callable[[Session, Conversation], None] | None = None,
        expected: ConversationState | None = None,
        seen: Seen | None = None,
    ) -> bool:
        """Move to `target` if the current state allows it (and is `expected`, when given; and is still
        what `seen` says, owner included); one atomic conditional UPDATE decides races."""
        if seen is not None:
            if expected is not None and expected != seen.state:
                return False
            expected = seen.state

        def change() -> tuple[ConversationView, ConversationState, str] | None:
            with self.db.session() as session:
                row = session.get(Conversation, conversation_id)
                if row is None:
                    raise ConversationNotFound(conversation_id)
                previous = ConversationState(row.state)
                reason = TRANSITIONS.get((previous, target))
                if reason is None or (expected is not None and previous != expected):
                    return None
                still = [Conversation.id == conversation_id, Conversation.state == previous]
                if seen is not None:
                    still.append(
                        Conversation.assigned_staff_id.is_(None)
                        if seen.owner is None
                        else Conversation.assigned_staff_id == seen.owner
                    )
                won = session.execute(
                    update(Conversation)
                    .where(*still)
                    .values(state=target, updated_at=utcnow())
                    .execution_options(synchronize_session=False)
                ).rowcount
                if not won:
                    return None
                session.refresh(row)
                if extra is not None:
                    extra(session, row)
                session.flush()
                return ConversationView.of(row), previous, reason

        result = await asyncio.to_thread(change)
        if result is None:
            return False
        conversation, previous, reason = result
        await self.events.emit(StateChanged(conversation, previous, reason, staff_id))
        return True

    # The way to Rasa -------------------------------------------------------------------------

    async def _greet(self, conversation: ConversationView) -> None:
        async with self._locks[conversation.id]:
            await self.set_typing(conversation.id, "bot", True)
            try:
                replies = await self.rasa.send(conversation.id, GREETING_PAYLOAD, {"channel": conversation.channel})
            except RasaUnavailable as error:
                logger.warning("No greeting for %s: %s", conversation.id, error)
                await self._tell_down(conversation.id)
                return
            finally:
                await self.set_typing(conversation.id, "bot", False)
            await self._handle_replies(conversation.id, None, replies)

    async def _forward_pending(self, conversation_id: str) -> None:
        """Pass the conversation's pending citizen messages to Rasa, oldest first, until one fails."""
        async with self._locks[conversation_id]:
            while True:
                loaded = await asyncio.to_thread(self._next_pending, conversation_id)
                if loaded is None:
                    self._waiting_for_rasa.discard(conversation_id)
                    return
                conversation, message, paused_by = loaded
                if message is None:
                    self._waiting_for_rasa.discard(conversation_id)
                    self._told_down.discard(conversation_id)
                    return
                try:
                    if paused_by is not None and self._resumed.get(conversation_id) != paused_by:
                        await self.rasa.resume(conversation_id)
                        self._resumed[conversation_id] = paused_by
                    await self.set_typing(conversation_id, "bot", True)
                    try:
                        replies = await self.rasa.send(
                            conversation_id, message.pop("rasa_text"), {"channel": conversation.channel}
                        )
                    finally:
                        await self.set_typing(conversation_id, "bot", False)
                except RasaUnavailable as error:
                    logger.warning("Rasa unavailable for %s: %s", conversation_id, error)
                    self._waiting_for_rasa.add(conversation_id)
                    await self._tell_down(conversation_id)
                    return
                self._told_down.discard(conversation_id)
                if await self._handle_replies(conversation_id, message["id"], replies):
                    return

    def _next_pending(
        self, conversation_id: str
    ) -> tuple[ConversationView, dict[str, Any] | None, datetime | None] | None:
        """The conversation if the assistant has it, with its oldest pending message (or None), and
        when Rasa still needs `resume` first: the requested_at of the handoff that paused it."""
        with self.db.session() as session:
            row = session.get(Conversation, conversation_id)
            if row is None or row.state != BOT:
                return None
            citizen = self._citizen_rows(session, conversation_id)
            pending = [message for message in citizen if (message.payload or {}).get("rasa") == PENDING]
            if not pending:
                return ConversationView.of(row), None, None
            first = pending[0]
            text = (first.payload or {}).get("rasa_payload") or first.text
            return ConversationView.of(row), {"id": first.id, "rasa_text": text}, self._paused_by(session, citizen)

    @staticmethod
    def _paused_by(session: Session, citizen: list[Message]) -> datetime | None:
        """The handoff that paused Rasa, if Rasa has taken no message since: it needs `resume` first.

        A handoff pauses the conversation in Rasa (the handoff action's ConversationPaused). Every
        message Rasa took after that was written after the handoff was requested (while the
        conversation waits or is with staff, citizen messages are for staff and never go to Rasa),
        so "the latest handoff is newer than the newest message Rasa took" means "still paused".
        Hand-back, the booking offer and reopening a closed conversation all end up here."""
        if not citizen:
            return None
        latest_handoff = session.scalar(
            select(func.max(Handoff.requested_at)).where(Handoff.conversation_id == citizen[0].conversation_id)
        )
        if latest_handoff is None:
            return None
        taken = [message.created_at for message in citizen if (message.payload or {}).get("rasa") == SENT]
        if taken and max(taken) > latest_handoff:
            return None
        return latest_handoff

    @staticmethod
    def _citizen_rows(session: Session, conversation_id: str) -> list[Message]:
        # JSON is not queried portably across SQLite and PostgreSQL; citizen messages per conversation are few.
        return list(
            session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id, Message.sender == Sender.CITIZEN)
                .order_by(Message.id)
            ).all()
        )

    @classmethod
    def _pending_rows(cls, session: Session, conversation_id: str) -> list[Message]:
        return [row for row in cls._citizen_rows(session, conversation_id) if (row.payload or {}).get("rasa") == PENDING]

    async def _handle_replies(self, conversation_id: str, message_id: int | None, replies: list[dict[str, Any]]) -> bool:
        """Store Rasa's replies; True when one of them handed the conversation to staff."""

        def store() -> tuple[ConversationView, list[MessageView], dict[str, Any] | None] | None:
            with self.db.session() as session:
                row = _lock_for_new_message(session, conversation_id)
                if row is None:  # deleted while Rasa was thinking
                    return None
                if message_id is not None:
                    sent = session.get(Message, message_id)
                    if sent is not None:
                        sent.payload = {**(sent.payload or {}), "rasa": SENT}
                stored, handoff = [], None
                for reply in replies:
                    text = str(reply.get("text") or "")
                    custom = reply.get("custom") if isinstance(reply.get("custom"), dict) else None
                    buttons = [b for b in reply.get("buttons") or [] if isinstance(b, dict)]
                    if custom and isinstance(custom.get("handoff"), dict):
                        # An instruction to the gateway, kept with the handoff; the citizen never sees it.
                        handoff = custom["handoff"]
                        custom = {key: value for key, value in custom.items() if key != "handoff"} or None
                    if reply.get("image"):
                        custom = {**(custom or {}), "image": str(reply["image"])}
                    if not text and not buttons and not custom:
                        continue
                    payload = {key: value for key, value in (("buttons", buttons), ("custom", custom)) if value}
                    stored.append(_add_message(session, conversation_id, Sender.BOT, text, payload=payload or None))
                row.updated_at = utcnow()
                session.flush()
                return ConversationView.of(row), [MessageView.of(m) for m in stored], handoff

        result = await asyncio.to_thread(store)
        if result is None:
            return True
        conversation, messages, handoff = result
        for message in messages:
            await self.events.emit(MessageAdded(conversation, message))
        if not messages and handoff is None:
            # Rasa said nothing (a custom action failed inside it): the citizen is never left in silence.
            await self.add_system_message(conversation_id, texts.no_answer(self.municipality))
        if handoff is not None:
            await self.request_handoff(
                conversation_id,
                str(handoff.get("reason") or "unknown"),
                handoff.get("topic"),
                handoff.get("summary"),
            )
            return True
        return False

    async def _tell_down(self, conversation_id: str) -> None:
        if conversation_id in self._told_down:
            return
        self._told_down.add(conversation_id)
        try:
            await self.add_system_message(conversation_id, texts.assistant_down(self.municipality))
        except ConversationNotFound:
            pass

    async def retry_pending(self) -> None:
        """Try again every conversation whose messages Rasa could not take, once Rasa is back."""
        if not self._waiting_for_rasa:
            return
        if not await self.rasa.ready() or not await self.rasa.action_server_ready(fresh=True):
            return
        for conversation_id in sorted(self._waiting_for_rasa):
            await self._forward_pending(conversation_id)

    async def recover_pending(self) -> None:
        """After a restart: find messages that were still waiting for Rasa when the gateway stopped."""

        def find() -> set[str]:
            since = utcnow() - PENDING_LOOKBACK
            with self.db.session() as session:
                rows = session.execute(
                    select(Message.conversation_id, Message.payload)
                    .join(Conversation, Conversation.id == Message.conversation_id)
                    .where(
                        Conversation.state == BOT,
                        Message.sender == Sender.CITIZEN,
                        Message.created_at >= since,
                    )
                ).all()
                return {cid for cid, payload in rows if (payload or {}).get("rasa") == PENDING}

        self._waiting_for_rasa |= await asyncio.to_thread(find)

    async def run_retry_loop(self, interval: float) -> None:
        while True:
            try:
                await self.retry_pending()
            except Exception:
                logger.exception("Retrying pending messages failed")
            await asyncio.sleep(interval)

    def _spawn(self, coroutine: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("Conversation task failed", exc_info=task.exception())

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for work in flight (Rasa calls) to finish; used at shutdown and by tests."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self._tasks and asyncio.get_running_loop().time() < deadline:
            await asyncio.wait(set(self._tasks), timeout=max(0.0, deadline - asyncio.get_running_loop().time()))

    async def shutdown(self) -> None:
        await self.drain(5.0)
        for task in list(self._tasks):
            task.cancel()
