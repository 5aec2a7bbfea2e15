"""The two-stage fallback: ask "Mente du ...?" once; when misses keep coming, say what the assistant
can do and find the citizen a person (the struggle threshold `fallbacks_in_a_row` in municipality.yml)."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.booking_context import UsesBookingContext
from actions.handoff import offer_person
from actions.language import conversation_language
from bot.booking.struggle import Reason, struggle_reason
from bot.danish import is_question
from bot.english import SOMETHING_ELSE, topic_label

SUGGESTIONS = 2


def likeliest_topics(latest_message: dict[str, Any], limit: int = SUGGESTIONS) -> list[str]:
    ranking = latest_message.get("intent_ranking") or []
    names = [item.get("name") for item in ranking if is_question(item.get("name"))]
    return names[:limit]


class ActionHandleFallback(UsesBookingContext, Action):
    def name(self) -> str:
        return "action_handle_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        context = self.context
        if struggle_reason(tracker.events, context.thresholds) is Reason.NOT_UNDERSTOOD:
            return offer_person(dispatcher, tracker, context, Reason.NOT_UNDERSTOOD)
        topics = likeliest_topics(tracker.latest_message)
        if not topics:
            dispatcher.utter_message(response="utter_fallback_offer_person")
            return []
        language = conversation_language(tracker)
        buttons = [{"title": topic_label(topic, language), "payload": f"/{topic}"} for topic in topics]
        buttons.append({"title": SOMETHING_ELSE[language], "payload": "/ask_something_else"})
        dispatcher.utter_message(response="utter_fallback_did_you_mean", buttons=buttons)
        return []
