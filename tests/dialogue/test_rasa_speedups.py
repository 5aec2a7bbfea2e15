"""bot.rasa_speedups: Rasa as bot.rasa_launch starts it checks action server answers exactly as before."""
from __future__ import annotations

import subprocess
import sys

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.trackers import DialogueStateTracker

from bot import rasa_speedups

VALID = {"events": [{"event": "slot", "name": "language", "value": "en"}], "responses": [{"text": "Hej"}]}
INVALID = [
    {"events": [{"name": "language"}]},  # an event without its type
    {"events": "not a list"},
    {"responses": [{"text": "Hej"}], "events": [{"event": 42}]},
]


@pytest.fixture()
def installed(monkeypatch):
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)
    monkeypatch.setattr(DialogueStateTracker, "past_states", DialogueStateTracker.past_states)
    monkeypatch.setattr(DialogueStateTracker, "applied_events", DialogueStateTracker.applied_events)
    rasa_speedups.install()
    return RemoteAction("action_did_that_help", None)


def test_a_valid_answer_passes(installed):
    assert installed._validate_action_result(VALID) is True


@pytest.mark.parametrize("answer", INVALID)
def test_an_invalid_answer_is_refused_with_the_same_error_as_rasa_gives(installed, answer):
    ours = pytest.raises(ValidationError, installed._validate_action_result, answer).value
    from jsonschema import validate

    rasas = pytest.raises(ValidationError, validate, answer, RemoteAction.action_response_format_spec()).value
    assert ours.message.startswith(rasas.message) and "Failed to validate Action server response" in ours.message


def test_rasa_started_by_bot_rasa_launch_uses_the_validator_built_once():
    # The launcher installs it before Rasa's own main runs; checked in a process of its own.
    code = (
        "import sys, bot.rasa_launch as launch, rasa.__main__ as rasa_main\n"
        "from rasa.core.actions.action import RemoteAction\n"
        "rasa_main.main = lambda: print(RemoteAction._validate_action_result.__module__)\n"
        "sys.argv = ['x', '--help']\n"
        "launch.main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env={"RASA_TOKEN": "t", "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=300,
    )
    assert result.stdout.strip().splitlines()[-1] == "bot.rasa_speedups", result.stderr[-2000:]
