"""Rasa's SQL tracker store, configured by the same DATABASE_URL as the rest of Borgerhjælp.

Rasa's own SQLTrackerStore wants the URL's parts one by one in endpoints.yml; taking the one URL
keeps a single setting for the whole installation (SQLite by default, PostgreSQL in production).
"""
from __future__ import annotations

from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from sqlalchemy.engine import make_url

from bot.store.db import database_url_from_env


class DatabaseUrlTrackerStore(SQLTrackerStore):
    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,
        event_broker: EventBroker | None = None,
        url: str | None = None,
        **kwargs: Any,
    ) -> None:
        parsed = make_url(url or database_url_from_env())
        if parsed.drivername.startswith("sqlite") and parsed.database:
            from pathlib import Path

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
