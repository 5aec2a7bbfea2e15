"""A new session fills the slots the answers quote from municipality.yml."""
import asyncio

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.context import municipality
from actions.session import ActionSessionStart
from bot.domain_files import load_domain_dict
from bot.config import PROJECT_ROOT


def test_session_start_sets_every_config_slot_the_domain_declares():
    domain = load_domain_dict()
    domain["slots"]["topic"] = {"type": "text", "mappings": [{"type": "custom"}]}
    tracker = Tracker("citizen", {"topic": "mitid_get"}, {}, [], False, None, {}, "action_listen")
    events = asyncio.run(ActionSessionStart().run(CollectingDispatcher(), tracker, domain))
    assert events[0]["event"] == "session_started"
    assert (events[-1]["event"], events[-1]["name"]) == ("action", "action_listen")
    assert {"event": "slot", "name": "topic", "value": "mitid_get", "timestamp": None} in events
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    values = municipality().answer_values()
    assert slots["borgerservice_phone"] == values["borgerservice_phone"]
    assert slots["municipality_name"] == values["municipality_name"]
    assert slots["retention_days"] == "30"


def test_every_placeholder_in_the_answers_has_a_value():
    """A `{name}` in a response that nothing fills would reach the citizen as literal braces."""
    import re

    domain = load_domain_dict()
    from actions.booking import FILLED_IN_BY_ACTIONS

    filled_by_actions = {"today_text", "week_text", "exceptions_text", *FILLED_IN_BY_ACTIONS}
    config_values = municipality().answer_values()
    config_prefixes = ("municipality_", "borgerservice_", "mitid_", "digitalpost_", "retention_")
    for name, variants in domain["responses"].items():
        for variant in variants:
            for placeholder in re.findall(r"{(\w+)}", variant.get("text", "")):
                assert placeholder in domain["slots"] or placeholder in filled_by_actions, f"{name}: {{{placeholder}}}"
                if placeholder.startswith(config_prefixes):
                    assert placeholder in config_values, f"{name}: municipality.yml has no {placeholder}"


def test_a_new_session_forgets_a_half_filled_booking_form_but_keeps_the_other_slots():
    """A form answered halfway and left for an hour must start from its first question again:
    a kept answer would make the new form skip questions the citizen never saw in this session."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import Event, SlotSet as RasaSlotSet
    from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

    from tests.booking.helpers import in_form, session, user

    domain_dict = load_domain_dict()
    # A slot no form owns, such as a citizen's preference, is meant to survive a new session.
    domain_dict["slots"]["preferred_language"] = {"type": "text", "mappings": [{"type": "custom"}]}
    domain = Domain.from_dict(domain_dict)
    old_session = session(
        user("jeg vil tale med en", "book_helper"),
        RasaSlotSet("handoff_reason", "asked_for_booking"),
        RasaSlotSet("preferred_language", "da"),
        *in_form(
            "booking_form",
            "booking_time",
            RasaSlotSet("booking_kind", "callback"),
            RasaSlotSet("booking_topic", "mitid_get"),
            RasaSlotSet("booking_time_options", ["2026-11-23T09:00:00+00:00"]),
        ),
    )
    tracker = DialogueStateTracker.from_events("citizen", old_session, slots=domain.slots)
    assert tracker.active_loop_name == "booking_form" and tracker.get_slot("booking_kind") == "callback"

    sdk_tracker = Tracker.from_dict(tracker.current_state(EventVerbosity.ALL))
    result = asyncio.run(ActionSessionStart().run(CollectingDispatcher(), sdk_tracker, domain.as_dict()))
    for event in result:  # applied as Rasa applies them: SessionStarted empties the tracker first
        tracker.update(Event.from_parameters(event), domain)

    assert tracker.active_loop_name is None
    form_state = ["requested_slot", "handoff_reason", *domain.forms["booking_form"]["required_slots"]]
    form_state += ["booking_time_options", "booking_time_offset", "booking_failed", "booking_reference"]
    assert {name: tracker.get_slot(name) for name in form_state} == dict.fromkeys(form_state)
    assert tracker.get_slot("preferred_language") == "da"
    for name, value in municipality().answer_values().items():
        assert tracker.get_slot(name) == value, name
