"""A newcomer writes English and books a call-back in English, through the gateway, Rasa (with the
language detector in its pipeline) and the actions; then asks for Danish and gets it.

Needs a trained model: the suite's `trained_model` fixture, or BORGERHJAELP_TEST_MODEL while developing.
"""
from __future__ import annotations

import asyncio
import re

import pytest
import websockets

from tests.booking.test_full_stack import button, open_chat, texts


@pytest.fixture
def stack(live_stack):
    # The session's one stack (tests/conftest.py): each test talks in conversations of its own, and
    # every Rasa start costs the suite most of a minute.
    return live_stack


async def newcomer_books(stack) -> tuple[str, str, str, str]:
    url = stack.gateway_url.replace("http", "ws") + "/ws"
    async with websockets.connect(url, origin=stack.gateway_url) as ws:
        chat = await open_chat(stack, ws)
        greeting = await chat.say("Hello, I am new in Denmark and need some help")
        assert "Never write your CPR number" in texts(greeting), texts(greeting)
        kind = await chat.say("Can I book an appointment at Citizen Service?")
        assert "How would you like help?" in texts(kind), texts(kind)
        topic = await chat.say("Call me", "/choose_callback")
        assert "What do you need help with?" in texts(topic), texts(topic)
        times = await chat.say("MitID", "MitID")
        first = button(times)
        assert re.match(r"(Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day \d+ \w{3} at \d\d:\d\d", first["title"]), first
        asked = await chat.say(first["title"], first["payload"])
        assert "first name" in texts(asked), texts(asked)
        asked = await chat.say("Anna")  # too short to tell a language: the conversation stays English
        assert "Which phone number" in texts(asked), texts(asked)
        summary = await chat.say("20 30 40 50")
        assert "calls Anna on 20 30 40 50" in texts(summary), texts(summary)
        confirmation = texts(await chat.say("Yes, book the time", "/affirm"))
        switched = texts(await chat.say("kan du skrive på dansk"))
        return first["title"], texts(summary), confirmation, switched


def test_a_newcomer_books_in_english_and_switches_to_danish(stack):
    time_label, summary, confirmation, switched = asyncio.run(newcomer_books(stack))
    assert time_label in summary
    assert re.search(r"Your booking number is [A-Z0-9]{3}-[A-Z0-9]{3}\.", confirmation), confirmation
    assert "We never ask for your PIN code" in confirmation
    assert "Nu skriver jeg på dansk." in switched, switched
