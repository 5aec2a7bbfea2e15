"""The assistant relay: the way to Rasa as a subscriber to conversation events. Greeting, relaying in
order, retrying while Rasa or its action server is down (also across a restart), `resume` after a
live handoff and only then, the action server's handoff payloads, and bounded memory."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.gateway import RasaClient
from bot.gateway.rasa import RESUME_EVENTS
from bot.privacy import purge_older_than
from bot.store import Conversation, ConversationState, Database, Handoff, Message, Sender, StaffMember
from bot.store.models import utcnow
from tests.gateway.relaying import relayed, settle
from tests.support.fake_rasa import TOKEN
from tests.support.postgres import fresh_postgres_database

BOOKING_OFFER = [
    {"text": "Der er ingen medarbejdere lige nu. Vil du bestille en tid?", "buttons": [{"title": "Ring mig op", "payload": "/choose_callback"}]},
    {"custom": {"handoff": {"reason": "express_difficulty", "topic": "mitid_get", "summary": "Borgeren skrev, at det er svært.", "live": False}}},
]


async def test_start_greets_with_buttons_and_stores_no_citizen_message(service, assistant):
    conversation = await service.start("web", "visitor-1")
    await settle(assistant)
    history = await service.history(conversation.id)
    assert [m.sender.value for m in history] == ["bot"]
    assert [b["title"] for b in history[0].buttons] == ["MitID", "Digital Post", "Tal med en medarbejder"]


async def test_citizen_message_is_relayed_and_answers_are_stored_in_order(service, fake_rasa, assistant):
    fake, _ = fake_rasa
    conversation = await service.start("web", "visitor-1", greet=False)
    await service.receive(conversation.id, "Jeg har glemt min MitID adgangskode", client_message_id="c1-aaaaaaaa")
    await settle(assistant)
    history = await service.history(conversation.id)
    assert [m.sender.value for m in history] == ["citizen", "bot", "bot"]
    assert "MitID.dk" in history[1].text
    assert history[2].buttons[0] == {"title": "Ja", "payload": "/affirm"}
    assert fake.received[-1][2] == {"channel": "web"}


async def test_button_payload_goes_to_rasa_and_title_is_stored(service, fake_rasa, assistant):
    fake, _ = fake_rasa
    conversation = await service.start("web", "visitor-1", greet=False)
    await service.receive(conversation.id, "Ja", rasa_payload="/affirm")
    await settle(assistant)
    assert fake.texts_for(conversation.id) == ["/affirm"]
    assert [m.text for m in await service.history(conversation.id)] == ["Ja", "Godt!"]


async def test_rasa_down_keeps_the_message_tells_the_citizen_once_and_answers_when_back(service, fake_rasa, assistant):
    fake, _ = fake_rasa
    fake.down = True
    conversation = await service.start("web", "visitor-1", greet=False)
    await service.receive(conversation.id, "Hvordan får jeg MitID?")
    await service.receive(conversation.id, "Hallo?")
    await settle(assistant)
    history = await service.history(conversation.id)
    system = [m.text for m in history if m.sender.value == "system"]
    assert len(system) == 1 and "70 00 00 00" in system[0]
    assert [m.text for m in history if m.sender.value == "citizen"] == ["Hvordan får jeg MitID?", "Hallo?"]

    await assistant.retry_pending()  # still down: nothing happens
    assert not [m for m in await service.history(conversation.id) if m.sender.value == "bot"]

    fake.down = False
    await assistant.retry_pending()
    await settle(assistant)
    assert fake.texts_for(conversation.id) == ["Hvordan får jeg MitID?", "Hallo?"]
    bot = [m.text for m in await service.history(conversation.id) if m.sender.value == "bot"]
    assert "MitID.dk" in bot[0] and bot[-1] == "Du skrev: Hallo?"


async def test_an_action_server_that_is_down_counts_as_down_and_nothing_reaches_rasa_twice(service, fake_rasa, assistant):
    fake, _ = fake_rasa
    fake.actions_down = True
    conversation = await service.start("web", "visitor-1", greet=False)
    await service.receive(conversation.id, "Hvordan får jeg MitID?")
    await settle(assistant)
    history = await service.history(conversation.id)
    system = [m.text for m in history if m.sender.value == "system"]
    assert len(system) == 1 and "70 00 00 00" in system[0]
    assert fake.texts_for(conversation.id) == []  # not half answered, not recorded in Rasa

    await assistant.retry_pending()  # Rasa is up but its action server is not: still nothing sent
    assert fake.texts_for(conversation.id) == []

    fake.actions_down = False
    await assistant.retry_pending()
    await settle(assistant)
    assert fake.texts_for(conversation.id) == ["Hvordan får jeg MitID?"]
    bot = [m.text for m in await service.history(conversation.id) if m.sender.value == "bot"]
    assert "MitID.dk" in bot[0] and bot[-1] == "Hjalp det?"


async def test_rasa_unreachable_counts_as_down(database, municipality):
    from tests.support.servers import free_port

    rasa = RasaClient(f"http://127.0.0.1:{free_port()}", TOKEN, timeout=2)
    service, assistant = relayed(database, rasa, municipality)
    conversation = await service.start("web", "visitor-1", greet=False)
    await service.receive(conversation.id, "hej")
    await settle(assistant)
    history = await service.history(conversation.id)
    assert [m.sender.value for m in history] == ["citizen", "system"]
    await rasa.close()


async def test_pending_messages_survive_a_gateway_restart(service, fake_rasa, database, municipality, assistant):
    fake, url = fake_rasa
    fake.down = True
    conversation = await service.start("web", "visitor-1", greet=False)
    await service.receive(conversation.id, "Er I der?")
    await settle(assistant)

    fake.down = False
    rasa = RasaClient(url, TOKEN, timeout=5)
    _, restarted = relayed(database, rasa, municipality)
    await restarted.recover_pending()
    await restarted.retry_pending()
    await settle(restarted)
    assert fake.texts_for(conversation.id) == ["Er I der?"]
    await rasa.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def sqlite_or_postgres(request, database):
    """The test's database: the SQLite one, or a fresh PostgreSQL one (timestamps come back aware there)."""
    if request.param == "sqlite":
        yield database
        return
    with fresh_postgres_database("borgerhjaelp_resume") as url:
        db = Database(url)
        db.upgrade()
        yield db
        db.dispose()


