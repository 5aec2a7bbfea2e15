"""The whole loop on the real stack: citizens talk to the real assistant through the gateway, the inbox
shows what it missed, an admin keeps examples and trains a model from the console, the model passes
the gate and is loaded into the running Rasa, and one click goes back to the model before.

Trains one model, going on from the serving one (minutes on a busy machine); the stack is started once
for the module.
Needs a trained model: the suite's `trained_model` fixture, or BORGERHJAELP_TEST_MODEL while developing.
"""
from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import httpx
import pytest
import websockets
from sqlalchemy import select, text

from bot import devstack
from bot.console.accounts import add_staff
from bot.learning import inbox
from bot.learning.trainer import GATE_MARGIN
from bot.store import Conversation, Database, StaffRole
from bot.store.learning_models import AssistantModel, ModelState
from bot.store.models import AuditEntry
from tests.booking.test_full_stack import button, open_chat, texts
from tests.console.support import PASSWORD, sign_in
from tests.support.stack import running_stack
from tests.support.unreadable import UNREADABLE

TRAINING_TIMEOUT = 2400.0  # training, scoring and the conversation tests on a busy 2-core machine
# Two messages the model cannot understand: letters it has no word for, and text with no Latin letter.
GIBBERISH = UNREADABLE
QUESTION = "jeg har glemt min adgangskode til mitid"


@pytest.fixture(scope="module")
def learning_stack(trained_model, tmp_path_factory):
    directory = tmp_path_factory.mktemp("learning-stack")
    environment = {
        "RASA_MODEL": str(trained_model),  # where the trainer finds the model Rasa starts with
        "LEARNING_MODELS_DIR": str(directory / "models"),
        # Rasa's cache for the training: empty unless a developer names a warm one to save minutes.
        "RASA_CACHE_DIRECTORY": os.environ.get("BORGERHJAELP_TEST_RASA_CACHE") or str(directory / "rasa-cache"),
    }
    # Rasa loads TensorFlow and the model; with seven other jobs on two cores that can take longer than
    # the stack's usual five minutes. Still bounded.
    usual, devstack.START_TIMEOUT = devstack.START_TIMEOUT, max(devstack.START_TIMEOUT, 900.0)
    try:
        context = running_stack(trained_model, directory, env=environment)
        stack = context.__enter__()
    finally:
        devstack.START_TIMEOUT = usual
    db = Database(stack.database_url)
    try:
        add_staff(db, "anna", "Anna", PASSWORD, StaffRole.ADMIN)
        yield stack, db, directory / "models"
    finally:
        db.dispose()
        context.__exit__(None, None, None)


def tracker_events(db: Database, conversation_id: str) -> list[dict]:
    with db.session() as session:
        rows = session.execute(text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"), {"s": conversation_id})
        return [json.loads(data) for (data,) in rows]


def user_intents(db: Database, conversation_id: str) -> list[tuple[str, str]]:
    """What Rasa's tracker says it understood: (text, intent) of each citizen message, in order."""
    return [
        (e.get("text"), e["parse_data"]["intent"]["name"]) for e in tracker_events(db, conversation_id) if e["event"] == "user"
    ]


async def talk(stack, db: Database) -> tuple[str, str]:
    """Two citizens in the web widget: one the assistant does not understand twice, one whose answer did
    not help. Returns their conversation ids."""
    gateway_ws = stack.gateway_url.replace("http", "ws") + "/ws"
    async with websockets.connect(gateway_ws, origin=stack.gateway_url) as ws:
        lost = await open_chat(stack, ws)
        for words in GIBBERISH:  # "Mente du ...?", then a person is offered
            await lost.say(words)
    async with websockets.connect(gateway_ws, origin=stack.gateway_url) as ws:
        asking = await open_chat(stack, ws)
        answer = await asking.say(QUESTION)
        assert "Hjalp det?" in texts(answer), texts(answer)
        no = button(answer, "Nej")
        await asking.say(no["title"], no["payload"])
    with db.session() as session:
        lost_id, asking_id = session.scalars(select(Conversation.id).order_by(Conversation.created_at)).all()[-2:]
    return lost_id, asking_id


def current_model_file(stack) -> str:
    response = httpx.get(f"{stack.rasa_url}/status", params={"token": stack.token}, timeout=30)
    response.raise_for_status()
    return Path(response.json()["model_file"]).name


def wait_for_training(db: Database, model_id: int) -> AssistantModel:
    deadline = time.monotonic() + TRAINING_TIMEOUT
    while time.monotonic() < deadline:
        with db.session() as session:
            model = session.get(AssistantModel, model_id)
            if model.state not in (ModelState.TRAINING, ModelState.READY):
                return model
        time.sleep(5)
    raise TimeoutError(f"model {model_id} was still training after {TRAINING_TIMEOUT:.0f} s")


class RasaWatch:
    """Asks Rasa to understand a sentence every few tenths of a second, to see it never refuses one.

    Rasa loads a model inside its event loop, so a question asked during the load waits for it
    (the gateway's own retry covers a wait longer than its timeout); none may be refused or lost."""

    def __init__(self, stack) -> None:
        self.stack, self.failures, self.answers = stack, [], 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=900) as client:
            while not self._stop.is_set():
                try:
                    response = client.post(
                        f"{self.stack.rasa_url}/model/parse", params={"token": self.stack.token}, json={"text": QUESTION}
                    )
                    if response.status_code == 200 and response.json()["intent"]["name"]:
                        self.answers += 1
                    else:
                        self.failures.append(response.status_code)
                except httpx.HTTPError as error:
                    self.failures.append(repr(error))
                self._stop.wait(0.3)

    def __enter__(self) -> RasaWatch:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join(60)


