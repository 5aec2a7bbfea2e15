"""Fuzzing the widget socket over a real socket: random and malformed frames, before and after the hello,
never leave an unhandled exception in the log; each is answered with events the protocol defines (a
malformed one with an "invalid" error) or the socket is closed with a documented code; and the gateway
keeps serving a well-behaved widget afterwards."""
from __future__ import annotations

import asyncio
import json
import re
import uuid

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed

from bot.app import create_app
from bot.gateway.sockets import NORMAL_CLOSURE, POLICY_VIOLATION, TRY_AGAIN_LATER
from tests.support.fuzzing import awkward_text, json_values, logged_errors  # noqa: F401 (a fixture)
from tests.support.servers import serve_in_thread
from tests.web.support import TIMEOUT, connected, widget

FUZZ = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# What the protocol defines (bot/channels/web/socket.py's docstring), written out here on purpose.
CLIENT_FRAMES = {"hello", "start", "message", "typing", "delete", "ping"}
GATEWAY_EVENTS = {"welcome", "conversation", "message", "state", "typing", "deleted", "error", "pong"}
ERROR_CODES = {"invalid", "empty", "too_long", "not_deleted", "rate_limited", "too_many_conversations",
               "too_many_connections", "busy"}
CLOSE_CODES = {NORMAL_CLOSURE, POLICY_VIOLATION, TRY_AGAIN_LATER}


@pytest.fixture
def fuzz_gateway(with_settings, municipality):
    """A gateway whose limits leave the fuzzer room (every example comes from one address), and a
    conversation with a visitor of its own, so a hello can resume it."""
    roomy = with_settings(
        rate_limit_messages=1000, widget_address_messages=1000, widget_frames_per_minute=100_000,
        widget_address_frames_per_minute=100_000, widget_conversations_per_hour=1000,
        widget_address_conversations_per_hour=1000,
    )

    async def own_conversation(url: str) -> tuple[str, str]:
        async with widget(url) as client:
            await client.send(type="message", client_id="cid-00000001", text="hej")
            conversation_id = (await client.next("conversation"))["conversation_id"]
            await client.messages_until(lambda m: m["sender"] == "bot")
            return client.visitor_id, conversation_id

    with serve_in_thread(create_app(roomy, municipality=municipality)) as url:
        visitor_id, conversation_id = asyncio.run(own_conversation(url))
        yield url, visitor_id, conversation_id


# A frame: text (JSON of any shape, or not JSON at all) or bytes.
message_frames = st.fixed_dictionaries(
    {"type": st.just("message")},
    optional={
        "client_id": st.one_of(st.sampled_from(["cid-00000002", "abcdefgh\n", "x" * 65]), json_values),
        "text": st.one_of(awkward_text, json_values),
        "payload": st.one_of(st.none(), awkward_text, st.sampled_from(["/delete_conversation", "/mitid_help"])),
    },
)
known_frames = st.fixed_dictionaries(
    {"type": st.sampled_from(sorted(CLIENT_FRAMES))},
    optional={"on": json_values, "visitor_id": json_values, "conversation_id": json_values, "after": json_values},
)
json_frames = st.one_of(message_frames, known_frames, st.dictionaries(st.text(max_size=8), json_values, max_size=4),
                        json_values).map(json.dumps)
# Edges that random generation seldom reaches: a lone surrogate, which JSON may escape but UTF-8 cannot
# carry; nesting deeper than a parser's recursion; ids with a trailing newline; integers past 64 bits.
edge_frames = st.sampled_from([
    '{"type": "message", "client_id": "cid-00000003", "text": "\\ud800"}',
    '{"type": "message", "text": "hej", "payload": "\\udfff"}',
    "[" * 3000 + "]" * 3000,
    '{"type": "hello", "visitor_id": "abcdefgh\\n"}',
    '{"type": "message", "client_id": "cid-0000004\\n", "text": "hej"}',
])
frames = st.one_of(json_frames, awkward_text, st.binary(max_size=64), edge_frames)
hellos = st.fixed_dictionaries(
    {"type": st.just("hello")},
    optional={
        "conversation_id": st.one_of(st.just("own"), json_values),
        "after": st.one_of(st.integers(), st.sampled_from([2**63 - 1, 2**63, 2**64, -(2**63) - 1]), json_values),
    },
)


def kind_of(frame: str | bytes) -> object:
    """The frame's "type" when it is a JSON object; None otherwise."""
    if isinstance(frame, bytes):
        return None
    try:
        parsed = json.loads(frame)
    except (ValueError, RecursionError):
        return None
    return parsed.get("type") if isinstance(parsed, dict) else None


def is_malformed(frame: str | bytes) -> bool:
    """A frame the protocol has no meaning for after the hello: not a JSON object, or of no kind a client sends."""
    return kind_of(frame) not in CLIENT_FRAMES - {"hello"}


