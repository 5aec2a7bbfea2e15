"""Offering a person: a live chat with staff when someone is online and borgerservice is open,
otherwise a booked call-back or meeting. The borgerservice phone number is always given."""
from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.booking_context import BookingContext, UsesBookingContext
from actions.context import citizen_channel
from bot.booking.handoff import HandoffMode, HandoffRequest
from bot.booking.struggle import REASON_SLOT, Reason, latest_question, struggle_reason
from bot.booking.summary import summarise
from bot.booking.unit import DatabaseUnavailable

logger = logging.getLogger(__name__)

# A sentence before the offer that shows the assistant noticed why; explicit requests need none.
INTRODUCTIONS = {
    Reason.DIFFICULTY: "utter_handoff_intro_difficulty",
    Reason.NOT_UNDERSTOOD: "utter_handoff_intro_not_understood",
    Reason.NOT_HELPED: "utter_handoff_intro_not_helped",
    Reason.SAME_QUESTION: "utter_handoff_intro_same_question",
}


def offer_person(
    dispatcher: CollectingDispatcher, tracker: Tracker, context: BookingContext, reason: Reason
) -> list[EventType]:
    """Says how the citizen gets a person and returns the events that go with it."""
    topic = latest_question(tracker.events)
    summary = summarise(tracker.events, reason, topic)
    events: list[EventType] = [SlotSet(REASON_SLOT, reason.value)]
    if reason in INTRODUCTIONS:
        dispatcher.utter_message(response=INTRODUCTIONS[reason])
    try:
        decision = context.desk.request_person(
            HandoffRequest(tracker.sender_id, citizen_channel(tracker), reason.value, topic, summary)
        )
    except DatabaseUnavailable as error:
        logger.error("Could not decide on a handoff: %s", error)
        dispatcher.utter_message(response="utter_handoff_unavailable")
        return events
    if decision.mode is HandoffMode.LIVE:
        dispatcher.utter_message(response="utter_handoff_live")
        # The gateway moves the conversation to the staff queue when it sees this payload.
        dispatcher.utter_message(json_message={"handoff": {"reason": reason.value, "topic": topic, "summary": summary}})
        return [*events, ConversationPaused()]
    dispatcher.utter_message(response="utter_offer_booking")
    return events


class ActionOfferHuman(UsesBookingContext, Action):
    """For `request_human`, `express_difficulty` and the struggle signals: find the citizen a person."""

    def name(self) -> str:
        return "action_offer_human"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        context = self.context
        reason = struggle_reason(tracker.events, context.thresholds) or Reason.ASKED_FOR_PERSON
        return offer_person(dispatcher, tracker, context, reason)
