"""The conversation service: states, storage, Rasa relay, handoff, hand-back, deletion, outages."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from sqlalchemy import text as sql

from bot.gateway import AssistantRelay, ConversationService, EventBus, MessageAdded, MessageRejected, RasaClient, StateChanged
from bot.gateway.conversations import TRANSITIONS
from bot.gateway.rasa import RESUME_EVENTS
from bot.store import ConversationState, Database, Handoff, Message, StaffMember
from tests.support.fake_rasa import TOKEN
from tests.support.postgres import fresh_postgres_database
from tests.support.rasa_tables import add_tracker_event, tracker_event_count


@pytest.fixture
async def rasa(fake_rasa):
    _, url = fake_rasa
    client = RasaClient(url, TOKEN, timeout=5, action_server_health_url=f"{url}/health")
    yield client
    await client.close()


@pytest.fixture
def service(database, municipality):
    return ConversationService(database, municipality, max_message_length=200)


@pytest.fixture
async def assistant(service, rasa):
    relay = AssistantRelay(service, rasa)
    yield relay
    await relay.shutdown()


@pytest.fixture
def staff(database) -> tuple[int, int]:
    with database.session() as session:
        members = [StaffMember(username=name.lower(), first_name=name, password_hash="x") for name in ("Anne", "Bo")]
        session.add_all(members)
        session.flush()
        return members[0].id, members[1].id


def relayed(database, rasa, municipality) -> tuple[ConversationService, AssistantRelay]:
    """A gateway's conversation service with its assistant relay, as after a (re)start."""
    service = ConversationService(database, municipality, events=EventBus())
    return service, AssistantRelay(service, rasa)


async def settle(assistant: AssistantRelay) -> None:
    await assistant.drain(timeout=10)


def recorder(service: ConversationService) -> list[object]:
    seen: list[object] = []

    async def record(event: object) -> None:
        seen.append(event)

    service.events.on(MessageAdded, record)
    service.events.on(StateChanged, record)
    return seen


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


async def test_same_client_message_id_is_stored_once(service, assistant):
    conversation = await service.start("web", "visitor-1", greet=False)
    first = await service.receive(conversation.id, "hej", client_message_id="same-id-1")
    again = await service.receive(conversation.id, "hej", client_message_id="same-id-1")
    await settle(assistant)
    assert again.duplicate and again.message.id == first.message.id
    assert [m.text for m in await service.history(conversation.id)].count("hej") == 1


async def test_cpr_is_redacted_before_storage_and_rasa_and_the_citizen_is_warned(service, fake_rasa, database, assistant):
    fake, _ = fake_rasa
    conversation = await service.start("web", "visitor-1", greet=False)
    await service.receive(conversation.id, "mit cpr er 010190-1234 og kort 4111 1111 1111 1111")
    await settle(assistant)
    with database.session() as session:
        stored = " ".join(session.scalars(select(Message.text)))
    assert "010190" not in stored and "4111" not in stored
    assert "0101901234" not in " ".join(fake.texts_for(conversation.id))
    assert "[CPR-nummer fjernet]" in fake.texts_for(conversation.id)[0]
    system = [m.text for m in await service.history(conversation.id) if m.sender.value == "system"]
    assert system and "CPR-nummer" in system[0] and "kortnummer" in system[0]


async def test_too_long_and_empty_messages_are_refused_and_not_stored(service):
    conversation = await service.start("web", "visitor-1", greet=False)
    with pytest.raises(MessageRejected) as too_long:
        await service.receive(conversation.id, "x" * 201)
    assert too_long.value.code == "too_long" and "200 tegn" in too_long.value.text
    with pytest.raises(MessageRejected):
        await service.receive(conversation.id, "   ")
    assert await service.history(conversation.id) == []


async def test_handoff_payload_moves_to_waiting_then_claim_reply_hand_back(service, fake_rasa, database, staff, assistant):
    fake, _ = fake_rasa
    events = recorder(service)
    conversation = await service.start("web", "visitor-1", greet=False)
    await service.receive(conversation.id, "Jeg vil tale med en medarbejder")
    await settle(assistant)
    current = await service.get(conversation.id)
    assert current.state == ConversationState.WAITING
    assert current.handoff_reason == "request_human" and current.summary
    assert any(isinstance(e, StateChanged) and e.reason == "handoff_requested" for e in events)
    shown = await service.history(conversation.id)
    assert not any("handoff" in ((m.to_dict().get("payload") or {}).get("custom") or {}) for m in shown)
    assert all(m.text or (m.to_dict().get("payload") or {}) for m in shown), "no empty bubble for the gateway's instruction"

    await service.receive(conversation.id, "Er der nogen?")
    await settle(assistant)
    assert "Er der nogen?" not in fake.texts_for(conversation.id), "waiting messages go to staff, not Rasa"

    anne, _ = staff
    assert await service.claim(conversation.id, staff_id=anne, first_name="Anne")
    assert (await service.get(conversation.id)).state == ConversationState.HUMAN
    reply = await service.reply_as_staff(conversation.id, staff_id=anne, text="Hej, jeg hjælper dig")
    assert reply.sender.value == "staff" and reply.staff_name == "Anne"

    assert await service.hand_back(conversation.id)
    await settle(assistant)
    assert (await service.get(conversation.id)).state == ConversationState.BOT
    await service.receive(conversation.id, "Hvordan får jeg MitID?")
    await settle(assistant)
    assert fake.appended == [(conversation.id, RESUME_EVENTS)]
    assert fake.journal[-2:] == [("events", conversation.id, "resume"), ("message", conversation.id, "Hvordan får jeg MitID?")]
    texts = [m.text for m in await service.history(conversation.id)]
    assert "En medarbejder har overtaget samtalen. Du skriver nu med Anne." in texts
    assert "Du skriver nu med chatbotten igen." in texts
    with database.session() as session:
        handoff = session.scalars(select(Handoff)).one()
        assert handoff.outcome == "handed_back" and handoff.ended_at is not None


