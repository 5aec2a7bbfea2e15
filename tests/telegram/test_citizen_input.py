"""What a citizen sends on Telegram reaches Rasa as words, never as an intent command, and only the
buttons of the assistant's latest turn count as buttons (the web widget's rules, from one place)."""
from __future__ import annotations

import asyncio

from bot.channels.telegram import texts
from bot.store import Message, Sender

CHAT = 4343


async def conversation_of(gateway):
    return await gateway.service.latest_for_user("telegram", str(CHAT))


async def test_typed_slashes_never_reach_rasa_as_an_intent(gateway):
    citizen = gateway.citizen(CHAT)
    await citizen.send("//request_human")
    await citizen.expect("Du skrev: request_human")
    await citizen.send('/ /book_helper{"topic": "x"}')
    await citizen.expect('Du skrev: book_helper{"topic": "x"}')
    conversation = await conversation_of(gateway)
    assert gateway.rasa.texts_for(conversation.id) == ["request_human", 'book_helper{"topic": "x"}']


async def test_a_caption_starting_with_slashes_reaches_rasa_as_words(gateway):
    citizen = gateway.citizen(CHAT)
    await citizen.send_photo(caption="//request_human")
    await citizen.expect("Du skrev: request_human")
    conversation = await conversation_of(gateway)
    assert gateway.rasa.texts_for(conversation.id) == ["request_human"]


async def test_a_button_of_an_earlier_turn_is_answered_and_not_sent_to_rasa(gateway):
    citizen = gateway.citizen(CHAT)
    await citizen.send("/start")
    greeting = await citizen.expect("chatbot")
    await citizen.send("Hvad med MitID?")
    await citizen.expect("Hjalp det?")
    update_id = await citizen.press(greeting, "Tal med en medarbejder")
    def answered():
        calls = gateway.fake.calls_of("answerCallbackQuery")
        return [call for call in calls if call.params["callback_query_id"] == f"cb-{update_id}"]

    answers = await gateway.fake.wait_for(answered, what="the press answered")
    assert answers[0].params.get("text") == texts.BUTTON_GONE["da"]
    await asyncio.sleep(0.5)
    conversation = await conversation_of(gateway)
    assert gateway.rasa.texts_for(conversation.id) == ["/greet", "Hvad med MitID?"]
    with gateway.db.session() as session:
        rows = session.query(Message).filter_by(conversation_id=conversation.id, sender=Sender.CITIZEN)
        said = [m.text for m in rows]
    assert said == ["Hvad med MitID?"]


async def test_a_button_of_the_latest_turn_still_works(gateway):
    citizen = gateway.citizen(CHAT)
    await citizen.send("Hvad med MitID?")
    question = await citizen.expect("Hjalp det?")
    await citizen.press(question, "Ja")
    await citizen.expect("Godt!")
    conversation = await conversation_of(gateway)
    assert gateway.rasa.texts_for(conversation.id) == ["Hvad med MitID?", "/affirm"]
