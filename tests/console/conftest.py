from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import pytest
from starlette.applications import Starlette

from bot.config import Municipality, Settings, load_municipality
from bot.console import ConsoleSettings
from bot.gateway import create_app
from bot.gateway.settings import GatewaySettings
from bot.store import Database
from tests.console.support import create_staff
from tests.support.fake_rasa import TOKEN, FakeRasa
from tests.support.rasa_tables import create_events_table
from tests.support.servers import serve_in_thread


@dataclass
class Gateway:
    url: str
    db: Database
    rasa: FakeRasa
    app: Starlette
    municipality: Municipality


@pytest.fixture
def console_settings() -> ConsoleSettings:
    """Override in a test module to change the handoff timeout and the like."""
    return ConsoleSettings(handoff_timeout=300, tick_seconds=0.1)


@pytest.fixture
def gateway(tmp_path, console_settings) -> Iterator[Gateway]:
    fake = FakeRasa()
    db = Database(f"sqlite:///{tmp_path / 'console.db'}")
    db.upgrade()
    create_events_table(db)
    create_staff(db)
    municipality = load_municipality()
    with serve_in_thread(fake.app()) as rasa_url:
        base = Settings.from_env(
            {"DATABASE_URL": db.url, "RASA_URL": rasa_url, "RASA_TOKEN": TOKEN, "ACTION_SERVER_URL": f"{rasa_url}/webhook"}
        )
        settings = GatewaySettings(base=base, retry_interval=0.1, rasa_timeout=5)
        app = create_app(settings, municipality=municipality, db=db, console=console_settings)
        with serve_in_thread(app) as url:
            yield Gateway(url, db, fake, app, municipality)
    db.dispose()
