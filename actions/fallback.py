"""The two-stage fallback: ask "Mente du ...?" once, then say what the assistant can do and offer a person."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.booking.topics import TOPIC_LABELS, is_question

FALLBACK_INTENT = "nlu_fallback"
# Pressing "Noget andet" and then typing something new is still the same struggle to be understood.
NEUTRAL_INTENTS = frozenset({"ask_something_else"})
SUGGESTIONS = 2


def consecutive_misses(tracker: Tracker) -> int:
    """How many of the citizen's latest messages in a row the assistant did not understand."""
    misses = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent == FALLBACK_INTENT:
            misses += 1
        elif intent not in NEUTRAL_INTENTS:
            break
    return misses


def likeliest_topics(latest_message: dict[str, Any], limit: int = SUGGESTIONS) -> list[str]:
    ranking = latest_message.get("intent_ranking") or []
    names = [item.get("name") for item in ranking if is_question(item.get("name"))]
    return names[:limit]


class ActionHandleFallback(Action):
    def name(self) -> str:
        return "action_handle_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        topics = likeliest_topics(tracker.latest_message)
        if consecutive_misses(tracker) >= 2 or not topics:
            dispatcher.utter_message(response="utter_fallback_offer_person")
            return []
        buttons = [{"title": TOPIC_LABELS[topic], "payload": f"/{topic}"} for topic in topics]
        buttons.append({"title": "Noget andet", "payload": "/ask_something_else"})
        dispatcher.utter_message(response="utter_fallback_did_you_mean", buttons=buttons)
        return []
