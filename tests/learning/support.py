"""Rasa's tracker events as Rasa 3.6's SQLTrackerStore writes them, for the inbox tests without Rasa."""
from __future__ import annotations

import itertools
import json
import time

from sqlalchemy import text

from bot.store import Database

_clock = itertools.count()


def create_events_table(db: Database) -> None:
    key = "SERIAL PRIMARY KEY" if db.url.startswith("postgresql") else "INTEGER PRIMARY KEY"
    with db.session() as session:
        session.execute(
            text(
                f"CREATE TABLE IF NOT EXISTS events (id {key}, sender_id VARCHAR(255) NOT NULL, "
                "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
                "action_name VARCHAR(255), data TEXT)"
            )
        )


class Tracker:
    """One conversation's tracker: add citizen messages, actions and slots as Rasa would."""

    def __init__(self, db: Database, sender_id: str, start: float | None = None) -> None:
        self.db, self.sender_id = db, sender_id
        self.now = start if start is not None else time.time()

    def _add(self, event: dict, intent: str | None = None, action: str | None = None) -> None:
        self.now += 1.0 + next(_clock) * 1e-6
        event = {**event, "timestamp": self.now}
        with self.db.session() as session:
            session.execute(
                text(
                    "INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data) "
                    "VALUES (:s, :t, :ts, :i, :a, :d)"
                ),
                {"s": self.sender_id, "t": event["event"], "ts": self.now, "i": intent, "a": action, "d": json.dumps(event)},
            )

    def user(self, words: str, intent: str, ranking: list[tuple[str, float]] | None = None) -> Tracker:
        ranking = ranking or [(intent, 0.9)]
        parse_data = {
            "text": words,
            "intent": {"name": intent, "confidence": ranking[0][1]},
            "intent_ranking": [{"name": name, "confidence": confidence} for name, confidence in ranking],
        }
        self._add({"event": "user", "text": words, "parse_data": parse_data}, intent=intent)
        return self

    def not_understood(self, words: str, ranking: list[tuple[str, float]] | None = None) -> Tracker:
        """Words read as nlu_fallback and answered with the fallback (data/rules/fallback.yml)."""
        return self.user(words, "nlu_fallback", ranking or [("nlu_fallback", 0.6)]).action("action_handle_fallback")

    def action(self, name: str) -> Tracker:
        self._add({"event": "action", "name": name}, action=name)
        return self

    def slot(self, name: str, value) -> Tracker:
        self._add({"event": "slot", "name": name, "value": value})
        return self
