"""Through the gateway, Rasa and the actions: a citizen books a call-back, the conversation stands
still for 31 minutes (a shared computer's next user may be the one writing now), and "aflys min
tid" in the same conversation (its one booking, found without the code) asks for the phone number
before anything is cancelled.

Needs a trained model: the suite's `trained_model` fixture, or BORGERHJAELP_TEST_MODEL while developing.
The break is made by moving the conversation's earlier events in Rasa's tracker table 31 minutes
back, not by waiting.
"""
from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from sqlalchemy import text

from bot.privacy.deletion import RASA_EVENTS_TABLE
from bot.store import Database
from bot.store.models import BookingStatus

from .test_full_stack import book_a_callback, open_chat, stored_booking, texts

BREAK_SECONDS = 31 * 60


@pytest.fixture
def stack(live_stack):
    # The session's one stack (tests/conftest.py): each test talks in conversations of its own, and
    # every Rasa start costs the suite most of a minute.
    return live_stack


def move_back(database_url: str, conversation_id: str, seconds: float) -> None:
    """Every event of the conversation so far happened `seconds` earlier. Written again as new rows:
    Rasa's tracker store (bot/tracker_store.py) keeps a tracker in memory while the conversation's
    newest event id is unchanged, so changed rows under the same ids would not be read."""
    database = Database(database_url)
    try:
        with database.session() as session:
            rows = session.execute(
                text(f"SELECT * FROM {RASA_EVENTS_TABLE} WHERE sender_id = :id ORDER BY id"), {"id": conversation_id}
            ).mappings().all()
            for row in rows:
                event = json.loads(row["data"])
                event["timestamp"] = float(event["timestamp"]) - seconds
                values = {**row, "timestamp": event["timestamp"], "data": json.dumps(event)}
                del values["id"]
                session.execute(
                    text(f"INSERT INTO {RASA_EVENTS_TABLE} ({', '.join(values)}) VALUES ({', '.join(':' + k for k in values)})"),
                    values,
                )
            session.execute(
                text(f"DELETE FROM {RASA_EVENTS_TABLE} WHERE id IN ({', '.join(str(row['id']) for row in rows)})")
            )
    finally:
        database.dispose()


async def book_leave_and_cancel(stack) -> tuple[str, list[str]]:
    url = stack.gateway_url.replace("http", "ws") + "/ws"
    async with websockets.connect(url, origin=stack.gateway_url) as ws:
        chat = await open_chat(stack, ws)
        code = await book_a_callback(chat)

        assert chat.conversation_id
        move_back(stack.database_url, chat.conversation_id, BREAK_SECONDS)

        # The conversation's one booking is found without its code, but after the break the phone
        # number must be given again; "aflys" already said what to do.
        answers = [texts(await chat.say("Aflys min tid"))]
        answers.append(texts(await chat.say("20 30 40 50")))
        answers.append(texts(await chat.say("Ja, aflys tiden", "/affirm")))
        return code, answers


def test_after_a_break_the_same_conversation_needs_the_phone_number_to_cancel(stack):
    code, (asked, confirm, done) = asyncio.run(book_leave_and_cancel(stack))
    assert "telefonnummer" in asked, asked
    assert "Vil du aflyse din tid" in confirm, confirm
    assert "er aflyst" in done, done
    assert stored_booking(stack, code).status == BookingStatus.CANCELLED