def is_hello(frame: str | bytes) -> bool:
    """A hello with a visitor id as the protocol has it: 8 to 64 letters, digits, "-" or "_", nothing else."""
    try:
        parsed = json.loads(frame)
    except ValueError:
        return False
    visitor_id = parsed.get("visitor_id") if isinstance(parsed, dict) and parsed.get("type") == "hello" else None
    return isinstance(visitor_id, str) and re.fullmatch(r"[A-Za-z0-9_-]{8,64}", visitor_id) is not None


async def answers_to(client, frame: str | bytes) -> list[dict] | int:
    """What the gateway sends in reply to `frame` (all events up to the pong for a ping sent after it),
    or the code it closed the socket with."""
    pongs = 2 if kind_of(frame) == "ping" else 1
    try:
        await client.socket.send(frame)
        await client.send(type="ping")
        events: list[dict] = []
        while sum(event["type"] == "pong" for event in events) < pongs:
            events.append(json.loads(await asyncio.wait_for(client.socket.recv(), TIMEOUT)))
        return events
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else -1


async def a_well_behaved_widget_is_served(url: str) -> None:
    async with widget(url) as client:
        await client.send(type="message", client_id="cid-00000009", text="Hvordan får jeg MitID?")
        await client.messages_until(lambda m: m["text"] == "Hjalp det?")


@FUZZ
@given(hello=hellos, sent=st.lists(frames, min_size=1, max_size=4))
# Found by the fuzzer: a frame that is JSON but not one the protocol knows got no answer at all.
@example(hello={"type": "hello"}, sent=["{}"])
# Found by the fuzzer (an edge value): a lone surrogate reached the database, a server error, and the socket dropped.
@example(hello={"type": "hello"}, sent=['{"type": "message", "client_id": "cid-00000003", "text": "\\ud800"}'])
# Found by the fuzzer (an edge value): JSON nested deeper than the parser's recursion, a server error.
@example(hello={"type": "hello"}, sent=["[" * 3000 + "]" * 3000])
# Found in review, and an edge value above since: an "after" past SQLite's 64-bit integers broke the
# history read, and the socket then delivered nothing more without a word.
@example(hello={"type": "hello", "conversation_id": "own", "after": 2**64}, sent=['{"type": "ping"}'])
def test_any_frame_after_the_hello_is_answered_as_the_protocol_says(fuzz_gateway, logged_errors, hello, sent):
    url, own_visitor, own_conversation = fuzz_gateway

    async def scenario() -> None:
        resuming = hello.get("conversation_id") == "own"
        visitor = own_visitor if resuming else uuid.uuid4().hex
        first = {**hello, "visitor_id": visitor}
        if resuming:
            first["conversation_id"] = own_conversation
        async with connected(url, visitor) as client:
            await client.send(**first)
            assert (await client.next())["type"] == "welcome"  # history may follow; answers_to reads past it
            for frame in sent:
                answer = await answers_to(client, frame)
                if isinstance(answer, int):
                    assert answer in CLOSE_CODES, (frame, answer)
                    break
                assert {event["type"] for event in answer} <= GATEWAY_EVENTS, (frame, answer)
                errors = [event for event in answer if event["type"] == "error"]
                assert {error["code"] for error in errors} <= ERROR_CODES, (frame, errors)
                assert all(isinstance(error["text"], str) and error["text"] for error in errors), (frame, errors)
                if is_malformed(frame):
                    assert [error["code"] for error in errors] == ["invalid"], (frame, answer)
            else:  # still open: the same socket still carries the conversation both ways
                await client.send(type="message", client_id="cid-00000010", text="Er du der stadig?")
                await client.messages_until(lambda m: m["client_message_id"] == "cid-00000010")
        await a_well_behaved_widget_is_served(url)

    asyncio.run(scenario())
    assert logged_errors.take() == []


@FUZZ
@given(first=frames)
# Found by the fuzzer (an edge value): "$" in the id's pattern let a visitor id with a trailing newline in.
@example(first='{"type": "hello", "visitor_id": "abcdefgh\\n"}')
def test_any_first_frame_but_a_hello_closes_the_socket_as_a_refusal(fuzz_gateway, logged_errors, first):
    url, _, _ = fuzz_gateway

    async def scenario() -> None:
        async with connected(url) as client:
            answer = await answers_to(client, first)
            if not isinstance(answer, int):  # welcomed: it must have been a well-formed hello
                assert answer[0]["type"] == "welcome" and is_hello(first), (first, answer)
            else:
                assert answer == POLICY_VIOLATION, (first, answer)
        await a_well_behaved_widget_is_served(url)

    asyncio.run(scenario())
    assert logged_errors.take() == []
