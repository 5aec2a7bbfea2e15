"""The audit log: which staff member did what to which conversation or booking, and when.

Entries name the conversation by id and never copy what the citizen wrote, so the log holds no
transcript and outlives a deleted conversation without keeping its content.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bot.store import AuditEntry, Database, StaffMember

ACTION_LABELS = {
    "login": "Loggede ind",
    "logout": "Loggede ud",
    "opened": "Åbnede samtalen",
    "claimed": "Overtog samtalen",
    "replied": "Svarede borgeren",
    "handed_back": "Gav samtalen tilbage til chatbotten",
    "closed": "Afsluttede samtalen",
    "note_added": "Skrev en note",
    "booking_offered": "Ingen nåede samtalen; borgeren fik tilbudt en tid",
    "back_to_queue": "Medarbejderen var gået; samtalen kom i kø igen",
    "presence": "Skiftede status",
    "booking_done": "Markerede en tid som gennemført",
    "booking_no_show": "Markerede at borgeren udeblev",
    "booking_cancelled": "Aflyste en tid",
    "availability": "Ændrede tider",
    "canned_answers": "Ændrede standardsvar",
    "inbox_assigned": "Gav en overset besked en intention",
    "inbox_out_of_scope": "Markerede en overset besked som uden for chatbottens område",
    "inbox_dismissed": "Afviste en overset besked",
    "example_kept": "Gemte et træningseksempel",
    "example_deleted": "Slettede et træningseksempel",
    "model_training": "Startede træning af en ny model",
    "model_served": "Ny model bestod testene og er i brug",
    "model_failed_gate": "Ny model bestod ikke testene",
    "model_switched": "Skiftede model",
    "model_rolled_back": "Gik tilbage til en tidligere model",
    "statistics_exported": "Hentede statistikken som CSV",
    "examples_exported": "Skrev træningseksemplerne til data/nlu/learned.yml",
}


@dataclass(frozen=True)
class AuditLine:
    id: int
    created_at: datetime
    staff_name: str | None
    action: str
    conversation_id: str | None
    booking_id: int | None
    details: str | None

    @property
    def label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)


def record(
    db: Database,
    staff_id: int | None,
    action: str,
    *,
    conversation_id: str | None = None,
    booking_id: int | None = None,
    details: str | None = None,
) -> None:
    with db.session() as session:
        session.add(
            AuditEntry(
                staff_id=staff_id,
                action=action[:32],
                conversation_id=conversation_id,
                booking_id=booking_id,
                details=details,
            )
        )


def recent(db: Database, limit: int = 300, conversation_id: str | None = None) -> list[AuditLine]:
    query = (
        select(AuditEntry, StaffMember.username)
        .outerjoin(StaffMember, StaffMember.id == AuditEntry.staff_id)
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    if conversation_id:
        query = query.where(AuditEntry.conversation_id == conversation_id)
    with db.session() as session:
        return [
            AuditLine(
                id=entry.id,
                created_at=entry.created_at,
                staff_name=username,
                action=entry.action,
                conversation_id=entry.conversation_id,
                booking_id=entry.booking_id,
                details=entry.details,
            )
            for entry, username in session.execute(query)
        ]
