"""The gateway's core: every conversation, between citizens, staff and the assistant, whatever the channel.

The channels (`bot.channels`) and the staff console (`bot.console`) build on it; `bot.app.create_app`
wires them all into one application.

What other parts build on:
- `ConversationService` (`app.state.service`): start, receive, history, request_handoff, claim,
  reply_as_staff, hand_back, offer_booking, close, delete, set_typing; it emits events on `service.events`.
- `AssistantRelay` (`app.state.assistant`): the way to Rasa, subscribed to those events; `drain()`
  waits for the Rasa calls in flight.
  A satisfaction button's payload (`bot.gateway.satisfaction`) is stored by `receive`, never sent to Rasa.
- `Delivery` (`app.state.delivery`): subscribe to `conversation_topic(id)` or `STAFF_TOPIC`.
"""
from bot.gateway.assistant_relay import AssistantRelay
from bot.gateway.conversations import (
    DELETE_PAYLOAD,
    TRANSITIONS,
    ConversationNotFound,
    ConversationService,
    MessageRejected,
    Received,
)
from bot.gateway.delivery import (
    STAFF_TOPIC,
    Delivery,
    InProcessDelivery,
    RedisDelivery,
    conversation_topic,
    make_delivery,
)
from bot.gateway.events import ConversationDeleted, EventBus, GreetingWanted, MessageAdded, StateChanged, TypingChanged
from bot.gateway.rasa import RasaClient, RasaUnavailable
from bot.gateway.settings import GatewaySettings
from bot.gateway.views import ConversationView, MessageView

__all__ = [
    "AssistantRelay",
    "DELETE_PAYLOAD",
    "STAFF_TOPIC",
    "TRANSITIONS",
    "ConversationDeleted",
    "ConversationNotFound",
    "ConversationService",
    "ConversationView",
    "Delivery",
    "EventBus",
    "GatewaySettings",
    "GreetingWanted",
    "InProcessDelivery",
    "MessageAdded",
    "MessageRejected",
    "MessageView",
    "RasaClient",
    "RasaUnavailable",
    "Received",
    "RedisDelivery",
    "StateChanged",
    "TypingChanged",
    "conversation_topic",
    "make_delivery",
]
