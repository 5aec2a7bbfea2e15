"""Fixtures: the gateway's settings for these tests. The stand-in Rasa and the database come from
tests/support/gateway_fixtures.py."""
from __future__ import annotations

from dataclasses import replace

import pytest

from bot.config import load_municipality
from bot.gateway import AssistantRelay, ConversationService, RasaClient
from bot.gateway.settings import GatewaySettings
from bot.store import StaffMember
from tests.support.fake_rasa import TOKEN
from tests.support.gateway_fixtures import gateway_settings_for


@pytest.fixture
def municipality():
    return load_municipality()


@pytest.fixture
def settings(fake_rasa, database) -> GatewaySettings:
    environment = {"ALLOWED_ORIGINS": "https://www.eksempel-kommune.example"}
    return gateway_settings_for(fake_rasa, database, environment, rate_limit_messages=5)


@pytest.fixture
def with_settings(settings):
    """Change a setting for one test: `with_settings(max_message_length=20)`."""
    return lambda **changes: replace(settings, **changes)


@pytest.fixture
async def rasa(fake_rasa):
    _, url = fake_rasa
    client = RasaClient(url, TOKEN, timeout=5, action_server_health_url=f"{url}/health")
    yield client
    await client.close()


@pytest.fixture
def service(database, municipality):
    """The conversation service on its own; with `assistant`, Rasa's answers come too."""
    return ConversationService(database, municipality, max_message_length=200)


@pytest.fixture
async def assistant(service, rasa):
    relay = AssistantRelay(service, rasa)
    yield relay
    await relay.shutdown()


@pytest.fixture
def staff(database) -> tuple[int, int]:
    with database.session() as session:
        members = [StaffMember(username=name.lower(), first_name=name, password_hash="x") for name in ("Anne", "Bo")]
        session.add_all(members)
        session.flush()
        return members[0].id, members[1].id
