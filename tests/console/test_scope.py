"""Which conversations staff may open: those that reached staff; admins any. Every opening is audited."""
from __future__ import annotations

from sqlalchemy import select

from bot.store import AuditEntry
from tests.console.support import citizen, sign_in, waiting_citizen


def openings(gateway, conversation_id: str) -> list[tuple[int | None, str | None]]:
    with gateway.db.session() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.conversation_id == conversation_id, AuditEntry.action == "opened").order_by(AuditEntry.id)
        )
        return [(entry.staff_id, entry.details) for entry in entries]


async def test_staff_cannot_open_a_conversation_that_never_reached_staff(gateway):
    bo = await sign_in(gateway.url, "bo")
    anna = await sign_in(gateway.url, "anna")
    async with citizen(gateway.url) as person:
        await person.say("Hvordan får jeg MitID?")
        await person.until(lambda m: m["sender"] == "bot" and "MitID" in m["text"])
        conversation = person.conversation_id
        api = f"/staff/api/conversations/{conversation}"
        assert (await bo.api("GET", api)).status_code == 404
        assert (await bo.client.get(f"/staff/conversations/{conversation}")).status_code == 404
        assert (await bo.api("POST", f"{api}/notes", {"text": "Hej"})).status_code == 404
        async with bo.socket() as live:
            await live.send(type="watch", conversation_id=conversation, after=0)
            refused = await live.next("refused")
            assert refused["conversation_id"] == conversation
            await live.send(type="ping")
            await live.next("pong")  # nothing of the transcript came before the answer to the ping
        assert openings(gateway, conversation) == []
        # An admin may, and it is logged.
        opened = await anna.api("GET", api)
        assert opened.status_code == 200 and opened.json()["id"] == conversation
        assert openings(gateway, conversation) == [(1, "http")]


async def test_staff_open_what_reached_staff_and_every_opening_is_audited(gateway):
    bo = await sign_in(gateway.url, "bo")
    async with waiting_citizen(gateway.url) as person:
        conversation = person.conversation_id
        api = f"/staff/api/conversations/{conversation}"
        assert (await bo.api("GET", api)).status_code == 200
        async with bo.socket() as live:
            await live.send(type="watch", conversation_id=conversation, after=0)
            await live.next("message", lambda e: e["message"]["sender"] == "citizen")
        await bo.api("POST", f"{api}/claim")
        assert (await bo.api("POST", f"{api}/close")).status_code == 200
        # Closed after staff had it: still staff's business.
        assert (await bo.api("GET", api)).status_code == 200
        assert (await bo.client.get(f"/staff/conversations/{conversation}")).status_code == 200
    assert openings(gateway, conversation) == [(2, "http"), (2, "socket"), (2, "http")]
