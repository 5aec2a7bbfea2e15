"""A taken conversation whose staff member has gone (logged out, console closed, account disabled)
goes back to the queue, and the citizen is told; one whose staff member is only "Væk" stays.

Time passing is played by moving the stored presence and session times back; the watch's tick is
called by the test (the background one waits an hour between ticks here)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.console import ConsoleSettings
from bot.console.accounts import find_staff, set_active
from bot.gateway import texts
from bot.store import AuditEntry, Conversation, ConversationState, Handoff, StaffPresence
from bot.store.models import StaffSession, utcnow
from tests.console.support import sign_in, waiting_citizen


@pytest.fixture
def console_settings() -> ConsoleSettings:
    return ConsoleSettings(handoff_timeout=300, presence_timeout=120, tick_seconds=3600)


def last_heard_of(gateway, username: str, ago: timedelta) -> None:
    """Make the staff member's presence and sessions look untouched, and their claims made, `ago`."""
    staff_id = find_staff(gateway.db, username)[0].id
    with gateway.db.session() as session:
        session.execute(update(Handoff).where(Handoff.claimed_by == staff_id).values(claimed_at=utcnow() - ago))
        session.execute(update(StaffPresence).where(StaffPresence.staff_id == staff_id).values(updated_at=utcnow() - ago))
        session.execute(update(StaffSession).where(StaffSession.staff_id == staff_id).values(last_seen_at=utcnow() - ago))


def stored(gateway, conversation_id: str) -> Conversation:
    with gateway.db.session() as session:
        return session.get(Conversation, conversation_id)


async def tick(gateway) -> None:
    await gateway.app.state.console.watch.tick()


async def test_a_conversation_whose_staff_member_logged_out_goes_back_to_the_queue(gateway):
    anna, bo = await sign_in(gateway.url, "anna"), await sign_in(gateway.url, "bo")
    async with waiting_citizen(gateway.url) as person:
        base = f"/staff/api/conversations/{person.conversation_id}"
        assert (await bo.api("POST", f"{base}/claim")).status_code == 200
        await person.until(lambda m: "Bo" in m["text"])
        await bo.form("/staff/logout")

        await tick(gateway)  # just logged out: he may be back in a moment
        assert stored(gateway, person.conversation_id).state == ConversationState.HUMAN

        last_heard_of(gateway, "bo", timedelta(minutes=6))
        await tick(gateway)
        told = await person.until(lambda m: m["sender"] == "system" and m["text"] == texts.STAFF_LEFT["da"])
        assert "kø" in told["text"]
        row = stored(gateway, person.conversation_id)
        assert row.state == ConversationState.WAITING and row.assigned_staff_id is None and row.waiting_since
        queue = (await anna.api("GET", "/staff/api/queue")).json()
        assert [item["id"] for item in queue["waiting"]] == [person.conversation_id] and queue["active"] == []
        with gateway.db.session() as session:
            handoffs = session.scalars(select(Handoff).order_by(Handoff.id)).all()
            assert [(h.outcome, h.ended_at is None) for h in handoffs] == [("staff_left", False), (None, True)]
            assert handoffs[1].reason == handoffs[0].reason == "request_human"
            entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "back_to_queue")).one()
            assert entry.staff_id is None and entry.conversation_id == person.conversation_id
        assert (await anna.api("POST", f"{base}/claim")).status_code == 200
        await person.until(lambda m: "Anna" in m["text"])


async def test_a_disabled_staff_members_conversation_goes_back_at_once(gateway):
    bo = await sign_in(gateway.url, "bo")
    async with waiting_citizen(gateway.url) as person:
        assert (await bo.api("POST", f"/staff/api/conversations/{person.conversation_id}/claim")).status_code == 200
        set_active(gateway.db, "bo", False)
        await tick(gateway)
        await person.until(lambda m: m["text"] == texts.STAFF_LEFT["da"])
        assert stored(gateway, person.conversation_id).state == ConversationState.WAITING


async def test_away_but_still_at_the_console_keeps_the_conversation(gateway):
    bo = await sign_in(gateway.url, "bo")
    async with waiting_citizen(gateway.url) as person:
        assert (await bo.api("POST", f"/staff/api/conversations/{person.conversation_id}/claim")).status_code == 200
        assert (await bo.api("POST", "/staff/api/presence", {"status": "away"})).status_code == 200
        last_heard_of(gateway, "bo", timedelta(minutes=6))
        assert (await bo.api("GET", "/staff/api/queue")).status_code == 200  # he is still working
        await tick(gateway)
        row = stored(gateway, person.conversation_id)
        assert row.state == ConversationState.HUMAN and row.assigned_staff_id == find_staff(gateway.db, "bo")[0].id


async def test_a_conversation_just_taken_stays_even_before_the_console_is_heard_from(gateway):
    """Taken through the service by someone with no session or presence yet: not gone before the timeout."""
    bo_id = find_staff(gateway.db, "bo")[0].id
    service = gateway.app.state.console.service
    async with waiting_citizen(gateway.url) as person:
        assert await service.claim(person.conversation_id, bo_id, "Bo")
        await tick(gateway)
        assert stored(gateway, person.conversation_id).state == ConversationState.HUMAN
        last_heard_of(gateway, "bo", timedelta(minutes=6))
        await tick(gateway)
        assert stored(gateway, person.conversation_id).state == ConversationState.WAITING
