"""When Telegram or the network fails: flood limits, network errors, a citizen who blocked the bot,
an update that could not be handled. Nothing the assistant or staff write is lost or reordered."""
from __future__ import annotations

import asyncio

import httpx

from bot.channels.telegram import SECRET_HEADER, texts
from bot.store import ConversationState, Message, Sender
from tests.support.servers import free_port, serve_in_thread
from tests.telegram.conftest import start_gateway
from tests.telegram.fake_bot_api import FakeBotAPI, blocked_update, text_update
from tests.telegram.support import eventually, serving

CHAT = 5151


async def conversation_of(gateway, chat_id: int = CHAT):
    return await gateway.service.latest_for_user("telegram", str(chat_id))


def sends(gateway) -> list:
    return gateway.fake.calls_of("sendMessage")


async def test_a_flood_limit_is_waited_out_for_exactly_retry_after_and_order_is_kept(gateway):
    citizen = gateway.citizen(CHAT)
    gateway.fake.fail_with_flood_limit("sendMessage", retry_after=2, chat_id=CHAT)
    await citizen.send("Jeg har glemt min adgangskode til MitID")
    await citizen.expect("Hjalp det?", timeout=15)
    calls = sends(gateway)
    refused, retried = calls[0], calls[1]
    assert refused.status == 429 and retried.status == 200
    assert retried.at - refused.at >= 2.0
    assert retried.params["text"] == refused.params["text"]
    assert [t for t in citizen.texts()] == [
        "Sådan får du en ny adgangskode til MitID: gå til MitID.dk.",
        "Hjalp det?",
    ]


async def test_network_errors_are_retried_with_back_off_until_delivered(gateway):
    citizen = gateway.citizen(CHAT)
    gateway.fake.fail_network("sendMessage", times=3, chat_id=CHAT)
    await citizen.send("Hvad med MitID?")
    await citizen.expect("Hjalp det?", timeout=15)
    statuses = [call.status for call in sends(gateway)]
    assert statuses[:4] == [502, 502, 502, 200]
    pauses = [b.at - a.at for a, b in zip(sends(gateway)[:3], sends(gateway)[1:4])]
    assert pauses[0] < pauses[2] + 0.3  # growing, capped at max_backoff (0.5 s in these tests)
    assert citizen.texts()[0].startswith("Sådan får du") and citizen.texts()[-1] == "Hjalp det?"


async def test_a_staff_reply_survives_a_flood_limit_too(gateway):
    citizen = gateway.citizen(CHAT)
    await citizen.send("Jeg vil tale med en medarbejder")
    await citizen.expect("kø til en medarbejder")
    conversation = await conversation_of(gateway)
    await gateway.wait_for_state(conversation.id, ConversationState.WAITING)
    staff_id = gateway.staff_member("Bo")
    assert await gateway.service.claim(conversation.id, staff_id, "Bo")
    await citizen.expect("Du skriver nu med Bo")
    gateway.fake.fail_with_flood_limit("sendMessage", retry_after=1, chat_id=CHAT)
    await gateway.service.reply_as_staff(conversation.id, staff_id, "Hej, jeg hjælper dig.")
    await gateway.service.reply_as_staff(conversation.id, staff_id, "Hvad har du prøvet?")
    await citizen.expect("Hvad har du prøvet?", timeout=10)
    assert citizen.texts()[-2:] == ["Bo (medarbejder):\nHej, jeg hjælper dig.", "Bo (medarbejder):\nHvad har du prøvet?"]


async def test_a_citizen_who_blocked_the_bot_gets_the_conversation_closed(gateway):
    citizen = gateway.citizen(CHAT)
    await citizen.send("Jeg vil tale med en medarbejder")
    await citizen.expect("kø til en medarbejder")
    conversation = await conversation_of(gateway)
    await gateway.wait_for_state(conversation.id, ConversationState.WAITING)
    staff_id = gateway.staff_member("Bo")
    assert await gateway.service.claim(conversation.id, staff_id, "Bo")
    await citizen.expect("Du skriver nu med Bo")
    gateway.fake.fail_blocked("sendMessage", chat_id=CHAT)
    await gateway.service.reply_as_staff(conversation.id, staff_id, "Er du der stadig?")
    await gateway.wait_for_state(conversation.id, ConversationState.CLOSED)
    with gateway.db.session() as session:
        notes = [m.text for m in session.query(Message).filter_by(conversation_id=conversation.id, sender=Sender.SYSTEM)]
    assert texts.BLOCKED_NOTE in notes
    blocked_attempts = len(sends(gateway))
    await asyncio.sleep(0.5)
    assert len(sends(gateway)) == blocked_attempts  # nothing more is tried for a blocked chat

    # Unblocking and writing again reopens the conversation with the assistant.
    await citizen.send("Hvad med MitID?")
    await citizen.expect("Hjalp det?")
    assert (await conversation_of(gateway)).state == ConversationState.BOT