async def test_two_claims_at_once_one_wins(service, staff):
    conversation = await service.start("web", "visitor-1", greet=False)
    assert await service.request_handoff(conversation.id, "request_human")
    anne, bo = staff
    results = await asyncio.gather(
        service.claim(conversation.id, staff_id=anne, first_name="Anne"),
        service.claim(conversation.id, staff_id=bo, first_name="Bo"),
    )
    assert sorted(results) == [False, True]
    winner = anne if results[0] else bo
    assert (await service.get(conversation.id)).assigned_staff_id == winner


async def test_transitions_outside_the_state_machine_are_refused(service, staff):
    conversation = await service.start("web", "visitor-1", greet=False)
    anne, _ = staff
    assert not await service.claim(conversation.id, staff_id=anne, first_name="Anne")
    assert not await service.hand_back(conversation.id)
    assert (ConversationState.BOT, ConversationState.HUMAN) not in TRANSITIONS
    with pytest.raises(MessageRejected):
        await service.reply_as_staff(conversation.id, staff_id=anne, text="hej")


async def test_closed_conversation_reopens_when_the_citizen_writes_again(service, fake_rasa, assistant):
    fake, _ = fake_rasa
    conversation = await service.start("web", "visitor-1", greet=False)
    await service.request_handoff(conversation.id, "request_human")
    assert await service.close(conversation.id)
    await service.receive(conversation.id, "Hej igen")
    await settle(assistant)
    assert (await service.get(conversation.id)).state == ConversationState.BOT
    assert fake.appended[-1] == (conversation.id, RESUME_EVENTS)
    assert fake.texts_for(conversation.id)[-1] == "Hej igen"


async def test_delete_removes_messages_and_the_rasa_tracker(service, database, assistant):
    conversation = await service.start("web", "visitor-1", greet=False)
    await service.receive(conversation.id, "hej")
    await settle(assistant)
    add_tracker_event(database, conversation.id)
    assert await service.delete(conversation.id)
    assert await service.get(conversation.id) is None
    assert await service.history(conversation.id) == []
    assert tracker_event_count(database, conversation.id) == 0


async def test_delete_payload_deletes_without_reaching_rasa(service, fake_rasa):
    fake, _ = fake_rasa
    conversation = await service.start("web", "visitor-1", greet=False)
    received = await service.receive(conversation.id, "Slet min samtale", rasa_payload="/delete_conversation")
    assert received.deleted and received.message is None
    assert await service.get(conversation.id) is None
    assert fake.texts_for(conversation.id) == []


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


async def test_history_after_an_id_returns_only_newer_messages(service, assistant):
    conversation = await service.start("web", "visitor-1", greet=False)
    for text in ("en", "to", "tre"):
        await service.receive(conversation.id, text)
        await settle(assistant)
    history = await service.history(conversation.id)
    later = await service.history(conversation.id, after_id=history[1].id)
    assert [m.id for m in later] == [m.id for m in history[2:]]


async def test_an_empty_answer_from_rasa_is_never_silence(service, fake_rasa, assistant):
    fake, _ = fake_rasa
    fake.reply = lambda text: []  # type: ignore[method-assign]
    conversation = await service.start("web", "visitor-1", greet=False)
    await service.receive(conversation.id, "hmm")
    await settle(assistant)
    last = (await service.history(conversation.id))[-1]
    assert last.sender.value == "system" and "70 00 00 00" in last.text



async def test_a_message_without_buttons_or_custom_parts_stores_no_payload(service, database, staff, assistant):
    """Every sender's message without extras is stored alike: SQL NULL, never a JSON `null`."""
    conversation = await service.start("web", "visitor-1", greet=False)
    await service.receive(conversation.id, "Hvordan får jeg MitID?")
    await service.receive(conversation.id, "Jeg vil tale med en medarbejder")
    await settle(assistant)
    anne, _ = staff
    assert await service.claim(conversation.id, staff_id=anne, first_name="Anne")
    await service.reply_as_staff(conversation.id, staff_id=anne, text="Hej, jeg hjælper dig")
    with database.session() as session:
        rows = session.execute(
            sql("SELECT sender, payload IS NULL, payload FROM messages WHERE conversation_id = :id ORDER BY id"),
            {"id": conversation.id},
        ).all()
    assert [sender for sender, _, stored in rows if stored == "null"] == []
    # Where a citizen message stands with Rasa is a column of its own, not part of the payload.
    assert {sender for sender, no_payload, _ in rows if no_payload} == {"citizen", "bot", "system", "staff"}
