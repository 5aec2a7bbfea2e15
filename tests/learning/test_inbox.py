"""The inbox against a real database (SQLite and PostgreSQL) and tracker events as Rasa writes them."""
from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.learning import inbox
from bot.learning.inbox import Refused
from bot.store.learning_models import InboxItem, InboxSighting, InboxStatus, KeptExample
from bot.times import utcnow
from tests.learning.support import Tracker

RETENTION = 30


def fallback(tracker: Tracker, words: str) -> Tracker:
    return tracker.not_understood(words, [("nlu_fallback", 0.7), ("mitid_blocked", 0.31), ("mitid_get", 0.2)])


def test_a_fallback_appears_once_with_count_last_seen_and_two_best_guesses(db):
    fallback(Tracker(db, "a" * 32), "min mitid er fuckt")
    fallback(Tracker(db, "b" * 32), "Min MitID er fuckt!")  # the same words, another way

    assert inbox.sweep(db, RETENTION) == 2
    assert inbox.sweep(db, RETENTION) == 0  # read again: nothing counted twice

    [line] = inbox.items(db)
    assert line.count == 2
    assert line.text == "Min MitID er fuckt!"
    assert [name for name, _ in line.guesses] == ["mitid_blocked", "mitid_get"]
    assert line.reason == "fallback"
    assert utcnow() - line.last_seen < timedelta(minutes=1)


def test_a_form_answer_read_as_nlu_fallback_is_not_a_miss(db):
    # Inside the booking form a name or a phone number is often read as nlu_fallback; the form takes
    # it as its answer, so it is no miss, and a name must not land in the inbox.
    (
        Tracker(db, "f" * 32)
        .user("jeg vil gerne ringes op", "book_helper").action("booking_form").action("action_listen")
        .user("Mette", "nlu_fallback", [("nlu_fallback", 0.5), ("greet", 0.2)]).action("booking_form")
        .action("action_listen")
    )
    assert inbox.sweep(db, RETENTION) == 0
    assert inbox.items(db) == []


def test_a_no_to_did_that_help_puts_the_question_in_the_inbox_and_button_clicks_never(db):
    (
        Tracker(db, "c" * 32)
        .user("hvordan får jeg post fra kommunen", "digitalpost_read", [("digitalpost_read", 0.8), ("digitalpost_what", 0.1)])
        .action("utter_digitalpost_read").action("action_did_that_help").action("action_listen")
        .user("/deny", "deny")
        .action("action_check_struggle")
        .user("tak", "thank")
    )
    inbox.sweep(db, RETENTION)
    [line] = inbox.items(db)
    assert line.text == "hvordan får jeg post fra kommunen"
    assert line.reason == "not_helped"
    assert [name for name, _ in line.guesses] == ["digitalpost_read", "digitalpost_what"]


def test_a_handoff_for_not_understood_marks_the_fallbacks_before_it(db):
    tracker = fallback(Tracker(db, "d" * 32), "blabla kode ting")
    inbox.sweep(db, RETENTION)  # seen first as a plain fallback ...
    fallback(tracker, "det virker ikke det der").slot("handoff_reason", "repeated_fallback")
    inbox.sweep(db, RETENTION)  # ... then the offer of a person says more
    assert {line.text: line.reason for line in inbox.items(db)} == {
        "blabla kode ting": "handoff", "det virker ikke det der": "handoff",
    }
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(InboxSighting)) == 2


def test_what_the_inbox_shows_and_keeps_is_redacted(db, admin_id):
    fallback(Tracker(db, "e" * 32), "mit cpr er 010190-1234 hjælp")
    inbox.sweep(db, RETENTION)
    [line] = inbox.items(db)
    assert "1234" not in line.text and "[CPR-nummer fjernet]" in line.text
    # The admin's edited sentence is redacted again before it is kept.
    inbox.decide(db, line.id, admin_id, InboxStatus.ASSIGNED, "mitid_blocked", keep_text="spærret, cpr 0101901234")
    [example] = inbox.kept_examples(db)
    assert example.text == "spærret, cpr [CPR-nummer fjernet]" and example.intent == "mitid_blocked"


