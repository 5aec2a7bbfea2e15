"""What happens to conversations, as events; side effects (delivery, Rasa, channels) subscribe to them.

The code that changes a conversation only emits; who needs to know registers a handler with
`EventBus.on`. A failing handler is logged and does not stop the others.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, TypeVar

from bot.gateway.views import ConversationView, MessageView
from bot.store import ConversationState

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MessageAdded:
    conversation: ConversationView
    message: MessageView


@dataclass(frozen=True)
class StateChanged:
    conversation: ConversationView  # already in its new state
    previous: ConversationState
    reason: str  # handoff_requested, claimed, staff_left, handed_back, closed, reopened
    staff_id: int | None = None


@dataclass(frozen=True)
class TypingChanged:
    conversation: ConversationView
    who: str  # "bot", "staff" or "citizen"
    on: bool


@dataclass(frozen=True)
class ConversationDeleted:
    conversation: ConversationView


E = TypeVar("E")
Handler = Callable[[Any], Awaitable[None]]


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[type, list[Handler]] = defaultdict(list)

    def on(self, event_type: type[E], handler: Callable[[E], Awaitable[None]]) -> None:
        self._handlers[event_type].append(handler)

    async def emit(self, event: object) -> None:
        for handler in list(self._handlers.get(type(event), ())):
            try:
                await handler(event)
            except Exception:
                logger.exception("Handler %r failed on %s", handler, type(event).__name__)
