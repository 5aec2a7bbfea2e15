"""A citizen books a call-back and cancels it with the code, through the gateway, Rasa and the actions.

Needs a trained model: the suite's `trained_model` fixture, or BORGERHJAELP_TEST_MODEL while developing.
Button clicks are sent as their payloads, typed answers as text, exactly as the web widget does.
"""
from __future__ import annotations

import asyncio
import json
import re
import uuid

import pytest
import websockets

from sqlalchemy import select, text

from bot.privacy.deletion import RASA_EVENTS_TABLE
from bot.store import Conversation, Database, Handoff
from bot.store.models import Booking, BookingStatus

TIMEOUT = 90
QUIET = 2.0  # seconds without a new message: the assistant has said all it will say


@pytest.fixture
def stack(live_stack):
    # The session's one stack (tests/conftest.py): each test talks in conversations of its own, and
    # every Rasa start costs the suite most of a minute.
    return live_stack


class Chat:
    """One visitor in the web widget, over the gateway's websocket."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.sent = 0
        self.conversation_id: str | None = None

    async def replies(self) -> list[dict]:
        messages: list[dict] = []
        while True:
            try:
                event = json.loads(await asyncio.wait_for(self.ws.recv(), QUIET if messages else TIMEOUT))
            except asyncio.TimeoutError:
                return messages
            if event["type"] == "conversation":
                self.conversation_id = event["conversation_id"]
            if event["type"] == "message" and event["message"]["sender"] != "citizen":
                messages.append(event["message"])

    async def say(self, text: str, payload: str | None = None) -> list[dict]:
        self.sent += 1
        message = {"type": "message", "client_id": f"c-{self.sent:04d}", "text": text}
        if payload:
            message["payload"] = payload
        await self.ws.send(json.dumps(message))
        return await self.replies()


async def open_chat(stack, ws) -> Chat:
    await ws.send(json.dumps({"type": "hello", "visitor_id": uuid.uuid4().hex, "conversation_id": None, "after": 0}))
    await ws.send(json.dumps({"type": "start"}))
    chat = Chat(ws)
    await chat.replies()  # the greeting
    return chat


async def start_the_booking_form(stack) -> str:
    """Ask for a time and answer the form's first question; returns the conversation's id."""
    url = stack.gateway_url.replace("http", "ws") + "/ws"
    async with websockets.connect(url, origin=stack.gateway_url) as ws:
        chat = await open_chat(stack, ws)
        offer = await chat.say("Jeg vil gerne have en tid")
        assert "Hvordan vil du have hjælp?" in texts(offer), texts(offer)
        asked = await chat.say("Ring mig op", "/choose_callback")
        assert "Hvad skal du have hjælp til?" in texts(asked), texts(asked)
        assert chat.conversation_id
        return chat.conversation_id


def texts(messages: list[dict]) -> str:
    return "\n".join(m["text"] for m in messages)


def button(messages: list[dict], title: str | None = None) -> dict:
    buttons = [b for m in messages for b in m.get("buttons") or []]
    return next(b for b in buttons if title is None or b["title"] == title)


async def book_and_cancel(stack) -> tuple[str, str, str]:
    url = stack.gateway_url.replace("http", "ws") + "/ws"
    async with websockets.connect(url, origin=stack.gateway_url) as ws:
        chat = await open_chat(stack, ws)
        offer = await chat.say("Jeg vil gerne have en tid")  # typed: no button for it is on offer
        assert "Hvordan vil du have hjælp?" in texts(offer), texts(offer)
        times = await chat.say("Ring mig op", "/choose_callback")
        assert "Hvad skal du have hjælp til?" in texts(times), texts(times)
        times = await chat.say("MitID", "MitID")
        first = button(times)
        assert re.match(r"(man|tirs|ons|tors|fre|lør|søn)dag \d+\. \w+\.? kl\. \d\d\.\d\d", first["title"]), first
        asked = await chat.say(first["title"], first["payload"])
        assert "fornavn" in texts(asked), texts(asked)
        asked = await chat.say("Mette")
        assert "telefonnummer" in texts(asked), texts(asked)
        wrong = await chat.say("1234")
        assert "8 cifre" in texts(wrong), texts(wrong)
        summary = await chat.say("20 30 40 50")
        assert "Borgerservice ringer til Mette på 20 30 40 50" in texts(summary), texts(summary)
        confirmation = await chat.say("Ja, bestil tiden", "/affirm")
        said = texts(confirmation)
        code = re.search(r"Dit bestillingsnummer er ([A-Z0-9]{3}-[A-Z0-9]{3})\.", said)
        assert code and first["title"] in said and "aflys" in said, said

    # Another day, another conversation: the code and the phone number are enough.
    async with websockets.connect(url, origin=stack.gateway_url) as ws:
        chat = await open_chat(stack, ws)
        asked = await chat.say("Aflys min tid")
        assert "Skriv bestillingsnummeret" in texts(asked), texts(asked)
        asked = await chat.say(f"min kode er {code[1].lower()}")
        assert "telefonnummer" in texts(asked), texts(asked)
        # "Aflys min tid" said what to do, so the form does not ask "aflyse eller flytte?".
        confirm = await chat.say("20 30 40 50")
        assert "Vil du aflyse din tid" in texts(confirm), texts(confirm)
        done = await chat.say("Ja, aflys tiden", "/affirm")
        return code[1], said, texts(done)


def test_the_gateway_records_the_booking_request_and_sends_rasa_no_resume_in_the_form(stack):
    """The action server reports the request through its payload; the gateway writes the handoff row,
    and since nothing paused Rasa, the form's next answer goes to Rasa without `resume`."""
    conversation_id = asyncio.run(start_the_booking_form(stack))
    database = Database(stack.database_url)
    try:
        with database.session() as session:
            tracker = session.execute(
                text(f"SELECT type_name FROM {RASA_EVENTS_TABLE} WHERE sender_id = :id ORDER BY id"), {"id": conversation_id}
            ).scalars().all()
            handoffs = session.scalars(select(Handoff).where(Handoff.conversation_id == conversation_id)).all()
            conversation = session.get(Conversation, conversation_id)
            assert "user" in tracker and "resume" not in tracker, tracker
            assert [(h.reason, h.outcome) for h in handoffs] == [("asked_for_booking", "booking_offered")]
            assert conversation.state == "bot" and conversation.rasa_paused_at is None
    finally:
        database.dispose()


