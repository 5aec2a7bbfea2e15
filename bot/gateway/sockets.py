"""What every websocket of the gateway shares: JSON frames in and out, the close code for a refusal,
the shape of a conversation id a client sends, and the message-length check."""
from __future__ import annotations

import contextlib
import json
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from bot.gateway import texts

# RFC 6455 close codes. The peer broke the rules (wrong origin, no session, no hello, over a limit);
# before accept it is a 403.
POLICY_VIOLATION = 1008
# The gateway has all the connections it takes; the client may try again later.
TRY_AGAIN_LATER = 1013
# Closed on purpose and nothing wrong, e.g. a socket idle for long (reason "idle"): reconnect when needed.
NORMAL_CLOSURE = 1000


class FrameTooLarge(Exception):
    """A frame longer than the socket accepts; it was read and dropped."""


async def receive_json(socket: WebSocket, max_frame: int) -> dict[str, Any] | None:
    """The next JSON object from the socket; None for anything else (binary, not JSON, not an object,
    or text no UTF-8 can hold).

    Raises WebSocketDisconnect when the peer has gone, FrameTooLarge for a text frame over `max_frame`.
    """
    event = await socket.receive()
    if event["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(event.get("code", 1000))
    raw = event.get("text")
    if raw is None:
        return None
    if len(raw) > max_frame:
        raise FrameTooLarge
    try:
        message = json.loads(raw)
        # JSON may escape a lone surrogate ("\ud800"), which no database, log or socket can carry on.
        json.dumps(message, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):
        return None
    return message if isinstance(message, dict) else None


async def send_json(socket: WebSocket, event: dict[str, Any]) -> None:
    """Send one event; a socket that has closed meanwhile is left alone. The caller holds the
    socket's send lock, so events go out one at a time and in the order it decided."""
    if socket.application_state == WebSocketState.CONNECTED:
        with contextlib.suppress(Exception):
            await socket.send_text(json.dumps(event, ensure_ascii=False, default=str))


def too_long(text: str, limit: int) -> texts.Said | None:
    """The refusal for a message over `limit` characters, or None when it fits."""
    return texts.message_too_long(limit) if len(text) > limit else None
