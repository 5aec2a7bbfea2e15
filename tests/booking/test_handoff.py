"""Struggle triggers and the handoff decision, through the actions, on real trackers and databases."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet
from sqlalchemy import select

from actions.booking_context import BookingContext
from actions.fallback import ActionHandleFallback
from actions.handoff import ActionAnswerYes, ActionOfferHuman
from actions.struggle import ActionCheckStruggle, ActionDidThatHelp
from bot.booking.handoff import decide_handoff, HandoffMode
from bot.store.models import Conversation, Handoff, Presence, StaffMember, StaffPresence, utcnow

from .conftest import ZONE
from .helpers import SENDER, answered, buttons, render, rendered, responses, run, session, slots_of, user

OPEN = datetime(2026, 11, 23, 11, 0, tzinfo=ZONE)  # Monday, borgerservice open 10-15
CLOSED = datetime(2026, 11, 23, 16, 0, tzinfo=ZONE)


def staff(database, status: Presence, active: bool = True, refreshed_at: datetime | None = None) -> None:
    """A staff member whose console last refreshed their presence at `refreshed_at` (default: now),
    stored in UTC as the console stores it."""
    with database.session() as session_:
        member = StaffMember(username=f"anne{status.value}{active}", first_name="Anne", password_hash="x", active=active)
        session_.add(member)
        session_.flush()
        session_.add(StaffPresence(staff_id=member.id, status=status, updated_at=(refreshed_at or utcnow()).astimezone(timezone.utc)))


def handoffs(database) -> list[Handoff]:
    with database.session() as session_:
        return list(session_.scalars(select(Handoff)))


@pytest.fixture
def desk_context(db, municipality, clock):
    return BookingContext.create(db, municipality, clock)


@pytest.mark.parametrize(
    "online, open_now, mode",
    [(True, True, HandoffMode.LIVE), (True, False, HandoffMode.BOOKING), (False, True, HandoffMode.BOOKING), (False, False, HandoffMode.BOOKING)],
)
def test_decision(online, open_now, mode):
    assert decide_handoff(online, open_now) is mode


def test_staff_online_and_open_gives_a_live_handoff(desk_context, db, clock):
    clock.now = OPEN
    staff(db, Presence.ONLINE, refreshed_at=OPEN)
    events = session(*answered("min mitid er spærret", "mitid_blocked"), user("jeg vil tale med en person", "request_human"))
    messages, result = run(ActionOfferHuman(desk_context), events)
    assert responses(messages) == ["utter_handoff_live", None]
    assert "70 11 22 33" in render(messages[0])
    payload = messages[1]["custom"]["handoff"]
    assert payload["reason"] == "asked_for_person" and payload["topic"] == "mitid_blocked"
    assert "Spurgt om: MitID er spærret." in payload["summary"]
    assert "Svar givet: MitID er spærret." in payload["summary"]
    assert [e["event"] for e in result] == ["slot", "pause"]
    assert slots_of(result) == {"handoff_reason": "asked_for_person"}
    assert handoffs(db) == []  # the gateway records a live handoff when it acts on the payload


@pytest.mark.parametrize(
    "when, presence",
    [(OPEN, None), (OPEN, Presence.AWAY), (CLOSED, Presence.ONLINE)],
    ids=["nobody online", "staff away", "staff online but closed"],
)
def test_otherwise_a_booking_is_offered_and_recorded(desk_context, db, clock, when, presence):
    clock.now = when
    if presence:
        staff(db, presence)
    events = session(*answered("hvordan faar jeg mitid", "mitid_get"), user("jeg giver op", "express_difficulty"))
    messages, result = run(ActionOfferHuman(desk_context), events)
    assert responses(messages) == ["utter_handoff_intro_difficulty", "utter_offer_booking", None]
    assert [b["payload"] for b in buttons(messages[1])] == ["/choose_callback", "/choose_meeting", "/deny"]
    assert "70 11 22 33" in render(messages[1])
    assert not any(e["event"] == "pause" for e in result)
    # The gateway records the offer from this payload (tests/gateway/test_assistant_relay.py); Rasa is not paused.
    offer = messages[2]["custom"]["handoff"]
    assert offer["live"] is False
    assert offer["reason"] == "express_difficulty" and offer["topic"] == "mitid_get"
    assert "Borgeren skrev, at det er svært" in offer["summary"]
    assert handoffs(db) == []


# --- staff online: a struggle the assistant noticed is offered a live chat, asked first ----------


def _struggle_express_difficulty():
    return ActionOfferHuman, session(*answered("hvordan faar jeg mitid", "mitid_get"), user("jeg giver op", "express_difficulty"))


def _struggle_repeated_fallback():
    miss = [user("den gule ting", "nlu_fallback"), ActionExecuted("action_handle_fallback"), BotUttered("Mente du ...?"),
            ActionExecuted("action_listen")]
    return ActionHandleFallback, session(*miss, user("asdf ved ikke", "nlu_fallback"))


def _struggle_two_noes():
    no = [user("nej", "deny"), ActionExecuted("action_check_struggle"), BotUttered("..."), ActionExecuted("action_listen")]
    return ActionCheckStruggle, session(
        *answered("min mitid er spærret", "mitid_blocked"), *no, *answered("hvad med appen", "mitid_activate"), user("nej", "deny")
    )


def _struggle_same_question():
    return ActionDidThatHelp, session(
        *answered("glemt pin", "mitid_forgot_pin"), *answered("glemt pinkode", "mitid_forgot_pin"),
        user("HVORDAN FÅR JEG NY PINKODE", "mitid_forgot_pin"), ActionExecuted("utter_mitid_forgot_pin"),
    )


STRUGGLES = {
    "express_difficulty": (_struggle_express_difficulty, "utter_handoff_intro_difficulty"),
    "repeated_fallback": (_struggle_repeated_fallback, "utter_handoff_intro_not_understood"),
    "not_helped": (_struggle_two_noes, "utter_handoff_intro_not_helped"),
    "repeated_question": (_struggle_same_question, "utter_handoff_intro_same_question"),
}


@pytest.mark.parametrize("reason", sorted(STRUGGLES))
def test_a_struggle_with_staff_online_offers_a_live_chat_and_hands_over_nothing_yet(desk_context, db, clock, reason):
    clock.now = OPEN
    staff(db, Presence.ONLINE, refreshed_at=OPEN)
    make, introduction = STRUGGLES[reason]
    action, events = make()
    messages, result = run(action(desk_context), events)
    assert responses(messages) == [introduction, "utter_offer_live_chat"]
    assert [(b["title"], b["payload"]) for b in buttons(messages[1])] == [
        ("Ja, skriv med en medarbejder", "/request_human"), ("Bestil en tid i stedet", "/book_helper"), ("Nej tak", "/deny"),
    ]
    assert "Vil du skrive med en medarbejder nu?" in render(messages[1]) and "70 11 22 33" in render(messages[1])
    assert not any(message.get("custom") for message in messages), messages  # no handoff payload for the gateway
    assert not any(e["event"] == "pause" for e in result)
    assert slots_of(result) == {"handoff_reason": reason}
    assert handoffs(db) == []


def _offered(reason: str, offering_action: str) -> list:
    """The assistant's turn that offered a live chat."""
    return [ActionExecuted(offering_action), BotUttered("Vil du skrive med en medarbejder nu?"), SlotSet("handoff_reason", reason),
            ActionExecuted("action_listen")]


