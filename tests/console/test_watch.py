"""Nothing lost: a citizen nobody claims in time is offered a booking; quiet consoles go away."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.console import ConsoleSettings
from bot.console.accounts import find_staff
from bot.console.presence import set_presence, sweep
from bot.gateway.rasa import RESUME_EVENTS
from bot.store import AuditEntry, Conversation, ConversationState, Handoff, Presence, StaffPresence
from bot.store.models import utcnow
from tests.console.support import sign_in, waiting_citizen


@pytest.fixture
def console_settings() -> ConsoleSettings:
    return ConsoleSettings(handoff_timeout=1.0, tick_seconds=0.1)


async def test_nobody_claims_in_time_so_a_booking_is_offered(gateway):
    async with waiting_citizen(gateway.url) as person:
        await person.say("Hallo?")  # kept for staff while waiting, never sent to the assistant
        await person.state("bot")
        offer = await person.until(lambda m: m["sender"] == "system" and m["buttons"], timeout=10)
        assert "Ingen medarbejder har tid" in offer["text"]
        assert gateway.municipality.borgerservice.phone in offer["text"]
        assert offer["buttons"] == [{"title": "Bestil tid", "payload": "/book_helper"}]
        # The assistant has the conversation again: its resume event first, then the booking.
        await person.say("Bestil tid", "/book_helper")
        await person.until(lambda m: m["sender"] == "bot")
        assert (person.conversation_id, RESUME_EVENTS) in gateway.rasa.appended
        assert "/book_helper" in gateway.rasa.texts_for(person.conversation_id)
        assert "Hallo?" not in gateway.rasa.texts_for(person.conversation_id)
    with gateway.db.session() as session:
        conversation = session.get(Conversation, person.conversation_id)
        assert conversation.state == ConversationState.BOT and conversation.waiting_since is None
        assert session.scalar(select(Handoff.outcome)) == "booking_offered"
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "booking_offered")).one()
        assert entry.staff_id is None and entry.conversation_id == person.conversation_id


async def test_a_claim_in_time_is_not_taken_back(gateway):
    anna = await sign_in(gateway.url, "anna")
    async with waiting_citizen(gateway.url) as person:
        assert (await anna.api("POST", f"/staff/api/conversations/{person.conversation_id}/claim")).status_code == 200
        await person.until(lambda m: "overtaget" in m["text"])
        await asyncio.sleep(2)  # twice the timeout
        reply = await anna.api("GET", "/staff/api/queue")
        assert [item["id"] for item in reply.json()["active"]] == [person.conversation_id]
        assert reply.json()["waiting"] == []


def test_quiet_consoles_are_set_away(gateway):
    staff_id = find_staff(gateway.db, "anna")[0].id
    set_presence(gateway.db, staff_id, Presence.ONLINE)
    assert sweep(gateway.db, timedelta(minutes=2)) == []
    assert sweep(gateway.db, timedelta(minutes=2), now=utcnow() + timedelta(minutes=3)) == [staff_id]
    with gateway.db.session() as session:
        assert session.get(StaffPresence, staff_id).status == Presence.AWAY
