"""Starts each conversation with the municipality's facts in slots, so answers can quote them."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.booking import BOOKING_SLOTS, HELPER_SLOTS
from actions.context import municipality
from actions.manage_booking import MANAGE_SLOTS
from bot.booking.struggle import REASON_SLOT

# The state of the visit that ended, not facts about the citizen. A half-filled form must not be
# carried over: the new session has no active form, and a form started again would skip the
# questions it finds answered. Why a person was offered belongs to the old visit too, since
# counting the signs of struggle starts again with each session.
VISIT_SLOTS = frozenset({"requested_slot", REASON_SLOT, *BOOKING_SLOTS, *HELPER_SLOTS, *MANAGE_SLOTS})


def form_slots(domain: dict[str, Any]) -> set[str]:
    """Every slot a form in the domain asks for, so a form added later is not carried over either."""
    return {name for form in (domain.get("forms") or {}).values() for name in form.get("required_slots") or []}


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        kept_slots = set(domain.get("slots", {})) - VISIT_SLOTS - form_slots(domain)
        carried_over = [
            SlotSet(name, value)
            for name, value in tracker.current_slot_values().items()
            if value is not None and name in kept_slots
        ]
        config_values = [
            SlotSet(name, value)
            for name, value in municipality().answer_values().items()
            if name in domain.get("slots", {})
        ]
        return [SessionStarted(), *carried_over, *config_values, ActionExecuted("action_listen")]