@pytest.mark.parametrize(
    "reason, offering_action", [("express_difficulty", "action_offer_human"), ("repeated_fallback", "action_handle_fallback")]
)
def test_yes_to_the_offer_hands_over_live_and_tells_staff_why_it_was_offered(desk_context, db, clock, reason, offering_action):
    clock.now = OPEN
    staff(db, Presence.ONLINE, refreshed_at=OPEN)
    events = session(
        *answered("hvordan faar jeg mitid", "mitid_get"), user("det er for svært", "express_difficulty"),
        *_offered(reason, offering_action), user("Ja, skriv med en medarbejder", "request_human"),
    )
    messages, result = run(ActionOfferHuman(desk_context), events)
    assert responses(messages) == ["utter_handoff_live", None]
    assert messages[1]["custom"]["handoff"]["reason"] == reason
    assert [e["event"] for e in result] == ["slot", "pause"]


def test_a_typed_yes_to_the_offer_hands_over_live(desk_context, db, clock):
    clock.now = OPEN
    staff(db, Presence.ONLINE, refreshed_at=OPEN)
    events = session(
        *[e for _ in range(3) for e in answered("glemt pin", "mitid_forgot_pin")][:-1],
        SlotSet("handoff_reason", "repeated_question"), ActionExecuted("action_listen"), user("ja tak", "affirm"),
    )
    messages, result = run(ActionAnswerYes(desk_context), events)
    assert responses(messages) == ["utter_handoff_live", None]
    assert messages[1]["custom"]["handoff"]["reason"] == "repeated_question"
    assert [e["event"] for e in result] == ["slot", "pause"]


