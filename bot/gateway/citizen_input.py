"""What a citizen's message may be to Rasa, the same for every channel.

Rasa reads a message starting with "/" as an intent with entities ("/request_human",
"/book_helper{...}"). Only a button the gateway itself showed may send one; typed text (a Telegram
caption included) reaches Rasa as the same words without the slashes. A button counts only while
it is on offer: in the messages since the citizen last wrote, which is what the widget still shows
and the latest Telegram keyboard.
"""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store import Database, Message, Sender

# How far back to look for the buttons on offer; one turn of the assistant is a handful of messages.
_LATEST_TURN = 50
_LEADING_SLASHES = re.compile(r"^[\s/]+")


def as_plain_words(text: str) -> str | None:
    """What Rasa gets for typed text that starts with "/" (after any spaces): the words without the
    slashes, "" when nothing is left. None: the text is fine as it is."""
    if not text.lstrip().startswith("/"):
        return None
    return _LEADING_SLASHES.sub("", text).strip()


def _latest_turn(session: Session, conversation_id: str) -> list[Message]:
    """The messages since the citizen last wrote, newest first."""
    turn = []
    for message in session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.id.desc())
        .limit(_LATEST_TURN)
    ):
        if message.sender == Sender.CITIZEN:
            break
        turn.append(message)
    return turn


def _buttons(message: Message) -> list[Any]:
    buttons = (message.payload or {}).get("buttons") or []
    return buttons if isinstance(buttons, list) else []


def payload_on_offer(db: Database, conversation_id: str, payload: str, client_id: str | None) -> bool:
    """Whether `payload` is a button's in the latest turn, or the message is one already stored (a
    resend after a lost connection, whose button was on offer when it was first sent)."""
    with db.session() as session:
        if client_id:
            stored = select(Message.id).where(
                Message.conversation_id == conversation_id, Message.client_message_id == client_id
            )
            if session.scalar(stored) is not None:
                return True
        return any(
            isinstance(button, dict) and str(button.get("payload", "")) == payload
            for message in _latest_turn(session, conversation_id)
            for button in _buttons(message)
        )


def button_at(db: Database, conversation_id: str, message_id: int, index: int) -> tuple[dict[str, str] | None, bool]:
    """The button at `index` of message `message_id` of this conversation ({"title", "payload"}, or
    None when there is no such button), and whether it is on offer (its message is in the latest turn)."""
    with db.session() as session:
        message = session.get(Message, message_id)
        if message is None or message.conversation_id != conversation_id:
            return None, False
        buttons = _buttons(message)
        button = buttons[index] if 0 <= index < len(buttons) else None
        if not isinstance(button, dict) or not button.get("title"):
            return None, False
        found = {"title": str(button["title"]), "payload": str(button.get("payload") or "")}
        return found, any(turn.id == message_id for turn in _latest_turn(session, conversation_id))
