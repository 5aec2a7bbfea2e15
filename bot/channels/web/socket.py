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
  {"type": "state" | "typing" | "deleted", ...}
  {"type": "error", "code": str, "text": str, "client_id": str|null}   the message was not stored
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from bot.gateway import texts
from bot.gateway.citizen_input import payload_on_offer
from bot.gateway.conversations import DELETE_PAYLOAD, ConversationNotFound, ConversationService, MessageRejected
from bot.gateway.delivery import Delivery, conversation_topic
from bot.gateway.security import RateLimiter, origin_allowed
from bot.gateway.settings import GatewaySettings
from bot.gateway.sockets import POLICY_VIOLATION, FrameTooLarge, receive_json, send_json, too_long
from bot.gateway.views import ConversationView
from bot.store.models import CONVERSATION_ID

logger = logging.getLogger(__name__)

# The widget's language switch in its header: always on offer, like a button in every message.
LANGUAGE_SWITCH_PAYLOADS = frozenset({'/change_language{"language":"da"}', '/change_language{"language":"en"}'})

CHANNEL = "web"
_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class WidgetConnection:
    def __init__(
        self, socket: WebSocket, service: ConversationService, delivery: Delivery, settings: GatewaySettings
    ) -> None:
        self.socket = socket
        self.service = service
        self.delivery = delivery
        self.settings = settings
        self.limiter = RateLimiter(settings.rate_limit_messages, settings.rate_limit_seconds)
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
        await self.socket.accept()
        try:
            hello = await asyncio.wait_for(self._receive(), self.settings.hello_timeout)
            if hello is None or not await self._hello(hello):
                await self.socket.close(code=POLICY_VIOLATION)
                return
            while True:
                message = await self._receive()
                if message is not None:
                    await self._handle(message)
        except (WebSocketDisconnect, asyncio.TimeoutError):
            pass
        finally:
            await self._detach()

    async def _receive(self) -> dict[str, Any] | None:
        # A frame may carry the longest message with every character escaped, and the JSON around it.
        try:
            return await receive_json(self.socket, self.settings.max_message_length * 8 + 1024)
        except FrameTooLarge:
            await self._error("too_long", texts.message_too_long(self.settings.max_message_length))
            return None

    async def _hello(self, hello: dict[str, Any]) -> bool:
        visitor_id = hello.get("visitor_id")
        if hello.get("type") != "hello" or not isinstance(visitor_id, str) or not _ID.match(visitor_id):
            return False
        self.visitor_id = visitor_id
        conversation_id = hello.get("conversation_id")
        after = hello.get("after")
        after = after if isinstance(after, int) else 0
        conversation = None
        if isinstance(conversation_id, str) and CONVERSATION_ID.match(conversation_id):
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
            await self._attach(conversation, max(0, after))
        return True

    async def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "ping":
            await self._send({"type": "pong"})
        elif kind == "start":
            await self._ensure_conversation(greet=True)
        elif kind == "message":
            await self._citizen_message(message)
        elif kind == "typing" and self.conversation is not None:
            await self.service.set_typing(self.conversation.id, "citizen", bool(message.get("on")))
        elif kind == "delete" and self.conversation is not None:
            await self.service.delete(self.conversation.id)

    async def _citizen_message(self, message: dict[str, Any]) -> None:
        client_id = message.get("client_id")
        client_id = client_id if isinstance(client_id, str) and _ID.match(client_id) else None
        text, payload = message.get("text"), message.get("payload")
        if not isinstance(text, str) or (payload is not None and not isinstance(payload, str)):
            await self._error("invalid", texts.EMPTY_MESSAGE, client_id)
            return
        if not self.limiter.allow():
            await self._error("rate_limited", texts.RATE_LIMITED, client_id)
            return
        refusal = too_long(text, self.settings.max_message_length)
        if refusal is not None:
            await self._error("too_long", refusal, client_id)
            return
        conversation = await self._ensure_conversation(greet=False)
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
            await self._error(rejected.code, rejected.text, client_id)
            return
        except ConversationNotFound:
            await self._detach()
            await self._send({"type": "deleted", "conversation_id": conversation.id})
            return
        if received.duplicate and received.message is not None:
            # A message resent after a lost connection: stored once, confirmed again.
            await self._send({"type": "message", "message": received.message.to_dict()}, force=True)

    async def _ensure_conversation(self, greet: bool) -> ConversationView:
        if self.conversation is None:
            conversation = await self.service.start(CHANNEL, self.visitor_id, greet=False)
            await self._attach(conversation, 0)
            await self._send({"type": "conversation", "conversation_id": conversation.id, "state": "bot"})
            if greet:
                await self.service.greet(conversation)
        return self.conversation  # type: ignore[return-value]

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
    await WidgetConnection(socket, state.service, state.delivery, state.settings).run()
