"""The web channel's tests run on the gateway tests' fixtures: the stand-in Rasa, its settings and database;
`gateway` serves the whole gateway on loopback with those settings."""
import pytest

from bot.app import create_app
from tests.gateway.conftest import municipality, settings, with_settings
from tests.support.servers import serve_in_thread

__all__ = ["municipality", "settings", "with_settings"]


@pytest.fixture
def gateway(settings, municipality):
    with serve_in_thread(create_app(settings, municipality=municipality)) as url:
        yield url
