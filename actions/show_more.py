""""Vis mere": the rest of a long answer.

A long answer is a short first message that ends with a "Vis mere" button (payload `/show_more`);
the rest is the response `utter_<intent>_more`. Which answer the citizen means is the last question
they asked in this session: the latest intent with an answer `utter_<intent>` in the domain that is
not small talk, a menu or a dialogue button (`bot.danish.NOT_QUESTIONS`), so "tak" between the
answer and "vis mere" changes nothing. Intents are read, not the answers sent, because the same
answer can come from a button, a typed question or "Mente du ...?".
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from bot.booking.struggle import current_session, intent_of
from bot.danish import NOT_QUESTIONS

SHOW_MORE_INTENT = "show_more"
SHOW_MORE_PAYLOAD = f"/{SHOW_MORE_INTENT}"
MORE_SUFFIX = "_more"


def last_answered_topic(events: Sequence[Mapping[str, Any]], responses: Mapping[str, Any]) -> str | None:
    """The intent of the last question in this session that has an answer in the domain."""
    for event in reversed(current_session(events)):
        if event.get("event") != "user":
            continue
        intent = intent_of(event)
        if intent and intent != SHOW_MORE_INTENT and intent not in NOT_QUESTIONS and f"utter_{intent}" in responses:
            return intent
    return None


def more_response(topic: str, responses: Mapping[str, Any]) -> str | None:
    name = f"utter_{topic}{MORE_SUFFIX}"
    return name if name in responses else None


class ActionShowMore(Action):
    def name(self) -> str:
        return "action_show_more"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        responses = domain.get("responses") or {}
        topic = last_answered_topic(tracker.events, responses)
        if topic is None:
            # No answer yet, so "Hjalp det?" would make no sense: offer the topics and wait.
            dispatcher.utter_message(response="utter_nothing_to_show")
            return [FollowupAction("action_listen")]
        more = more_response(topic, responses)
        dispatcher.utter_message(response=more or "utter_no_more")
        return []
