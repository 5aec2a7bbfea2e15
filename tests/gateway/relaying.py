"""Helpers for tests of the conversation service and its assistant relay."""
from __future__ import annotations

from bot.gateway import AssistantRelay, ConversationService, EventBus


def relayed(database, rasa, municipality) -> tuple[ConversationService, AssistantRelay]:
    """A gateway's conversation service with its assistant relay, as after a (re)start."""
    service = ConversationService(database, municipality, events=EventBus())
    return service, AssistantRelay(service, rasa)


async def settle(assistant: AssistantRelay) -> None:
    """Wait until the Rasa calls in flight are done."""
    await assistant.drain(timeout=10)
