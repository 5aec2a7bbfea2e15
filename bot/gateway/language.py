"""The language each conversation's answers are in, as the assistant keeps it: the slot `language`
in Rasa's tracker events (the same database). Rasa writes it; the gateway and the console only read."""
from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from bot.store.rasa_events import latest_slot_values

if TYPE_CHECKING:
    from bot.store import Database

DANISH = "da"
ENGLISH = "en"
LANGUAGE_LABELS = {DANISH: "Dansk", ENGLISH: "Engelsk"}
LANGUAGE_SLOT = "language"


def conversation_languages(session: Session, conversation_ids: Iterable[str]) -> dict[str, str]:
    """"da" or "en" for each conversation: Danish where the assistant never set it (or has no table yet)."""
    ids = list(conversation_ids)
    set_by_assistant = latest_slot_values(session, ids, LANGUAGE_SLOT)
    return {each: ENGLISH if set_by_assistant.get(each) == ENGLISH else DANISH for each in ids}


def conversation_language(session: Session, conversation_id: str) -> str:
    return conversation_languages(session, [conversation_id])[conversation_id]


async def language_of(db: Database, conversation_id: str | None) -> str:
    """The conversation's language, read off the event loop; Danish when there is no conversation."""
    if conversation_id is None:
        return DANISH

    def read() -> str:
        with db.session() as session:
            return conversation_language(session, conversation_id)

    return await asyncio.to_thread(read)
