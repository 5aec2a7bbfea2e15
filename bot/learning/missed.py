"""Which citizen messages the assistant missed, read from Rasa's tracker (bot.store.rasa_events).

A message is missed when
- the assistant answered it with its fallback ("Mente du ...?"): reason "fallback", or "handoff"
  once a person was offered because the assistant kept not understanding. An `nlu_fallback` intent
  alone is not enough: inside the booking form a name or a phone number is read that way and is the
  form's answer, not a miss (and not something to show in the inbox);
- its answer was followed by "Hjalp det?" and a "Nej": reason "not_helped".

Button clicks ("/affirm") are not what a citizen wrote and are never missed messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from bot.booking.struggle import DID_THAT_HELP_ACTIONS, REASON_SLOT, Reason
from bot.store.rasa_events import FALLBACK_ACTIONS, FALLBACK_INTENT, event_dicts, senders_with_user_intents_since

# Stronger reasons win when one message is missed in two ways.
REASON_RANK = {"fallback": 0, "not_helped": 1, "handoff": 2}


@dataclass(frozen=True)
class MissedMessage:
    conversation_id: str
    timestamp: float
    text: str
    reason: str
    guesses: tuple[tuple[str, float], ...]  # the model's two best intents, without the fallback

    @property
    def key(self) -> str:
        """The same tracker event always gives the same key, whoever reads it and however often."""
        return f"{self.conversation_id}:{self.timestamp!r}"[:300]


def best_guesses(parse_data: dict[str, Any], count: int = 2) -> tuple[tuple[str, float], ...]:
    ranked = [
        (entry["name"], float(entry.get("confidence") or 0.0))
        for entry in parse_data.get("intent_ranking") or []
        if entry.get("name") and entry.get("name") != FALLBACK_INTENT
    ]
    return tuple(ranked[:count])


def _citizen_text(event: dict[str, Any]) -> str | None:
    written = (event.get("text") or "").strip()
    return written if written and not written.startswith("/") else None


def _intent(event: dict[str, Any]) -> str | None:
    return ((event.get("parse_data") or {}).get("intent") or {}).get("name")


def missed_in_conversation(conversation_id: str, events: Sequence[dict[str, Any]]) -> list[MissedMessage]:
    """The missed messages of one conversation, from its tracker events in order."""
    found: dict[float, MissedMessage] = {}

    def miss(event: dict[str, Any], reason: str) -> None:
        timestamp = float(event.get("timestamp") or 0.0)
        earlier = found.get(timestamp)
        if earlier and REASON_RANK[earlier.reason] >= REASON_RANK[reason]:
            return
        found[timestamp] = MissedMessage(
            conversation_id,
            timestamp,
            _citizen_text(event) or "",
            reason,
            best_guesses(event.get("parse_data") or {}),
        )

    last_written: dict[str, Any] | None = None  # the citizen's latest own words
    asked_before_help: dict[str, Any] | None = None  # what "Hjalp det?" was asking about
    last_action: str | None = None
    unsure: dict[str, Any] | None = None  # written words read as nlu_fallback, until the next action tells
    fallbacks_since_offer: list[dict[str, Any]] = []
    for event in events:
        kind = event.get("event")
        if kind == "user":
            written = _citizen_text(event)
            unsure = event if written and _intent(event) == FALLBACK_INTENT else None
            if last_action in DID_THAT_HELP_ACTIONS and _intent(event) == "deny" and asked_before_help:
                miss(asked_before_help, "not_helped")
            if written:
                last_written = event
            last_action = None
        elif kind == "action" and event.get("name") != "action_listen":
            last_action = event.get("name")
            if unsure is not None and last_action in FALLBACK_ACTIONS:
                miss(unsure, "fallback")
                fallbacks_since_offer.append(unsure)
            unsure = None
            if last_action in DID_THAT_HELP_ACTIONS:
                asked_before_help = last_written
        elif kind == "slot" and event.get("name") == REASON_SLOT and event.get("value"):
            if event.get("value") == Reason.NOT_UNDERSTOOD.value:
                for fallback in fallbacks_since_offer:
                    miss(fallback, "handoff")
            fallbacks_since_offer = []
        elif kind in ("session_started", "restart"):
            last_written = asked_before_help = last_action = unsure = None
            fallbacks_since_offer = []
    return [found[timestamp] for timestamp in sorted(found) if found[timestamp].text]


def conversations_with_misses_since(session: Session, since: float) -> list[str]:
    """Conversations with a message since `since` (epoch seconds) that may have been missed.

    Only conversations where the model fell back or a citizen said no can hold a missed message;
    the SQL narrows the sweep to those before any event is read in full."""
    return senders_with_user_intents_since(session, since, (FALLBACK_INTENT, "deny"))


def missed_since(session: Session, changed_since: float, oldest: float) -> Iterable[MissedMessage]:
    """Missed messages of every conversation with a possible miss after `changed_since`, reading each
    such conversation's events back to `oldest` (a "Nej" can come long after the question)."""
    for conversation_id in conversations_with_misses_since(session, changed_since):
        yield from missed_in_conversation(conversation_id, list(event_dicts(session, conversation_id, oldest)))
