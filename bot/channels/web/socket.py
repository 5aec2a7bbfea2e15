"""The web widget's websocket: one connection per open page, speaking small JSON messages.

Client to gateway:
  {"type": "hello", "visitor_id": str, "conversation_id": str|null, "after": int}   first, always
  {"type": "start"}                                        open a conversation; the assistant greets
  {"type": "message", "client_id": str, "text": str, "payload": str|null}   payload: a button's;
      taken only from a button the assistant (or the gateway) showed since the citizen last wrote,
      else the message counts as its text typed (bot/gateway/citizen_input.py). Typed text starting
      with "/" reaches Rasa as plain words, never as an intent command; "/delete_conversation"
      deletes, button or typed.
  {"type": "typing", "on": bool}      {"type": "delete"}      {"type": "ping"}
Gateway to client:
  {"type": "welcome", "conversation_id": str|null, "state": str|null, "max_length": int}
  {"type": "conversation", "conversation_id": str, "state": str}          a new one was opened
  {"type": "message", "message": {...}}   every message has an id; after a reconnect the client
                                          says the last id it has and gets only what follows
  {"type": "state" | "typing" | "deleted", ...}      {"type": "pong"}
  {"type": "error", "code": str, "text": str, "client_id": str|null}   the message was not stored
      codes: invalid (also for a frame of no kind above, or not JSON), empty, too_long, not_deleted,
      rate_limited, too_many_conversations, too_many_connections, busy; the text is for the citizen
A first frame that is no hello closes the socket with 1008, as does silence for hello_timeout.
Limits (bot/channels/web/limits.py), per visitor and per address across connections: every frame
(over it: an error, then the socket closes with 1008), messages (an error with the message's
client_id: send it again shortly), new conversations (an error). Connections per address (an error,
then 1008) and in all (an error, then 1013). After the hello, a socket the client sends nothing on
for WIDGET_IDLE_SECONDS is closed with 1000, reason "idle": the widget reconnects when it needs to.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from enum import Enum
from typing import Any

from sqlalchemy import func, select
from starlette.websockets import WebSocket, WebSocketDisconnect

from bot.channels.web.limits import ConnectionRefusal, WidgetLimits
from bot.gateway import texts
from bot.gateway.citizen_input import payload_on_offer
from bot.gateway.conversations import DELETE_PAYLOAD, ConversationNotFound, ConversationService, MessageRejected
from bot.gateway.delivery import Delivery, conversation_topic
from bot.gateway.language import language_of
from bot.gateway.security import origin_allowed
from bot.gateway.settings import GatewaySettings
from bot.gateway.sockets import (
    NORMAL_CLOSURE,
    POLICY_VIOLATION,
    TRY_AGAIN_LATER,
    FrameTooLarge,
    receive_json,
    send_json,
    too_long,
)
from bot.gateway.views import ConversationView
from bot.store import Database, Message
from bot.store.models import CONVERSATION_ID

logger = logging.getLogger(__name__)

# The widget's language switch in its header: always on offer, like a button in every message.
LANGUAGE_SWITCH_PAYLOADS = frozenset({'/change_language{"language":"da"}', '/change_language{"language":"en"}'})

CHANNEL = "web"
_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")  # matched whole: "$" would let a trailing newline through


class Unreadable(Enum):
    """A frame that carries no message the protocol knows."""

    MALFORMED = "malformed"  # binary, not JSON, not an object, text no UTF-8 can hold
    TOO_LARGE = "too large"


class WidgetConnection:
    def __init__(
        self,
        socket: WebSocket,
        service: ConversationService,
        delivery: Delivery,
        settings: GatewaySettings,
        limits: WidgetLimits,
    ) -> None:
        self.socket = socket
        self.service = service
        self.delivery = delivery
        self.settings = settings
        self.limits = limits
        self.address = socket.client.host if socket.client else ""
        self.visitor_id = ""
        self.conversation: ConversationView | None = None
        self._pump: asyncio.Task[None] | None = None
        self._last_sent = 0
        self._send_lock = asyncio.Lock()

    async def run(self) -> None:
        headers = self.socket.headers
        if not origin_allowed(headers.get("origin"), headers.get("host"), self.settings.base.allowed_origins):
            logger.info("Refused a widget socket from origin %r", headers.get("origin"))
            await self.socket.close(code=POLICY_VIOLATION)
            return
        # Accepted before any refusal, so the widget can be told why in words.
        await self.socket.accept()
        refusal = self.limits.open_connection(self.address)
        if refusal is not None:
            with contextlib.suppress(WebSocketDisconnect):  # gone before it heard why
                await self._refuse_connection(refusal)
            return
        try:
            await self._converse()
        except WebSocketDisconnect:
            pass
        finally:
            self.limits.close_connection(self.address)
            await self._detach()

    async def _converse(self) -> None:
        try:
            hello = await asyncio.wait_for(self._receive(), self.settings.hello_timeout)
        except asyncio.TimeoutError:
            await self.socket.close(code=POLICY_VIOLATION)
            return
        visitor_id = _visitor_in(hello) if isinstance(hello, dict) else None
        if not self.limits.allow_frame(visitor_id, self.address):
            await self._too_many_frames()
            return
        if not isinstance(hello, dict) or visitor_id is None:
            await self.socket.close(code=POLICY_VIOLATION)
            return
        await self._hello(visitor_id, hello)
        while True:
            try:
                frame = await asyncio.wait_for(self._receive(), self.settings.widget_idle_seconds)
            except asyncio.TimeoutError:
                await self.socket.close(code=NORMAL_CLOSURE, reason="idle")
                return
            if not self.limits.allow_frame(self.visitor_id, self.address):
                await self._too_many_frames()
                return
            if frame is Unreadable.TOO_LARGE:
                refusal = texts.message_too_long(self.settings.max_message_length)
                await self._error("too_long", await self._in_language(refusal))
            elif frame is Unreadable.MALFORMED:
                await self._error("invalid", texts.UNREADABLE)
            else:
                await self._handle(frame)

    async def _refuse_connection(self, refusal: ConnectionRefusal) -> None:
        if refusal is ConnectionRefusal.GATEWAY_FULL:
            logger.warning("Refused a widget socket: %s connections are open", self.settings.widget_max_connections)
            await self._error(refusal.value, texts.chat_busy(self.service.municipality)["da"])
            await self.socket.close(code=TRY_AGAIN_LATER)
        else:
            logger.info("Refused a widget socket: too many from one address")
            await self._error(refusal.value, texts.TOO_MANY_CONNECTIONS["da"])
            await self.socket.close(code=POLICY_VIOLATION)

    async def _too_many_frames(self) -> None:
        logger.info("Closed a widget socket that sent too many frames")
        await self._error("rate_limited", await self._in_language(texts.SLOW_DOWN))
        await self.socket.close(code=POLICY_VIOLATION)

    async def _receive(self) -> dict[str, Any] | Unreadable:
        # A frame may carry the longest message with every character escaped, and the JSON around it.
        try:
            frame = await receive_json(self.socket, self.settings.max_message_length * 8 + 1024)
        except FrameTooLarge:
            return Unreadable.TOO_LARGE
        return Unreadable.MALFORMED if frame is None else frame

    async def _hello(self, visitor_id: str, hello: dict[str, Any]) -> None:
        self.visitor_id = visitor_id
        conversation_id = hello.get("conversation_id")
        after = hello.get("after")
        after = max(0, after) if isinstance(after, int) else 0
        conversation = None
        if isinstance(conversation_id, str) and CONVERSATION_ID.fullmatch(conversation_id):
            conversation = await self.service.get_for_user(CHANNEL, visitor_id, conversation_id)
        await self._send(
            {
                "type": "welcome",
                "conversation_id": conversation.id if conversation else None,
                "state": conversation.state.value if conversation else None,
                "max_length": self.settings.max_message_length,
            }
        )
        if conversation is not None:
            # The client cannot have seen more than there is; past the newest message (a database restored
            # from a backup, or a number beyond any integer the database has) it would be sent nothing new.
            newest = await asyncio.to_thread(_newest_message_id, self.service.db, conversation.id)
            await self._attach(conversation, min(after, newest))

    async def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "ping":
            await self._send({"type": "pong"})
        elif kind == "start":
            await self._ensure_conversation(greet=True, client_id=None)
        elif kind == "message":
            await self._citizen_message(message)
        elif kind == "typing" and self.conversation is not None:
            await self.service.set_typing(self.conversation.id, "citizen", bool(message.get("on")))
        elif kind == "delete":
            if self.conversation is not None:
                await self.service.delete(self.conversation.id)
        elif kind != "typing":  # no kind a client sends after its hello (typing without a conversation is fine)
            await self._error("invalid", texts.UNREADABLE)

    async def _citizen_message(self, message: dict[str, Any]) -> None:
        client_id = message.get("client_id")
        client_id = client_id if isinstance(client_id, str) and _ID.fullmatch(client_id) else None
        text, payload = message.get("text"), message.get("payload")
        if not isinstance(text, str) or (payload is not None and not isinstance(payload, str)):
            await self._error("invalid", await self._in_language(texts.EMPTY_MESSAGE), client_id)
            return
        if not self.limits.allow_message(self.visitor_id, self.address):
            await self._error("rate_limited", await self._in_language(texts.SLOW_DOWN), client_id)
            return
        refusal = too_long(text, self.settings.max_message_length)
        if refusal is not None:
            await self._error("too_long", await self._in_language(refusal), client_id)
            return
        conversation = await self._ensure_conversation(greet=False, client_id=client_id)
        if conversation is None:
            return
        rasa_payload = payload or None
        if rasa_payload is not None and rasa_payload != DELETE_PAYLOAD and rasa_payload not in LANGUAGE_SWITCH_PAYLOADS:
            db = self.service.db
            if not await asyncio.to_thread(payload_on_offer, db, conversation.id, rasa_payload, client_id):
                # A button nobody showed (forged, or from an old page): read its title as typed text.
                logger.info("Widget %s sent a button payload that was not on offer", conversation.id)
                rasa_payload = None
        try:
            received = await self.service.receive(
                conversation.id, text, client_message_id=client_id, rasa_payload=rasa_payload
            )
        except MessageRejected as rejected:
            await self._error(rejected.code, await self._in_language(rejected.said), client_id)
            return
        except ConversationNotFound:
            await self._detach()
            await self._send({"type": "deleted", "conversation_id": conversation.id})
            return
        if received.duplicate and received.message is not None:
            # A message resent after a lost connection: stored once, confirmed again.
            await self._send({"type": "message", "message": received.message.to_dict()}, force=True)

    async def _ensure_conversation(self, greet: bool, client_id: str | None) -> ConversationView | None:
        """The conversation going on, or a new one; None when the visitor may not open one now (told so)."""
        if self.conversation is None:
            if not self.limits.allow_new_conversation(self.visitor_id, self.address):
                # Each new conversation costs a greeting from the assistant: a start/delete loop must not.
                logger.info("Widget visitor refused a new conversation: too many from it or its address")
                said = texts.too_many_conversations(self.service.municipality)
                await self._error("too_many_conversations", said["da"], client_id)
                return None
            conversation = await self.service.start(CHANNEL, self.visitor_id, greet=False)
            await self._attach(conversation, 0)
            await self._send({"type": "conversation", "conversation_id": conversation.id, "state": "bot"})
            if greet:
                await self.service.greet(conversation)
        return self.conversation

    async def _attach(self, conversation: ConversationView, after: int) -> None:
        await self._detach()
        self.conversation = conversation
        self._last_sent = after
        subscribed = asyncio.Event()
        self._pump = asyncio.create_task(self._deliver(conversation.id, after, subscribed))
        await subscribed.wait()

    async def _detach(self) -> None:
        self.conversation = None
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._pump
            self._pump = None

    async def _deliver(self, conversation_id: str, after: int, subscribed: asyncio.Event) -> None:
        # Subscribe before reading history, so nothing falls between the two; ids weed out the overlap.
        async with self.delivery.subscribe(conversation_topic(conversation_id)) as events:
            subscribed.set()
            if after >= 0:
                for message in await self.service.history(conversation_id, after):
                    await self._send({"type": "message", "message": message.to_dict()})
            async for event in events:
                if event.get("type") == "deleted":
                    await self._send(event)
                    self.conversation = None
                    return
                await self._send(event)

    async def _send(self, event: dict[str, Any], force: bool = False) -> None:
        async with self._send_lock:
            if event.get("type") == "message":
                message_id = event["message"]["id"]
                if message_id <= self._last_sent and not force:
                    return
                self._last_sent = max(self._last_sent, message_id)
                event = {"type": "message", "message": _for_citizen(event["message"])}
            await send_json(self.socket, event)

    async def _error(self, code: str, text: str, client_id: str | None = None) -> None:
        await self._send({"type": "error", "code": code, "text": text, "client_id": client_id})

    async def _in_language(self, said: texts.Said) -> str:
        """The text in the language of the conversation going on; Danish when there is none."""
        conversation_id = self.conversation.id if self.conversation is not None else None
        return texts.in_language(said, await language_of(self.service.db, conversation_id))


def _visitor_in(hello: dict[str, Any]) -> str | None:
    """The visitor id a hello gives, or None when the frame is no hello with a well-formed id."""
    visitor_id = hello.get("visitor_id") if hello.get("type") == "hello" else None
    return visitor_id if isinstance(visitor_id, str) and _ID.fullmatch(visitor_id) else None


def _newest_message_id(db: Database, conversation_id: str) -> int:
    with db.session() as session:
        newest = session.scalar(select(func.max(Message.id)).where(Message.conversation_id == conversation_id))
        return newest or 0


def _for_citizen(message: dict[str, Any]) -> dict[str, Any]:
    """What the widget may show: the handoff summary and staff ids are for staff only."""
    return {
        "id": message["id"],
        "sender": message["sender"],
        "text": message["text"],
        "buttons": message.get("buttons") or [],
        "staff_name": message.get("staff_name"),
        "client_message_id": message.get("client_message_id"),
        "created_at": message.get("created_at"),
    }


async def widget_socket(socket: WebSocket) -> None:
    state = socket.app.state
    await WidgetConnection(socket, state.service, state.delivery, state.settings, state.widget_limits).run()
