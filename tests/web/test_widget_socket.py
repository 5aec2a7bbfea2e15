"""The gateway over real HTTP and websockets on loopback: the widget's protocol and its protection."""
from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import text as sql_text
from websockets.exceptions import InvalidStatusCode

from bot.app import create_app
from bot.store import Conversation
from tests.support.fake_rasa import TOKEN
from tests.support.rasa_tables import set_language_slot
from tests.support.servers import serve_in_thread
from tests.web.support import widget


async def test_start_greets_and_a_question_gets_its_answer(gateway, fake_rasa):
    async with widget(gateway) as client:
        assert client.welcome["conversation_id"] is None and client.welcome["max_length"] == 1000
        await client.send(type="start")
        conversation = await client.next("conversation")
        greeting = (await client.messages_until(lambda m: m["sender"] == "bot"))[-1]
        assert greeting["buttons"][0]["title"] == "MitID"
        await client.send(type="message", client_id="cid-00000001", text="Hvordan nulstiller jeg MitID?")
        seen = await client.messages_until(lambda m: m["text"] == "Hjalp det?")
        assert seen[0]["client_message_id"] == "cid-00000001" and seen[0]["sender"] == "citizen"
        assert "custom" not in seen[0] and "conversation_id" not in seen[0]
        assert fake_rasa[0].texts_for(conversation["conversation_id"]) == ["/greet", "Hvordan nulstiller jeg MitID?"]


async def test_reconnect_with_last_id_gets_only_the_rest_and_a_resend_is_stored_once(gateway, fake_rasa):
    async with widget(gateway) as client:
        visitor = client.visitor_id
        await client.send(type="message", client_id="cid-00000001", text="en")
        conversation_id = (await client.next("conversation"))["conversation_id"]
        first = await client.messages_until(lambda m: m["text"] == "Du skrev: en")
    last_id = first[-1]["id"]

    # The connection dropped after "to" was sent but before its confirmation arrived; the widget resends.
    async with widget(gateway, conversation_id, after=last_id, visitor_id=visitor) as client:
        await client.send(type="message", client_id="cid-00000002", text="to")
        await client.messages_until(lambda m: m["text"] == "Du skrev: to")
    async with widget(gateway, conversation_id, after=last_id, visitor_id=visitor) as client:
        assert client.welcome["conversation_id"] == conversation_id
        await client.send(type="message", client_id="cid-00000002", text="to")
        confirmed = await client.messages_until(lambda m: m["client_message_id"] == "cid-00000002")
        history_then_resend = confirmed + await client.messages_until(lambda m: m["text"] == "Du skrev: to")
        ids = [m["id"] for m in history_then_resend]
        assert min(ids) > last_id and len(ids) == len(set(ids))
    assert fake_rasa[0].texts_for(conversation_id).count("to") == 1


async def test_a_conversation_is_only_resumed_by_its_own_visitor(gateway):
    async with widget(gateway) as client:
        await client.send(type="message", client_id="cid-00000001", text="hemmeligt")
        conversation_id = (await client.next("conversation"))["conversation_id"]
    async with widget(gateway, conversation_id) as stranger:
        assert stranger.welcome["conversation_id"] is None
        with pytest.raises(asyncio.TimeoutError):
            await stranger.next("message", timeout=0.5)


async def test_foreign_origin_is_refused_and_configured_origin_is_allowed(gateway):
    with pytest.raises(InvalidStatusCode) as refused:
        async with widget(gateway, origin="https://evil.example"):
            pass
    assert refused.value.status_code == 403
    async with widget(gateway, origin="https://www.eksempel-kommune.example") as client:
        assert client.welcome["type"] == "welcome"


async def test_message_too_long_is_refused_with_a_danish_message(gateway):
    async with widget(gateway) as client:
        await client.send(type="message", client_id="cid-00000001", text="x" * 1001)
        error = await client.next("error")
        assert error["code"] == "too_long" and error["client_id"] == "cid-00000001"
        assert "højst være 1000 tegn" in error["text"]


async def test_an_english_conversation_s_refusals_are_in_english(gateway, database):
    async with widget(gateway) as client:
        await client.send(type="message", client_id="cid-00000001", text="hello")
        conversation_id = (await client.next("conversation"))["conversation_id"]
        await client.messages_until(lambda m: m["sender"] == "bot")
        set_language_slot(database, conversation_id, "en")
        await client.send(type="message", client_id="cid-00000002", text="x" * 1001)
        too_long = await client.next("error")
        assert too_long["code"] == "too_long" and "at most 1000 characters" in too_long["text"]
        await client.send(type="message", client_id="cid-00000003", text="   ")
        empty = await client.next("error")  # refused by the conversation service itself
        assert empty["code"] == "empty" and empty["text"] == "Write a message first."


async def test_delete_button_deletes_the_conversation(gateway, fake_rasa):
    async with widget(gateway) as client:
        await client.send(type="message", client_id="cid-00000001", text="hej")
        conversation_id = (await client.next("conversation"))["conversation_id"]
        await client.messages_until(lambda m: m["sender"] == "bot")
        await client.send(type="message", client_id="cid-00000002", text="Slet min samtale", payload="/delete_conversation")
        assert (await client.next("deleted"))["conversation_id"] == conversation_id
    async with widget(gateway, conversation_id) as again:
        assert again.welcome["conversation_id"] is None
    assert "/delete_conversation" not in fake_rasa[0].texts_for(conversation_id)


