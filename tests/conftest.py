"""Fixtures shared by the whole suite: a Rasa model trained once per test session, the running stack,
and (from tests/support/gateway_fixtures.py) a stand-in Rasa with the gateway's database."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.training import train

PROJECT_ROOT = Path(__file__).resolve().parents[1]

# The stand-in Rasa and the database for the gateway and Telegram tests.
pytest_plugins = ["tests.support.gateway_fixtures"]


# The slow kinds, each marked by what a test uses, so a new test gets its marker without anyone
# remembering to add it; `make test-fast` leaves them out, `make test` runs them all.
def _slow_kinds(item: pytest.Item) -> set[str]:
    fixtures = set(getattr(item, "fixturenames", ()))
    path = Path(str(item.fspath)).resolve()
    kinds = set()
    if "trained_model" in fixtures:
        kinds.add("model")
    if "live_stack" in fixtures or "full_stack" in path.stem:
        kinds.add("full_stack")
    if path.is_relative_to(PROJECT_ROOT / "tests" / "browser") or {"browser", "page"} & fixtures:
        kinds.add("browser")
    if "two_replicas" in fixtures:
        kinds.add("scaleout")
    return kinds


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for kind in sorted(_slow_kinds(item)):
            item.add_marker(kind)


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory) -> Path:
    """A real model trained from this checkout's data, domain and config, once per session.

    BORGERHJAELP_TEST_MODEL may name an already trained model to save minutes while developing;
    CI never sets it, so every CI run trains its own.
    """
    reuse = os.environ.get("BORGERHJAELP_TEST_MODEL")
    if reuse:
        return Path(reuse)
    model, _seconds = train(tmp_path_factory.mktemp("model"), cache_dir=tmp_path_factory.mktemp("rasa_cache"))
    return model


@pytest.fixture(scope="session")
def live_stack(trained_model, tmp_path_factory):
    """Rasa with the trained model, the action server and the gateway, as `make run` starts them."""
    from bot.devstack import running_stack

    with running_stack(trained_model, tmp_path_factory.mktemp("live_stack")) as stack:
        yield stack