def test_assign_out_of_scope_dismiss_and_keep_only_when_asked(db, admin_id):
    for sender, words in (("f" * 32, "hvad koster en pizza"), ("g" * 32, "spaerret app"), ("h" * 32, "asdf")):
        fallback(Tracker(db, sender), words)
    inbox.sweep(db, RETENTION)
    ids = {line.text: line.id for line in inbox.items(db)}

    inbox.decide(db, ids["spaerret app"], admin_id, InboxStatus.ASSIGNED, "mitid_blocked")
    inbox.decide(db, ids["hvad koster en pizza"], admin_id, InboxStatus.OUT_OF_SCOPE, keep_text="hvad koster en pizza")
    inbox.decide(db, ids["asdf"], admin_id, InboxStatus.DISMISSED)

    assert inbox.items(db) == []
    assert [line.intent for line in inbox.items(db, InboxStatus.ASSIGNED)] == ["mitid_blocked"]
    # Only the one with the explicit keep became a training example.
    assert [(e.text, e.intent) for e in inbox.kept_examples(db)] == [("hvad koster en pizza", "out_of_scope")]
    with pytest.raises(Refused):
        inbox.decide(db, ids["asdf"], admin_id, InboxStatus.ASSIGNED, "no_such_intent")

    [example] = inbox.kept_examples(db)
    inbox.delete_example(db, example.id)
    assert inbox.kept_examples(db) == []


def test_the_inbox_follows_the_retention_and_a_deleted_conversation(db, admin_id):
    long_ago = utcnow() - timedelta(days=40)
    fallback(Tracker(db, "i" * 32, start=long_ago.timestamp()), "gammel besked")
    inbox.sweep(db, RETENTION, now=long_ago + timedelta(minutes=5))  # the sweep of that day
    fallback(Tracker(db, "j" * 32), "ny besked")
    fallback(Tracker(db, "k" * 32), "slet mig")
    inbox.sweep(db, RETENTION)
    assert {line.text for line in inbox.items(db)} == {"gammel besked", "ny besked", "slet mig"}
    [old] = [line for line in inbox.items(db) if line.text == "gammel besked"]
    inbox.decide(db, old.id, admin_id, InboxStatus.ASSIGNED, "greet", keep_text="gammel besked")

    inbox.purge_older_than(db, RETENTION)
    with db.session() as session:
        assert set(session.scalars(select(InboxItem.text))) == {"ny besked", "slet mig"}
        # Kept on purpose by an admin, redacted and apart from any conversation: not purged.
        assert session.scalar(select(KeptExample.text)) == "gammel besked"
    # A sweep now never reads what is older than the retention again.
    inbox.sweep(db, RETENTION)
    assert {line.text for line in inbox.items(db)} == {"ny besked", "slet mig"}

    inbox.forget_conversation(db, "k" * 32)
    assert {line.text for line in inbox.items(db)} == {"ny besked"}


def test_sweeps_side_by_side_count_each_message_once(db):
    for number in range(12):
        fallback(Tracker(db, f"{number:032d}"), f"besked nummer {number % 3}")
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            inbox.sweep(db, RETENTION)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert sorted(line.count for line in inbox.items(db)) == [4, 4, 4]


def test_the_retention_purge_and_slet_min_samtale_reach_the_inbox(db):
    # The gateway wires both: its purge (`purge_all`) and its "Slet min samtale" (`ConversationService.delete`).
    from bot.config import load_municipality
    from bot.gateway.conversations import ConversationService
    from bot.gateway.retention import purge_all

    long_ago = utcnow() - timedelta(days=40)
    fallback(Tracker(db, "m" * 32, start=long_ago.timestamp()), "meget gammel")
    inbox.sweep(db, RETENTION, now=long_ago + timedelta(minutes=5))
    fallback(Tracker(db, "n" * 32), "borgeren sletter den her")
    fallback(Tracker(db, "o" * 32), "bliver")
    inbox.sweep(db, RETENTION)
    assert len(inbox.items(db)) == 3

    purge_all(db, RETENTION)
    asyncio.run(ConversationService(db, load_municipality()).delete("n" * 32))
    assert [line.text for line in inbox.items(db)] == ["bliver"]
