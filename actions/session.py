"""Starts each conversation with the municipality's facts in slots, so answers can quote them."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import municipality


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        known_slots = set(domain.get("slots", {}))
        carried_over = [
            SlotSet(name, value)
            for name, value in tracker.current_slot_values().items()
            if value is not None and name in known_slots
        ]
        config_values = [
            SlotSet(name, value) for name, value in municipality().answer_values().items() if name in known_slots
        ]
        return [SessionStarted(), *carried_over, *config_values, ActionExecuted("action_listen")]
