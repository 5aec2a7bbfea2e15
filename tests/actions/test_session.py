"""A new session fills the slots the answers quote from municipality.yml."""
import asyncio

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.context import municipality
from actions.session import ActionSessionStart
from bot.config import PROJECT_ROOT


def test_session_start_sets_every_config_slot_the_domain_declares():
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
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

    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
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
