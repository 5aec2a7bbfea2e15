"""The conversation service: intake, storage, the state machine (handoff, claim, hand-back, close,
reopening), deletion. The way to Rasa is tests/gateway/test_assistant_relay.py."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from sqlalchemy import text as sql

from bot.gateway import ConversationService, MessageAdded, MessageRejected, StateChanged
from bot.gateway.conversations import TRANSITIONS
from bot.gateway.rasa import RESUME_EVENTS
from bot.store import ConversationState, Handoff, Message
from tests.gateway.relaying import settle
from tests.support.rasa_tables import add_tracker_event, tracker_event_count


def recorder(service: ConversationService) -> list[object]:
    seen: list[object] = []

    async def record(event: object) -> None:
        seen.append(event)

    service.events.on(MessageAdded, record)
    service.events.on(StateChanged, record)
    return seen


async def test_same_client_message_id_is_stored_once(service, assistant):
    conversation = await service.start("web", "visitor-1", greet=False)
    first = await service.receive(conversation.id, "hej", client_message_id="same-id-1")
    again = await service.receive(conversation.id, "hej", client_message_id="same-id-1")
    await settle(assistant)
    assert again.duplicate and again.message.id == first.message.id
    assert [m.text for m in await service.history(conversation.id)].count("hej") == 1


async def test_cpr_is_redacted_before_storage_and_rasa_and_the_citizen_is_warned(service, fake_rasa, database, assistant):
    fake, _ = fake_rasa
    conversation = await service.start("web", "visitor-1", greet=False)
    await service.receive(conversation.id, "mit cpr er 010190-1234 og kort 4111 1111 1111 1111")
    await settle(assistant)
    with database.session() as session:
        stored = " ".join(session.scalars(select(Message.text)))
    assert "010190" not in stored and "4111" not in stored
    assert "0101901234" not in " ".join(fake.texts_for(conversation.id))
    assert "[CPR-nummer fjernet]" in fake.texts_for(conversation.id)[0]
    system = [m.text for m in await service.history(conversation.id) if m.sender.value == "system"]
    assert system and "CPR-nummer" in system[0] and "kortnummer" in system[0]


async def test_too_long_and_empty_messages_are_refused_and_not_stored(service):
    conversation = await service.start("web", "visitor-1", greet=False)
    with pytest.raises(MessageRejected) as too_long:
        await service.receive(conversation.id, "x" * 201)
    assert too_long.value.code == "too_long" and "200 tegn" in too_long.value.text
    with pytest.raises(MessageRejected):
        await service.receive(conversation.id, "   ")
    assert await service.history(conversation.id) == []


async def test_handoff_payload_moves_to_waiting_then_claim_reply_hand_back(service, fake_rasa, database, staff, assistant):
    fake, _ = fake_rasa
    events = recorder(service)
    conversation = await service.start("web", "visitor-1", greet=False)
    await service.receive(conversation.id, "Jeg vil tale med en medarbejder")
    await settle(assistant)
    current = await service.get(conversation.id)
    assert current.state == ConversationState.WAITING
    assert current.handoff_reason == "request_human" and current.summary
    assert any(isinstance(e, StateChanged) and e.reason == "handoff_requested" for e in events)
    shown = await service.history(conversation.id)
    assert not any("handoff" in ((m.to_dict().get("payload") or {}).get("custom") or {}) for m in shown)
    assert all(m.text or (m.to_dict().get("payload") or {}) for m in shown), "no empty bubble for the gateway's instruction"

    await service.receive(conversation.id, "Er der nogen?")
    await settle(assistant)
    assert "Er der nogen?" not in fake.texts_for(conversation.id), "waiting messages go to staff, not Rasa"

    anne, _ = staff
    assert await service.claim(conversation.id, staff_id=anne, first_name="Anne")
    assert (await service.get(conversation.id)).state == ConversationState.HUMAN
    reply = await service.reply_as_staff(conversation.id, staff_id=anne, text="Hej, jeg hjælper dig")
    assert reply.sender.value == "staff" and reply.staff_name == "Anne"

    assert await service.hand_back(conversation.id)
    await settle(assistant)
    assert (await service.get(conversation.id)).state == ConversationState.BOT
    await service.receive(conversation.id, "Hvordan får jeg MitID?")
    await settle(assistant)
    assert fake.appended == [(conversation.id, RESUME_EVENTS)]
    assert fake.journal[-2:] == [("events", conversation.id, "resume"), ("message", conversation.id, "Hvordan får jeg MitID?")]
    texts = [m.text for m in await service.history(conversation.id)]
    assert "En medarbejder har overtaget samtalen. Du skriver nu med Anne." in texts
    assert "Du skriver nu med chatbotten igen." in texts
    with database.session() as session:
        handoff = session.scalars(select(Handoff)).one()
        assert handoff.outcome == "handed_back" and handoff.ended_at is not None


async def test_two_claims_at_once_one_wins(service, staff):
    conversation = await service.start("web", "visitor-1", greet=False)
    assert await service.request_handoff(conversation.id, "request_human")
    anne, bo = staff
    results = await asyncio.gather(
        service.claim(conversation.id, staff_id=anne, first_name="Anne"),
        service.claim(conversation.id, staff_id=bo, first_name="Bo"),
    )
    assert sorted(results) == [False, True]
    winner = anne if results[0] else bo
    assert (await service.get(conversation.id)).assigned_staff_id == winner


async def test_transitions_outside_the_state_machine_are_refused(service, staff):
    conversation = await service.start("web", "visitor-1", greet=False)
    anne, _ = staff
    assert not await service.claim(conversation.id, staff_id=anne, first_name="Anne")
    assert not await service.hand_back(conversation.id)
    assert (ConversationState.BOT, ConversationState.HUMAN) not in TRANSITIONS
    with pytest.raises(MessageRejected):
        await service.reply_as_staff(conversation.id, staff_id=anne, text="hej")


async def test_closed_conversation_reopens_when_the_citizen_writes_again(service, fake_rasa, assistant):
    fake, _ = fake_rasa
    conversation = await service.start("web", "visitor-1", greet=False)
    await service.request_handoff(conversation.id, "request_human")
    assert await service.close(conversation.id)
    await service.receive(conversation.id, "Hej igen")
    await settle(assistant)
    assert (await service.get(conversation.id)).state == ConversationState.BOT
    assert fake.appended[-1] == (conversation.id, RESUME_EVENTS)
    assert fake.texts_for(conversation.id)[-1] == "Hej igen"


async def test_delete_removes_messages_and_the_rasa_tracker(service, database, assistant):
    conversation = await service.start("web", "visitor-1", greet=False)
    await service.receive(conversation.id, "hej")
    await settle(assistant)
    add_tracker_event(database, conversation.id)
    assert await service.delete(conversation.id)
    assert await service.get(conversation.id) is None
    assert await service.history(conversation.id) == []
    assert tracker_event_count(database, conversation.id) == 0


async def test_delete_payload_deletes_without_reaching_rasa(service, fake_rasa):
    fake, _ = fake_rasa
    conversation = await service.start("web", "visitor-1", greet=False)
    received = await service.receive(conversation.id, "Slet min samtale", rasa_payload="/delete_conversation")
    assert received.deleted and received.message is None
    assert await service.get(conversation.id) is None
    assert fake.texts_for(conversation.id) == []


async def test_history_after_an_id_returns_only_newer_messages(service, assistant):
    conversation = await service.start("web", "visitor-1", greet=False)
    for text in ("en", "to", "tre"):
        await service.receive(conversation.id, text)
        await settle(assistant)
    history = await service.history(conversation.id)
    later = await service.history(conversation.id, after_id=history[1].id)
    assert [m.id for m in later] == [m.id for m in history[2:]]


async def test_a_message_without_buttons_or_custom_parts_stores_no_payload(service, database, staff, assistant):
    """Every sender's message without extras is stored alike: SQL NULL, never a JSON `null`."""
    conversation = await service.start("web", "visitor-1", greet=False)
    await service.receive(conversation.id, "Hvordan får jeg MitID?")
    await service.receive(conversation.id, "Jeg vil tale med en medarbejder")
    await settle(assistant)
    anne, _ = staff
    assert await service.claim(conversation.id, staff_id=anne, first_name="Anne")
    await service.reply_as_staff(conversation.id, staff_id=anne, text="Hej, jeg hjælper dig")
    with database.session() as session:
        rows = session.execute(
            sql("SELECT sender, payload IS NULL, payload FROM messages WHERE conversation_id = :id ORDER BY id"),
            {"id": conversation.id},
        ).all()
    assert [sender for sender, _, stored in rows if stored == "null"] == []
    # Where a citizen message stands with Rasa is a column of its own, not part of the payload.
    assert {sender for sender, no_payload, _ in rows if no_payload} == {"citizen", "bot", "system", "staff"}
