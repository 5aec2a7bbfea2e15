"""The widget against the real stack: Rasa with the trained model, the action server and the gateway."""
from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import websockets
from playwright.sync_api import expect
from sqlalchemy import text

from bot.store import Database
from tests.browser.test_widget import open_widget_with_keyboard
from tests.support.stack import running_stack

TIMEOUT = 60


@pytest.fixture(scope="module")
def stack(trained_model, tmp_path_factory):
    with running_stack(trained_model, tmp_path_factory.mktemp("stack"), env={"RASA_TIMEOUT": "8"}) as stack:
        yield stack


def run(coroutine):
    """Run a coroutine in its own thread: Playwright's sync API keeps an event loop in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout=TIMEOUT * 3)


def tracker_events(stack, conversation_id: str) -> int:
    db = Database(stack.database_url)
    try:
        with db.session() as session:
            query = text("SELECT COUNT(*) FROM events WHERE sender_id = :id")
            return session.execute(query, {"id": conversation_id}).scalar_one()
    finally:
        db.dispose()


def test_mitid_question_answered_quick_reply_and_reload(page, stack):
    page.goto(stack.gateway_url + "/")
    open_widget_with_keyboard(page)
    expect(page.locator(".bh-msg--bot").first).to_contain_text("chatbot", timeout=TIMEOUT * 1000)

    page.keyboard.type("Jeg har glemt min adgangskode til MitID")
    page.keyboard.press("Enter")
    answer = page.locator(".bh-msg--citizen ~ .bh-msg--bot").first
    expect(answer).to_contain_text(re.compile("MitID", re.I), timeout=TIMEOUT * 1000)

    choices = page.locator(".bh-msg--bot .bh-choice")
    expect(choices.first).to_be_visible(timeout=TIMEOUT * 1000)
    bot_messages = page.locator(".bh-msg--bot").count()
    chosen = choices.first.inner_text()
    choices.first.click()
    expect(page.locator(".bh-msg--citizen").last).to_have_text(re.compile(re.escape(chosen)))
    expect(page.locator(".bh-msg--bot")).not_to_have_count(bot_messages, timeout=TIMEOUT * 1000)

    page.wait_for_timeout(1000)  # let the last replies land before comparing
    before = page.locator(".bh-msg").all_inner_texts()
    page.reload()
    expect(page.locator(".bh-msg")).to_have_count(len(before), timeout=TIMEOUT * 1000)
    assert page.locator(".bh-msg").all_inner_texts() == before


async def _conversation(stack, *messages: dict, after_greeting=lambda: None) -> tuple[str, list[dict]]:
    visitor = uuid.uuid4().hex
    seen: list[dict] = []
    async with websockets.connect(stack.gateway_url.replace("http", "ws") + "/ws", origin=stack.gateway_url) as ws:
        await ws.send(json.dumps({"type": "hello", "visitor_id": visitor, "conversation_id": None, "after": 0}))
        await ws.send(json.dumps({"type": "start"}))  # as the widget does: the assistant greets first
        conversation_id = None

        async def until_answer() -> None:
            nonlocal conversation_id
            while True:
                event = json.loads(await ws.recv())
                if event["type"] == "conversation":
                    conversation_id = event["conversation_id"]
                if event["type"] in ("deleted", "error"):
                    seen.append(event)
                    return
                if event["type"] == "message":
                    seen.append(event["message"])
                    if event["message"]["sender"] != "citizen":
                        return

        await asyncio.wait_for(until_answer(), TIMEOUT)
        after_greeting()
        for number, message in enumerate(messages):
            await ws.send(json.dumps({"type": "message", "client_id": f"client-{number:04d}", **message}))
            await asyncio.wait_for(until_answer(), TIMEOUT)
    return conversation_id, seen


def test_slet_min_samtale_deletes_the_rasa_tracker_too(stack):
    conversation_id, _ = run(_conversation(stack, {"text": "Hvordan får jeg Digital Post?"}))
    assert tracker_events(stack, conversation_id) > 0

    async def delete() -> list[dict]:
        visitor_messages = []
        async with websockets.connect(stack.gateway_url.replace("http", "ws") + "/ws", origin=stack.gateway_url) as ws:
            # Only the visitor who owns it may delete it: a stranger's socket gets no conversation.
            await ws.send(json.dumps({"type": "hello", "visitor_id": uuid.uuid4().hex, "conversation_id": conversation_id}))
            visitor_messages.append(json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT)))
            await ws.send(json.dumps({"type": "delete"}))
        return visitor_messages

    assert run(delete())[0]["conversation_id"] is None
    assert tracker_events(stack, conversation_id) > 0

    conversation_id, seen = run(
        _conversation(stack, {"text": "Hej"}, {"text": "Slet min samtale", "payload": "/delete_conversation"})
    )
    assert seen[-1]["type"] == "deleted"
    assert tracker_events(stack, conversation_id) == 0


def test_rasa_not_answering_citizen_told_with_phone_and_answered_when_back(stack):
    rasa_group = stack.child_pids()["rasa"]
    try:
        conversation_id, seen = run(
            _conversation(
                stack, {"text": "Hvordan får jeg MitID?"}, after_greeting=lambda: os.killpg(rasa_group, signal.SIGSTOP)
            )
        )
        assert seen[-1]["sender"] == "system" and "70 00 00 00" in seen[-1]["text"]
    finally:
        os.killpg(rasa_group, signal.SIGCONT)

    async def answered() -> list[str]:
        db = Database(stack.database_url)
        try:
            for _ in range(TIMEOUT):
                with db.session() as session:
                    senders = list(
                        session.scalars(
                            text("SELECT sender FROM messages WHERE conversation_id = :id ORDER BY id"),
                            {"id": conversation_id},
                        )
                    )
                if senders[-1] == "bot":
                    return senders
                await asyncio.sleep(1)
            return senders
        finally:
            db.dispose()

    senders = run(answered())
    asked = senders.index("citizen")
    assert senders[asked + 1] == "system", senders
    assert "bot" in senders[asked + 2 :], senders
