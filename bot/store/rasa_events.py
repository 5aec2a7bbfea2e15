"""What Rasa understood, read from its tracker store: the `events` table in the gateway's database.

Rasa's SQLTrackerStore writes one row per event (sender_id = the gateway's conversation id,
type_name "user" / "action" / "slot" / ..., the intent or action name in their own columns, the
whole event as JSON in `data`). This is the project's one reader of that table: the statistics
(citizen turns: what each message was understood as, what the assistant did before and after it),
the inbox of missed messages (each conversation's events as Rasa's dicts) and the console's
language display (a slot's latest value) all read it here. Rasa writes; nothing here writes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

# The statistics read through a Core connection, the inbox and the console inside an ORM session.
Reader: TypeAlias = Connection | Session

EVENTS_TABLE = "events"
# The bot's own bookkeeping between turns: not something the citizen saw it do.
QUIET_ACTIONS = frozenset({"action_listen", "action_session_start", "action_unlikely_intent"})
FALLBACK_INTENT = "nlu_fallback"
# What the assistant runs when it did not understand (data/rules/fallback.yml). Inside a form an
# "nlu_fallback" message is often the form's answer (a phone number, a name), so the intent alone
# does not say the citizen was not understood; the fallback action does.
FALLBACK_ACTIONS = frozenset({"action_handle_fallback", "action_default_fallback", "action_two_stage_fallback"})

events = Table(
    EVENTS_TABLE,
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


@dataclass
class CitizenTurn:
    """One message of the citizen as Rasa read it."""

    intent: str | None
    timestamp: float | None
    # Filled only when read `with_details` (parsing each event's JSON costs time):
    text: str | None = None
    confidence: float | None = None
    ranking: tuple[tuple[str, float], ...] = ()
    # The assistant's actions right before this message (e.g. "utter_did_that_help") and after it.
    actions_before: tuple[str, ...] = ()
    actions_after: list[str] = field(default_factory=list)

    @property
    def not_understood(self) -> bool:
        """The assistant answered this message with its fallback ("Mente du ...?", or an offer of a person)."""
        return is_fallback(self.actions_after)


@dataclass
class Tracker:
    """One conversation's citizen turns, and every value each slot was set to, in order."""

    sender_id: str
    turns: list[CitizenTurn] = field(default_factory=list)
    slots: dict[str, list[Any]] = field(default_factory=dict)

    def slot(self, name: str, default: Any = None) -> Any:
        """The slot's latest value."""
        values = self.slots.get(name)
        return values[-1] if values else default


def has_events_table(connection: Reader) -> bool:
    bind = connection.connection() if isinstance(connection, Session) else connection
    return inspect(bind).has_table(EVENTS_TABLE)


def is_fallback(actions_after: Iterable[str]) -> bool:
    """Whether the assistant answered a message with its fallback: inside a form an "nlu_fallback"
    message is often the form's answer (a name, a phone number), so the intent alone does not say
    the citizen was not understood; the fallback action does."""
    return any(action in FALLBACK_ACTIONS for action in actions_after)


def read_trackers(
    connection: Connection, senders: Iterable[str] | Select, *, with_details: bool = False
) -> dict[str, Tracker]:
    """The trackers of these conversations (a list of ids, or a SELECT of ids), by conversation id.

    Conversations without events are left out; so is everything when Rasa never created its table."""
    if not has_events_table(connection):
        return {}
    trackers: dict[str, Tracker] = {}
    if isinstance(senders, Select):
        _read(connection, events.c.sender_id.in_(senders), trackers, with_details)
    else:
        ids = list(senders)
        for start in range(0, len(ids), 500):
            _read(connection, events.c.sender_id.in_(ids[start : start + 500]), trackers, with_details)
    return trackers


