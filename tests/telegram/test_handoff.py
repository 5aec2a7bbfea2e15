"""A live handoff on Telegram: the queue, a staff member claiming and answering, typing, hand-back
to the assistant, closing with the satisfaction question. Staff act through the ConversationService
(the console's own tests cover its HTTP API; the full-stack test here goes through it)."""
from __future__ import annotations

from bot.gateway import satisfaction
from bot.gateway.rasa import RESUME_EVENTS
from bot.store import Conversation, ConversationState, Message, Sender

CHAT = 6161


async def conversation_of(gateway):
    return await gateway.service.latest_for_user("telegram", str(CHAT))



async def test_handoff_claim_reply_typing_and_hand_back(gateway):
    citizen = gateway.citizen(CHAT)
    service = gateway.service
    await citizen.send("Jeg vil tale med en medarbejder")
    await citizen.expect("kø til en medarbejder")
    conversation = await conversation_of(gateway)
    await gateway.wait_for_state(conversation.id, ConversationState.WAITING)

    # While waiting, what the citizen writes is for staff, not for the assistant.
    await citizen.send("Det haster lidt")
    await citizen.send("/start")
    await citizen.expect("Du er i kø til en medarbejder")
    assert gateway.rasa.texts_for(conversation.id) == ["Jeg vil tale med en medarbejder"]

    staff_id = gateway.staff_member("Anne")
    assert await service.claim(conversation.id, staff_id, "Anne")
    await citizen.expect("En medarbejder har overtaget samtalen. Du skriver nu med Anne.")
    seen_typing = len(gateway.fake.calls_of("sendChatAction"))
    await service.set_typing(conversation.id, "staff", True)
    await gateway.fake.wait_for(lambda: len(gateway.fake.calls_of("sendChatAction")) > seen_typing, 5, "typing")
    await service.reply_as_staff(conversation.id, staff_id, "Hej, jeg kan se, det haster. Hvad drejer det sig om?")
    reply = await citizen.expect("Hvad drejer det sig om?")
    assert reply.text.startswith("Anne (medarbejder):\n")
    assert "<b>Anne (medarbejder):</b>" in reply.raw

    await citizen.send("Min MitID app virker ikke")
    history = await service.history(conversation.id)
    assert history[-1].sender == Sender.CITIZEN and history[-1].text == "Min MitID app virker ikke"

    assert await service.hand_back(conversation.id, staff_id)
    await citizen.expect("Du skriver nu med chatbotten igen")
    seen = citizen.seen()
    await citizen.send("Hvordan virker MitID?")
    await citizen.expect("Hjalp det?", after=seen)
    assert gateway.rasa.texts_for(conversation.id)[-1] == "Hvordan virker MitID?"
    assert gateway.rasa.appended == [(conversation.id, RESUME_EVENTS)]
    assert gateway.rasa.journal[-2:] == [("events", conversation.id, "resume"), ("message", conversation.id, "Hvordan virker MitID?")]


async def test_closing_asks_the_satisfaction_question_and_stores_the_answer(gateway):
    citizen = gateway.citizen(CHAT)
    service = gateway.service
    await citizen.send("Jeg vil tale med en medarbejder")
    await citizen.expect("kø til en medarbejder")
    conversation = await conversation_of(gateway)
    await gateway.wait_for_state(conversation.id, ConversationState.WAITING)
    staff_id = gateway.staff_member("Anne")
    assert await service.claim(conversation.id, staff_id, "Anne")
    assert await service.close(conversation.id, staff_id)
    # What the console does after closing (bot/console/desk.py).
    await service.add_system_message(conversation.id, satisfaction.QUESTION, satisfaction.buttons())
    await citizen.expect("Samtalen er afsluttet")
    question = await citizen.expect("Hvor tilfreds er du")
    assert [title for title, _ in question.buttons] == ["1", "2", "3", "4", "5"]
    assert len(question.reply_markup["inline_keyboard"]) == 1  # short answers share one row
    await citizen.press(question, "4")
    await citizen.expect("Tak for dit svar")
    with gateway.db.session() as session:
        row = session.get(Conversation, conversation.id)
        assert (row.satisfaction, ConversationState(row.state)) == (4, ConversationState.CLOSED)
        assert "/satisfaction" not in " ".join(gateway.rasa.texts_for(conversation.id))
        answers = session.query(Message).filter_by(conversation_id=conversation.id, sender=Sender.CITIZEN).all()
        assert answers[-1].text == "4"
