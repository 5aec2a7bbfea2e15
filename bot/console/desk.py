"""What staff do with conversations: the queue, claiming, replying, handing back, closing, notes.

Every change of a conversation goes through the gateway's `ConversationService`, so the citizen is
told on their own channel (web or Telegram) and the database decides races; this module adds who may
do it, the audit log, and the staff-only parts (notes, canned answers).
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select

from bot.booking.struggle import reason_label
from bot.console.sessions import StaffIdentity
from bot.danish import topic_label
from bot.gateway import satisfaction
from bot.gateway.conversations import ConversationNotFound, ConversationService, MessageRejected, Seen
from bot.gateway.language import LANGUAGE_LABELS, conversation_languages
from bot.gateway.views import ConversationView
from bot.privacy import redact
from bot.store import Booking, Conversation, ConversationState, Database, Message, Sender, StaffMember, audit
from bot.store.models import CannedAnswer, ConversationNote, Handoff
from bot.times import iso

NOT_FOUND = "Samtalen findes ikke. Borgeren kan have slettet den."
MAX_REPLY_LENGTH = 4000
MAX_NOTE_LENGTH = 2000
CHANNEL_LABELS = {"web": "Web-chat", "telegram": "Telegram"}


class Refused(Exception):
    """The action was not done; `text` says why, in Danish, for the staff member."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


def _conversation_dict(
    row: Conversation, assigned_name: str | None, waiting_messages: int = 0, language: str = "da"
) -> dict[str, Any]:
    """The conversation as every channel sees it, plus what staff see: labels, names, satisfaction."""
    return {
        **ConversationView.of(row).to_dict(),
        "language": language,
        "language_label": LANGUAGE_LABELS[language],
        "channel_label": CHANNEL_LABELS.get(row.channel, row.channel),
        "reason": row.handoff_reason,
        "reason_label": reason_label(row.handoff_reason) if row.handoff_reason else None,
        "topic_label": topic_label(row.topic) if row.topic else None,
        "assigned_name": assigned_name,
        "satisfaction": row.satisfaction,
        "citizen_messages": waiting_messages,
    }


def reached_staff(session, row: Conversation) -> bool:
    """Whether a conversation ever came to staff: waiting, taken, handed over before, or with a booking.

    Only those are staff's business; what a citizen said to the assistant alone is not."""
    if row.state in (ConversationState.WAITING, ConversationState.HUMAN) or row.assigned_staff_id is not None:
        return True
    handed_over = session.scalar(select(Handoff.id).where(Handoff.conversation_id == row.id).limit(1))
    booked = session.scalar(select(Booking.id).where(Booking.conversation_id == row.id).limit(1))
    return handed_over is not None or booked is not None


def visible_to(session, staff: StaffIdentity, conversation_id: str) -> Conversation | None:
    """The conversation if this staff member may open it (admins: any), else None, as if it did not exist."""
    row = session.get(Conversation, conversation_id)
    if row is None or not (staff.is_admin or reached_staff(session, row)):
        return None
    return row