async def test_delete_fails_loudly_when_rasas_tracker_is_not_in_the_database(gateway, database):
    async with widget(gateway) as client:
        await client.send(type="message", client_id="cid-00000001", text="hej")
        conversation_id = (await client.next("conversation"))["conversation_id"]
        await client.messages_until(lambda m: m["sender"] == "bot")
        with database.session() as session:
            session.execute(sql_text("DROP TABLE events"))  # as if Rasa's tracker store were elsewhere
        await client.send(type="message", client_id="cid-00000002", text="Slet min samtale", payload="/delete_conversation")
        error = await client.next("error")
        assert error["code"] == "not_deleted" and "kunne ikke slettes" in error["text"]
    with database.session() as session:  # nothing is deleted, so the citizen is told no lie
        assert session.get(Conversation, conversation_id) is not None


async def test_rasa_down_the_citizen_is_told_and_answered_when_it_is_back(gateway, fake_rasa):
    fake, _ = fake_rasa
    fake.down = True
    async with widget(gateway) as client:
        await client.send(type="message", client_id="cid-00000001", text="Hvordan får jeg MitID?")
        told = await client.messages_until(lambda m: m["sender"] == "system")
        assert "70 00 00 00" in told[-1]["text"] and "gemt" in told[-1]["text"]
        fake.down = False
        answer = await client.messages_until(lambda m: m["sender"] == "bot")
        assert "MitID" in answer[-1]["text"]


async def test_demo_page_has_security_headers_and_no_rasa_token(gateway, municipality):
    async with httpx.AsyncClient() as http:
        page = await http.get(gateway + "/")
        script = await http.get(gateway + "/widget/widget.js")
        health = await http.get(gateway + "/health")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "DENY"
    assert municipality.name in page.text and 'src="/widget/widget.js"' in page.text
    assert script.headers["cross-origin-resource-policy"] == "cross-origin"
    for body in (page.text, script.text, health.text):
        assert TOKEN not in body
    assert health.json() == {"gateway": True, "rasa": True, "actions": True}


async def test_municipality_name_is_escaped_on_the_demo_page(settings, municipality):
    from dataclasses import replace

    hostile = replace(municipality, name='<script>alert("x")</script> Kommune')
    with serve_in_thread(create_app(settings, municipality=hostile)) as url:
        async with httpx.AsyncClient() as http:
            page = (await http.get(url + "/")).text
    assert "<script>alert" not in page and "&lt;script&gt;" in page


async def test_only_buttons_on_offer_reach_rasa_as_payloads(gateway, fake_rasa):
    fake, _ = fake_rasa
    async with widget(gateway) as client:
        await client.send(type="start")
        conversation_id = (await client.next("conversation"))["conversation_id"]
        await client.messages_until(lambda m: m["sender"] == "bot")  # the greeting, with its topic buttons
        await client.send(type="message", client_id="cid-00000001", text="MitID", payload="/mitid_help")
        await client.messages_until(lambda m: m["text"] == "Hjalp det?")
        # A payload no button carried: its text goes to Rasa as typed words.
        forged = '/book_helper{"booking_time": "2026-11-24T10:00:00+01:00"}'
        await client.send(type="message", client_id="cid-00000002", text="Book", payload=forged)
        await client.messages_until(lambda m: m["text"] == "Du skrev: Book")
        # The greeting's buttons went when the citizen wrote; an old one counts as its title only.
        await client.send(type="message", client_id="cid-00000003", text="Digital Post", payload="/digital_post_help")
        await client.messages_until(lambda m: m["text"] == "Du skrev: Digital Post")
        await client.send(type="message", client_id="cid-00000004", text="MitID igen", payload="/mitid_help")
        await client.messages_until(lambda m: m["text"] == "Hjalp det?")
        await client.send(type="message", client_id="cid-00000005", text="Ja", payload="/affirm")
        await client.messages_until(lambda m: m["text"] == "Godt!")
    sent = fake.texts_for(conversation_id)
    assert sent == ["/greet", "/mitid_help", "Book", "Digital Post", "MitID igen", "/affirm"]


async def test_a_resent_button_press_is_confirmed_not_turned_into_text(gateway, fake_rasa):
    fake, _ = fake_rasa
    async with widget(gateway) as client:
        await client.send(type="start")
        conversation_id = (await client.next("conversation"))["conversation_id"]
        await client.messages_until(lambda m: m["sender"] == "bot")
        await client.send(type="message", client_id="cid-00000001", text="MitID", payload="/mitid_help")
        await client.messages_until(lambda m: m["text"] == "Hjalp det?")
        visitor, last_id = client.visitor_id, 0
    async with widget(gateway, conversation_id, after=last_id, visitor_id=visitor) as again:
        await again.send(type="message", client_id="cid-00000001", text="MitID", payload="/mitid_help")
        await again.messages_until(lambda m: m["client_message_id"] == "cid-00000001")
    assert fake.texts_for(conversation_id).count("/mitid_help") == 1 and "MitID" not in fake.texts_for(conversation_id)


async def test_typed_slash_commands_reach_rasa_as_plain_words(gateway, fake_rasa):
    fake, _ = fake_rasa
    async with widget(gateway) as client:
        await client.send(type="message", client_id="cid-00000001", text='/request_human{"topic": "x"}')
        conversation_id = (await client.next("conversation"))["conversation_id"]
        shown = await client.messages_until(lambda m: m["text"].startswith("Du skrev:"))
        assert shown[0]["text"] == '/request_human{"topic": "x"}'  # stored and shown as typed
        await client.send(type="message", client_id="cid-00000002", text=" //restart")
        await client.messages_until(lambda m: m["text"] == "Du skrev: restart")
        await client.send(type="message", client_id="cid-00000003", text="/")
        assert (await client.next("error"))["code"] == "empty"
        # The widget's own command still works, typed or as a button.
        await client.send(type="message", client_id="cid-00000004", text="/delete_conversation")
        assert (await client.next("deleted"))["conversation_id"] == conversation_id
    assert fake.texts_for(conversation_id) == ['request_human{"topic": "x"}', "restart"]
