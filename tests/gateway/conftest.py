from __future__ import annotations

from dataclasses import replace
from typing import Iterator

import pytest

from bot.config import Settings, load_municipality
from bot.gateway.settings import GatewaySettings
from bot.store import Database
from tests.support.fake_rasa import TOKEN, FakeRasa
from tests.support.rasa_tables import create_events_table
from tests.support.servers import serve_in_thread


@pytest.fixture
def fake_rasa() -> Iterator[tuple[FakeRasa, str]]:
    fake = FakeRasa()
    with serve_in_thread(fake.app()) as url:
        yield fake, url


@pytest.fixture
def database(tmp_path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'gateway.db'}")
    db.upgrade()
    create_events_table(db)
    yield db
    db.dispose()


@pytest.fixture
def municipality():
    return load_municipality()


@pytest.fixture
def settings(fake_rasa, database) -> GatewaySettings:
    _, rasa_url = fake_rasa
    base = Settings.from_env(
        {
            "DATABASE_URL": database.url,
            "RASA_URL": rasa_url,
            "RASA_TOKEN": TOKEN,
            "ACTION_SERVER_URL": f"{rasa_url}/webhook",
            "ALLOWED_ORIGINS": "https://www.eksempel-kommune.example",
        }
    )
    return GatewaySettings(base=base, rate_limit_messages=5, rate_limit_seconds=10, retry_interval=0.1, rasa_timeout=5)


@pytest.fixture
def with_settings(settings):
    """Change a setting for one test: `with_settings(max_message_length=20)`."""
    return lambda **changes: replace(settings, **changes)


