"""Conversations: who has them (an explicit state machine) and what was said in them.

Every citizen message is redacted, stored, and announced as an event. What happens next is up to
the events' subscribers: the assistant relay (`assistant_relay.py`) passes messages marked pending
to Rasa, the publisher (`publishing.py`) shows them to the citizen and to staff. Every change of
state goes through `TRANSITIONS`, and the citizen is told of it in the same transaction.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.config import Municipality
from bot.gateway import satisfaction, texts
from bot.gateway.citizen_input import as_plain_words
from bot.gateway.events import ConversationDeleted, EventBus, GreetingWanted, MessageAdded, StateChanged, TypingChanged
from bot.gateway.language import conversation_language
from bot.gateway.locks import KeyedLocks
from bot.gateway.outcomes import ConversationNotFound, MessageRejected, Received, Seen
from bot.gateway.reading import ConversationReader
from bot.gateway.rows import (
    add_message,
    claim_handoff,
    end_handoff,
    lock_for_new_message,
    message_by_client_id,
    requeue_handoff,
    start_handoff,
)
from bot.gateway.views import ConversationView, MessageView
from bot.learning.inbox import forget_conversation
from bot.privacy import delete_conversation, redact, redaction_warning
from bot.privacy.deletion import TrackerNotDeleted
from bot.store import Conversation, ConversationState, Database, Sender, StaffMember
from bot.store.models import RasaDelivery, utcnow

logger = logging.getLogger(__name__)

BOT, WAITING, HUMAN, CLOSED = (ConversationState(state) for state in ("bot", "waiting", "human", "closed"))


@dataclass(frozen=True)
class Step:
    """One allowed change of state: what it is called, and what the citizen is told (given the
    staff member's first name), or None when someone else already said it."""

    reason: str
    says: Callable[[str], str | texts.Said] | None


def _in_language(session: Session, conversation_id: str, said: str | texts.Said) -> str:
    """A text said in both languages, in the conversation's (the assistant's slot `language`)."""
    return said if isinstance(said, str) else said[conversation_language(session, conversation_id)]  # type: ignore[literal-required]


def _always(text: str | texts.Said) -> Callable[[str], str | texts.Said]:
    return lambda _staff_name: text


# Every allowed change of state; anything else is refused. offer_booking says its offer instead of
# the hand-back text.
TRANSITIONS: dict[tuple[ConversationState, ConversationState], Step] = {
    (BOT, WAITING): Step("handoff_requested", None),  # the assistant's handoff answer said it
    (WAITING, HUMAN): Step("claimed", texts.staff_joined),
    (HUMAN, WAITING): Step("staff_left", _always(texts.STAFF_LEFT)),
    (WAITING, BOT): Step("handed_back", _always(texts.HANDED_BACK)),
    (HUMAN, BOT): Step("handed_back", _always(texts.HANDED_BACK)),
    (BOT, CLOSED): Step("closed", _always(texts.CLOSED)),
    (WAITING, CLOSED): Step("closed", _always(texts.CLOSED)),
    (HUMAN, CLOSED): Step("closed", _always(texts.CLOSED)),
    (CLOSED, BOT): Step("reopened", None),  # the citizen wrote; the assistant answers that
}

DELETE_PAYLOAD = "/delete_conversation"


Announcement = tuple["str | texts.Said", list[dict[str, str]] | None]  # a system message's text and buttons


class ConversationService(ConversationReader):
    """The one place that changes conversations; the web widget, Telegram, the console and the
    assistant relay all call it, and it tells them what happened through `events`."""

    def __init__(
        self,
        db: Database,
        municipality: Municipality,
        *,
        max_message_length: int = 1000,
        events: EventBus | None = None,
    ) -> None:
        super().__init__(db)
        self.municipality = municipality
        self.max_message_length = max_message_length
        self.events = events or EventBus()
        # Held by whoever works on one conversation outside a transaction: the relay's Rasa calls, deletion.
        self.locks = KeyedLocks()

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
        """Ask for the assistant's hello (its buttons included) without a citizen message being stored."""
        await self.events.emit(GreetingWanted(conversation))

    async def receive(
        self,
        conversation_id: str,
        text: str,
        *,
        client_message_id: str | None = None,
        rasa_payload: str | None = None,
    ) -> Received:
        """Take one citizen message: redact, store once, and announce it to whoever has the conversation.

        `rasa_payload` is what a pressed button sends to Rasa, given only for a button the channel
        found on offer; `text` is its title, shown and stored. Without it, typed text starting with
        "/" reaches Rasa as plain words (`citizen_input.as_plain_words`), never as an intent command.
        """
        if rasa_payload == DELETE_PAYLOAD or text.strip() == DELETE_PAYLOAD:
            try:
                return Received(None, deleted=await self.delete(conversation_id))
            except TrackerNotDeleted:
                logger.exception("Conversation %s was not deleted", conversation_id)
                raise MessageRejected("not_deleted", texts.NOT_DELETED) from None
        if rasa_payload is None:
            rasa_payload = as_plain_words(text)
            if rasa_payload == "":
                raise MessageRejected("empty", texts.EMPTY_MESSAGE)
        score = satisfaction.score_of(rasa_payload or text)
        if score is not None:
            return await self._rate(conversation_id, score, client_message_id)
        if len(text) > self.max_message_length:
            raise MessageRejected("too_long", texts.message_too_long(self.max_message_length))
        if not text.strip() and not rasa_payload:
            raise MessageRejected("empty", texts.EMPTY_MESSAGE)
        redaction = redact(text)
        payload = {"rasa_payload": redact(rasa_payload).text} if rasa_payload else None
        warning = redaction_warning(redaction)
        conversation, messages, duplicate, reopened = await asyncio.to_thread(
            self._store_citizen_message, conversation_id, redaction.text, client_message_id, payload, warning
        )
        if duplicate:
            return Received(messages[0], duplicate=True)
        if reopened is not None:
            await self.events.emit(StateChanged(conversation, CLOSED, reopened.reason))
        for message in messages:
            await self.events.emit(MessageAdded(conversation, message))
        return Received(messages[0])

    def _store_citizen_message(
        self,
        conversation_id: str,
        text: str,
        client_id: str | None,
        payload: dict[str, Any] | None,
        warning: str | None,
    ) -> tuple[ConversationView, list[MessageView], bool, Step | None]:
        """The message (and the warning about what redaction removed) in one transaction; reopens a
        closed conversation. Returns the conversation, the stored messages, whether the message was a
        duplicate, and the reopening step if there was one."""
        try:
            with self.db.session() as session:
                row = lock_for_new_message(session, conversation_id)
                if row is None:
                    raise ConversationNotFound(conversation_id)
                if client_id:
                    existing = message_by_client_id(session, conversation_id, client_id)
                    if existing is not None:
                        return ConversationView.of(row), [existing], True, None
                # The row is locked (PostgreSQL) or the only writer (SQLite): no conditional UPDATE needed.
                reopened = TRANSITIONS[(CLOSED, BOT)] if row.state == CLOSED else None
                if reopened is not None:
                    row.state, row.closed_at = BOT, None
                status = RasaDelivery.PENDING if row.state == BOT else RasaDelivery.STAFF
                citizen = add_message(
                    session, conversation_id, Sender.CITIZEN, text,
                    payload=payload, client_message_id=client_id, rasa_status=status,
                )
                stored = [citizen]
                if warning:
                    stored.append(add_message(session, conversation_id, Sender.SYSTEM, warning))
                row.updated_at = utcnow()
                session.flush()
                return ConversationView.of(row), [MessageView.of(m) for m in stored], False, reopened
        except IntegrityError:
            # The same client message raced in twice (two sockets after a reconnect): the first one won.
            with self.db.session() as session:
                row = session.get(Conversation, conversation_id)
                existing = message_by_client_id(session, conversation_id, client_id or "")
                if row is None or existing is None:
                    raise
                return ConversationView.of(row), [existing], True, None

    async def _rate(self, conversation_id: str, score: int, client_message_id: str | None) -> Received:
        """Store the answer to the satisfaction question; it neither reopens the conversation nor goes to Rasa."""
        stored = await asyncio.to_thread(satisfaction.store_answer, self.db, conversation_id, score, client_message_id)
        if stored is None:
            raise ConversationNotFound(conversation_id)
        conversation, message, duplicate = stored
        if duplicate:
            return Received(message, duplicate=True)
        await self.events.emit(MessageAdded(conversation, message))
        await self.add_system_message(conversation_id, satisfaction.THANKS)
        return Received(message)

    async def delete(self, conversation_id: str) -> bool:
        """Delete the conversation here and in Rasa's tracker ("Slet min samtale"); waits for a Rasa
        call in flight, so that it cannot write the tracker again afterwards."""
        conversation = await self.get(conversation_id)
        async with self.locks.hold(conversation_id):
            deleted = await asyncio.to_thread(delete_conversation, self.db, conversation_id)
            # The inbox of missed messages keeps nothing of a conversation the citizen deleted.
            await asyncio.to_thread(forget_conversation, self.db, conversation_id)
        if conversation is not None:
            await self.events.emit(ConversationDeleted(conversation))
        return deleted

    async def set_typing(self, conversation_id: str, who: str, on: bool) -> None:
        conversation = await self.get(conversation_id)
        if conversation is not None:
            await self.events.emit(TypingChanged(conversation, who, on))

    async def add_system_message(
        self, conversation_id: str, said: str | texts.Said, buttons: list[dict[str, str]] | None = None
    ) -> MessageView:
        def store() -> tuple[ConversationView, MessageView]:
            with self.db.session() as session:
                row = lock_for_new_message(session, conversation_id)
                if row is None:
                    raise ConversationNotFound(conversation_id)
                text = _in_language(session, conversation_id, said)
                message = add_message(
                    session, conversation_id, Sender.SYSTEM, text, payload={"buttons": buttons} if buttons else None
                )
                session.flush()
                return ConversationView.of(row), MessageView.of(message)

        conversation, message = await asyncio.to_thread(store)
        await self.events.emit(MessageAdded(conversation, message))
        return message

    # Changes of state --------------------------------------------------------------------------

    async def request_handoff(
        self, conversation_id: str, reason: str, topic: str | None = None, summary: str | None = None
    ) -> bool:
        """Put the conversation in the staff queue (the assistant's live handoff, which paused Rasa);
        False when it is not the assistant's to give away."""
        return await self._transition(
            conversation_id, WAITING, extra=lambda session, row: start_handoff(session, row, reason, topic, summary)
        )

    async def claim(self, conversation_id: str, staff_id: int, first_name: str) -> bool:
        """Give a waiting conversation to one staff member; the database decides between two at once."""
        return await self._transition(
            conversation_id,
            HUMAN,
            staff_id=staff_id,
            staff_name=first_name,
            extra=lambda session, row: claim_handoff(session, row, staff_id),
        )

    async def back_to_queue(self, conversation_id: str, owner: int | None) -> bool:
        """The staff member who had the conversation has gone: it waits for someone else again, but
        only if `owner` still has it (they may have come back and handed it on meanwhile)."""
        return await self._transition(conversation_id, WAITING, extra=requeue_handoff, seen=Seen(HUMAN, owner))

    async def reply_as_staff(
        self, conversation_id: str, staff_id: int, text: str, client_message_id: str | None = None
    ) -> MessageView:
        """Store and deliver a staff member's reply, redacted like a citizen's (a pasted CPR number is
        personal data whoever typed it)."""
        text = redact(text).text

        def store() -> tuple[ConversationView, MessageView]:
            with self.db.session() as session:
                row = lock_for_new_message(session, conversation_id)
                if row is None:
                    raise ConversationNotFound(conversation_id)
                if row.state != HUMAN:
                    raise MessageRejected("not_claimed", texts.NOT_CLAIMED)
                if row.assigned_staff_id != staff_id:
                    # Checked under the row lock: a hand-back and someone else's claim cannot slip in between.
                    raise MessageRejected("not_owner", texts.NOT_OWNER)
                message = add_message(
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
        """Give the conversation back to the assistant; with `seen`, only if it is still so."""
        extra = end_handoff("handed_back")
        return await self._transition(conversation_id, BOT, staff_id=staff_id, extra=extra, seen=seen)

    async def offer_booking(
        self, conversation_id: str, text: str | texts.Said, buttons: list[dict[str, str]]
    ) -> bool:
        """Nobody claimed the waiting conversation in time: back to the assistant, with `text` and
        `buttons` offering a booking that the assistant then takes."""
        return await self._transition(
            conversation_id, BOT, expected=WAITING, extra=end_handoff("booking_offered"), says=(text, buttons)
        )

    async def close(self, conversation_id: str, staff_id: int | None = None, *, seen: Seen | None = None) -> bool:
        """Close the conversation; with `seen`, only if it is still in that state with that owner."""
        extra = end_handoff("closed", keep_staff=True, closing=True)
        return await self._transition(conversation_id, CLOSED, staff_id=staff_id, extra=extra, seen=seen)

    async def _transition(
        self,
        conversation_id: str,
        target: ConversationState,
        *,
        staff_id: int | None = None,
        staff_name: str = "",
        extra: Callable[[Session, Conversation], None] | None = None,
        expected: ConversationState | None = None,
        seen: Seen | None = None,
        says: Announcement | None = None,
    ) -> bool:
        """Move to `target` if `TRANSITIONS` allows it (and the state is `expected`, when given; and is
        still what `seen` says, owner included); one atomic conditional UPDATE decides races. The
        step's system message (or `says`) is stored in the same transaction."""
        if seen is not None:
            if expected is not None and expected != seen.state:
                return False
            expected = seen.state

        def change() -> tuple[ConversationView, ConversationState, str, MessageView | None] | None:
            with self.db.session() as session:
                row = session.get(Conversation, conversation_id)
                if row is None:
                    raise ConversationNotFound(conversation_id)
                previous = ConversationState(row.state)
                step = TRANSITIONS.get((previous, target))
                if step is None or (expected is not None and previous != expected):
                    return None
                still = [Conversation.id == conversation_id, Conversation.state == previous]
                if seen is not None:
                    owner = Conversation.assigned_staff_id
                    still.append(owner.is_(None) if seen.owner is None else owner == seen.owner)
                won = session.execute(
                    update(Conversation)
                    .where(*still)
                    .values(state=target, updated_at=utcnow())
                    .execution_options(synchronize_session=False)
                ).rowcount
                if not won:
                    return None
                # The UPDATE holds the row lock until commit, so the message's id is drawn in order.
                session.refresh(row)
                if extra is not None:
                    extra(session, row)
                said, buttons = says or ((step.says(staff_name) if step.says else ""), None)
                text = _in_language(session, conversation_id, said)
                told = None
                if text:
                    payload = {"buttons": buttons} if buttons else None
                    told = add_message(session, conversation_id, Sender.SYSTEM, text, payload=payload)
                session.flush()
                return ConversationView.of(row), previous, step.reason, MessageView.of(told) if told else None

        result = await asyncio.to_thread(change)
        if result is None:
            return False
        conversation, previous, reason, told = result
        await self.events.emit(StateChanged(conversation, previous, reason, staff_id))
        if told is not None:
            await self.events.emit(MessageAdded(conversation, told))
        return True

