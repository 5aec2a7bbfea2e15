"""Citizens on Telegram against the real stack: `python -m bot run` with the trained model, the action
server and the gateway, Telegram in polling mode against the fake Bot API, staff in the console's HTTP API.

Needs a trained model: the suite's `trained_model` fixture, or BORGERHJAELP_TEST_MODEL while developing.
The municipality is open around the clock here, so that a live handoff is offered whenever the test runs.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.config import WEEKDAYS
from bot.console.accounts import add_staff
from bot.store import Booking, Conversation, ConversationState, Database, Message, Sender, StaffRole
from tests.console.support import PASSWORD, sign_in
from tests.support.servers import serve_in_thread
from tests.support.stack import running_stack
from tests.telegram.fake_bot_api import TOKEN, FakeBotAPI
from tests.telegram.support import Citizen, eventually

TIMEOUT = 90.0  # the first answers wait for Rasa and the action server on a busy machine


@pytest.fixture(scope="module")
def fake() -> FakeBotAPI:
    api = FakeBotAPI()
    with serve_in_thread(api.app()) as url:
        api.url = url
        yield api


def open_around_the_clock(directory: Path) -> Path:
    config = yaml.safe_load((Path(__file__).resolve().parents[2] / "municipality.yml").read_text(encoding="utf-8"))
    config["opening_hours"] = {day: ["00:00-23:59"] for day in WEEKDAYS}
    config["opening_hours_exceptions"] = []
    path = directory / "municipality.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def stack(trained_model, fake, tmp_path_factory):
    directory = tmp_path_factory.mktemp("telegram-stack")
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": fake.url,
        "TELEGRAM_MODE": "polling",
        "MUNICIPALITY_CONFIG": str(open_around_the_clock(directory)),
        "RASA_TIMEOUT": "30",
    }
    with running_stack(trained_model, directory, env=env) as stack:
        yield stack


@pytest.fixture(scope="module")
def database(stack):
    db = Database(stack.database_url)
    add_staff(db, "anne", "Anne", PASSWORD, StaffRole.STAFF)
    yield db
    db.dispose()


async def polling(fake: FakeBotAPI) -> None:
    await fake.wait_for(lambda: fake.calls_of("getUpdates"), TIMEOUT, "the gateway to poll Telegram")


def latest_conversation(db: Database, chat_id: int) -> Conversation:
    with db.session() as session:
        row = (
            session.query(Conversation)
            .filter_by(channel="telegram", channel_user_id=str(chat_id))
            .order_by(Conversation.created_at.desc())
            .first()
        )
        session.expunge_all()
        return row


def messages(db: Database, conversation_id: str) -> list[Message]:
    with db.session() as session:
        rows = session.query(Message).filter_by(conversation_id=conversation_id).order_by(Message.id).all()
        session.expunge_all()
        return rows


async def test_start_a_mitid_question_a_button_and_a_flood_limit(stack, fake):
    assert "Telegram: on, polling" in stack.log.read_text(errors="replace")
    await polling(fake)
    citizen = Citizen(fake, 7001)
    await citizen.send("/start")
    greeting = await citizen.expect("Jeg er en chatbot", timeout=TIMEOUT)
    # The real greeting also offers English to newcomers (domain/responses/dialogue.yml).
    assert [title for title, _ in greeting.buttons] == ["MitID", "Digital Post", "Tal med en medarbejder", "English"]

    # Telegram's flood limit on the answer: it arrives after retry_after, in order.
    fake.fail_with_flood_limit("sendMessage", retry_after=2, chat_id=citizen.chat_id)
    seen = citizen.seen()
    await citizen.send("Jeg har glemt min adgangskode til MitID")
    answer = await citizen.expect("MitID", after=seen, timeout=TIMEOUT)
    question = await citizen.expect("Hjalp det?", after=seen, timeout=TIMEOUT)
    assert citizen.texts().index(answer.text) < citizen.texts().index(question.text)
    refused, retried = [c for c in fake.calls_of("sendMessage") if c.params["chat_id"] == citizen.chat_id][seen : seen + 2]
    assert refused.status == 429 and retried.at - refused.at >= 2.0

    seen = citizen.seen()
    await citizen.press(question, "Ja")
    await citizen.expect("Du valgte: Ja", after=seen)
    await fake.wait_for(lambda: len(citizen.texts()) > seen + 1, TIMEOUT, "the assistant's answer to Ja")


async def test_book_a_call_back_with_buttons_and_typed_answers(stack, fake, database):
    await polling(fake)
    citizen = Citizen(fake, 7002)
    await citizen.send("Jeg vil gerne bestille en tid")
    kind = await citizen.expect("Hvordan vil du have hjælp?", timeout=TIMEOUT)
    seen = citizen.seen()
    await citizen.press(kind, index=0)
    topics = await citizen.expect("Hvad skal du have hjælp til?", after=seen, timeout=TIMEOUT)
    seen = citizen.seen()
    await citizen.press(topics, "MitID")
    times = await citizen.expect_buttons(after=seen, timeout=TIMEOUT)
    first_time = times.buttons[0][0]
    assert re.match(r"(man|tirs|ons|tors|fre|lør|søn)dag \d+\. \w+\.? kl\. \d\d\.\d\d", first_time), times.buttons
    seen = citizen.seen()
    await citizen.press(times, first_time)
    await citizen.expect("fornavn", after=seen, timeout=TIMEOUT)
    seen = citizen.seen()
    await citizen.send("Mette")
    await citizen.expect("telefonnummer", after=seen, timeout=TIMEOUT)
    seen = citizen.seen()
    await citizen.send("20 30 40 50")
    summary = await citizen.expect("Borgerservice ringer til Mette på 20 30 40 50", after=seen, timeout=TIMEOUT)
    confirm = summary if summary.buttons else await citizen.expect_buttons(after=seen, timeout=TIMEOUT)
    seen = citizen.seen()
    await citizen.press(confirm, index=0)
    # The booking's reference is a "bestillingsnummer": a "kode" is something citizens never give away.
    done = await citizen.expect("Dit bestillingsnummer er", after=seen, timeout=TIMEOUT)
    code = re.search(r"Dit bestillingsnummer er ([A-Z0-9]{3}-[A-Z0-9]{3})\.", done.text)
    assert code and first_time in done.text, done.text
    with database.session() as session:
        booking = session.query(Booking).filter_by(reference=code[1]).one()
        # The booking belongs to the Telegram conversation, so staff can tell the citizen there.
        conversation = latest_conversation(database, citizen.chat_id)
        assert (booking.conversation_id, booking.phone, booking.first_name) == (conversation.id, "20304050", "Mette")


async def test_handoff_claimed_and_answered_in_the_console_then_handed_back(stack, fake, database):
    await polling(fake)
    staff = await sign_in(stack.gateway_url, "anne")
    try:
        assert (await staff.api("POST", "/staff/api/presence", {"status": "online"})).json() == {"status": "online"}
        citizen = Citizen(fake, 7003)
        await citizen.send("Jeg vil gerne tale med en medarbejder")
        await citizen.expect("Jeg sender dig videre til en medarbejder", timeout=TIMEOUT)
        conversation = latest_conversation(database, citizen.chat_id)

        async def waiting() -> list[dict]:
            return [c for c in (await staff.api("GET", "/staff/api/queue")).json()["waiting"] if c["id"] == conversation.id]

        queued = await eventually(waiting, TIMEOUT, "the conversation in the staff queue")
        assert queued[0]["channel"] == "telegram"

        await citizen.send("Min MitID app er gået i stå")  # while waiting: for staff, not for the assistant
        claim = await staff.api("POST", f"/staff/api/conversations/{conversation.id}/claim")
        assert claim.status_code == 200, claim.text
        await citizen.expect("En medarbejder har overtaget samtalen. Du skriver nu med Anne.", timeout=TIMEOUT)
        reply = await staff.api(
            "POST", f"/staff/api/conversations/{conversation.id}/reply", {"text": "Hej, jeg er Anne. Prøv at <genstarte> appen."}
        )
        assert reply.status_code == 200, reply.text
        answer = await citizen.expect("Prøv at <genstarte> appen.", timeout=TIMEOUT)
        assert answer.text == "Anne (medarbejder):\nHej, jeg er Anne. Prøv at <genstarte> appen."

        await citizen.send("Tak, nu virker den")
        await eventually(
            lambda: [m for m in messages(database, conversation.id) if m.text == "Tak, nu virker den"], TIMEOUT
        )
        citizen_texts = [m.text for m in messages(database, conversation.id) if m.sender == Sender.CITIZEN]
        assert "Min MitID app er gået i stå" in citizen_texts

        handed = await staff.api("POST", f"/staff/api/conversations/{conversation.id}/hand-back")
        assert handed.status_code == 200, handed.text
        await citizen.expect("Du skriver nu med chatbotten igen", timeout=TIMEOUT)
        seen = citizen.seen()
        await citizen.send("Hvordan får jeg Digital Post?")
        await citizen.expect("Digital Post", after=seen, timeout=TIMEOUT)
        assert latest_conversation(database, citizen.chat_id).state == ConversationState.BOT
    finally:
        await staff.api("POST", "/staff/api/presence", {"status": "away"})
        await staff.client.aclose()


async def test_a_photo_is_answered_kindly_without_the_assistant(stack, fake, database):
    await polling(fake)
    citizen = Citizen(fake, 7004)
    await citizen.send_photo()
    await citizen.expect("Du har sendt et billede", timeout=TIMEOUT)
    conversation = latest_conversation(database, citizen.chat_id)
    assert [m.sender for m in messages(database, conversation.id)] == [Sender.SYSTEM]