async def test_blocking_the_bot_in_the_app_closes_the_conversation(gateway):
    citizen = gateway.citizen(CHAT)
    await citizen.send("Hvad med MitID?")
    await citizen.expect("Hjalp det?")
    conversation = await conversation_of(gateway)
    assert await gateway.fake.deliver(blocked_update(gateway.fake.next_update_id(), CHAT)) == 200
    await gateway.wait_for_state(conversation.id, ConversationState.CLOSED)


async def test_an_update_that_could_not_be_stored_is_refused_so_telegram_sends_it_again(gateway, monkeypatch):
    citizen = gateway.citizen(CHAT)
    receive = gateway.service.receive
    failures = []

    async def failing_once(*args, **kwargs):
        if not failures:
            failures.append(1)
            raise RuntimeError("the database is away for a moment")
        return await receive(*args, **kwargs)

    monkeypatch.setattr(gateway.service, "receive", failing_once)
    update = text_update(gateway.fake.next_update_id(), CHAT, "Hvad med MitID?")
    assert await gateway.fake.deliver(update) == 500
    assert await gateway.fake.deliver(update) == 200  # Telegram's next try
    await citizen.expect("Hjalp det?")
    assert await gateway.fake.deliver(update) == 200  # and a third time is a duplicate
    await asyncio.sleep(0.3)
    conversation = await conversation_of(gateway)
    assert gateway.rasa.texts_for(conversation.id) == ["Hvad med MitID?"]


async def test_updates_arrive_by_polling_when_there_is_no_public_address(polling_gateway):
    gateway = polling_gateway
    assert not gateway.fake.webhook_url
    assert gateway.fake.calls_of("deleteWebhook")
    citizen = gateway.citizen(CHAT)
    await citizen.send("/start")
    greeting = await citizen.expect("chatbot")
    await citizen.press(greeting, "MitID")
    await citizen.expect("Hjalp det?")
    conversation = await conversation_of(gateway)
    assert gateway.rasa.texts_for(conversation.id) == ["/greet", "/mitid_help"]


async def test_a_wrong_token_leaves_the_channel_off_and_the_rest_of_the_gateway_up(
    fake_rasa, database, gateway_settings, caplog
):
    fake = FakeBotAPI(token="999:another-bots-token")
    with serve_in_thread(fake.app()) as api_url:
        gateway, port = await start_gateway((fake, api_url), fake_rasa, database, gateway_settings)
        async with serving(gateway.app, port) as url:
            await fake.wait_for(lambda: fake.calls_of("getMe"), 10, "getMe")
            await eventually(lambda: "Telegram refused TELEGRAM_BOT_TOKEN" in caplog.text, 10)
            async with httpx.AsyncClient() as client:
                assert (await client.get(f"{url}/health")).status_code == 200
                update = text_update(1, CHAT, "Hej")
                refused = await client.post(
                    f"{url}/telegram/webhook", json=update, headers={SECRET_HEADER: gateway.settings.webhook_secret}
                )
            assert refused.status_code == 503
            assert not fake.webhook_url


async def test_telegram_unreachable_at_start_is_tried_again_until_it_answers(fake_rasa, database, gateway_settings):
    fake, api_port = FakeBotAPI(), free_port()
    gateway, port = await start_gateway((fake, f"http://127.0.0.1:{api_port}"), fake_rasa, database, gateway_settings)
    async with serving(gateway.app, port):
        await asyncio.sleep(1.5)  # a few refused connections
        assert not gateway.channel.ready.is_set()
        with serve_in_thread(fake.app(), port=api_port):
            await eventually(gateway.channel.ready.is_set, 15, "the channel to connect")
            citizen = gateway.citizen(CHAT)
            await citizen.send("Hvad med MitID?")
            await citizen.expect("Hjalp det?")
