"""The outbox is kept in the database: what was queued survives a restart, Telegram's retry_after is
waited out, a message that cannot be sent is given up after a bounded time with a note staff see,
and several gateway replicas share one outbox without sending a message twice or out of order."""
from __future__ import annotations

import asyncio

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select
from telegram import Bot

from bot.channels.telegram.outbox import Outbox
from bot.channels.telegram.replies import plain_message
from bot.store import Base, Database
from bot.store.migrate import alembic_config
from bot.store.models import ConversationNote
from tests.support.postgres import fresh_postgres_database
from tests.telegram.conftest import start_gateway
from tests.telegram.fake_bot_api import TOKEN
from tests.telegram.support import eventually, serving

CHAT = 6161


async def conversation_of(gateway):
    return await gateway.service.latest_for_user("telegram", str(CHAT))


def notes(db: Database, conversation_id: str) -> list[str]:
    with db.session() as session:
        query = select(ConversationNote.text).where(ConversationNote.conversation_id == conversation_id)
        return list(session.scalars(query))


async def test_an_answer_queued_when_the_gateway_stopped_is_sent_after_the_restart(
    fake_api, fake_rasa, database, gateway_settings
):
    fake, _ = fake_api
    gateway, port = await start_gateway(fake_api, fake_rasa, database, gateway_settings)
    async with serving(gateway.app, port):
        await fake.wait_for(lambda: fake.webhook_url, 15, "setWebhook")
        fake.fail_network("sendMessage", times=10_000, chat_id=CHAT)  # Telegram cannot be reached for this chat
        await gateway.citizen(CHAT).send("Hvad med MitID?")
        await fake.wait_for(lambda: fake.calls_of("sendMessage"), 15, "a first try")
    assert fake.texts(CHAT) == []
    fake.heal()
    again, port = await start_gateway(fake_api, fake_rasa, database, gateway_settings)
    async with serving(again.app, port):
        await again.citizen(CHAT).expect("Hjalp det?", timeout=15)
    assert fake.texts(CHAT) == ["Sådan får du en ny adgangskode til MitID: gå til MitID.dk.", "Hjalp det?"]


async def test_a_message_telegram_never_takes_is_given_up_in_time_with_a_note_for_staff(
    fake_api, fake_rasa, database, gateway_settings, caplog
):
    fake, api_url = fake_api
    gateway, port = await start_gateway(fake_api, fake_rasa, database, gateway_settings)
    gateway.channel.outbox.give_up_after = 2.0
    async with serving(gateway.app, port):
        await fake.wait_for(lambda: fake.webhook_url, 15, "setWebhook")
        fake.fail_network("sendMessage", times=10_000, chat_id=CHAT)
        await gateway.citizen(CHAT).send("Hvad med MitID?")
        conversation = await eventually(lambda: conversation_of(gateway), what="the conversation")
        gave_up = await eventually(lambda: notes(database, conversation.id), 10, "a note for staff")
        assert "kunne ikke sendes til borgeren" in gave_up[0] and "MitID.dk" in gave_up[0]
        assert "gave up a message" in caplog.text
        await eventually(lambda: len(notes(database, conversation.id)) == 2, 10, "both answers given up")
        fake.heal()
        before = len(fake.calls_of("sendMessage"))
        await asyncio.sleep(1.5)
        assert len(fake.calls_of("sendMessage")) == before, "a given-up message is not tried again"


async def test_a_message_telegram_refuses_outright_is_given_up_at_once_and_the_next_one_goes(
    fake_api, fake_rasa, database, gateway_settings
):
    fake, _ = fake_api
    gateway, port = await start_gateway(fake_api, fake_rasa, database, gateway_settings)
    async with serving(gateway.app, port):
        await fake.wait_for(lambda: fake.webhook_url, 15, "setWebhook")
        fake.fail("sendMessage", 400, "Bad Request: message is too long", chat_id=CHAT)
        await gateway.citizen(CHAT).send("Hvad med MitID?")
        await gateway.citizen(CHAT).expect("Hjalp det?")
        conversation = await conversation_of(gateway)
        assert len(notes(database, conversation.id)) == 1
        assert "message is too long" in notes(database, conversation.id)[0].lower()


async def test_a_flood_limit_is_waited_out_even_by_a_gateway_started_meanwhile(
    fake_api, fake_rasa, database, gateway_settings
):
    fake, _ = fake_api
    gateway, port = await start_gateway(fake_api, fake_rasa, database, gateway_settings)
    async with serving(gateway.app, port):
        await fake.wait_for(lambda: fake.webhook_url, 15, "setWebhook")
        fake.fail_with_flood_limit("sendMessage", retry_after=7, chat_id=CHAT)
        await gateway.citizen(CHAT).send("Hvad med MitID?")
        await fake.wait_for(lambda: fake.calls_of("sendMessage"), 15, "a first try")
    again, port = await start_gateway(fake_api, fake_rasa, database, gateway_settings)
    async with serving(again.app, port):
        await again.citizen(CHAT).expect("Hjalp det?", timeout=15)
    refused, retried = fake.calls_of("sendMessage")[:2]
    assert refused.status == 429 and retried.status == 200
    assert retried.at - refused.at >= 7.0


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_database(request, tmp_path):
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'outbox.db'}")
        db.upgrade()
        yield db
        db.dispose()
        return
    with fresh_postgres_database("borgerhjaelp_outbox") as url:
        db = Database(url)
        db.upgrade()
        yield db
        db.dispose()