class Desk:
    def __init__(self, db: Database, service: ConversationService) -> None:
        self.db = db
        self.service = service

    # Reading -----------------------------------------------------------------------------------

    async def queue(self) -> dict[str, list[dict[str, Any]]]:
        """Waiting conversations, oldest first, and those staff have now."""

        def load() -> dict[str, list[dict[str, Any]]]:
            with self.db.session() as session:
                rows = session.execute(
                    select(Conversation, StaffMember.first_name)
                    .outerjoin(StaffMember, StaffMember.id == Conversation.assigned_staff_id)
                    .where(Conversation.state.in_([ConversationState.WAITING, ConversationState.HUMAN]))
                    .order_by(Conversation.waiting_since, Conversation.updated_at)
                ).all()
                counts = dict(
                    session.execute(
                        select(Message.conversation_id, func.count())
                        .where(
                            Message.conversation_id.in_([row.id for row, _ in rows]),
                            Message.sender == Sender.CITIZEN,
                        )
                        .group_by(Message.conversation_id)
                    ).all()
                )
                languages = conversation_languages(session, [row.id for row, _ in rows])
                waiting = [
                    _conversation_dict(r, n, counts.get(r.id, 0), languages[r.id])
                    for r, n in rows
                    if r.state == ConversationState.WAITING
                ]
                active = [
                    _conversation_dict(r, n, counts.get(r.id, 0), languages[r.id])
                    for r, n in rows
                    if r.state == ConversationState.HUMAN
                ]
                return {"waiting": waiting, "active": active}

        return await asyncio.to_thread(load)

    async def conversation(self, staff: StaffIdentity, conversation_id: str) -> dict[str, Any]:
        def load() -> dict[str, Any]:
            with self.db.session() as session:
                if visible_to(session, staff, conversation_id) is None:
                    raise Refused(404, NOT_FOUND)
                found = session.execute(
                    select(Conversation, StaffMember.first_name)
                    .outerjoin(StaffMember, StaffMember.id == Conversation.assigned_staff_id)
                    .where(Conversation.id == conversation_id)
                ).first()
                if found is None:
                    raise Refused(404, "Samtalen findes ikke. Borgeren kan have slettet den.")
                row, name = found
                result = _conversation_dict(row, name, language=conversation_languages(session, [row.id])[row.id])
                result["notes"] = self._notes(session, conversation_id)
                result["bookings"] = [
                    {"reference": b.reference, "kind": b.kind, "starts_at": iso(b.starts_at), "status": b.status}
                    for b in session.scalars(
                        select(Booking).where(Booking.conversation_id == conversation_id).order_by(Booking.starts_at)
                    )
                ]
                return result

        return await asyncio.to_thread(load)

    @staticmethod
    def _notes(session, conversation_id: str) -> list[dict[str, Any]]:
        rows = session.execute(
            select(ConversationNote, StaffMember.first_name)
            .outerjoin(StaffMember, StaffMember.id == ConversationNote.staff_id)
            .where(ConversationNote.conversation_id == conversation_id)
            .order_by(ConversationNote.id)
        ).all()
        return [
            {"id": note.id, "text": note.text, "staff_name": name, "created_at": iso(note.created_at)}
            for note, name in rows
        ]

    async def may_open(self, staff: StaffIdentity, conversation_id: str) -> bool:
        def check() -> bool:
            with self.db.session() as session:
                return visible_to(session, staff, conversation_id) is not None

        return await asyncio.to_thread(check)

    async def opened(self, staff: StaffIdentity, conversation_id: str, via: str) -> None:
        """Log that a staff member read a conversation; `via` says how ("http" or "socket")."""
        await asyncio.to_thread(
            audit.record, self.db, staff.staff_id, "opened", conversation_id=conversation_id, details=via
        )

    # Changing ----------------------------------------------------------------------------------

    async def _current(self, conversation_id: str) -> tuple[ConversationState, int | None, str | None]:
        def load() -> tuple[ConversationState, int | None, str | None]:
            with self.db.session() as session:
                found = session.execute(
                    select(Conversation.state, Conversation.assigned_staff_id, StaffMember.first_name)
                    .outerjoin(StaffMember, StaffMember.id == Conversation.assigned_staff_id)
                    .where(Conversation.id == conversation_id)
                ).first()
                if found is None:
                    raise Refused(404, "Samtalen findes ikke. Borgeren kan have slettet den.")
                state, staff_id, name = found
                return ConversationState(state), staff_id, name

        return await asyncio.to_thread(load)

    async def _audit(self, staff: StaffIdentity, action: str, conversation_id: str, details: str | None = None) -> None:
        await asyncio.to_thread(
            audit.record, self.db, staff.staff_id, action, conversation_id=conversation_id, details=details
        )

    async def claim(self, staff: StaffIdentity, conversation_id: str) -> None:
        try:
            won = await self.service.claim(conversation_id, staff.staff_id, staff.first_name)
        except ConversationNotFound:
            raise Refused(404, "Samtalen findes ikke. Borgeren kan have slettet den.") from None
        if not won:
            state, _, name = await self._current(conversation_id)
            if state is ConversationState.HUMAN:
                raise Refused(409, f"{name or 'En anden medarbejder'} har allerede overtaget samtalen.")
            raise Refused(409, "Samtalen venter ikke længere på en medarbejder.")
        await self._audit(staff, "claimed", conversation_id)

    async def _own(self, staff: StaffIdentity, conversation_id: str, *, waiting_ok: bool) -> Seen:
        """Who may act: anyone on a waiting conversation (when `waiting_ok`), the owner on their own,
        and an admin ending anyone's. Returns what was seen, so the change itself can insist on it."""
        state, owner, name = await self._current(conversation_id)
        if state is ConversationState.WAITING and waiting_ok:
            return Seen(state, None)
        if state is not ConversationState.HUMAN:
            raise Refused(409, "Samtalen er ikke overtaget af en medarbejder.")
        if owner != staff.staff_id and not (waiting_ok and staff.is_admin):
            raise Refused(403, f"Samtalen er overtaget af {name or 'en anden medarbejder'}.")
        return Seen(state, owner)

    async def _changed_meanwhile(self, staff: StaffIdentity, conversation_id: str, not_done: str) -> Refused:
        """The 409 for an action the database refused because someone changed the conversation first."""
        try:
            state, owner, name = await self._current(conversation_id)
        except Refused as gone:
            return gone
        if state is ConversationState.HUMAN and owner != staff.staff_id:
            return Refused(409, f"{name or 'En anden medarbejder'} har overtaget samtalen imens. {not_done}")
        return Refused(409, f"Samtalen er ændret imens. {not_done} Se den igen.")

    async def reply(self, staff: StaffIdentity, conversation_id: str, text: str) -> dict[str, Any]:
        text = text.strip()
        if not text:
            raise Refused(400, "Skriv et svar først.")
        if len(text) > MAX_REPLY_LENGTH:
            raise Refused(400, f"Svaret er for langt. Det må højst være {MAX_REPLY_LENGTH} tegn.")
        await self._own(staff, conversation_id, waiting_ok=False)
        try:
            message = await self.service.reply_as_staff(conversation_id, staff.staff_id, text)
        except MessageRejected as rejected:
            if rejected.code == "not_owner":
                raise await self._changed_meanwhile(staff, conversation_id, "Dit svar er ikke sendt.") from None
            raise Refused(409, rejected.text) from None
        except ConversationNotFound:
            raise Refused(404, "Samtalen findes ikke. Borgeren kan have slettet den.") from None
        await self._audit(staff, "replied", conversation_id, details=f"besked {message.id}")
        return message.to_dict()

    async def typing(self, staff: StaffIdentity, conversation_id: str, on: bool) -> None:
        try:
            await self._own(staff, conversation_id, waiting_ok=False)
        except Refused:
            return
        await self.service.set_typing(conversation_id, "staff", on)

    async def hand_back(self, staff: StaffIdentity, conversation_id: str) -> None:
        seen = await self._own(staff, conversation_id, waiting_ok=True)
        if not await self.service.hand_back(conversation_id, staff.staff_id, seen=seen):
            raise await self._changed_meanwhile(staff, conversation_id, "Den er ikke givet tilbage til chatbotten.")
        await self._audit(staff, "handed_back", conversation_id)

    async def close(self, staff: StaffIdentity, conversation_id: str) -> None:
        seen = await self._own(staff, conversation_id, waiting_ok=True)
        if not await self.service.close(conversation_id, staff.staff_id, seen=seen):
            raise await self._changed_meanwhile(staff, conversation_id, "Den er ikke afsluttet.")
        await self._audit(staff, "closed", conversation_id)
        try:
            await self.service.add_system_message(conversation_id, satisfaction.QUESTION, satisfaction.buttons())
        except ConversationNotFound:
            pass

    async def add_note(self, staff: StaffIdentity, conversation_id: str, text: str) -> dict[str, Any]:
        text = text.strip()
        if not text:
            raise Refused(400, "Skriv noten først.")
        if len(text) > MAX_NOTE_LENGTH:
            raise Refused(400, f"Noten er for lang. Den må højst være {MAX_NOTE_LENGTH} tegn.")
        if not await self.may_open(staff, conversation_id):
            raise Refused(404, NOT_FOUND)
        text = redact(text).text  # notes are stored like messages: CPR and card numbers never are

        def store() -> dict[str, Any]:
            with self.db.session() as session:
                note = ConversationNote(conversation_id=conversation_id, staff_id=staff.staff_id, text=text)
                session.add(note)
                session.flush()
                return {
                    "id": note.id,
                    "text": note.text,
                    "staff_name": staff.first_name,
                    "created_at": iso(note.created_at),
                }

        note = await asyncio.to_thread(store)
        await self._audit(staff, "note_added", conversation_id)
        return note


