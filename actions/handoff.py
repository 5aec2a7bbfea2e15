"""Offering a person: a live chat with staff when someone is online and borgerservice is open,
otherwise a booked call-back or meeting. The borgerservice phone number is always given.

A citizen who asks for a person (`request_human`) is handed over at once. When the assistant
noticed the struggle itself (difficulty, misunderstood messages, "Nej", the same question), it asks
first: staff read along only if the citizen says yes (utter_data_privacy promises that)."""
from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.booking_context import BookingContext, UsesBookingContext
from bot.booking.handoff import HandoffMode, HandoffRequest, gateway_payload
from bot.booking.struggle import (
    DID_THAT_HELP_ACTIONS,
    REASON_SLOT,
    Reason,
    latest_question,
    offered_in_last_turn,
    struggle_reason,
)
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
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    context: BookingContext,
    reason: Reason,
    accepted: bool = False,
) -> list[EventType]:
    """Says how the citizen gets a person and returns the events that go with it.

    `accepted`: the citizen said yes to an offer of a live chat; `reason` is why it was offered."""
    topic = latest_question(tracker.events)
    summary = summarise(tracker.events, reason, topic)
    events: list[EventType] = [SlotSet(REASON_SLOT, reason.value)]
    ask_first = reason is not Reason.ASKED_FOR_PERSON and not accepted
    if reason in INTRODUCTIONS and not accepted:
        dispatcher.utter_message(response=INTRODUCTIONS[reason])
    request = HandoffRequest(reason.value, topic, summary)
    try:
        mode = context.desk.request_person()
    except DatabaseUnavailable as error:
        logger.error("Could not decide on a handoff: %s", error)
        dispatcher.utter_message(response="utter_handoff_unavailable")
        return events
    if mode is HandoffMode.LIVE and ask_first:
        # Nothing is handed over or recorded yet: the "Ja" button comes back as request_human
        # (ActionOfferHuman), a typed "ja" as affirm (ActionAnswerYes).
        dispatcher.utter_message(response="utter_offer_live_chat")
        return events
    if mode is HandoffMode.LIVE:
        dispatcher.utter_message(response="utter_handoff_live")
        # The gateway moves the conversation to the staff queue when it sees this payload.
        dispatcher.utter_message(json_message=gateway_payload(request, live=True))
        return [*events, ConversationPaused()]
    dispatcher.utter_message(response="utter_offer_booking")
    # The gateway records the offer; nothing is paused, the assistant takes the booking.
    dispatcher.utter_message(json_message=gateway_payload(request, live=False))
    return events


class ActionOfferHuman(UsesBookingContext, Action):
    """For `request_human`, `express_difficulty` and the struggle signals: find the citizen a person.
    `request_human` right after an offer is the citizen's "Ja" to it."""

    def name(self) -> str:
        return "action_offer_human"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        context = self.context
        reason = struggle_reason(tracker.events, context.thresholds) or Reason.ASKED_FOR_PERSON
        offered = offered_in_last_turn(tracker.events)
        if reason is Reason.ASKED_FOR_PERSON and offered is not None:
            # "Ja, skriv med en medarbejder" to an offer: staff see why the person was offered.
            return offer_person(dispatcher, tracker, context, offered, accepted=True)
        return offer_person(dispatcher, tracker, context, reason)


class ActionAnswerYes(UsesBookingContext, Action):
    """A typed "ja": yes to an offer of a person when the assistant's last turn made one (then like
    pressing "Ja, skriv med en medarbejder"), else the usual answer to a yes."""

    def name(self) -> str:
        return "action_answer_yes"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        offered = offered_in_last_turn(tracker.events)
        if offered is not None:
            return offer_person(dispatcher, tracker, self.context, offered, accepted=True)
        asked = (
            "utter_glad_to_help"
            if _last_bot_action(tracker.events) in DID_THAT_HELP_ACTIONS
            else "utter_how_can_i_help"
        )
        dispatcher.utter_message(response=asked)
        return []


def _last_bot_action(events: list[dict[str, Any]]) -> str | None:
    """The assistant's last action before the citizen's latest message."""
    seen_user = False
    for event in reversed(events):
        if event.get("event") == "user":
            if seen_user:
                return None
            seen_user = True
        elif seen_user and event.get("event") == "action" and event.get("name") != "action_listen":
            return event.get("name")
    return None
