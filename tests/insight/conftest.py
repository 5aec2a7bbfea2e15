"""The console's fixtures (a gateway with the console on loopback, staff "anna" and "bo")."""
from tests.console.conftest import console_settings, gateway  # noqa: F401 - fixtures