async def test_the_inbox_shows_what_was_missed_and_a_kept_example_trains_a_model_that_serves(learning_stack):
    stack, db, models_dir = learning_stack
    lost_id, asking_id = await talk(stack, db)

    # What happened, as Rasa's tracker recorded it.
    lost = user_intents(db, lost_id)
    assert [intent for words, intent in lost if words in GIBBERISH] == ["nlu_fallback", "nlu_fallback"], lost
    asked = user_intents(db, asking_id)
    assert asked[-1][1] == "deny" and asked[-2][0] == QUESTION, asked

    # The inbox, as an admin opens it, shows exactly that: each message once, and why.
    anna = await sign_in(stack.gateway_url, "anna")
    # The first look loads the Danish word list into the gateway: slow on a busy machine, once.
    assert (await anna.client.get("/staff/inbox", timeout=180)).status_code == 200
    assert (await anna.client.get("/staff/inbox", timeout=60)).status_code == 200  # a second look counts nothing twice
    lines = {line.text: line for line in inbox.items(db)}
    assert set(lines) == {*GIBBERISH, QUESTION}, lines
    # A person offered because the assistant did not understand marks both as such, as the tracker says.
    offered = any(
        event.get("event") == "slot" and event.get("name") == "handoff_reason" and event.get("value") == "repeated_fallback"
        for event in tracker_events(db, lost_id)
    )
    assert {lines[w].reason for w in GIBBERISH} == {"handoff" if offered else "fallback"}
    assert lines[QUESTION].reason == "not_helped"
    assert all(line.count == 1 for line in lines.values())
    assert lines[QUESTION].guesses and lines[QUESTION].guesses[0][0] == asked[-2][1]

    # The admin keeps two examples, explicitly.
    kept = {QUESTION: "mitid_forgot_pin", GIBBERISH[0]: "out_of_scope"}
    response = await anna.form(
        f"/staff/inbox/{lines[QUESTION].id}/decide",
        {"decision": "assign", "intent": "mitid_forgot_pin", "keep": "1", "text": QUESTION},
    )
    assert response.status_code == 303
    response = await anna.form(
        f"/staff/inbox/{lines[GIBBERISH[0]].id}/decide", {"decision": "out_of_scope", "keep": "1", "text": GIBBERISH[0]}
    )
    assert response.status_code == 303
    assert {(e.text, e.intent) for e in inbox.kept_examples(db)} == set(kept.items())

    # Train from the console; a second click while it runs is refused.
    first_file = current_model_file(stack)
    assert (await anna.form("/staff/models/train")).status_code == 303
    assert (await anna.form("/staff/models/train")).status_code == 409
    with db.session() as session:
        model_id = session.scalar(select(AssistantModel.id).where(AssistantModel.state == ModelState.TRAINING))
    model = wait_for_training(db, model_id)

    with db.session() as session:
        baseline = session.scalar(select(AssistantModel).where(AssistantModel.id != model_id))
    assert model.baseline_accuracy == pytest.approx(baseline.accuracy)
    assert model.conversation_tests_passed is True, model.progress
    assert model.accuracy >= baseline.accuracy - GATE_MARGIN, (model.accuracy, baseline.accuracy)
    assert model.state == ModelState.SERVING, model.progress
    assert model.kept_examples == 2
    # The new model went on from the serving one (a tenth of the epochs), not a training from scratch.
    log = (models_dir / f"training-{model_id}.log").read_text(encoding="utf-8")
    assert f"Going on from the serving model {baseline.file_name}" in log and "from scratch" not in log, log[-3000:]
    assert current_model_file(stack) == model.file_name
    assert baseline.state == ModelState.RETIRED and (models_dir / baseline.file_name).is_file()
    assert first_file in baseline.file_name or baseline.file_name.endswith("-first.tar.gz")
    page = await anna.client.get("/staff/models")
    assert "I brug" in page.text and "Gå tilbage til denne" in page.text

    # One click back to the model before, while Rasa keeps answering.
    with RasaWatch(stack) as watch:
        response = await anna.client.post(  # Rasa loads the model before it answers: can take minutes here
            f"/staff/models/{baseline.id}/use", data={"csrf_token": anna.csrf}, timeout=900
        )
        assert response.status_code == 303
    assert not watch.failures, watch.failures
    assert watch.answers > 0
    assert current_model_file(stack) == baseline.file_name
    with db.session() as session:
        states = dict(session.execute(select(AssistantModel.id, AssistantModel.state)).all())
        actions = list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert states == {baseline.id: ModelState.SERVING, model_id: ModelState.RETIRED}
    for action in ("inbox_assigned", "inbox_out_of_scope", "example_kept", "model_training", "model_served", "model_rolled_back"):
        assert action in actions, actions
    await anna.client.aclose()
