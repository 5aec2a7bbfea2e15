"""Fixtures for tests that run the gateway against a stand-in Rasa and a real SQLite file.

Registered for the whole suite from tests/conftest.py. A folder that needs other answers from the
stand-in overrides `rasa_stand_in`; each folder builds its own settings with `gateway_settings_for`.
"""
from __future__ import annotations

from typing import Any, Iterator

import pytest

from bot.config import Settings
from bot.gateway.settings import GatewaySettings
from bot.store import Database
from tests.support.databases import migrated_sqlite
from tests.support.fake_rasa import TOKEN, FakeRasa
from tests.support.rasa_tables import create_events_table
from tests.support.servers import serve_in_thread


@pytest.fixture
def rasa_stand_in() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
def fake_rasa(rasa_stand_in) -> Iterator[tuple[FakeRasa, str]]:
    """The stand-in Rasa served on loopback, and its URL."""
    with serve_in_thread(rasa_stand_in.app()) as url:
        yield rasa_stand_in, url


@pytest.fixture
def database(tmp_path) -> Iterator[Database]:
    """The gateway's database, migrated, with the table Rasa's tracker store would have made."""
    db = migrated_sqlite(tmp_path / "gateway.db")
    create_events_table(db)
    yield db
    db.dispose()


def gateway_settings_for(
    fake_rasa: tuple[FakeRasa, str], database: Database, environment: dict[str, str] | None = None, **changes: Any
) -> GatewaySettings:
    """Settings that point the gateway at the stand-in and the database; retries and timeouts short."""
    _, rasa_url = fake_rasa
    base = Settings.from_env(
        {
            "DATABASE_URL": database.url,
            "RASA_URL": rasa_url,
            "RASA_TOKEN": TOKEN,
            "ACTION_SERVER_URL": f"{rasa_url}/webhook",
            **(environment or {}),
        }
    )
    return GatewaySettings(base=base, **{"rate_limit_seconds": 10, "retry_interval": 0.1, "rasa_timeout": 5, **changes})
