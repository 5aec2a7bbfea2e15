"""What the Telegram channel says itself follows the conversation's language, as the widget's labels do:
the echo of a pressed button, the staff label, the queue notices, the refusals and the deletion notice."""
from __future__ import annotations

from bot.store import ConversationState
from tests.support.rasa_tables import create_events_table, set_language_slot

CHAT = 5151


async def english_conversation(gateway):
    """A Telegram conversation whose language the assistant set to English."""
    citizen = gateway.citizen(CHAT)
    await citizen.send("/start")
    greeting = await citizen.expect("chatbot")
    conversation = await gateway.service.latest_for_user("telegram", str(CHAT))
    create_events_table(gateway.db)
    set_language_slot(gateway.db, conversation.id, "en")
    return citizen, greeting, conversation


async def test_a_newcomers_notices_are_in_english(gateway):
    citizen, greeting, conversation = await english_conversation(gateway)

    seen = citizen.seen()
    await citizen.press(greeting, "MitID")
    await citizen.expect("You chose: MitID", after=seen)

    await citizen.send("MitID " * 300)
    await citizen.expect("Your message is too long")

    await citizen.send("Jeg vil tale med en medarbejder")
    await gateway.wait_for_state(conversation.id, ConversationState.WAITING)
    await citizen.send("/start")
    await citizen.expect("You are in the queue for a staff member")

    staff_id = gateway.staff_member("Anne")
    assert await gateway.service.claim(conversation.id, staff_id, "Anne")
    await gateway.service.reply_as_staff(conversation.id, staff_id, "Hello, I can help you.")
    reply = await citizen.expect("I can help you")
    assert reply.text == "Anne (staff member):\nHello, I can help you."
    await citizen.send("/start")
    await citizen.expect("You are writing with a staff member")

    await citizen.send("/slet")
    await citizen.expect("Your conversation has been deleted")
    await citizen.send("/slet")  # nothing left, and the app is Danish: Danish
    await citizen.expect("Der er ingen samtale at slette")
    assert not any("medarbejder" in text or "Du valgte" in text for text in citizen.texts())


async def test_a_danish_conversation_keeps_the_danish_notices(gateway):
    citizen = gateway.citizen(CHAT)
    await citizen.send("/start")
    greeting = await citizen.expect("chatbot")
    create_events_table(gateway.db)
    seen = citizen.seen()
    await citizen.press(greeting, "MitID")
    await citizen.expect("Du valgte: MitID", after=seen)
    await citizen.send("/slet")
    await citizen.expect("Din samtale er slettet")


async def test_with_no_conversation_the_notices_follow_the_telegram_app_s_language(gateway):
    newcomer = gateway.citizen(CHAT, language_code="en-GB")
    await newcomer.send("/slet")
    await newcomer.expect("There is no conversation to delete")
    await newcomer.send("MitID " * 300)
    await newcomer.expect("Your message is too long")
    assert not any("samtale" in text for text in newcomer.texts())

    danish = gateway.citizen(CHAT + 1, language_code="da")
    await danish.send("/slet")
    await danish.expect("Der er ingen samtale at slette")
