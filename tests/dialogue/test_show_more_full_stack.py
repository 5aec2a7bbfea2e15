""""Vis mere" on the running assistant: the gateway, Rasa with the trained model and the action server.

A citizen asks a question with a long answer, presses "Vis mere" where the widget still shows it (on
"Hjalp det?"), and gets the rest and "Hjalp det?" again. Needs a trained model, as the other
full-stack tests (BORGERHJAELP_TEST_MODEL while developing).
"""
from __future__ import annotations

import pytest
import websockets

from tests.booking.test_full_stack import button, open_chat, texts


@pytest.fixture
def stack(live_stack):
    # The session's one stack (tests/conftest.py): each test talks in conversations of its own, and
    # every Rasa start costs the suite most of a minute.
    return live_stack


async def test_vis_mere_shows_the_rest_of_the_answer_then_asks_again(stack):
    url = stack.gateway_url.replace("http", "ws") + "/ws"
    async with websockets.connect(url, origin=stack.gateway_url) as ws:
        chat = await open_chat(stack, ws)
        first = await chat.say("jeg har fået en ny telefon, hvordan får jeg mitid over på den")
        assert "Kopier dit MitID til en ny app" in texts(first), texts(first)
        assert first[-1]["text"] == "Hjalp det?"
        assert [b["title"] for b in first[-1]["buttons"]] == ["Ja", "Nej", "Vis mere"]

        rest = await chat.say("Vis mere", button(first, "Vis mere")["payload"])
        assert "Kopier fra en anden MitID app" in texts(rest), texts(rest)
        assert rest[-1]["text"] == "Hjalp det?" and [b["title"] for b in rest[-1]["buttons"]] == ["Ja", "Nej"]


async def test_vis_mere_before_any_answer_offers_the_topics_and_waits(stack):
    url = stack.gateway_url.replace("http", "ws") + "/ws"
    async with websockets.connect(url, origin=stack.gateway_url) as ws:
        chat = await open_chat(stack, ws)
        said = await chat.say("Vis mere", "/show_more")
        assert texts(said).startswith("Jeg har ikke givet dig et svar endnu."), texts(said)
        assert "Hjalp det?" not in texts(said)
