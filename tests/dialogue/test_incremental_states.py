"""bot.incremental_states gives exactly the states Rasa's own replay gives, event after event.

The conversations are the project's rules and conversation tests, generated into trackers by Rasa's
own generator, then fed to one tracker an event at a time as the server does, with every flag Rasa's
policies pass, and with history rewritten on the way (a revert, an undone action, a restart).
"""
from __future__ import annotations

import contextlib
import copy
import random

import pytest
from rasa.shared.core.constants import RULE_ONLY_LOOPS, RULE_ONLY_SLOTS
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActionReverted, ActiveLoop, Restarted, UserUtteranceReverted
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.importers.importer import TrainingDataImporter

from bot import incremental_states
from bot.config import PROJECT_ROOT

CONVERSATION_TESTS = sorted(str(path) for path in PROJECT_ROOT.glob("tests/test_*conversations.yml"))
FLAGS = [
    {},
    {"omit_unset_slots": True},
    # As RulePolicy passes it: the loops and slots only rules use (the booking form, in this test).
    {"ignore_rule_only_turns": True, "rule_only_data": {RULE_ONLY_SLOTS: ["language"], RULE_ONLY_LOOPS: ["booking_form"]}},
    {"ignore_rule_only_turns": True, "rule_only_data": None},
]


RASAS_OWN = {name: DialogueStateTracker.__dict__[name] for name in ("applied_events", "past_states")}
assert all(method.__module__.startswith("rasa.") for method in RASAS_OWN.values())


@contextlib.contextmanager
def rasa_unchanged():
    installed = {name: DialogueStateTracker.__dict__[name] for name in RASAS_OWN}
    for name, method in RASAS_OWN.items():
        setattr(DialogueStateTracker, name, method)
    try:
        yield
    finally:
        for name, method in installed.items():
            setattr(DialogueStateTracker, name, method)


def rasas_states(tracker: DialogueStateTracker, domain, **flags) -> list:
    with rasa_unchanged():
        return domain.states_for_tracker_history(tracker, **flags)


def rasas_applied_events(tracker: DialogueStateTracker) -> list:
    with rasa_unchanged():
        return tracker.applied_events()


@pytest.fixture(scope="module")
def domain_and_conversations():
    importer = TrainingDataImporter.load_from_config(
        str(PROJECT_ROOT / "config.yml"), str(PROJECT_ROOT / "domain"), [str(PROJECT_ROOT / "data"), *CONVERSATION_TESTS]
    )
    domain = importer.get_domain()
    graph = importer.get_stories().merge(importer.get_conversation_tests())
    trackers = TrainingDataGenerator(graph, domain, remove_duplicates=False, augmentation_factor=0).generate()
    conversations = [list(tracker.events) for tracker in trackers if len(tracker.events) > 3]
    assert len(conversations) > 50
    return domain, conversations


@pytest.fixture()
def installed(monkeypatch):
    for name, method in RASAS_OWN.items():
        monkeypatch.setattr(DialogueStateTracker, name, method)
    incremental_states.install()


def test_each_conversation_event_by_event_gives_rasas_states(installed, domain_and_conversations):
    domain, conversations = domain_and_conversations
    for events in conversations:
        tracker = DialogueStateTracker("citizen", domain.slots)
        for event in events:
            tracker.update(event)
            assert tracker.applied_events() == rasas_applied_events(tracker)
            for flags in FLAGS:
                assert tracker.past_states(domain, **flags) == rasas_states(tracker, domain, **flags)


def test_one_long_conversation_with_history_rewritten_gives_rasas_states(installed, domain_and_conversations):
    domain, conversations = domain_and_conversations
    rng = random.Random(13)
    rewrites = [UserUtteranceReverted, ActionReverted, Restarted]
    tracker = DialogueStateTracker("citizen", domain.slots)
    for number, events in enumerate(rng.sample(conversations, 40)):
        for event in events:
            tracker.update(event)
        if number % 4 == 3:
            tracker.update(rng.choice(rewrites)())
            tracker.update(ActionExecuted("action_listen"))
        assert tracker.applied_events() == rasas_applied_events(tracker)
        for flags in FLAGS:
            assert tracker.past_states(domain, **flags) == rasas_states(tracker, domain, **flags)
    assert len(tracker.events) > 300


def test_the_states_handed_out_can_be_edited_without_changing_the_next_answer(installed, domain_and_conversations):
    domain, conversations = domain_and_conversations
    tracker = DialogueStateTracker("citizen", domain.slots)
    for event in max(conversations, key=len):
        tracker.update(event)
    for state in tracker.past_states(domain):  # as Rasa's featurizers do: delete from the sub-states
        for sub_state in state.values():
            sub_state.clear()
    assert tracker.past_states(domain) == rasas_states(tracker, domain)


def test_a_new_domain_starts_the_replay_again(installed, domain_and_conversations):
    domain, conversations = domain_and_conversations
    tracker = DialogueStateTracker("citizen", domain.slots)
    for event in max(conversations, key=len):
        tracker.update(event)
    tracker.past_states(domain)
    other = Domain.from_dict(domain.as_dict())  # an equal domain in a new object, as after loading a new model
    assert tracker.past_states(other) == rasas_states(tracker, other)
    assert tracker.__dict__[incremental_states._REPLAYS][(False, False)].domain is other


def test_a_new_event_is_replayed_alone_not_the_whole_conversation(installed, domain_and_conversations, monkeypatch):
    domain, conversations = domain_and_conversations
    tracker = DialogueStateTracker("citizen", domain.slots)
    for events in conversations[:20]:
        for event in events:
            tracker.update(event)
    tracker.past_states(domain)
    worked_out = []
    get_active_state = domain.get_active_state
    monkeypatch.setattr(domain, "get_active_state", lambda *a, **k: worked_out.append(1) or get_active_state(*a, **k))
    tracker.update(ActionExecuted("action_listen"))
    tracker.past_states(domain)
    # The state before the new action and the state after it; Rasa's own replay works out one per action.
    assert len(worked_out) == 2
    assert tracker.past_states(domain) == rasas_states(tracker, domain)


def test_a_tracker_whose_events_were_replaced_walks_them_from_the_start(installed, domain_and_conversations):
    domain, conversations = domain_and_conversations
    # Without loops: a new loop alone already makes the walk start again.
    without_loops = [events for events in conversations if not any(isinstance(e, ActiveLoop) for e in events)]
    first, *_, longest = sorted(without_loops, key=len)
    tracker = DialogueStateTracker("citizen", domain.slots)
    for event in first:
        tracker.update(event)
    tracker.applied_events()
    tracker.past_states(domain)
    # Rasa itself only appends to a tracker's events; whatever replaced them, the walk must not trust its past.
    tracker.events = tracker._create_events(copy.deepcopy(longest))
    assert tracker.applied_events() == rasas_applied_events(tracker)
    assert tracker.past_states(domain) == rasas_states(tracker, domain)