@pytest.mark.parametrize(
    "before, answer",
    [(answered("glemt pin", "mitid_forgot_pin"), "utter_glad_to_help"), ([user("hej", "greet"), ActionExecuted("utter_greet"),
      ActionExecuted("action_listen")], "utter_how_can_i_help")],
    ids=["to Hjalp det?", "to nothing"],
)
def test_a_yes_without_an_offer_hands_over_nothing(desk_context, db, clock, before, answer):
    clock.now = OPEN
    staff(db, Presence.ONLINE, refreshed_at=OPEN)
    messages, result = run(ActionAnswerYes(desk_context), session(*before, user("ja", "affirm")))
    assert responses(messages) == [answer] and result == []


def test_no_thanks_to_the_live_chat_offer_hands_over_nothing(desk_context, db, clock):
    clock.now = OPEN
    staff(db, Presence.ONLINE, refreshed_at=OPEN)
    events = session(user("hvad", "nlu_fallback"), *_offered("repeated_fallback", "action_handle_fallback"), user("Nej tak", "deny"))
    messages, result = run(ActionCheckStruggle(desk_context), events)
    assert responses(messages) == ["utter_offer_declined"] and result == []
    assert handoffs(db) == []


def test_an_inactive_staff_member_does_not_count(desk_context, db, clock):
    clock.now = OPEN
    staff(db, Presence.ONLINE, active=False)
    messages, _ = run(ActionOfferHuman(desk_context), session(user("menneske tak", "request_human")))
    assert "utter_offer_booking" in responses(messages)


@pytest.mark.parametrize(
    "quiet_for, mode",
    [(timedelta(seconds=90), "utter_handoff_live"), (timedelta(minutes=3), "utter_offer_booking"), (timedelta(days=2), "utter_offer_booking")],
    ids=["refreshed 90 s ago", "quiet for 3 minutes", "left online by a crashed gateway"],
)
def test_online_counts_only_while_the_console_keeps_it_fresh(desk_context, db, clock, quiet_for, mode):
    """PRESENCE_TIMEOUT_SECONDS (120 s by default): no console has refreshed a staler "online", so
    nobody would answer a live chat."""
    clock.now = OPEN
    staff(db, Presence.ONLINE, refreshed_at=OPEN - quiet_for)
    messages, result = run(ActionOfferHuman(desk_context), session(user("menneske tak", "request_human")))
    assert mode in responses(messages)
    assert any(e["event"] == "pause" for e in result) is (mode == "utter_handoff_live")


def test_the_presence_timeout_setting_is_used(db, municipality, clock):
    clock.now = OPEN
    staff(db, Presence.ONLINE, refreshed_at=OPEN - timedelta(minutes=5))
    patient = BookingContext.create(db, municipality, clock, presence_timeout=600)
    messages, _ = run(ActionOfferHuman(patient), session(user("menneske tak", "request_human")))
    assert "utter_handoff_live" in responses(messages)


def test_the_action_server_reads_the_same_presence_timeout_as_the_console(monkeypatch, sqlite_url):
    from actions.booking_context import booking_context
    from bot.console import ConsoleSettings

    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("PRESENCE_TIMEOUT_SECONDS", "45")
    assert booking_context().desk.presence_timeout == timedelta(seconds=45)
    assert ConsoleSettings.from_env().presence_timeout == 45


def test_the_action_server_writes_no_conversation_or_handoff(desk_context, db):
    """The gateway is the only writer of conversations and handoffs; the actions tell it by payload."""
    run(ActionOfferHuman(desk_context), session(user("hjælp", "express_difficulty")))
    with db.session() as session_:
        assert session_.get(Conversation, SENDER) is None
    assert handoffs(db) == []


def test_database_down_still_gives_the_phone_number(broken_context):
    messages, result = run(ActionOfferHuman(broken_context), session(user("jeg vil tale med en person", "request_human")))
    assert responses(messages) == ["utter_handoff_unavailable"]
    assert "Undskyld" in rendered(messages) and "70 11 22 33" in rendered(messages)
    assert not any(e["event"] == "pause" for e in result)


# --- each trigger ----------------------------------------------------------------------------


def nej() -> list:
    return [user("nej", "deny"), ActionExecuted("action_check_struggle"), BotUttered("..."), ActionExecuted("action_listen")]


def test_one_no_to_did_that_help_gives_the_next_step(context):
    events = session(*answered("min mitid er spærret", "mitid_blocked"), user("nej", "deny"))
    messages, result = run(ActionCheckStruggle(context), events)
    assert responses(messages) == ["utter_next_step"] and result == []


