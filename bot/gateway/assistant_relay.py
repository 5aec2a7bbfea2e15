"""The assistant's side of every conversation: the way to Rasa, hung off the conversation events.

`ConversationService` stores and announces; this relay listens. A citizen message stored for the
assistant (`Message.rasa_status` "pending") is passed to Rasa, oldest first and one call per
conversation at a time; Rasa's answers are stored and announced like any other message. A message
Rasa could not take stays pending in the database and is tried again until Rasa answers, also
after a restart, so nothing a citizen writes is lost while a part is down; the citizen is told once.

Whether Rasa needs its `resume` first is `Conversation.rasa_paused_at`: set when a live handoff
paused the conversation in Rasa, cleared once Rasa took the `resume`. Being in the database, a
restart or another gateway replica cannot lose it or send it twice.

The action server talks to the gateway through a custom payload, `{"handoff": {...}}`
(`bot.booking.handoff.gateway_payload`): a live handoff queues the conversation for staff, an
offered booking is recorded as a handoff that ended at once. Only the gateway writes those rows.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError

from bot.gateway import texts
from bot.gateway.conversations import ConversationNotFound, ConversationService
from bot.gateway.events import ConversationDeleted, GreetingWanted, MessageAdded, StateChanged
from bot.gateway.rasa import RasaClient, RasaUnavailable
from bot.gateway.rows import add_message, lock_for_new_message, record_offered_booking
from bot.gateway.views import ConversationView, MessageView
from bot.store import Conversation, ConversationState, Message, Sender
from bot.store.models import RasaDelivery, utcnow

logger = logging.getLogger(__name__)

GREETING_PAYLOAD = "/greet"
# After a restart, messages older than this are not sent to Rasa any more: the citizen has moved on.
PENDING_LOOKBACK = timedelta(days=2)
BOT = ConversationState.BOT


@dataclass(frozen=True)
class Pending:
    """A conversation the assistant has, with its oldest message Rasa has not taken (if any)."""

    channel: str
    paused_at: datetime | None  # Rasa needs `resume` first
    message_id: int | None = None
    rasa_text: str = ""


class AssistantRelay:
    def __init__(self, service: ConversationService, rasa: RasaClient) -> None:
        self.service = service
        self.rasa = rasa
        # Conversations whose pending messages wait for Rasa to come back, and those told it is down.
        self._waiting_for_rasa: set[str] = set()
        self._told_down: set[str] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        service.events.on(MessageAdded, self._message_added)
        service.events.on(StateChanged, self._state_changed)
        service.events.on(GreetingWanted, self._greeting_wanted)
        service.events.on(ConversationDeleted, self._deleted)

    # What the relay listens to: each starts its Rasa work as a task, so the publisher is not held up.

    async def _message_added(self, event: MessageAdded) -> None:
        if event.message.sender == Sender.CITIZEN and event.conversation.state == BOT:
            self._spawn(self._forward_pending(event.conversation.id))

    async def _state_changed(self, event: StateChanged) -> None:
        conversation_id = event.conversation.id
        if event.conversation.state != BOT:
            # With staff, or closed: nothing goes to Rasa, so nothing is retried.
            self._forget(conversation_id)
        elif event.previous != ConversationState.CLOSED:
            # Handed back: anything left for the assistant goes now (a reopening brings its own message).
            self._spawn(self._forward_pending(conversation_id))

    async def _greeting_wanted(self, event: GreetingWanted) -> None:
        self._spawn(self._greet(event.conversation))

    async def _deleted(self, event: ConversationDeleted) -> None:
        self._forget(event.conversation.id)

    def _forget(self, conversation_id: str) -> None:
        self._waiting_for_rasa.discard(conversation_id)
        self._told_down.discard(conversation_id)

    # The way to Rasa -------------------------------------------------------------------------

    async def _greet(self, conversation: ConversationView) -> None:
        async with self.service.locks.hold(conversation.id):
            await self.service.set_typing(conversation.id, "bot", True)
            try:
                replies = await self.rasa.send(conversation.id, GREETING_PAYLOAD, {"channel": conversation.channel})
            except RasaUnavailable as error:
                logger.warning("No greeting for %s: %s", conversation.id, error)
                await self._tell_down(conversation.id)
                return
            finally:
                await self.service.set_typing(conversation.id, "bot", False)
            await self._handle_replies(conversation.id, None, replies)

    async def _forward_pending(self, conversation_id: str) -> None:
        """Pass the conversation's pending citizen messages to Rasa, oldest first, until one fails."""
        try:
            await self._forward_pending_locked(conversation_id)
        except DBAPIError as error:
            # The database went away (PostgreSQL restarting): the messages stay pending in it, so they
            # wait with those Rasa could not take, rather than until the citizen writes again.
            logger.warning("Database unavailable while relaying %s: %s", conversation_id, error.orig)
            self._waiting_for_rasa.add(conversation_id)

    async def _forward_pending_locked(self, conversation_id: str) -> None:
        async with self.service.locks.hold(conversation_id):
            while True:
                pending = await asyncio.to_thread(self._next_pending, conversation_id)
                if pending is None or pending.message_id is None:
                    self._waiting_for_rasa.discard(conversation_id)
                    if pending is not None:
                        self._told_down.discard(conversation_id)
                    return
                try:
                    if pending.paused_at is not None:
                        await self.rasa.resume(conversation_id)
                        await asyncio.to_thread(self._resumed, conversation_id, pending.paused_at)
                    await self.service.set_typing(conversation_id, "bot", True)
                    try:
                        replies = await self.rasa.send(conversation_id, pending.rasa_text, {"channel": pending.channel})
                    finally:
                        await self.service.set_typing(conversation_id, "bot", False)
                except RasaUnavailable as error:
                    logger.warning("Rasa unavailable for %s: %s", conversation_id, error)
                    self._waiting_for_rasa.add(conversation_id)
                    await self._tell_down(conversation_id)
                    return
                self._told_down.discard(conversation_id)
                if await self._handle_replies(conversation_id, pending.message_id, replies):
                    return

    def _next_pending(self, conversation_id: str) -> Pending | None:
        """None when the assistant does not have the conversation (any more)."""
        with self.service.db.session() as session:
            row = session.get(Conversation, conversation_id)
            if row is None or row.state != BOT:
                return None
            first = session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id, Message.rasa_status == RasaDelivery.PENDING.value)
                .order_by(Message.id)
                .limit(1)
            ).first()
            if first is None:
                return Pending(row.channel, row.rasa_paused_at)
            text = (first.payload or {}).get("rasa_payload") or first.text
            return Pending(row.channel, row.rasa_paused_at, first.id, text)

    def _resumed(self, conversation_id: str, paused_at: datetime) -> None:
        """Rasa took the `resume`: not again, unless a newer handoff paused it meanwhile."""
        with self.service.db.session() as session:
            session.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id, Conversation.rasa_paused_at <= paused_at)
                .values(rasa_paused_at=None)
                .execution_options(synchronize_session=False)
            )

    async def _handle_replies(
        self, conversation_id: str, message_id: int | None, replies: list[dict[str, Any]]
    ) -> bool:
        """Store Rasa's replies; True when the conversation is no longer the assistant's (handed to
        staff, or deleted while Rasa was thinking)."""

        def store() -> tuple[ConversationView, list[MessageView], dict[str, Any] | None] | None | Literal[False]:
            with self.service.db.session() as session:
                row = lock_for_new_message(session, conversation_id)
                if row is None:
                    return None
                if message_id is not None:
                    # One conditional UPDATE: when another replica relayed the same message at the same
                    # time and stored its answer first, this one is not stored; one answer is shown.
                    taken = session.execute(
                        update(Message)
                        .where(Message.id == message_id, Message.rasa_status != RasaDelivery.SENT.value)
                        .values(rasa_status=RasaDelivery.SENT.value)
                        .execution_options(synchronize_session=False)
                    ).rowcount
                    if not taken and session.get(Message, message_id) is not None:
                        return False
                stored, live_handoff = [], None
                for reply in replies:
                    text = str(reply.get("text") or "")
                    custom = reply.get("custom") if isinstance(reply.get("custom"), dict) else None
                    buttons = [b for b in reply.get("buttons") or [] if isinstance(b, dict)]
                    if custom and isinstance(custom.get("handoff"), dict):
                        # An instruction to the gateway; the citizen never sees it.
                        handoff = custom["handoff"]
                        custom = {key: value for key, value in custom.items() if key != "handoff"} or None
                        if handoff.get("live", True) is False:
                            record_offered_booking(
                                session, conversation_id, str(handoff.get("reason") or "unknown"),
                                handoff.get("topic"), handoff.get("summary"),
                            )
                        else:
                            live_handoff = handoff
                    if reply.get("image"):
                        custom = {**(custom or {}), "image": str(reply["image"])}
                    if not text and not buttons and not custom:
                        continue
                    payload = {key: value for key, value in (("buttons", buttons), ("custom", custom)) if value}
                    stored.append(add_message(session, conversation_id, Sender.BOT, text, payload=payload))
                row.updated_at = utcnow()
                session.flush()
                return ConversationView.of(row), [MessageView.of(m) for m in stored], live_handoff

        result = await asyncio.to_thread(store)
        if result is None:
            return True
        if isinstance(result, bool):
            logger.info("Rasa's answer to message %s was stored by another replica; not again", message_id)
            return False
        conversation, messages, handoff = result
        for message in messages:
            await self.service.events.emit(MessageAdded(conversation, message))
        if not messages and handoff is None:
            # Rasa said nothing (a custom action failed inside it): the citizen is never left in silence.
            await self.service.add_system_message(conversation_id, texts.no_answer(self.service.municipality))
        if handoff is not None:
            await self.service.request_handoff(
                conversation_id, str(handoff.get("reason") or "unknown"), handoff.get("topic"), handoff.get("summary")
            )
            return True
        return False

    async def _tell_down(self, conversation_id: str) -> None:
        if conversation_id in self._told_down:
            return
        self._told_down.add(conversation_id)
        try:
            await self.service.add_system_message(conversation_id, texts.assistant_down(self.service.municipality))
        except ConversationNotFound:
            pass

    # Retries ---------------------------------------------------------------------------------

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
            with self.service.db.session() as session:
                return set(
                    session.scalars(
                        select(Message.conversation_id)
                        .join(Conversation, Conversation.id == Message.conversation_id)
                        .where(
                            Message.rasa_status == RasaDelivery.PENDING.value,
                            Message.created_at >= utcnow() - PENDING_LOOKBACK,
                            Conversation.state == BOT,
                        )
                        .distinct()
                    )
                )

        self._waiting_for_rasa |= await asyncio.to_thread(find)

    async def run_retry_loop(self, interval: float) -> None:
        while True:
            try:
                await self.retry_pending()
            except Exception:
                logger.exception("Retrying pending messages failed")
            await asyncio.sleep(interval)

    async def forget_gone(self) -> None:
        """Drop what is remembered about conversations that no longer exist (run after the retention purge)."""
        remembered = self._waiting_for_rasa | self._told_down
        if not remembered:
            return

        def existing() -> set[str]:
            with self.service.db.session() as session:
                ids = sorted(remembered)
                found: set[str] = set()
                for start in range(0, len(ids), 500):
                    batch = ids[start : start + 500]
                    found.update(session.scalars(select(Conversation.id).where(Conversation.id.in_(batch))))
                return found

        for conversation_id in remembered - await asyncio.to_thread(existing):
            self._forget(conversation_id)

    # Work in flight --------------------------------------------------------------------------

    def _spawn(self, coroutine: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("Assistant relay task failed", exc_info=task.exception())

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for work in flight (Rasa calls) to finish; used at shutdown and by tests."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._tasks and loop.time() < deadline:
            await asyncio.wait(set(self._tasks), timeout=max(0.0, deadline - loop.time()))

    async def shutdown(self) -> None:
        await self.drain(5.0)
        for task in list(self._tasks):
            task.cancel()
