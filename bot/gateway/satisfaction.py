"""The one question a citizen is asked when staff close a conversation: how satisfied, from 1 to 5.

The answer comes back as a button payload that the gateway keeps for itself, like "Slet min samtale":
it is stored on the conversation (`conversations.satisfaction`) and never sent to Rasa. The
transcript keeps the score alone: a client may send any text with the payload, and it is not kept.
"""
from __future__ import annotations

import re

from bot.gateway.rows import add_message, lock_for_new_message, message_by_client_id
from bot.gateway.views import ConversationView, MessageView
from bot.store import Database, Sender
from bot.store.models import RasaDelivery

PAYLOAD = "/satisfaction"
QUESTION = "Hvor tilfreds er du med hjælpen, du fik? Vælg et tal fra 1 (meget utilfreds) til 5 (meget tilfreds)."
THANKS = "Tak for dit svar. Skriv igen, hvis du får brug for hjælp."
_ANSWER = re.compile(r'^/satisfaction\{\s*"score"\s*:\s*([1-5])\s*\}$')


def buttons() -> list[dict[str, str]]:
    return [{"title": str(score), "payload": f'{PAYLOAD}{{"score": {score}}}'} for score in range(1, 6)]


def score_of(payload: str | None) -> int | None:
    """The score in a satisfaction button's payload, or None for any other message."""
    match = _ANSWER.match((payload or "").strip())
    return int(match.group(1)) if match else None


def answer_text(score: int) -> str:
    """What the transcript shows for a satisfaction answer: the score, never the text sent with it."""
    return str(score)


def store_answer(
    db: Database, conversation_id: str, score: int, client_message_id: str | None
) -> tuple[ConversationView, MessageView, bool] | None:
    """The score on the conversation and in its transcript, once per client message id; returns the
    conversation, the message and whether it was a duplicate, or None when the conversation is gone."""
    with db.session() as session:
        row = lock_for_new_message(session, conversation_id)
        if row is None:
            return None
        if client_message_id:
            existing = message_by_client_id(session, conversation_id, client_message_id)
            if existing is not None:
                return ConversationView.of(row), existing, True
        row.satisfaction = score
        message = add_message(
            session,
            conversation_id,
            Sender.CITIZEN,
            answer_text(score),
            payload={"satisfaction": score},
            client_message_id=client_message_id,
            rasa_status=RasaDelivery.STAFF,
        )
        session.flush()
        return ConversationView.of(row), MessageView.of(message), False