async def test_the_resume_after_a_hand_back_survives_a_gateway_restart(fake_rasa, sqlite_or_postgres, municipality):
    """Rasa is down when staff hand back, and the gateway restarts before Rasa is back: the restarted
    gateway still appends `resume` before the citizen's next message, and only once."""
    fake, url = fake_rasa
    database = sqlite_or_postgres
    with database.session() as session:
        member = StaffMember(username="anne", first_name="Anne", password_hash="x")
        session.add(member)
        session.flush()
        anne = member.id
    first = RasaClient(url, TOKEN, timeout=5, action_server_health_url=f"{url}/health")
    service, assistant = relayed(database, first, municipality)
    conversation = await service.start("web", "visitor-1", greet=False)
    await service.receive(conversation.id, "Jeg vil tale med en medarbejder")
    await settle(assistant)
    assert await service.claim(conversation.id, staff_id=anne, first_name="Anne")
    fake.down = True
    assert await service.hand_back(conversation.id, anne)
    await assistant.shutdown()
    await first.close()

    fake.down = False
    rasa = RasaClient(url, TOKEN, timeout=5, action_server_health_url=f"{url}/health")
    service, restarted = relayed(database, rasa, municipality)
    await restarted.recover_pending()
    await restarted.retry_pending()
    for text in ("Hvordan får jeg MitID?", "Tak"):
        await service.receive(conversation.id, text)
        await settle(restarted)
    after_handoff = fake.journal[fake.journal.index(("message", conversation.id, "Jeg vil tale med en medarbejder")) + 1 :]
    assert after_handoff == [
        ("events", conversation.id, "resume"),
        ("message", conversation.id, "Hvordan får jeg MitID?"),
        ("message", conversation.id, "Tak"),
    ]
    await restarted.shutdown()
    await rasa.close()


async def test_no_resume_without_a_handoff_and_again_after_each_one(service, fake_rasa, staff, assistant):
    fake, _ = fake_rasa
    anne, _ = staff
    conversation = await service.start("web", "visitor-1", greet=False)
    await service.receive(conversation.id, "Hvordan får jeg MitID?")
    await settle(assistant)
    assert fake.appended == []
    for round_ in range(2):
        await service.receive(conversation.id, "Jeg vil tale med en medarbejder")
        await settle(assistant)
        assert await service.claim(conversation.id, staff_id=anne, first_name="Anne")
        assert await service.hand_back(conversation.id, anne)
        await service.receive(conversation.id, f"Tak {round_}")
        await settle(assistant)
    assert [kind for kind, who, _ in fake.journal if who == conversation.id] == [
        "message", "message", "events", "message", "message", "events", "message",
    ]


