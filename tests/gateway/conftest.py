"""Fixtures: the gateway's settings for these tests. The stand-in Rasa and the database come from
tests/support/gateway_fixtures.py."""
from __future__ import annotations

from dataclasses import replace

import pytest

from bot.config import load_municipality
from bot.gateway.settings import GatewaySettings
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
