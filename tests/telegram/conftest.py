"""Fixtures: the fake Bot API on loopback, the stand-in Rasa's Telegram answers, and the gateway with its
Telegram channel. The stand-in and the database come from tests/support/gateway_fixtures.py."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from typing import Any, AsyncIterator, Iterator

import pytest

from bot.channels.telegram import POLLING, WEBHOOK, TelegramChannel, TelegramSettings
from bot.config import load_municipality
from bot.app import create_app
from bot.gateway import ConversationService
from bot.gateway.settings import GatewaySettings
from bot.store import Conversation, ConversationState, Database, StaffMember
from tests.support.fake_rasa import FakeRasa
from tests.support.gateway_fixtures import gateway_settings_for
from tests.support.servers import free_port, serve_in_thread
from tests.telegram.fake_bot_api import TOKEN as BOT_TOKEN
from tests.telegram.fake_bot_api import FakeBotAPI
from tests.telegram.support import Citizen, serving

LONG_ANSWER = " ".join(
    f"Trin {n}: Åbn appen, vælg indstillinger, og læs teksten om MitID grundigt igennem." for n in range(1, 63)
)
TIME_PAYLOAD = '/inform{"booking_time": "2026-11-24T10:00:00+01:00", "booking_kind": "callback"}'


class TelegramFakeRasa(FakeRasa):
    """The gateway tests' stand-in Rasa, with answers only Telegram needs: a very long one and
    buttons whose payloads do not fit in Telegram's 64-byte callback data."""

    def reply(self, text: str) -> list[dict[str, Any]]:
        if "det lange svar" in text:
            return [{"text": LONG_ANSWER}]
        if "bestille en tid" in text:
            return [{"text": "Vælg en tid:", "buttons": [{"title": "Tirsdag kl. 10.00", "payload": TIME_PAYLOAD}]}]
        if "privatliv" in text:
            return [{"text": "Vi gemmer samtalen i 30 dage.",
                     "buttons": [{"title": "Slet min samtale", "payload": "/delete_conversation"}]}]
        return super().reply(text)


@pytest.fixture
def rasa_stand_in() -> FakeRasa:
    return TelegramFakeRasa()


@pytest.fixture
def fake_api() -> Iterator[tuple[FakeBotAPI, str]]:
    fake = FakeBotAPI()
    with serve_in_thread(fake.app()) as url:
        yield fake, url


@pytest.fixture
def gateway_settings(fake_rasa, database) -> GatewaySettings:
    return gateway_settings_for(fake_rasa, database, rate_limit_messages=20)


@dataclass
class Gateway:
    url: str
    app: Any
    fake: FakeBotAPI
    rasa: FakeRasa
    db: Database
    settings: TelegramSettings

    @property
    def service(self) -> ConversationService:
        return self.app.state.service

    @property
    def channel(self) -> TelegramChannel:
        return self.app.state.telegram

    def state(self, conversation_id: str) -> ConversationState:
        with self.db.session() as session:
            return ConversationState(session.get(Conversation, conversation_id).state)

    async def wait_for_state(self, conversation_id: str, state: ConversationState, timeout: float = 10) -> None:
        await self.fake.wait_for(lambda: self.state(conversation_id) == state, timeout, f"state {state.value}")

    def citizen(self, chat_id: int, language_code: str = "da") -> Citizen:
        return Citizen(self.fake, chat_id, language_code)

    def staff_member(self, first_name: str = "Anne") -> int:
        with self.db.session() as session:
            member = StaffMember(username=first_name.lower(), first_name=first_name, password_hash="-")
            session.add(member)
            session.flush()
            return member.id


def telegram_settings(api_url: str, gateway_port: int, mode: str = WEBHOOK) -> TelegramSettings:
    return TelegramSettings(
        token=BOT_TOKEN,
        mode=mode,
        webhook_url=f"http://127.0.0.1:{gateway_port}/telegram/webhook" if mode == WEBHOOK else "",
        webhook_secret=secrets.token_urlsafe(24),
        api_url=api_url,
        max_backoff=0.5,
        poll_timeout=1,
    )


async def start_gateway(fake_api, fake_rasa, database, gateway_settings, mode: str = WEBHOOK):
    fake, api_url = fake_api
    port = free_port()
    settings = telegram_settings(api_url, port, mode)
    app = create_app(gateway_settings, municipality=load_municipality(), telegram=settings)
    return Gateway(f"http://127.0.0.1:{port}", app, fake, fake_rasa[0], database, settings), port


@pytest.fixture
async def gateway(fake_api, fake_rasa, database, gateway_settings) -> AsyncIterator[Gateway]:
    """The gateway in webhook mode, connected to the fake Bot API (which posts updates to it)."""
    gateway, port = await start_gateway(fake_api, fake_rasa, database, gateway_settings)
    async with serving(gateway.app, port):
        await gateway.fake.wait_for(lambda: gateway.fake.webhook_url, 15, "setWebhook")
        yield gateway


@pytest.fixture
async def polling_gateway(fake_api, fake_rasa, database, gateway_settings) -> AsyncIterator[Gateway]:
    gateway, port = await start_gateway(fake_api, fake_rasa, database, gateway_settings, POLLING)
    async with serving(gateway.app, port):
        await gateway.fake.wait_for(lambda: gateway.fake.calls_of("getUpdates"), 15, "getUpdates")
        yield gateway


@pytest.fixture
def with_settings(gateway_settings):
    return lambda **changes: replace(gateway_settings, **changes)
