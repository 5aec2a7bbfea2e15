"""Speaking the widget's protocol over a real socket, as widget.js does, for the web channel's tests."""
from __future__ import annotations

import asyncio
import json
import uuid
from contextlib import asynccontextmanager
from typing import Any

import websockets
from websockets.exceptions import ConnectionClosed

TIMEOUT = 10


class Widget:
    """Speaks the widget's protocol, as widget.js does."""

    def __init__(self, socket, visitor_id: str) -> None:
        self.socket = socket
        self.visitor_id = visitor_id
        self.welcome: dict[str, Any] = {}

    async def send(self, **message) -> None:
        await self.socket.send(json.dumps(message))

    async def next(self, kind: str | None = None, timeout: float = TIMEOUT) -> dict:
        async def wait() -> dict:
            while True:
                event = json.loads(await self.socket.recv())
                if kind is None or event["type"] == kind:
                    return event

        return await asyncio.wait_for(wait(), timeout)

    async def messages_until(self, predicate, timeout: float = TIMEOUT) -> list[dict]:
        seen: list[dict] = []

        async def wait() -> list[dict]:
            while True:
                event = json.loads(await self.socket.recv())
                if event["type"] == "message":
                    seen.append(event["message"])
                    if predicate(event["message"]):
                        return seen

        return await asyncio.wait_for(wait(), timeout)

    async def until_closed(self, timeout: float = TIMEOUT) -> tuple[list[dict], int | None, str]:
        """Every event the gateway still sends, then how it closed the socket: (events, code, reason)."""
        events: list[dict] = []

        async def wait() -> tuple[list[dict], int | None, str]:
            while True:
                try:
                    events.append(json.loads(await self.socket.recv()))
                except ConnectionClosed as closed:
                    received = closed.rcvd
                    return events, received.code if received else None, received.reason if received else ""

        return await asyncio.wait_for(wait(), timeout)


@asynccontextmanager
async def connected(url: str, visitor_id: str | None = None, origin: str | None = None):
    """An open socket with no hello sent yet."""
    socket_url = url.replace("http", "ws") + "/ws"
    async with websockets.connect(socket_url, origin=origin or url, open_timeout=TIMEOUT) as socket:
        yield Widget(socket, visitor_id or uuid.uuid4().hex)


@asynccontextmanager
async def widget(url: str, conversation_id=None, after=0, visitor_id=None, origin=None):
    async with connected(url, visitor_id, origin) as client:
        await client.send(type="hello", visitor_id=client.visitor_id, conversation_id=conversation_id, after=after)
        client.welcome = await client.next("welcome")
        yield client
