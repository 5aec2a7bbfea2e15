from __future__ import annotations

from typing import Iterator

import pytest

from bot.console import ConsoleSettings
from tests.console.support import Gateway, running_gateway


@pytest.fixture
def console_settings() -> ConsoleSettings:
    """Override in a test module to change the handoff timeout and the like."""
    return ConsoleSettings(handoff_timeout=300, tick_seconds=0.1)


@pytest.fixture
def gateway(tmp_path, console_settings) -> Iterator[Gateway]:
    with running_gateway(tmp_path, console_settings) as running:
        yield running
