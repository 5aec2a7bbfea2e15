"""The Telegram channel end to end with python-telegram-bot's real code: the fake Bot API on
loopback posts updates to the gateway's webhook; the assistant is the stand-in Rasa."""
from __future__ import annotations

import asyncio

import httpx
import pytest

from bot.channels.telegram import SECRET_HEADER
from bot.store import ConversationState, Message, Sender
from tests.telegram.conftest import LONG_ANSWER, TIME_PAYLOAD, start_gateway
from tests.telegram.fake_bot_api import message_update, photo_update, text_update
from tests.telegram.support import serving

CHAT = 4242


def stored(gateway, conversation_id: str) -> list[Message]:
    with gateway.db.session() as session:
        rows = session.query(Message).filter_by(conversation_id=conversation_id).order_by(Message.id).all()
        session.expunge_all()
        return rows


async def conversation_of(gateway, chat_id: int = CHAT):
    return await gateway.service.latest_for_user("telegram", str(chat_id))


async def test_start_greets_with_buttons_like_the_widget(gateway):
    citizen = gateway.citizen(CHAT)
    assert gateway.fake.allowed_updates == ["message", "callback_query", "my_chat_member"]
    await citizen.send("/start")
    greeting = await citizen.expect("chatbot")
    assert [title for title, _ in greeting.buttons] == ["MitID", "Digital Post", "Tal med en medarbejder"]
    assert all(len(data.encode()) <= 64 for _, data in greeting.buttons)
    conversation = await conversation_of(gateway)
    assert conversation.channel == "telegram" and conversation.state == ConversationState.BOT
    assert gateway.rasa.texts_for(conversation.id) == ["/greet"]


async def test_a_question_gets_the_answer_with_its_link_clickable(gateway):
    citizen = gateway.citizen(CHAT)
    await citizen.send("Jeg har glemt min adgangskode til MitID")
    answer = await citizen.expect("adgangskode til MitID")
    assert answer.parse_mode == "HTML"
    assert '<a href="https://www.mitid.dk/">MitID.dk</a>' in answer.raw
    assert "gå til MitID.dk" in answer.text
    question = await citizen.expect("Hjalp det?")
    assert [title for title, _ in question.buttons] == ["Ja", "Nej"]


async def test_a_pressed_button_is_answered_echoed_and_sent_on_with_its_payload(gateway):
    citizen = gateway.citizen(CHAT)
    await citizen.send("/start")
    greeting = await citizen.expect("chatbot")
    seen = citizen.seen()
    update_id = await citizen.press(greeting, "MitID")
    await citizen.expect("Du valgte: MitID", after=seen)
    await citizen.expect("adgangskode til MitID", after=seen)
    assert [c.params["callback_query_id"] for c in gateway.fake.calls_of("answerCallbackQuery")] == [f"cb-{update_id}"]
    # The keyboard is taken off the message it was pressed on, so it is not pressed twice.
    await gateway.fake.wait_for(lambda: not gateway.fake.sent(CHAT)[0].buttons, what="keyboard removed")
    conversation = await conversation_of(gateway)
    assert gateway.rasa.texts_for(conversation.id) == ["/greet", "/mitid_help"]
    citizen_messages = [m for m in stored(gateway, conversation.id) if m.sender == Sender.CITIZEN]
    assert [(m.text, m.client_message_id) for m in citizen_messages] == [("MitID", f"tg-{update_id}")]


async def test_a_payload_longer_than_telegram_allows_goes_through_a_short_button_id(gateway):
    citizen = gateway.citizen(CHAT)
    assert len(TIME_PAYLOAD.encode()) > 64
    await citizen.send("Jeg vil bestille en tid")
    times = await citizen.expect("Vælg en tid")
    await citizen.press(times, "Tirsdag kl. 10.00")
    conversation = await conversation_of(gateway)
    await gateway.fake.wait_for(lambda: TIME_PAYLOAD in gateway.rasa.texts_for(conversation.id), what="payload")


