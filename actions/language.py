"""The conversation's language (the slot `language`), and switching it when the citizen asks.

bot/nlu/language.py fills the slot from each clear message; `change_language` ("can you speak
English?", "kan du tale dansk?", the language button) sets it on request.
"""
from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.english import DANISH, ENGLISH, language_code

SLOT = "language"
_ASKS_FOR_ENGLISH = re.compile(r"\b(english|engelsk\w*|eng)\b", re.IGNORECASE)
_ASKS_FOR_DANISH = re.compile(r"\b(danish|dansk\w*)\b", re.IGNORECASE)
# "I don't speak Danish", "jeg kan ikke engelsk": the language named is the one not wanted.
_NEGATION = re.compile(r"(\bnot\b|n't\b|\bdont\b|\bcant\b|\bcannot\b|\bno\b|\bikke\b)", re.IGNORECASE)


def conversation_language(tracker: Tracker) -> str:
    """"da" or "en": the language the citizen's answers are written in."""
    return language_code(tracker.get_slot(SLOT))


def language_before_latest_message(events: list[dict[str, Any]]) -> str:
    """The slot as it was before the citizen's latest message filled it from that message."""
    latest_user = max((i for i, event in enumerate(events) if event.get("event") == "user"), default=len(events))
    value = None
    for event in events[:latest_user]:
        if event.get("event") == "slot" and event.get("name") == SLOT:
            value = event.get("value")
    return language_code(value)


def requested_language(tracker: Tracker) -> str:
    """The language asked for: a button's choice, a language named in the message, else the other one."""
    message = tracker.latest_message or {}
    for entity in message.get("entities") or []:
        # A button sends the entity itself; the detector's entity is only the language of the request.
        if entity.get("entity") == SLOT and not entity.get("extractor") and entity.get("value") in (DANISH, ENGLISH):
            return entity["value"]
    text = message.get("text") or ""
    english, danish = bool(_ASKS_FOR_ENGLISH.search(text)), bool(_ASKS_FOR_DANISH.search(text))
    if english != danish:
        named = ENGLISH if english else DANISH
        unwanted = bool(_NEGATION.search(text))
        return (DANISH if named == ENGLISH else ENGLISH) if unwanted else named
    return DANISH if language_before_latest_message(tracker.events) == ENGLISH else ENGLISH


class ActionChangeLanguage(Action):
    """Sets the language; the rule's next response then speaks it (data/rules/language.yml)."""

    def name(self) -> str:
        return "action_change_language"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        return [SlotSet(SLOT, requested_language(tracker))]
