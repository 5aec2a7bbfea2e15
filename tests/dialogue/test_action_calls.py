"""What Rasa sends the action server with each action call, built by Rasa's own code from this
project's endpoints.yml and domain: the whole domain only to the actions that read it."""
from __future__ import annotations

from pathlib import Path

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain"))


@pytest.fixture(scope="module")
def action_endpoint(monkeypatch_module):
    monkeypatch_module.setenv("ACTION_SERVER_URL", "http://127.0.0.1:5055/webhook")
    return read_endpoint_config(str(PROJECT_ROOT / "endpoints.yml"), "action_endpoint")


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def call(name: str, domain: Domain, endpoint) -> dict:
    tracker = DialogueStateTracker.from_events("someone", [], slots=domain.slots)
    return RemoteAction(name, endpoint)._action_call_format(tracker, domain)


def test_the_answer_after_every_answer_goes_without_the_domain(domain, action_endpoint):
    # Every response in both languages, serialised and parsed again on each turn, was most of the
    # action round trip's CPU time (make bench --profile).
    assert "domain" not in call("action_did_that_help", domain, action_endpoint)
    assert "domain" not in call("action_check_struggle", domain, action_endpoint)


@pytest.mark.parametrize(
    "name", ["action_session_start", "action_show_more", "validate_booking_form", "validate_manage_booking_form"]
)
def test_actions_that_read_the_domain_still_get_it(domain, action_endpoint, name):
    sent = call(name, domain, action_endpoint)
    assert sent["domain"]["forms"] and sent["domain"]["slots"] and sent["domain"]["responses"]
