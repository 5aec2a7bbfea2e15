"""One booking end to end over HTTP: a real rasa_sdk action server on loopback, called like Rasa calls it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from rasa.shared.core.events import ActionExecuted, SlotSet

from bot.store import Database
from bot.store.models import Booking

from tests.support.servers import free_port

from .helpers import SENDER, domain_dict, form_turn, in_form, session, tracker

ROOT = Path(__file__).resolve().parents[2]
FORM = "booking_form"


@pytest.fixture
def action_server(sqlite_url, sqlite_db, municipality_file):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": sqlite_url,
        "MUNICIPALITY_CONFIG": str(municipality_file),
        "SANIC_HOST": "127.0.0.1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "-p", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("the action server did not start: " + process.stderr.read().decode()[-2000:])
            time.sleep(0.5)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def call(url: str, action: str, events: list) -> dict:
    body = {
        "next_action": action,
        "sender_id": SENDER,
        "tracker": tracker(events).current_state(),
        "domain": domain_dict(),
        "version": "3.6.2",
    }
    request = urllib.request.Request(
        f"{url}/webhook", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def slots(reply: dict) -> dict:
    return {e["name"]: e["value"] for e in reply["events"] if e["event"] == "slot"}


def test_book_a_callback_over_http(action_server, sqlite_db):
    base = [SlotSet("booking_kind", "callback"), SlotSet("booking_topic", "mitid_forgot_pin")]

    asked = call(action_server, "action_ask_booking_time", session(*in_form(FORM, "booking_time", *base)))
    [message] = asked["responses"]
    assert message["response"] == "utter_ask_booking_time_callback"
    first = message["buttons"][0]["payload"]

    chosen = slots(call(action_server, "validate_booking_form", form_turn(FORM, session(*in_form(FORM, "booking_time", *base)), first, "inform", "booking_time", first)))
    assert chosen["booking_time"]

    filled = [*base, SlotSet("booking_time", chosen["booking_time"]), SlotSet("booking_name", "Mette"), SlotSet("booking_phone", "20304050")]
    confirm = form_turn(FORM, session(*in_form(FORM, "booking_confirmed", *filled)), "ja", "affirm", "booking_confirmed", True)
    booked = slots(call(action_server, "validate_booking_form", confirm))
    reference = booked["booking_reference"]
    assert booked["booking_confirmed"] is True

    done = session(*in_form(FORM, "booking_confirmed", *filled, SlotSet("booking_confirmed", True), SlotSet("booking_reference", reference)), ActionExecuted(FORM))
    reply = call(action_server, "action_booking_confirmation", done)
    assert [m["response"] for m in reply["responses"]] == ["utter_booking_confirmed_callback", "utter_booking_how_to_cancel"]
    assert reply["responses"][0]["reference"] == reference

    with sqlite_db.session() as session_:
        [stored] = session_.query(Booking).all()
        assert stored.reference == reference and stored.phone == "20304050" and stored.conversation_id == SENDER
