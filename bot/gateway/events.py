"""What happens to conversations, as events; side effects (delivery, Rasa, channels) subscribe to them.

`ConversationService` (conversations.py) publishes every event after its transaction committed;
the assistant relay (assistant_relay.py) publishes the assistant's answers and typing the same way.
Who needs to know registers a handler with `EventBus.on`:

- `publishing.publish_to`: every event, onto the delivery topics the widget, Telegram and the
  console read;
- `AssistantRelay`: `MessageAdded` (a citizen message for Rasa), `StateChanged` (handed back: send
  what waits; handed to staff or closed: stop retrying), `GreetingWanted`, `ConversationDeleted`.

Handlers run in the order they registered, one after the other; a failing handler is logged and
does not stop the others. A handler that starts slow work (a Rasa call) starts it as a task.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

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
class GreetingWanted:
    """A citizen opened the chat: the assistant says hello, with its buttons."""

    conversation: ConversationView


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
