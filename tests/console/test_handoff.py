"""Live handoff through the console's API, with a citizen on the real widget protocol and a fake Rasa."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bot.booking.handoff import staff_online
from bot.gateway import satisfaction
from bot.gateway.rasa import RESUME_EVENTS
from bot.store import AuditEntry, Conversation, ConversationState, Message, Sender
from bot.store.models import ConversationNote, utcnow
from tests.console.support import citizen, sign_in, waiting_citizen


def row(gateway, conversation_id: str) -> Conversation:
    with gateway.db.session() as session:
        return session.get(Conversation, conversation_id)


def audit_actions(gateway, conversation_id: str) -> list[tuple[str, str | None]]:
    with gateway.db.session() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.conversation_id == conversation_id).order_by(AuditEntry.id))
        return [(entry.action, entry.staff_id) for entry in entries]


async def test_queue_lists_waiting_conversations_with_what_staff_need(gateway):
    anna = await sign_in(gateway.url, "anna")
    async with waiting_citizen(gateway.url) as person:
        queue = (await anna.api("GET", "/staff/api/queue")).json()
        [item] = queue["waiting"]
        assert item["id"] == person.conversation_id
        assert item["reason"] == "request_human" and item["topic"] == "mitid" and item["topic_label"] == "MitID"
        assert item["channel_label"] == "Web-chat" and item["waiting_since"]
        assert item["summary"] == "Borgeren vil tale med en person."
        assert queue["active"] == []


async def test_queue_is_oldest_first(gateway):
    anna = await sign_in(gateway.url, "anna")
    async with waiting_citizen(gateway.url) as first, waiting_citizen(gateway.url) as second:
        queue = (await anna.api("GET", "/staff/api/queue")).json()
        assert [item["id"] for item in queue["waiting"]] == [first.conversation_id, second.conversation_id]


async def test_claim_reply_answer_hand_back(gateway):
    anna = await sign_in(gateway.url, "anna")
    async with waiting_citizen(gateway.url) as person, anna.socket() as live:
        conversation = person.conversation_id
        await live.send(type="watch", conversation_id=conversation, after=0)
        await live.next("message", lambda e: e["message"]["sender"] == "bot")  # the transcript comes first

        assert (await anna.api("POST", f"/staff/api/conversations/{conversation}/claim")).status_code == 200
        joined = await person.until(lambda m: m["sender"] == "system")
        assert joined["text"].startswith("En medarbejder har overtaget samtalen") and "Anna" in joined["text"]

        reply = await anna.api("POST", f"/staff/api/conversations/{conversation}/reply", {"text": "Hej, jeg hedder Anna."})
        assert reply.status_code == 200
        seen = await person.until(lambda m: m["sender"] == "staff")
        assert seen["text"] == "Hej, jeg hedder Anna." and seen["staff_name"] == "Anna"

        await person.send(type="typing", on=True)
        typing = await live.next("typing", lambda e: e["who"] == "citizen")
        assert typing["on"] is True
        await person.say("Tak, jeg kan ikke logge ind")
        answer = await live.next("message", lambda e: e["message"]["sender"] == "citizen" and "logge ind" in e["message"]["text"])
        assert answer["conversation_id"] == conversation
        assert "Tak, jeg kan ikke logge ind" not in gateway.rasa.texts_for(conversation)

        await live.send(type="typing", conversation_id=conversation, on=True)
        staff_typing = await person.event(lambda e: e["type"] == "typing" and e["who"] == "staff")
        assert staff_typing["on"] is True

        assert (await anna.api("POST", f"/staff/api/conversations/{conversation}/hand-back")).status_code == 200
        told = await person.until(lambda m: m["sender"] == "system" and "chatbotten" in m["text"])
        assert told["text"] == "Du skriver nu med chatbotten igen."
        await person.say("Hvordan får jeg MitID?")
        await person.until(lambda m: m["sender"] == "bot" and "MitID" in m["text"])
        assert (conversation, RESUME_EVENTS) in gateway.rasa.appended
    assert [action for action, _ in audit_actions(gateway, conversation)] == ["opened", "claimed", "replied", "handed_back"]


async def test_second_claim_is_refused_by_the_database(gateway):
    anna, bo = await sign_in(gateway.url, "anna"), await sign_in(gateway.url, "bo")
    async with waiting_citizen(gateway.url) as person:
        path = f"/staff/api/conversations/{person.conversation_id}/claim"
        first, second = await asyncio.gather(anna.api("POST", path), bo.api("POST", path))
        assert sorted([first.status_code, second.status_code]) == [200, 409]
        loser = second if second.status_code == 409 else first
        winner = "Anna" if loser is second else "Bo"
        assert loser.json()["text"] == f"{winner} har allerede overtaget samtalen."
        assert row(gateway, person.conversation_id).state == ConversationState.HUMAN


async def test_only_the_claimer_replies(gateway):
    anna, bo = await sign_in(gateway.url, "anna"), await sign_in(gateway.url, "bo")
    async with waiting_citizen(gateway.url) as person:
        base = f"/staff/api/conversations/{person.conversation_id}"
        early = await anna.api("POST", f"{base}/reply", {"text": "For tidligt"})
        assert early.status_code == 409
        await bo.api("POST", f"{base}/claim")
        refused = await anna.api("POST", f"{base}/reply", {"text": "Ikke min"})
        assert refused.status_code == 403 and "Bo" in refused.json()["text"]
        # Bo is no admin: Anna's conversation would not be his to hand back; Anna is an admin and may.
        assert (await anna.api("POST", f"{base}/hand-back")).status_code == 200


async def test_notes_are_never_shown_to_the_citizen(gateway):
    anna = await sign_in(gateway.url, "anna")
    async with waiting_citizen(gateway.url) as person:
        base = f"/staff/api/conversations/{person.conversation_id}"
        note = await anna.api("POST", f"{base}/notes", {"text": "Ringede også i går. Hemmelig note."})
        assert note.status_code == 200
        details = (await anna.api("GET", base)).json()
        assert [n["text"] for n in details["notes"]] == ["Ringede også i går. Hemmelig note."]
        await anna.api("POST", f"{base}/claim")
        await person.until(lambda m: m["sender"] == "system")
    with gateway.db.session() as session:
        texts = list(session.scalars(select(Message.text).where(Message.conversation_id == person.conversation_id)))
        assert not any("Hemmelig" in text for text in texts)
        assert session.scalar(select(ConversationNote.text)) == "Ringede også i går. Hemmelig note."


async def test_close_asks_for_satisfaction_and_stores_it_without_rasa(gateway):
    anna = await sign_in(gateway.url, "anna")
    async with waiting_citizen(gateway.url) as person:
        conversation = person.conversation_id
        await anna.api("POST", f"/staff/api/conversations/{conversation}/claim")
        assert (await anna.api("POST", f"/staff/api/conversations/{conversation}/close")).status_code == 200
        closed = await person.until(lambda m: m["text"].startswith("Samtalen er afsluttet"))
        assert closed["sender"] == "system"
        question = await person.until(lambda m: m["buttons"])
        assert [b["title"] for b in question["buttons"]] == ["1", "2", "3", "4", "5"]
        four = question["buttons"][3]
        await person.say(four["title"], four["payload"])
        thanks = await person.until(lambda m: m["sender"] == "system")
        assert thanks["text"] == satisfaction.THANKS
        stored = row(gateway, conversation)
        assert stored.satisfaction == 4 and stored.state == ConversationState.CLOSED
        assert not any("satisfaction" in text for text in gateway.rasa.texts_for(conversation))
        # A closed conversation still reopens with the assistant when the citizen writes again.
        await person.say("Hvordan får jeg MitID?")
        await person.until(lambda m: m["sender"] == "bot" and "MitID" in m["text"])
    assert [action for action, _ in audit_actions(gateway, conversation)] == ["claimed", "closed"]


async def test_a_satisfaction_answer_keeps_only_its_score(gateway):
    """A client may send any title with the satisfaction payload: only the score is stored."""
    anna = await sign_in(gateway.url, "anna")
    async with waiting_citizen(gateway.url) as person:
        conversation = person.conversation_id
        await anna.api("POST", f"/staff/api/conversations/{conversation}/claim")
        await anna.api("POST", f"/staff/api/conversations/{conversation}/close")
        question = await person.until(lambda m: m["buttons"])
        await person.say("mit cpr er 0101 90 1234, ring 20304050", question["buttons"][1]["payload"])
        await person.until(lambda m: m["text"] == satisfaction.THANKS)
        with gateway.db.session() as session:
            texts = list(session.scalars(select(Message.text).where(Message.conversation_id == conversation)))
        assert "2" in texts and not any("cpr" in text or "20304050" in text for text in texts)
        assert row(gateway, conversation).satisfaction == 2


async def test_presence_is_what_the_handoff_decision_reads(gateway):
    anna = await sign_in(gateway.url, "anna")

    def online() -> bool:
        quiet_for = timedelta(seconds=gateway.app.state.console.settings.presence_timeout)
        with gateway.db.session() as session:
            return staff_online(session, utcnow(), quiet_for)

    assert not online()
    assert (await anna.api("POST", "/staff/api/presence", {"status": "online"})).json() == {"status": "online"}
    assert online()
    assert (await anna.api("POST", "/staff/api/presence", {"status": "busy"})).status_code == 400
    await anna.form("/staff/presence", {"status": "away", "next": "/staff/bookings"})
    assert not online()
    await anna.api("POST", "/staff/api/presence", {"status": "online"})
    await anna.form("/staff/logout")
    assert not online()


async def test_reading_a_conversation_is_audited(gateway):
    anna = await sign_in(gateway.url, "anna")
    async with citizen(gateway.url) as person:
        page = await anna.client.get(f"/staff/conversations/{person.conversation_id}")
        assert page.status_code == 200
        async with anna.socket() as live:
            for _ in range(2):  # the same connection watching again is one opening
                await live.send(type="watch", conversation_id=person.conversation_id, after=0)
                await live.next("message", lambda e: e["message"]["sender"] == "bot")
    assert audit_actions(gateway, person.conversation_id) == [("opened", 1)]
    missing = await anna.client.get("/staff/conversations/" + "0" * 32)
    assert missing.status_code == 404


async def test_citizen_messages_while_waiting_queue_for_staff(gateway):
    anna = await sign_in(gateway.url, "anna")
    async with waiting_citizen(gateway.url) as person:
        await person.say("Er der nogen?")
        await person.until(lambda m: m["text"] == "Er der nogen?")
        assert (await anna.api("GET", "/staff/api/queue")).json()["waiting"][0]["citizen_messages"] == 2
        async with anna.socket() as live:
            await live.send(type="watch", conversation_id=person.conversation_id, after=0)
            seen = await live.next("message", lambda e: e["message"]["text"] == "Er der nogen?")
            assert seen["message"]["sender"] == Sender.CITIZEN.value
        assert "Er der nogen?" not in gateway.rasa.texts_for(person.conversation_id)
