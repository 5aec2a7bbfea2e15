"""Real rasa_sdk Trackers built from real Rasa events, and the domain's texts rendered like Rasa does."""
from __future__ import annotations

import asyncio
from functools import lru_cache
from pathlib import Path
from typing import Any

from rasa.core.nlg.interpolator import interpolate_text
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

ROOT = Path(__file__).resolve().parents[2]
SENDER = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"
FACTS = {
    "borgerservice_phone": "70 11 22 33",
    "borgerservice_address": "Testvej 1, 9999 Testby",
    "municipality_name": "Testkommune",
}


@lru_cache(maxsize=1)
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain"))


@lru_cache(maxsize=1)
def domain_dict() -> dict[str, Any]:
    return domain().as_dict()


def user(text: str, intent: str, channel: str = "rest") -> UserUttered:
    return UserUttered(text, {"name": intent, "confidence": 0.98}, input_channel=channel)


def answered(text: str, intent: str, answer: str | None = None) -> list[Event]:
    """A question and the answer rule: the answer, then "Hjalp det?" (action_did_that_help)."""
    return [
        user(text, intent),
        ActionExecuted(answer or f"utter_{intent}"),
        BotUttered("svar"),
        ActionExecuted("action_did_that_help"),
        BotUttered("Hjalp det?"),
        ActionExecuted("action_listen"),
    ]


def session(*events: Event) -> list[Event]:
    """A conversation as Rasa stores it: the session start with the municipality's facts, then events."""
    start: list[Event] = [ActionExecuted("action_session_start"), SessionStarted()]
    start += [SlotSet(name, value) for name, value in FACTS.items()]
    return [*start, ActionExecuted("action_listen"), *events]


def tracker(events: list[Event], sender: str = SENDER) -> Tracker:
    rasa_tracker = DialogueStateTracker.from_events(sender, events, slots=domain().slots)
    return Tracker.from_dict(rasa_tracker.current_state(EventVerbosity.ALL))


def form_turn(form: str, before: list[Event], text: str, intent: str, slot: str, value: Any) -> list[Event]:
    """What Rasa sends the form's validation action after the citizen answered `slot`."""
    return [*before, user(text, intent), ActionExecuted(form), SlotSet(slot, value)]


def in_form(form: str, requested: str, *events: Event) -> list[Event]:
    return [ActionExecuted(form), ActiveLoop(form), *events, SlotSet("requested_slot", requested), ActionExecuted("action_listen")]


def run(action, events: list[Event], sender: str = SENDER) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Runs an action's `run` on a tracker built from the events; returns (messages, events)."""
    dispatcher = CollectingDispatcher()
    result = asyncio.run(action.run(dispatcher, tracker(events, sender), domain_dict()))
    return dispatcher.messages, result


def slots_of(result: list[dict[str, Any]]) -> dict[str, Any]:
    return {event["name"]: event["value"] for event in result if event.get("event") == "slot"}


def render(message: dict[str, Any], slots: dict[str, Any] | None = None) -> str:
    """The text the citizen sees for one dispatched message, filled in like Rasa's NLG does."""
    text = message.get("text") or ""
    if message.get("response"):
        variants = domain().responses[message["response"]]
        text = variants[0].get("text") or ""
    values = {**FACTS, **(slots or {}), **{k: v for k, v in message.items() if k not in ("response", "buttons")}}
    result = interpolate_text(text, values).strip()
    assert "{" not in result, f"{message.get('response')}: a placeholder was not filled in: {result}"
    return result


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The buttons the citizen sees: the response's own, then those the action added (as Rasa merges them)."""
    own = domain().responses[message["response"]][0].get("buttons", []) if message.get("response") else []
    return [*own, *(message.get("buttons") or [])]


def rendered(messages: list[dict[str, Any]]) -> str:
    return "\n".join(render(message) for message in messages)


def responses(messages: list[dict[str, Any]]) -> list[str | None]:
    return [message.get("response") for message in messages]


def with_next_slot(form: str, events: list[Event], slots: dict[str, Any]) -> dict[str, Any]:
    """Adds the slot the form asks for next. The validation action names it only when its list of
    required slots differs from the domain's; otherwise Rasa picks the first empty one, as here."""
    if "requested_slot" in slots:
        return slots
    current = tracker(events).slots
    required = domain().forms[form]["required_slots"]
    missing = [name for name in required if {**current, **slots}.get(name) is None]
    return {**slots, "requested_slot": missing[0] if missing else None}