def _read(connection: Connection, condition: Any, trackers: dict[str, Tracker], with_details: bool) -> None:
    # Slot events name their slot only in the JSON; user events' JSON is wanted only for details.
    query = (
        select(
            events.c.sender_id,
            events.c.type_name,
            events.c.timestamp,
            events.c.intent_name,
            events.c.action_name,
            events.c.data,
        )
        .where(condition, events.c.type_name.in_(("user", "action", "slot", "session_started", "restart")))
        .order_by(events.c.sender_id, events.c.id)
    )
    pending_actions: dict[str, list[str]] = {}
    for sender_id, type_name, timestamp, intent, action, data in connection.execute(query):
        tracker = trackers.get(sender_id)
        if tracker is None:
            tracker = trackers[sender_id] = Tracker(sender_id)
        actions = pending_actions.setdefault(sender_id, [])
        if type_name == "user":
            turn = CitizenTurn(intent=intent, timestamp=timestamp, actions_before=tuple(actions))
            if with_details:
                _add_details(turn, data)
            tracker.turns.append(turn)
            actions.clear()
        elif type_name == "action":
            if action and action not in QUIET_ACTIONS:
                actions.append(action)
                if tracker.turns:
                    tracker.turns[-1].actions_after.append(action)
        elif type_name == "slot":
            event = event_json(data)
            if event.get("name"):
                tracker.slots.setdefault(str(event["name"]), []).append(event.get("value"))
        else:
            # A new session: what the bot did in the last one is not "right before" the next message.
            actions.clear()


def _add_details(turn: CitizenTurn, data: str | None) -> None:
    event = event_json(data)
    parse = event.get("parse_data") or {}
    turn.text = event.get("text")
    turn.confidence = (parse.get("intent") or {}).get("confidence")
    turn.ranking = tuple(
        (str(entry.get("name")), float(entry.get("confidence") or 0.0)) for entry in parse.get("intent_ranking") or []
    )


def event_json(data: str | None) -> dict[str, Any]:
    try:
        value = json.loads(data or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def iter_turns(trackers: dict[str, Tracker]) -> Iterator[tuple[str, CitizenTurn]]:
    for sender_id, tracker in trackers.items():
        for turn in tracker.turns:
            yield sender_id, turn


def senders_with_user_intents_since(connection: Reader, since: float, intents: Iterable[str]) -> list[str]:
    """Conversations where the citizen wrote something read as one of `intents` at or after `since`
    (epoch seconds): the cheap first cut before any event's JSON is read."""
    if not has_events_table(connection):
        return []
    query = (
        select(events.c.sender_id)
        .where(events.c.type_name == "user", events.c.timestamp >= since, events.c.intent_name.in_(list(intents)))
        .distinct()
    )
    return [row[0] for row in connection.execute(query)]


def event_dicts(connection: Reader, sender_id: str, since: float) -> Iterator[dict[str, Any]]:
    """One conversation's events from `since` on, oldest first, as Rasa's own event dicts."""
    query = (
        select(events.c.data)
        .where(events.c.sender_id == sender_id, events.c.timestamp >= since)
        .order_by(events.c.id)
    )
    for (data,) in connection.execute(query):
        event = event_json(data)
        if event:
            yield event


def latest_slot_values(session: Session, sender_ids: Iterable[str], slot: str) -> dict[str, Any]:
    """Each conversation's latest value of `slot`; conversations that never set it are left out,
    and so is everything before Rasa first started and made its table."""
    ids = list(sender_ids)
    if not ids:
        return {}
    # Rasa writes each event with json.dumps' default separators, so the slot's name can be matched
    # in SQL and only its own events are parsed.
    named = f'%"name": {json.dumps(slot)}%'
    query = (
        select(events.c.sender_id, events.c.data)
        .where(events.c.type_name == "slot", events.c.sender_id.in_(ids), events.c.data.like(named))
        .order_by(events.c.id)
    )
    try:
        with session.begin_nested():
            rows = session.execute(query).all()
    except DBAPIError:
        return {}
    latest: dict[str, Any] = {}
    for sender_id, data in rows:
        event = event_json(data)
        if event.get("name") == slot:
            latest[sender_id] = event.get("value")
    return latest