# Canned answers ----------------------------------------------------------------------------------

MAX_CANNED_TITLE = 80


@dataclass(frozen=True)
class Canned:
    id: int
    title: str
    text: str
    updated_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "text": self.text}


def canned_answers(db: Database) -> list[Canned]:
    with db.session() as session:
        return [
            Canned(row.id, row.title, row.text, row.updated_at)
            for row in session.scalars(select(CannedAnswer).order_by(CannedAnswer.title))
        ]


def _check_canned(title: str, text: str) -> tuple[str, str]:
    # Canned answers end up in replies to citizens: redacted like every stored text.
    title, text = redact(title.strip()).text, redact(text.strip()).text
    if not title or not text:
        raise Refused(400, "Et standardsvar skal have både en titel og en tekst.")
    if len(title) > MAX_CANNED_TITLE or len(text) > MAX_REPLY_LENGTH:
        raise Refused(400, f"Titlen må højst være {MAX_CANNED_TITLE} tegn og teksten {MAX_REPLY_LENGTH} tegn.")
    return title, text


def save_canned(db: Database, staff_id: int, title: str, text: str, canned_id: int | None = None) -> None:
    title, text = _check_canned(title, text)
    with db.session() as session:
        if canned_id is None:
            session.add(CannedAnswer(title=title, text=text, updated_by=staff_id))
            return
        row = session.get(CannedAnswer, canned_id)
        if row is None:
            raise Refused(404, "Standardsvaret findes ikke længere.")
        row.title, row.text, row.updated_by = title, text, staff_id


def delete_canned(db: Database, canned_id: int) -> None:
    with db.session() as session:
        session.execute(delete(CannedAnswer).where(CannedAnswer.id == canned_id))