def test_book_a_callback_and_cancel_it_with_the_code(stack):
    code, confirmation, cancelled = asyncio.run(book_and_cancel(stack))
    assert "er aflyst" in cancelled, cancelled
    booking = stored_booking(stack, code)
    assert booking.status == BookingStatus.CANCELLED and booking.phone == "20304050"
    assert "Borgeren bad om en tid" in booking.summary


def stored_booking(stack, reference: str) -> Booking:
    """The booking row as the database holds it now."""
    database = Database(stack.database_url)
    try:
        with database.session() as session:
            booking = session.query(Booking).filter_by(reference=reference).one()
            session.expunge(booking)
            return booking
    finally:
        database.dispose()


async def book_a_callback(chat: Chat) -> str:
    """The booking form from the offer to the confirmation; returns the bestillingsnummer."""
    await chat.say("Jeg vil gerne have en tid")
    await chat.say("Ring mig op", "/choose_callback")
    times = await chat.say("MitID", "MitID")
    first = button(times)
    await chat.say(first["title"], first["payload"])
    await chat.say("Mette")
    await chat.say("20 30 40 50")
    confirmation = await chat.say("Ja, bestil tiden", "/affirm")
    code = re.search(r"Dit bestillingsnummer er ([A-Z0-9]{3}-[A-Z0-9]{3})\.", texts(confirmation))
    assert code, texts(confirmation)
    return code[1]


async def book_then_cancel_in_the_same_conversation(stack) -> tuple[str, str, str]:
    url = stack.gateway_url.replace("http", "ws") + "/ws"
    async with websockets.connect(url, origin=stack.gateway_url) as ws:
        chat = await open_chat(stack, ws)
        code = await book_a_callback(chat)
        confirm = await chat.say("Jeg vil gerne aflyse min tid")
        done = await chat.say("Ja, aflys tiden", "/affirm")
        return code, texts(confirm), texts(done)


def test_the_one_booking_of_this_conversation_is_cancelled_without_its_code(stack):
    code, confirm, done = asyncio.run(book_then_cancel_in_the_same_conversation(stack))
    # The citizen just booked it here: no bestillingsnummer, no phone number, straight to the question.
    assert "Skriv bestillingsnummeret" not in confirm, confirm
    assert "Vil du aflyse din tid" in confirm, confirm
    assert "er aflyst" in done, done
    assert stored_booking(stack, code).status == BookingStatus.CANCELLED
