"""Rasa's SQL tracker store, configured by the same DATABASE_URL as the rest of Borgerhjælp, and fast.

Rasa's own SQLTrackerStore wants the URL's parts one by one in endpoints.yml; taking the one URL
keeps a single setting for the whole installation (SQLite by default, PostgreSQL in production).

Rasa's store also reloads and replays a conversation's whole session from the database on every
message, and counts the stored events again before each save: for a conversation of some length
that is most of a reply's time (see README, "Benchmarks"). This store keeps the trackers it served
last in memory and trusts one only while the database agrees: the newest stored event id of the
conversation must still be the one this process wrote or read, and the tracker must hold no event
that was not saved. Another Rasa worker or replica that wrote to the conversation, a gateway that
deleted it, or a turn that failed half way each make that check fail, and the tracker is loaded
from the database as before. So the database stays the truth, and a single process skips the
reload and the replay.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from bot.config import ConfigError, env_number
from bot.store.db import database_url_from_env, make_engine

DEFAULT_CACHED_TRACKERS = 500


@dataclass
class _Remembered:
    tracker: DialogueStateTracker
    saved_events: int  # how many of tracker.events are in the database
    newest_event_id: int | None  # the conversation's newest row in `events` when we last looked


class RecentTrackers:
    """The trackers served last, at most `capacity`, the least recently used dropped first."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[str, _Remembered] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, sender_id: str) -> _Remembered | None:
        entry = self._entries.get(sender_id)
        if entry is not None:
            self._entries.move_to_end(sender_id)
        return entry

    def remember(self, tracker: DialogueStateTracker, newest_event_id: int | None) -> None:
        if self.capacity <= 0:
            return
        self._entries[tracker.sender_id] = _Remembered(tracker, len(tracker.events), newest_event_id)
        self._entries.move_to_end(tracker.sender_id)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def forget(self, sender_id: str) -> None:
        self._entries.pop(sender_id, None)


class DatabaseUrlTrackerStore(SQLTrackerStore):
    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,
        event_broker: EventBroker | None = None,
        url: str | None = None,
        cached_trackers: int | None = None,
        **kwargs: Any,
    ) -> None:
        url = url or database_url_from_env()
        parsed = make_url(url)
        if parsed.drivername.startswith("sqlite") and parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        super().__init__(
            domain=domain,
            dialect=parsed.drivername,
            host=parsed.host,
            port=parsed.port,
            db=parsed.database or "",
            username=parsed.username,
            password=parsed.password,
            event_broker=event_broker,
            query=dict(parsed.query) or None,
        )
        if parsed.drivername.startswith("sqlite"):
            # Rasa's engine opens a new SQLite connection for every session (SQLAlchemy 1.4's NullPool),
            # two or more a message; the project's engine keeps them open, with the same pragmas as the
            # gateway's (secure delete, WAL, waiting for locks).
            self.engine.dispose()  # type: ignore[has-type]  # Rasa sets it without a type
            self.engine = make_engine(url)
            self.sessionmaker = sessionmaker(bind=self.engine)
        if cached_trackers is None:
            cached_trackers = cached_trackers_from_env(os.environ)
        self.recent = RecentTrackers(cached_trackers)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The latest session's tracker: from memory while the database agrees, else from the database."""
        newest = await asyncio.to_thread(self._newest_event_id, sender_id)
        remembered = self.recent.get(sender_id)
        if (
            remembered is not None
            and remembered.newest_event_id == newest
            and remembered.saved_events == len(remembered.tracker.events)
        ):
            return remembered.tracker
        self.recent.forget(sender_id)
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            self.recent.remember(tracker, newest)
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        remembered = self.recent.get(tracker.sender_id)
        if remembered is None or remembered.tracker is not tracker:
            # Not one this process served: Rasa's own way finds what is new by counting stored events.
            # Its events may reach back before the session's start, which a reload would not serve, so it
            # is not remembered: the next turn loads it from the database and is remembered from then on.
            await super().save(tracker)
            return
        await self.stream_events(tracker)
        new_events = list(itertools.islice(tracker.events, remembered.saved_events, None))
        newest = await asyncio.to_thread(self._insert, tracker.sender_id, new_events)
        if any(isinstance(event, SessionStarted) for event in new_events):
            # A reload serves only the new session; the next turn reloads so that memory says the same.
            self.recent.forget(tracker.sender_id)
        else:
            self.recent.remember(tracker, newest if newest is not None else remembered.newest_event_id)

    def _newest_event_id(self, sender_id: str) -> int | None:
        with self.session_scope() as session:
            return session.execute(
                sa.select(sa.func.max(self.SQLEvent.id)).where(self.SQLEvent.sender_id == sender_id)
            ).scalar()

    def _insert(self, sender_id: str, events: list) -> int | None:
        """Stores the events in one transaction; returns the id of the last one stored."""
        rows = []
        with self.session_scope() as session:
            for event in events:
                data = event.as_dict()
                row = self.SQLEvent(
                    sender_id=sender_id,
                    type_name=event.type_name,
                    timestamp=data.get("timestamp"),
                    intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                    action_name=data.get("name"),
                    data=json.dumps(data),
                )
                session.add(row)
                rows.append(row)
            session.flush()
            newest = rows[-1].id if rows else None
            session.commit()
            return newest


def cached_trackers_from_env(env: Mapping[str, str]) -> int:
    """TRACKER_CACHE_SIZE: how many trackers one Rasa process keeps in memory (0: none)."""
    value = env_number(env, "TRACKER_CACHE_SIZE", DEFAULT_CACHED_TRACKERS, minimum=0)
    if value != int(value):
        raise ConfigError(f"environment: TRACKER_CACHE_SIZE must be a whole number, got {value}")
    return int(value)
