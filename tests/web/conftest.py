"""The web channel's tests run on the gateway tests' fixtures: the stand-in Rasa, its settings and database."""
from tests.gateway.conftest import municipality, settings, with_settings

__all__ = ["municipality", "settings", "with_settings"]