async def test_an_empty_answer_from_rasa_is_never_silence(service, fake_rasa, assistant):
    fake, _ = fake_rasa
    fake.reply = lambda text: []  # type: ignore[method-assign]
    conversation = await service.start("web", "visitor-1", greet=False)
    await service.receive(conversation.id, "hmm")
    await settle(assistant)
    last = (await service.history(conversation.id))[-1]
    assert last.sender.value == "system" and "70 00 00 00" in last.text




# --- the action server's handoff payloads: only a live handoff pauses Rasa ----------------------


async def test_a_booking_offer_is_recorded_by_the_gateway_and_the_next_message_sends_no_resume(
    service, fake_rasa, database, assistant
):
    fake, _ = fake_rasa
    answer = fake.reply
    fake.reply = lambda text: BOOKING_OFFER if text == "jeg giver op" else answer(text)  # type: ignore[method-assign]
    conversation = await service.start("web", "visitor-1", greet=False)
    await service.receive(conversation.id, "jeg giver op")
    await settle(assistant)
    await service.receive(conversation.id, "Ring mig op", rasa_payload="/choose_callback")
    await settle(assistant)

    assert fake.appended == [], "a booking offer does not pause Rasa, so nothing needs resuming"
    assert fake.texts_for(conversation.id) == ["jeg giver op", "/choose_callback"]
    assert (await service.get(conversation.id)).state == ConversationState.BOT
    shown = await service.history(conversation.id)
    assert not any("handoff" in (m.custom or {}) for m in shown), "the citizen never sees the instruction"
    with database.session() as session:
        [handoff] = session.scalars(select(Handoff)).all()
        assert (handoff.reason, handoff.topic, handoff.outcome) == ("express_difficulty", "mitid_get", "booking_offered")
        assert handoff.ended_at is not None and handoff.summary == "Borgeren skrev, at det er svært."
        assert session.get(Conversation, conversation.id).rasa_paused_at is None


async def test_a_handoff_row_that_paused_nothing_sends_no_resume(service, fake_rasa, database, assistant):
    """A handoff row alone (an ended booking offer, as the action server used to write in the
    middle of the booking form) says nothing about Rasa: no `resume` and no `action_listen`."""
    fake, _ = fake_rasa
    conversation = await service.start("web", "visitor-1", greet=False)
    await service.receive(conversation.id, "Hvordan får jeg MitID?")
    await settle(assistant)
    with database.session() as session:
        now = utcnow()
        session.add(Handoff(conversation_id=conversation.id, reason="asked_for_booking", outcome="booking_offered", requested_at=now, ended_at=now))
    await service.receive(conversation.id, "Ring mig op", rasa_payload="/choose_callback")
    await settle(assistant)
    assert fake.appended == []
    assert fake.texts_for(conversation.id) == ["Hvordan får jeg MitID?", "/choose_callback"]


async def test_the_pause_is_cleared_once_rasa_took_the_resume_even_when_the_message_failed(
    service, fake_rasa, database, staff, assistant
):
    """Rasa took `resume` and then went down before the message: the retry sends the message only."""
    fake, _ = fake_rasa
    anne, _ = staff
    conversation = await service.start("web", "visitor-1", greet=False)
    await service.receive(conversation.id, "Jeg vil tale med en medarbejder")
    await settle(assistant)
    with database.session() as session:
        assert session.get(Conversation, conversation.id).rasa_paused_at is not None
    assert await service.claim(conversation.id, staff_id=anne, first_name="Anne")
    assert await service.hand_back(conversation.id, anne)
    answer = fake.reply
    fake.reply = lambda text: [] if fake.actions_down else answer(text)  # type: ignore[method-assign]
    fake.actions_down = True  # the resume goes through Rasa's HTTP API; the message needs the action server
    await service.receive(conversation.id, "Hej igen")
    await settle(assistant)
    assert fake.appended == [(conversation.id, RESUME_EVENTS)]
    with database.session() as session:
        assert session.get(Conversation, conversation.id).rasa_paused_at is None
    fake.actions_down = False
    await assistant.retry_pending()
    await settle(assistant)
    assert fake.appended == [(conversation.id, RESUME_EVENTS)]
    assert fake.texts_for(conversation.id)[-1] == "Hej igen"


