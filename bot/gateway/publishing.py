"""Conversation events onto delivery topics: the citizen's own view, and the staff console's view."""
from __future__ import annotations

from bot.gateway.delivery import STAFF_TOPIC, Delivery, conversation_topic
from bot.gateway.events import ConversationDeleted, EventBus, MessageAdded, StateChanged, TypingChanged
from bot.store import ConversationState

_WITH_STAFF = (ConversationState.WAITING, ConversationState.HUMAN)


def publish_to(delivery: Delivery, events: EventBus) -> None:
    """Publish every conversation event where its readers subscribe.

    `conversation:<id>` carries what the citizen may see (messages, state, typing, deletion) and is
    what a widget socket or a console's conversation view subscribes to. `staff` carries the queue:
    state changes with the handoff summary, and messages while a person has the conversation.
    """

    async def message_added(event: MessageAdded) -> None:
        body = {"type": "message", "conversation_id": event.conversation.id, "message": event.message.to_dict()}
        await delivery.publish(conversation_topic(event.conversation.id), body)
        if event.conversation.state in _WITH_STAFF:
            await delivery.publish(STAFF_TOPIC, body)

    async def state_changed(event: StateChanged) -> None:
        conversation = event.conversation
        await delivery.publish(
            conversation_topic(conversation.id),
            {"type": "state", "conversation_id": conversation.id, "state": conversation.state.value},
        )
        await delivery.publish(
            STAFF_TOPIC,
            {
                "type": "state",
                "conversation": conversation.to_dict(),
                "previous": event.previous.value,
                "reason": event.reason,
                "staff_id": event.staff_id,
            },
        )

    async def typing_changed(event: TypingChanged) -> None:
        await delivery.publish(
            conversation_topic(event.conversation.id),
            {"type": "typing", "conversation_id": event.conversation.id, "who": event.who, "on": event.on},
        )

    async def deleted(event: ConversationDeleted) -> None:
        body = {"type": "deleted", "conversation_id": event.conversation.id}
        await delivery.publish(conversation_topic(event.conversation.id), body)
        await delivery.publish(STAFF_TOPIC, body)

    events.on(MessageAdded, message_added)
    events.on(StateChanged, state_changed)
    events.on(TypingChanged, typing_changed)
    events.on(ConversationDeleted, deleted)
