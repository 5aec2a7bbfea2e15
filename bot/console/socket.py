"""The console's live connection: the queue as it changes, and one conversation as it happens.

The socket opens only with a valid session cookie from the gateway's own origin (otherwise the
handshake is refused with 403), and its first message must carry the session's CSRF token. When
the session ends (logout, logging in again) the socket is closed at once with code 4401; every
message it handles re-checks the session too, for sessions ended where no event is sent (a new
password or a disabled account, from the command line).

Console to gateway:
  {"type": "hello", "csrf": str}                         first, always
  {"type": "watch", "conversation_id": str, "after": int} messages after `after`, then live events
  {"type": "typing", "conversation_id": str, "on": bool}   the staff member is writing a reply
  {"type": "ping"}                 keeps presence "online" alive and re-checks the session (not activity)
  {"type": "activity"}             the staff member typed or clicked: keeps the session from idling out
Gateway to console:
  {"type": "ready"}   {"type": "pong"}
  {"type": "queue", "event": {...}}   anything on the staff topic (states, handoffs, deletions)
  {"type": "message" | "typing" | "state" | "deleted", ...}   the watched conversation
  {"type": "refused", "conversation_id": str, "text": str}    a watch of a conversation this staff
                                   member may not open (it never reached staff) or that does not exist
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from bot.console.auth import SESSION_COOKIE, console_of, same_origin, session_topic
from bot.console.desk import NOT_FOUND
from bot.console.presence import touch
from bot.console.sessions import StaffIdentity, same_token
from bot.gateway.delivery import STAFF_TOPIC, conversation_topic
from bot.gateway.sockets import POLICY_VIOLATION, FrameTooLarge, receive_json, send_json
from bot.store.models import CONVERSATION_ID

logger = logging.getLogger(__name__)

SIGNED_OUT = 4401
HELLO_TIMEOUT = 10.0
MAX_FRAME = 16 * 1024


class StaffConnection:
    def __init__(self, socket: WebSocket, staff: StaffIdentity, token: str) -> None:
        self.socket = socket
        self.staff = staff
        self.token = token
        self.console = console_of(socket)
        self._send_lock = asyncio.Lock()
        self._watch: asyncio.Task[None] | None = None
        self._opened: set[str] = set()

    async def run(self) -> None:
        await self.socket.accept()
        queue_task: asyncio.Task[None] | None = None
        subscribed = asyncio.Event()
        session_task = asyncio.create_task(self._close_when_signed_out(subscribed))
        try:
            await subscribed.wait()
            # A logout between the handshake's check and the subscription sent its event to nobody.
            if not await self._signed_in(touch=False):
                return
            hello = await asyncio.wait_for(self._receive(), HELLO_TIMEOUT)
            if not hello or hello.get("type") != "hello" or not same_token(hello.get("csrf"), self.staff.csrf_token):
                await self.socket.close(code=POLICY_VIOLATION)
                return
            subscribed = asyncio.Event()
            queue_task = asyncio.create_task(self._pump_queue(subscribed))
            await subscribed.wait()
            await self._send({"type": "ready"})
            while True:
                message = await self._receive()
                if message is not None and not await self._handle(message):
                    return
        except (WebSocketDisconnect, asyncio.TimeoutError):
            pass
        finally:
            for task in (session_task, queue_task, self._watch):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task

    async def _receive(self) -> dict[str, Any] | None:
        try:
            return await receive_json(self.socket, MAX_FRAME)
        except FrameTooLarge:
            return None

    async def _handle(self, message: dict[str, Any]) -> bool:
        """Act on one message; False when the connection must end (the session is gone)."""
        kind = message.get("type")
        # Every message re-checks the session. Only "activity" counts as activity: a ping comes every
        # 20 s from any open tab, and with it the idle limit would never be reached.
        if not await self._signed_in(touch=kind == "activity"):
            return False
        if kind == "ping":
            await asyncio.to_thread(touch, self.console.db, self.staff.staff_id)
            await self._send({"type": "pong"})
        elif kind == "watch":
            conversation_id = message.get("conversation_id")
            after = message.get("after")
            after = after if isinstance(after, int) else 0
            if isinstance(conversation_id, str) and CONVERSATION_ID.match(conversation_id):
                await self._start_watching(conversation_id, max(0, after))
        elif kind == "typing":
            conversation_id = message.get("conversation_id")
            if isinstance(conversation_id, str) and CONVERSATION_ID.match(conversation_id):
                await self.console.desk.typing(self.staff, conversation_id, bool(message.get("on")))
        return True

    async def _signed_in(self, touch: bool) -> bool:
        """Whether the session still holds; if not, the socket is closed with 4401."""
        if await asyncio.to_thread(self.console.sessions.lookup, self.token, touch) is not None:
            return True
        await self._close_signed_out()
        return False

    async def _close_when_signed_out(self, subscribed: asyncio.Event) -> None:
        async with self.console.delivery.subscribe(session_topic(self.staff.session_id)) as events:
            subscribed.set()
            await events.get()
        await self._close_signed_out()

    async def _close_signed_out(self) -> None:
        async with self._send_lock:
            if self.socket.application_state == WebSocketState.CONNECTED:
                with contextlib.suppress(Exception):
                    await self.socket.close(code=SIGNED_OUT)

    async def _pump_queue(self, subscribed: asyncio.Event) -> None:
        async with self.console.delivery.subscribe(STAFF_TOPIC) as events:
            subscribed.set()
            async for event in events:
                await self._send({"type": "queue", "event": event})

    async def _start_watching(self, conversation_id: str, after: int) -> None:
        # The transcript is read here, so this is where opening a conversation is checked and audited
        # (once per connection).
        if conversation_id not in self._opened:
            if not await self.console.desk.may_open(self.staff, conversation_id):
                await self._send({"type": "refused", "conversation_id": conversation_id, "text": NOT_FOUND})
                return
            self._opened.add(conversation_id)
            await self.console.desk.opened(self.staff, conversation_id, via="socket")
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._watch
        subscribed = asyncio.Event()
        self._watch = asyncio.create_task(self._pump_conversation(conversation_id, after, subscribed))
        await subscribed.wait()

    async def _pump_conversation(self, conversation_id: str, after: int, subscribed: asyncio.Event) -> None:
        # Subscribe before reading the history, so nothing falls between the two; the console drops repeats by id.
        async with self.console.delivery.subscribe(conversation_topic(conversation_id)) as events:
            subscribed.set()
            for message in await self.console.service.history(conversation_id, after):
                await self._send({"type": "message", "conversation_id": conversation_id, "message": message.to_dict()})
            async for event in events:
                await self._send(event)

    async def _send(self, event: dict[str, Any]) -> None:
        async with self._send_lock:
            await send_json(self.socket, event)


async def staff_socket(socket: WebSocket) -> None:
    token = socket.cookies.get(SESSION_COOKIE)
    console = console_of(socket)
    staff = await asyncio.to_thread(console.sessions.lookup, token, False) if token else None
    if token is None or staff is None or not same_origin(socket) or socket.headers.get("origin") is None:
        logger.info("Refused a staff socket (no session or a foreign origin)")
        await socket.close(code=POLICY_VIOLATION)  # before accept: the handshake is answered 403
        return
    await StaffConnection(socket, staff, token).run()


staff_socket.console_guard = "socket"  # type: ignore[attr-defined]
