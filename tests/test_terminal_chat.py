"""`python -m bot shell` (bot/terminal_chat.py) against the real gateway over a websocket on loopback,
with the stand-in Rasa: a typed number presses a button of the latest message only."""
from __future__ import annotations

import asyncio

import pytest

from bot.config import load_municipality
from bot.app import create_app
from bot.terminal_chat import _talk
from tests.support.gateway_fixtures import gateway_settings_for
from tests.support.servers import serve_in_thread

TIMEOUT = 10


@pytest.fixture
def gateway(fake_rasa, database):
    settings = gateway_settings_for(fake_rasa, database)
    with serve_in_thread(create_app(settings, municipality=load_municipality())) as url:
        yield url


class ScriptedTerminal:
    """Types each line only once the screen shows what it answers, as a person at the terminal would."""

    def __init__(self, script: list[tuple[str, str | None]]) -> None:
        self.script = list(script)
        self.shown: list[str] = []
        self.changed = asyncio.Event()

    def write(self, text: str) -> None:
        self.shown.append(text)
        self.changed.set()

    async def read_line(self) -> str | None:
        wanted, typed = self.script.pop(0)

        async def until_shown() -> None:
            while not any(wanted in line for line in self.shown):
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(until_shown(), TIMEOUT)
        return typed


async def test_a_number_presses_a_button_of_the_latest_message_only(gateway, fake_rasa):
    rasa, _ = fake_rasa
    terminal = ScriptedTerminal(
        [
            ("2) Digital Post", "2"),  # the greeting's buttons: "2" presses Digital Post
            ("Du skrev: /digital_post_help", "1"),  # that answer has no buttons: "1" is just text
            ("Du skrev: 1", "mitid"),
            ("2) Nej", "2"),  # "Hjalp det?" has buttons again: "2" presses Nej
            ("Du skrev: /deny", None),
        ]
    )
    assert await _talk(gateway, terminal.read_line, terminal.write) == 0
    assert [text for _, text, _ in rasa.received] == ["/greet", "/digital_post_help", "1", "mitid", "/deny"]
    assert "  1) MitID" in terminal.shown and "\nChatbot: Du skrev: 1" in terminal.shown
