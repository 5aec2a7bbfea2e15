"""What staff write is stored redacted, like what citizens write: replies, notes and canned answers,
read back from the database the console uses."""
from __future__ import annotations

from sqlalchemy import select

from bot.privacy import CARD_PLACEHOLDER, CPR_PLACEHOLDER
from bot.store import Message, Sender
from bot.store.models import CannedAnswer, ConversationNote
from tests.console.support import sign_in, waiting_citizen

CPR = "010190-1234"
CARD = "4111 1111 1111 1111"


async def test_a_staff_reply_is_stored_and_delivered_redacted(gateway):
    anna = await sign_in(gateway.url, "anna")
    async with waiting_citizen(gateway.url) as person:
        base = f"/staff/api/conversations/{person.conversation_id}"
        assert (await anna.api("POST", f"{base}/claim")).status_code == 200
        reply = await anna.api("POST", f"{base}/reply", {"text": f"Dit CPR-nummer {CPR} og kortet {CARD} står her."})
        assert reply.status_code == 200
        expected = f"Dit CPR-nummer {CPR_PLACEHOLDER} og kortet {CARD_PLACEHOLDER} står her."
        assert reply.json()["text"] == expected
        seen = await person.until(lambda m: m["sender"] == "staff")
        assert seen["text"] == expected
    with gateway.db.session() as session:
        stored = session.scalars(
            select(Message.text).where(Message.conversation_id == person.conversation_id, Message.sender == Sender.STAFF)
        ).all()
    assert stored == [expected]


async def test_a_note_is_stored_redacted(gateway):
    anna = await sign_in(gateway.url, "anna")
    async with waiting_citizen(gateway.url) as person:
        note = await anna.api("POST", f"/staff/api/conversations/{person.conversation_id}/notes", {"text": f"CPR {CPR}"})
        assert note.status_code == 200 and note.json()["text"] == f"CPR {CPR_PLACEHOLDER}"
    with gateway.db.session() as session:
        assert session.scalars(select(ConversationNote.text)).all() == [f"CPR {CPR_PLACEHOLDER}"]


async def test_a_canned_answer_is_stored_redacted(gateway):
    bo = await sign_in(gateway.url, "bo")
    saved = await bo.form("/staff/canned", {"title": f"Eksempel {CPR}", "text": f"Skriv fx {CPR} eller {CARD}."})
    assert saved.status_code == 303
    with gateway.db.session() as session:
        row = session.scalars(select(CannedAnswer).where(CannedAnswer.title.like("Eksempel%"))).one()
        assert (row.title, row.text) == (f"Eksempel {CPR_PLACEHOLDER}", f"Skriv fx {CPR_PLACEHOLDER} eller {CARD_PLACEHOLDER}.")
        assert not any(CPR in text for text in session.scalars(select(CannedAnswer.text)))
