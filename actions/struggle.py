"""Struggle detection in the dialogue: "Hjalp det?" and what follows a "Nej".

`action_did_that_help` asks "Hjalp det?" after an answer, unless the citizen has now asked the same
question too many times: then it offers a person instead. After the short first message of a long
answer, "Hjalp det?" carries its "Vis mere" button too: the widget keeps only the newest message's
buttons. `action_check_struggle` answers a "Nej" (to "Hjalp det?", to "Mente du ...?" or to an offer
of a person): a polite answer to a declined offer, the next step, or a person once the answers have
not helped often enough.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.booking_context import UsesBookingContext
from actions.handoff import offer_person
from actions.show_more import SHOW_MORE_PAYLOAD
from bot.booking.struggle import Reason, offered_in_last_turn, read_signals, struggle_reason


class ActionDidThatHelp(UsesBookingContext, Action):
    def name(self) -> str:
        return "action_did_that_help"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        context = self.context
        if read_signals(tracker.events).same_question >= context.thresholds.same_question:
            return offer_person(dispatcher, tracker, context, Reason.SAME_QUESTION)
        dispatcher.utter_message(response="utter_did_that_help", buttons=show_more_button(tracker.events))
        return []


def show_more_button(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The answer's "Vis mere" button, if the assistant sent one since the citizen last wrote."""
    for event in reversed(events):
        if event.get("event") == "user":
            return []
        if event.get("event") == "bot":
            for button in (event.get("data") or {}).get("buttons") or []:
                if button.get("payload") == SHOW_MORE_PAYLOAD:
                    return [button]
    return []


class ActionCheckStruggle(UsesBookingContext, Action):
    def name(self) -> str:
        return "action_check_struggle"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        if offered_in_last_turn(tracker.events) is not None:
            dispatcher.utter_message(response="utter_offer_declined")
            return []
        context = self.context
        reason = struggle_reason(tracker.events, context.thresholds)
        if reason is None:
            dispatcher.utter_message(response="utter_next_step")
            return []
        return offer_person(dispatcher, tracker, context, reason)