async def test_the_same_update_twice_is_handled_once(gateway):
    citizen = gateway.citizen(CHAT)
    update_id = await citizen.send("Hvad med MitID?")
    await citizen.expect("Hjalp det?")
    await citizen.send("Hvad med MitID?", update_id=update_id)
    await asyncio.sleep(0.5)
    conversation = await conversation_of(gateway)
    assert gateway.rasa.texts_for(conversation.id) == ["Hvad med MitID?"]
    assert len([t for t in citizen.texts() if "Hjalp det?" in t]) == 1
    assert len([m for m in stored(gateway, conversation.id) if m.sender == Sender.CITIZEN]) == 1


async def test_an_update_sent_again_to_a_restarted_gateway_is_not_handled_again(
    fake_api, fake_rasa, database, gateway_settings
):
    """A photo note, a /start greeting: each once, though the second gateway never saw the first one's memory."""
    photo = photo_update(900001, CHAT, None)
    start = text_update(900002, CHAT, "/start")
    for _ in range(2):  # the same gateway setup twice, as after a restart (or on another replica)
        gateway, port = await start_gateway(fake_api, fake_rasa, database, gateway_settings)
        async with serving(gateway.app, port):
            await gateway.fake.wait_for(lambda: gateway.fake.webhook_url == gateway.settings.webhook_url, 15, "setWebhook")
            assert await gateway.fake.deliver(photo) == 200
            assert await gateway.fake.deliver(start) == 200
            await gateway.citizen(CHAT).expect("chatbot")
            # A new message's answer comes after anything the repeated updates sent (one outbox per chat).
            before = gateway.citizen(CHAT).seen()
            await gateway.citizen(CHAT).send("Hvad med MitID?")
            await gateway.citizen(CHAT).expect("Hjalp det?", after=before)
    conversation = await conversation_of(gateway)
    notes = [m for m in stored(gateway, conversation.id) if m.sender == Sender.SYSTEM]
    assert len(notes) == 1 and "billede" in notes[0].text
    assert len([t for t in gateway.citizen(CHAT).texts() if "chatbot" in t]) == 1


async def test_a_photo_gets_a_kind_answer_and_staff_see_that_one_came(gateway):
    citizen = gateway.citizen(CHAT)
    await citizen.send_photo()
    note = await citizen.expect("Du har sendt et billede")
    assert "kun læse tekst" in note.text
    conversation = await conversation_of(gateway)
    messages = stored(gateway, conversation.id)
    assert [(m.sender, m.text) for m in messages] == [(Sender.SYSTEM, note.text)]
    assert gateway.rasa.texts_for(conversation.id) == []


async def test_a_photo_with_a_caption_passes_the_caption_on(gateway):
    citizen = gateway.citizen(CHAT)
    await citizen.send_photo(caption="Hvad betyder det her om MitID?")
    await citizen.expect("Du har sendt et billede")
    await citizen.expect("Hjalp det?")
    conversation = await conversation_of(gateway)
    assert gateway.rasa.texts_for(conversation.id) == ["Hvad betyder det her om MitID?"]


@pytest.mark.parametrize(
    "kind, content, said",
    [
        ("voice", {"voice": {"file_id": "v1", "file_unique_id": "uv1", "duration": 4}}, "en lydbesked"),
        ("sticker", {"sticker": {"file_id": "s1", "file_unique_id": "us1", "type": "regular", "width": 512,
                                 "height": 512, "is_animated": False, "is_video": False}}, "et klistermærke"),
        ("document", {"document": {"file_id": "d1", "file_unique_id": "ud1", "file_name": "brev.pdf"}}, "en fil"),
    ],
)
async def test_voice_notes_stickers_and_files_get_the_same_kind_answer(gateway, kind, content, said):
    citizen = gateway.citizen(CHAT)
    assert await gateway.fake.deliver(message_update(gateway.fake.next_update_id(), CHAT, **content)) == 200
    await citizen.expect(f"Du har sendt {said}. Vi kan kun læse tekst")
    assert gateway.rasa.received == []


async def test_a_citizen_writing_too_fast_is_asked_to_wait(fake_api, fake_rasa, database, with_settings):
    gateway, port = await start_gateway(
        fake_api, fake_rasa, database, with_settings(rate_limit_messages=2, rate_limit_seconds=60)
    )
    async with serving(gateway.app, port):
        await gateway.fake.wait_for(lambda: gateway.fake.webhook_url, 15, "setWebhook")
        citizen = gateway.citizen(CHAT)
        for text in ("Hej", "Hallo", "Er der nogen?"):
            await citizen.send(text)
        await citizen.expect("Du har sendt mange beskeder på kort tid")
        conversation = await conversation_of(gateway)
        assert [m.text for m in stored(gateway, conversation.id) if m.sender == Sender.CITIZEN] == ["Hej", "Hallo"]