def test_two_noes_to_did_that_help_offer_a_person(context):
    events = session(
        *answered("min mitid er spærret", "mitid_blocked"), *nej(),
        *answered("hvad med appen", "mitid_activate"), user("nej", "deny"),
    )
    messages, result = run(ActionCheckStruggle(context), events)
    assert responses(messages) == ["utter_handoff_intro_not_helped", "utter_offer_booking", None]
    assert slots_of(result) == {"handoff_reason": "not_helped"}
    offer = messages[-1]["custom"]["handoff"]
    assert "Svarede \"Nej\" til \"Hjalp det?\": 2 gange." in offer["summary"]


def test_counting_starts_again_after_an_offer(context):
    events = session(
        *answered("spærret", "mitid_blocked"), *nej(), *answered("spærret", "mitid_blocked"), *nej(),
        SlotSet("handoff_reason", "not_helped"), user("nej tak", "deny"), ActionExecuted("utter_offer_declined"),
        ActionExecuted("action_listen"), *answered("digital post", "digitalpost_read"), user("nej", "deny"),
    )
    messages, _ = run(ActionCheckStruggle(context), events)
    assert responses(messages) == ["utter_next_step"]


def test_no_to_an_offer_is_a_polite_goodbye(context):
    events = session(
        *[e for _ in range(3) for e in answered("glemt bruger id", "mitid_forgot_userid")],
        SlotSet("handoff_reason", "repeated_question"), ActionExecuted("action_listen"), user("nej tak", "deny"),
    )
    messages, _ = run(ActionCheckStruggle(context), events)
    assert responses(messages) == ["utter_offer_declined"]


def test_same_question_twice_still_asks_did_that_help(context):
    events = session(*answered("glemt pin", "mitid_forgot_pin"), user("glemt pinkode", "mitid_forgot_pin"), ActionExecuted("utter_mitid_forgot_pin"))
    messages, result = run(ActionDidThatHelp(context), events)
    assert responses(messages) == ["utter_did_that_help"] and result == []


def test_same_question_three_times_offers_a_person(context):
    events = session(
        *answered("glemt pin", "mitid_forgot_pin"), *answered("glemt pinkode", "mitid_forgot_pin"),
        user("HVORDAN FÅR JEG NY PINKODE", "mitid_forgot_pin"), ActionExecuted("utter_mitid_forgot_pin"),
    )
    messages, result = run(ActionDidThatHelp(context), events)
    assert responses(messages) == ["utter_handoff_intro_same_question", "utter_offer_booking", None]
    assert slots_of(result) == {"handoff_reason": "repeated_question"}
    offer = messages[-1]["custom"]["handoff"]
    assert "MitID: glemt PIN-kode eller adgangskode (3 gange)" in offer["summary"]


def test_two_misunderstood_messages_in_a_row(context):
    events = session(
        user("asdf", "nlu_fallback"), ActionExecuted("action_handle_fallback"), ActionExecuted("action_listen"),
        user("den gule ting", "nlu_fallback"),
    )
    messages, result = run(ActionOfferHuman(context), events)
    assert responses(messages)[0] == "utter_handoff_intro_not_understood"
    assert slots_of(result) == {"handoff_reason": "repeated_fallback"}


@pytest.mark.parametrize(
    "intent, reason",
    [("request_human", "asked_for_person"), ("express_difficulty", "express_difficulty")],
)
def test_explicit_requests(context, intent, reason):
    _, result = run(ActionOfferHuman(context), session(user("...", intent)))
    assert slots_of(result)["handoff_reason"] == reason


# --- "Hjalp det?" after the first message of a long answer ("Vis mere", actions/show_more.py) ---


SHOW_MORE = {"title": "Vis mere", "payload": "/show_more"}


def first_message(intent: str) -> list:
    """A question and the first message of its answer, as Rasa stores the message with its button."""
    return [
        user("...", intent),
        ActionExecuted(f"utter_{intent}"),
        BotUttered("svar", data={"buttons": [SHOW_MORE]}, metadata={"utter_action": f"utter_{intent}"}),
    ]


def test_hjalp_det_carries_the_vis_mere_button_so_the_widget_keeps_it(context):
    messages, _ = run(ActionDidThatHelp(context), session(*first_message("mitid_new_phone")))
    assert responses(messages) == ["utter_did_that_help"]
    assert [b["title"] for b in buttons(messages[0])] == ["Ja", "Nej", "Vis mere"]


def test_hjalp_det_after_the_rest_or_a_whole_answer_has_only_ja_and_nej(context):
    rest = [*first_message("mitid_new_phone"), user("/show_more", "show_more"), ActionExecuted("action_show_more"), BotUttered("resten")]
    for events in (rest, [user("...", "mitid_children"), ActionExecuted("utter_mitid_children"), BotUttered("svar")]):
        messages, _ = run(ActionDidThatHelp(context), session(*events))
        assert [b["title"] for b in buttons(messages[0])] == ["Ja", "Nej"]
