""""Vis mere": the rest of a long answer.

A long answer is a short first message that ends with a "Vis mere" button (payload `/show_more`);
the rest is the response `utter_<intent>_more`. Which answer the citizen means is the last topic
they asked about in this session, found as struggle detection and the handoff find it
(`latest_question`): small talk such as "tak" between the answer and "vis mere" changes nothing.
Intents are read, not the answers sent, because the same answer can come from a button, a typed
question or "Mente du ...?".
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from bot.booking.struggle import latest_question

SHOW_MORE_INTENT = "show_more"
SHOW_MORE_PAYLOAD = f"/{SHOW_MORE_INTENT}"


def more_response(topic: str, responses: Mapping[str, Any]) -> str | None:
    name = f"utter_{topic}_more"
    return name if name in responses else None


class ActionShowMore(Action):
    def name(self) -> str:
        return "action_show_more"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        topic = latest_question(tracker.events)
        if topic is None:
            # No answer yet, so "Hjalp det?" would make no sense: offer the topics and wait.
            dispatcher.utter_message(response="utter_nothing_to_show")
            return [FollowupAction("action_listen")]
        more = more_response(topic, domain.get("responses") or {})
        dispatcher.utter_message(response=more or "utter_no_more")
        return []