async def test_an_answer_over_4096_characters_is_split_where_a_sentence_ends(gateway):
    citizen = gateway.citizen(CHAT)
    assert 4096 < len(LONG_ANSWER) < 8192
    await citizen.send("Giv mig det lange svar")
    first = await citizen.expect("Trin 1:")
    second = await citizen.expect("Trin 62:")
    assert first is not second
    assert len(first.text) <= 4096 and len(second.text) <= 4096
    assert first.text.endswith("igennem.") and second.text.startswith("Trin ")
    assert f"{first.text} {second.text}" == LONG_ANSWER


async def test_a_webhook_call_without_the_right_secret_is_refused(gateway):
    update = text_update(gateway.fake.next_update_id(), CHAT, "Hej")
    async with httpx.AsyncClient() as client:
        wrong = await client.post(gateway.fake.webhook_url, json=update, headers={SECRET_HEADER: "forkert-hemmelighed"})
        missing = await client.post(gateway.fake.webhook_url, json=update)
    assert wrong.status_code == missing.status_code == 403
    await asyncio.sleep(0.3)
    assert await conversation_of(gateway) is None
    assert gateway.fake.sent(CHAT) == []


async def test_a_cpr_number_is_removed_at_the_door_with_a_kind_warning(gateway):
    citizen = gateway.citizen(CHAT)
    await citizen.send("Mit CPR er 010190-1234, hvad nu med MitID?")
    warning = await citizen.expect("Jeg har fjernet dit CPR-nummer")
    assert "010190" not in warning.text
    conversation = await conversation_of(gateway)
    await gateway.fake.wait_for(lambda: gateway.rasa.texts_for(conversation.id), what="Rasa")
    assert gateway.rasa.texts_for(conversation.id) == ["Mit CPR er [CPR-nummer fjernet], hvad nu med MitID?"]
    assert all("010190" not in m.text for m in stored(gateway, conversation.id))


async def test_too_long_a_message_is_refused_in_danish_and_not_stored(gateway):
    citizen = gateway.citizen(CHAT)
    await citizen.send("MitID " * 300)
    await citizen.expect("Din besked er for lang")
    conversation = await conversation_of(gateway)
    assert conversation is None or not stored(gateway, conversation.id)


async def test_slet_deletes_the_conversation_and_the_assistants_tracker(gateway):
    citizen = gateway.citizen(CHAT)
    await citizen.send("Hvad med MitID?")
    await citizen.expect("Hjalp det?")
    conversation = await conversation_of(gateway)
    await citizen.send("/slet")
    await citizen.expect("Din samtale er slettet")
    assert await conversation_of(gateway) is None
    assert await gateway.service.get(conversation.id) is None


async def test_the_slet_min_samtale_button_deletes_without_reaching_the_assistant(gateway):
    citizen = gateway.citizen(CHAT)
    await citizen.send("Hvad gemmer I om mit privatliv?")
    answer = await citizen.expect("30 dage")
    conversation = await conversation_of(gateway)
    await citizen.press(answer, "Slet min samtale")
    await citizen.expect("Din samtale er slettet")
    assert await conversation_of(gateway) is None
    assert "/delete_conversation" not in gateway.rasa.texts_for(conversation.id)


async def test_formatting_typed_by_staff_is_shown_as_text(gateway):
    citizen = gateway.citizen(CHAT)
    await citizen.send("Jeg vil tale med en medarbejder")
    await citizen.expect("kø til en medarbejder")
    conversation = await conversation_of(gateway)
    await gateway.wait_for_state(conversation.id, ConversationState.WAITING)
    staff_id = gateway.staff_member("Anne")
    assert await gateway.service.claim(conversation.id, staff_id, "Anne")
    await gateway.service.reply_as_staff(conversation.id, staff_id, "<b>Hej</b> & <script>alert(1)</script> a > b")
    reply = await citizen.expect("alert(1)")
    assert reply.text == "Anne (medarbejder):\n<b>Hej</b> & <script>alert(1)</script> a > b"
