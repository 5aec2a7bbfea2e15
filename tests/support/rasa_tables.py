"""Rasa's SQLTrackerStore table, as Rasa 3.6 creates it, for tests that run without Rasa."""
from __future__ import annotations

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