async def test_two_replicas_share_the_outbox_each_message_once_and_in_order(fake_api, shared_database):
    fake, api_url = fake_api
    blocked = []

    async def on_blocked(chat_id: int) -> None:
        blocked.append(chat_id)

    bots = [Bot(TOKEN, base_url=f"{api_url}/bot") for _ in range(2)]
    outboxes = [Outbox(bot, shared_database, on_blocked=on_blocked, poll_interval=0.1, max_chats=2) for bot in bots]
    chats = [7001, 7002, 7003]
    for number in range(10):
        for chat_id in chats:
            await outboxes[number % 2].put(chat_id, plain_message(f"Besked {number}"))
    fake.fail_network("sendMessage", times=3, chat_id=7002)
    fake.fail_with_flood_limit("sendMessage", retry_after=1, chat_id=7003)
    try:
        for outbox in outboxes:
            outbox.open()
        await eventually(lambda: all(len(fake.texts(chat_id)) >= 10 for chat_id in chats), 30, "every message")
        await asyncio.sleep(0.5)
    finally:
        for outbox in outboxes:
            await outbox.close()
    for chat_id in chats:
        assert fake.texts(chat_id) == [f"Besked {number}" for number in range(10)]
    assert await outboxes[0].pending() == 0 and not blocked


def test_migration_0007_makes_the_outbox_as_the_model_has_it_and_takes_it_away(shared_database):
    tables = {"telegram_outbox", "telegram_sent"}
    with shared_database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in differences if any(table in repr(d) for table in tables)] == []
    config = alembic_config(shared_database.url)
    command.downgrade(config, "0006_inbox_models")
    assert not tables & set(inspect(shared_database.engine).get_table_names())
    command.upgrade(config, "head")
    assert tables <= set(inspect(shared_database.engine).get_table_names())


async def test_a_flood_limit_reaching_past_the_bound_is_still_waited_out_not_given_up_early(
    fake_api, fake_rasa, database, gateway_settings
):
    fake, _ = fake_api
    gateway, port = await start_gateway(fake_api, fake_rasa, database, gateway_settings)
    gateway.channel.outbox.give_up_after = 2.0
    async with serving(gateway.app, port):
        await fake.wait_for(lambda: fake.webhook_url, 15, "setWebhook")
        fake.fail_with_flood_limit("sendMessage", retry_after=3, chat_id=CHAT)
        await gateway.citizen(CHAT).send("Hvad med MitID?")
        await gateway.citizen(CHAT).expect("Hjalp det?", timeout=15)
        conversation = await conversation_of(gateway)
        assert fake.texts(CHAT)[0].startswith("Sådan får du") and notes(database, conversation.id) == []


async def test_however_much_is_queued_one_replica_sends_to_a_bounded_number_of_chats_at_once(fake_api, database):
    fake, api_url = fake_api

    async def on_blocked(chat_id: int) -> None:
        raise AssertionError(chat_id)

    bot = Bot(TOKEN, base_url=f"{api_url}/bot")
    outbox = Outbox(bot, database, on_blocked=on_blocked, poll_interval=0.05, max_chats=4)
    chats = range(9000, 9060)
    for chat_id in chats:
        await outbox.put(chat_id, plain_message("Hej"))
    most = 0

    async def watch() -> None:
        nonlocal most
        while True:
            most = max(most, outbox.sending())
            await asyncio.sleep(0.005)

    watcher = asyncio.create_task(watch())
    outbox.open()
    try:
        await eventually(lambda: all(fake.texts(chat_id) == ["Hej"] for chat_id in chats), 30, "every chat")
    finally:
        watcher.cancel()
        await outbox.close()
    assert 1 < most <= 4


async def test_a_message_queued_while_the_gateway_stops_is_kept_for_the_next_start(fake_api, database):
    fake, api_url = fake_api

    async def on_blocked(chat_id: int) -> None:
        raise AssertionError(chat_id)

    stopping = Outbox(Bot(TOKEN, base_url=f"{api_url}/bot"), database, on_blocked=on_blocked, poll_interval=0.05)
    stopping.open()
    await stopping.close()
    await stopping.put(CHAT, plain_message("Sagt lige før stop"))
    assert await stopping.pending() == 1
    started = Outbox(Bot(TOKEN, base_url=f"{api_url}/bot"), database, on_blocked=on_blocked, poll_interval=0.05)
    started.open()
    try:
        await eventually(lambda: fake.texts(CHAT) == ["Sagt lige før stop"], 10, "the message")
    finally:
        await started.close()
