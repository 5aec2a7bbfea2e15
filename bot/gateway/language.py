"""The language each conversation's answers are in, as the assistant keeps it: the slot `language`
in Rasa's tracker events (the same database). Rasa writes it; the gateway and the console only read."""
from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import bindparam, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

DANISH = "da"
ENGLISH = "en"
LANGUAGE_LABELS = {DANISH: "Dansk", ENGLISH: "Engelsk"}

# Rasa stores each event as JSON written with json.dumps' default separators.
_LANGUAGE_EVENTS = text(
    "SELECT sender_id, data FROM events WHERE type_name = 'slot' AND sender_id IN :ids AND data LIKE :name ORDER BY id"
).bindparams(bindparam("ids", expanding=True))
_LANGUAGE_SLOT = '%"name": "language"%'


def conversation_languages(session: Session, conversation_ids: Iterable[str]) -> dict[str, str]:
    """"da" or "en" for each conversation: Danish where the assistant never set it (or has no table yet)."""
    ids = list(conversation_ids)
    languages = dict.fromkeys(ids, DANISH)
    if not ids:
        return languages
    try:
        with session.begin_nested():
            rows = session.execute(_LANGUAGE_EVENTS, {"ids": ids, "name": _LANGUAGE_SLOT}).all()
    except DBAPIError:
        # Rasa creates its table when it first starts; until then every conversation is Danish.
        return languages
    for sender_id, data in rows:
        languages[sender_id] = ENGLISH if json.loads(data or "{}").get("value") == ENGLISH else DANISH
    return languages


def conversation_language(session: Session, conversation_id: str) -> str:
    return conversation_languages(session, [conversation_id])[conversation_id]
