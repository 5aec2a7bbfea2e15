"""Rasa's SQLTrackerStore table, as Rasa 3.6 creates it, for tests that run without Rasa."""
from __future__ import annotations

import json
import time

from sqlalchemy import text

from bot.store import Database

EVENTS_DDL = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    sender_id VARCHAR(255) NOT NULL,
    type_name VARCHAR(255) NOT NULL,
    timestamp FLOAT,
    intent_name VARCHAR(255),
    action_name VARCHAR(255),
    data TEXT
)
"""


def create_events_table(db: Database) -> None:
    with db.session() as session:
        session.execute(text(EVENTS_DDL))


def add_tracker_event(db: Database, sender_id: str, timestamp: float | None = None) -> None:
    with db.session() as session:
        session.execute(
            text("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (:s, 'user', :t, '{}')"),
            {"s": sender_id, "t": time.time() if timestamp is None else timestamp},
        )


def tracker_event_count(db: Database, sender_id: str) -> int:
    with db.session() as session:
        return session.execute(text("SELECT COUNT(*) FROM events WHERE sender_id = :s"), {"s": sender_id}).scalar_one()


def set_language_slot(db: Database, conversation_id: str, value: str) -> None:
    """The assistant's choice of language, as Rasa's SQLTrackerStore writes a SlotSet event."""
    data = json.dumps({"event": "slot", "timestamp": 1.0, "name": "language", "value": value})
    with db.session() as session:
        session.execute(
            text(
                "INSERT INTO events (id, sender_id, type_name, timestamp, data) "
                "SELECT COALESCE(MAX(id), 0) + 1, :s, 'slot', 1.0, :d FROM events"
            ),
            {"s": conversation_id, "d": data},
        )
