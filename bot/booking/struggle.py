"""Signs that a citizen is struggling, read from the conversation's events.

Works on the event dictionaries a rasa_sdk Tracker holds. Counting starts again after each offer
of a person (the `handoff_reason` slot is set then), so one offer is not followed by another at once.
"""
from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.booking.config import StruggleThresholds
from bot.danish import is_question

Event = Mapping[str, Any]

REASON_SLOT = "handoff_reason"
DID_THAT_HELP_ACTIONS = frozenset({"utter_did_that_help", "action_did_that_help"})
# Pressing "Noget andet" between two misunderstood messages does not mean the citizen was understood.
NEUTRAL_INTENTS = frozenset({"ask_something_else"})


class Reason(str, enum.Enum):
    """Why a person is needed; stored with the handoff and the booking."""

    ASKED_FOR_PERSON = "asked_for_person"
    ASKED_FOR_BOOKING = "asked_for_booking"
    DIFFICULTY = "express_difficulty"
    NOT_UNDERSTOOD = "repeated_fallback"
    NOT_HELPED = "not_helped"
    SAME_QUESTION = "repeated_question"


REASON_LABELS = {
    Reason.ASKED_FOR_PERSON: "Borgeren bad om at tale med en medarbejder.",
    Reason.ASKED_FOR_BOOKING: "Borgeren bad om en tid hos en medarbejder.",
    Reason.DIFFICULTY: "Borgeren skrev, at det er svært eller ikke virker.",
    Reason.NOT_UNDERSTOOD: "Assistenten forstod ikke borgeren flere gange i træk.",
    Reason.NOT_HELPED: "Borgeren svarede flere gange, at svaret ikke hjalp.",
    Reason.SAME_QUESTION: "Borgeren stillede det samme spørgsmål flere gange.",
}



def reason_label(reason: Reason | str) -> str:
    try:
        return REASON_LABELS[Reason(reason)]
    except ValueError:
        return str(reason)


EXPLICIT = {
    "request_human": Reason.ASKED_FOR_PERSON,
    "book_helper": Reason.ASKED_FOR_BOOKING,
    "express_difficulty": Reason.DIFFICULTY,
}


def intent_of(event: Event) -> str | None:
    return ((event.get("parse_data") or {}).get("intent") or {}).get("name")


def current_session(events: Sequence[Event]) -> list[Event]:
    """Events since the conversation (re)started; earlier sessions are another visit."""
    start = 0
    for index, event in enumerate(events):
        if event.get("event") in ("session_started", "restart"):
            start = index + 1
    return list(events[start:])


def since_last_offer(events: Sequence[Event]) -> list[Event]:
    session = current_session(events)
    start = 0
    for index, event in enumerate(session):
        if event.get("event") == "slot" and event.get("name") == REASON_SLOT and event.get("value"):
            start = index + 1
    return session[start:]


@dataclass(frozen=True)
class Signals:
    latest_intent: str | None
    fallbacks_in_a_row: int
    not_helped: int
    same_question: int  # how often the latest question has been asked


def read_signals(events: Sequence[Event]) -> Signals:
    recent = since_last_offer(events)
    user_intents = [intent_of(e) for e in recent if e.get("event") == "user"]
    fallbacks = 0
    for intent in reversed(user_intents):
        if intent == "nlu_fallback":
            fallbacks += 1
        elif intent not in NEUTRAL_INTENTS:
            break
    not_helped = 0
    last_action = None
    for event in recent:
        if event.get("event") == "action" and event.get("name") != "action_listen":
            last_action = event.get("name")
        elif event.get("event") == "user":
            if last_action in DID_THAT_HELP_ACTIONS and intent_of(event) == "deny":
                not_helped += 1
            last_action = None
    questions = Counter(intent for intent in user_intents if is_question(intent))
    latest_question = next((i for i in reversed(user_intents) if is_question(i)), None)
    latest = user_intents[-1] if user_intents else None
    return Signals(
        latest_intent=latest,
        fallbacks_in_a_row=fallbacks,
        not_helped=not_helped,
        same_question=questions[latest] if latest == latest_question and latest else 0,
    )


def struggle_reason(events: Sequence[Event], thresholds: StruggleThresholds) -> Reason | None:
    """Why the citizen needs a person now, or None if nothing says so."""
    signals = read_signals(events)
    if signals.latest_intent in EXPLICIT:
        return EXPLICIT[signals.latest_intent]
    if signals.fallbacks_in_a_row >= thresholds.fallbacks_in_a_row:
        return Reason.NOT_UNDERSTOOD
    if signals.not_helped >= thresholds.not_helped:
        return Reason.NOT_HELPED
    if signals.same_question >= thresholds.same_question:
        return Reason.SAME_QUESTION
    return None


def offered_in_last_turn(events: Sequence[Event]) -> Reason | None:
    """Why a person was offered in the assistant's last turn, if it offered one: the citizen's latest
    message then answers that offer ("Ja, skriv med en medarbejder", "Nej tak")."""
    users = 0
    for event in reversed(events):
        if event.get("event") == "user":
            users += 1
            if users == 2:
                return None
        elif users == 1 and event.get("event") == "slot" and event.get("name") == REASON_SLOT and event.get("value"):
            try:
                return Reason(event["value"])
            except ValueError:
                return None
    return None


def latest_question(events: Iterable[Event]) -> str | None:
    """The last topic the citizen asked about in this session, if any."""
    found = None
    for event in current_session(list(events)):
        if event.get("event") == "user" and is_question(intent_of(event)):
            found = intent_of(event)
    return found