async def test_messages_written_while_staff_had_the_conversation_never_reach_rasa(service, fake_rasa, database, staff, assistant):
    fake, _ = fake_rasa
    anne, _ = staff
    conversation = await service.start("web", "visitor-1", greet=False)
    await service.receive(conversation.id, "Jeg vil tale med en medarbejder")
    await settle(assistant)
    await service.receive(conversation.id, "Er der nogen?")
    assert await service.claim(conversation.id, staff_id=anne, first_name="Anne")
    assert await service.hand_back(conversation.id, anne)
    await settle(assistant)
    assert fake.texts_for(conversation.id) == ["Jeg vil tale med en medarbejder"]
    with database.session() as session:
        statuses = dict(session.execute(select(Message.text, Message.rasa_status).where(Message.sender == Sender.CITIZEN)).all())
    assert statuses == {"Jeg vil tale med en medarbejder": "sent", "Er der nogen?": "staff"}


# --- bounded memory ------------------------------------------------------------------------------


async def test_the_per_conversation_locks_stay_bounded_over_10000_conversations(service, database, assistant):
    """Every Rasa call holds its conversation's lock; a lock is dropped when nobody holds or waits
    for it, so the map does not grow with the number of conversations the gateway has seen."""
    with database.session() as session:
        ids = [f"c{number:05d}" for number in range(10_000)]
        session.add_all(Conversation(id=id_, channel="web", channel_user_id=id_) for id_ in ids)
    largest = 0
    for start in range(0, len(ids), 500):
        batch = [asyncio.ensure_future(assistant._forward_pending(id_)) for id_ in ids[start : start + 500]]
        await asyncio.sleep(0)  # all of them have taken their lock
        largest = max(largest, len(service.locks))
        await asyncio.gather(*batch)
    assert 0 < largest <= 500
    assert len(service.locks) == 0


async def test_the_purge_drops_what_the_relay_remembers_of_purged_conversations(service, fake_rasa, database, assistant):
    fake, _ = fake_rasa
    fake.down = True
    conversation = await service.start("web", "visitor-1", greet=False)
    await service.receive(conversation.id, "Er I der?")
    await settle(assistant)
    assert conversation.id in assistant._waiting_for_rasa
    purge_older_than(database, 30, now=utcnow() + timedelta(days=31))
    await assistant.forget_gone()
    assert not assistant._waiting_for_rasa and not assistant._told_down


async def test_a_database_gone_while_relaying_keeps_the_message_for_the_retry(service, fake_rasa, assistant, monkeypatch):
    """PostgreSQL restarted between storing a message and relaying it (`make chaos` found it): the
    message waits with those Rasa could not take and goes with the next retry, instead of staying
    pending until the citizen writes again or the gateway restarts."""
    fake, _ = fake_rasa
    conversation = await service.start("web", "visitor-1", greet=False)
    real = assistant._next_pending
    failures = iter([OperationalError("SELECT", {}, ConnectionRefusedError("connection refused"))])

    def database_gone_once(conversation_id):
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return real(conversation_id)

    monkeypatch.setattr(assistant, "_next_pending", database_gone_once)
    await service.receive(conversation.id, "Hvordan får jeg MitID?")
    await settle(assistant)
    assert fake.texts_for(conversation.id) == []

    await assistant.retry_pending()
    await settle(assistant)
    assert fake.texts_for(conversation.id) == ["Hvordan får jeg MitID?"]
    assert [m.sender.value for m in await service.history(conversation.id)] == ["citizen", "bot", "bot"]


async def test_two_replicas_retrying_one_conversation_store_the_answer_once(fake_rasa, database, municipality):
    """Both gateway replicas had a message of the conversation fail while Rasa was down, so both try
    again when it is back (`make chaos` found it): Rasa may take the oldest message twice, but the
    citizen is shown its answer once."""
    fake, url = fake_rasa
    fake.down = True
    clients = [RasaClient(url, TOKEN, timeout=5) for _ in range(2)]
    (service, first), (_, second) = (relayed(database, rasa, municipality) for rasa in clients)
    conversation = await service.start("web", "visitor-1", greet=False)
    await service.receive(conversation.id, "Hvordan får jeg MitID?")
    await settle(first)
    await second.recover_pending()

    fake.down = False
    await asyncio.gather(first.retry_pending(), second.retry_pending())
    await settle(first)
    await settle(second)
    history = await service.history(conversation.id)
    assert [m.sender.value for m in history if m.sender.value != "system"] == ["citizen", "bot", "bot"]
    for rasa in clients:
        await rasa.close()
