"""Fuzzing the console's JSON API over real HTTP: random and malformed requests from a signed-in staff
member and from strangers never get a 5xx or leave an unhandled exception in the log."""
from __future__ import annotations

import asyncio
import json
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.store import Conversation, ConversationState, Handoff
from tests.console.support import sign_in
from tests.support.fuzzing import awkward_text, json_values, logged_errors, raw_bodies  # noqa: F401 (a fixture)

FUZZ = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
ACTIONS = ["", "/claim", "/reply", "/hand-back", "/close", "/notes", "/nonsense"]


@pytest.fixture
def staff_client(gateway):
    """A signed-in admin's browser (cookie and CSRF token) as a plain HTTP client, and a waiting conversation."""

    async def signed_in() -> tuple[dict[str, str], str]:
        anna = await sign_in(gateway.url, "anna")
        try:
            return dict(anna.client.cookies), anna.csrf
        finally:
            await anna.client.aclose()

    cookies, csrf = asyncio.run(signed_in())
    with gateway.db.session() as session:
        row = Conversation(channel="web", channel_user_id="fuzz", state=ConversationState.WAITING)
        session.add(row)
        session.flush()
        session.add(Handoff(conversation_id=row.id, reason="request_human"))
        conversation_id = row.id
    with httpx.Client(base_url=gateway.url, cookies=cookies, timeout=30) as client:
        yield client, csrf, conversation_id


conversation_ids = st.one_of(st.text(max_size=40), st.sampled_from(["0" * 32, "..%2F..%2Fetc", "%00", "a" * 300]))
bodies = st.one_of(
    json_values.map(lambda value: ("application/json", json.dumps(value).encode())),
    st.fixed_dictionaries({"text": awkward_text, "status": awkward_text}).map(lambda d: ("application/json", json.dumps(d).encode())),
    raw_bodies.map(lambda raw: ("application/json", raw)),
    raw_bodies.map(lambda raw: ("application/x-www-form-urlencoded", raw)),
    raw_bodies.map(lambda raw: ("multipart/form-data; boundary=x", raw)),
    raw_bodies.map(lambda raw: ("text/plain", raw)),
)


@FUZZ
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
    target=st.one_of(
        st.sampled_from(["/staff/api/queue", "/staff/api/canned", "/staff/api/presence"]),
        st.tuples(st.one_of(st.just(None), conversation_ids), st.sampled_from(ACTIONS)),
    ),
    body=bodies,
    csrf=st.sampled_from(["right", "wrong", "none"]),
)
# Found by the fuzzer: a multipart body that does not start with its boundary, without a CSRF header,
# made the CSRF check's form parsing raise python-multipart's own error, a 500.
@example(method="POST", target="/staff/api/presence", body=("multipart/form-data; boundary=x", b"\x00"), csrf="none")
def test_the_console_api_answers_anything_without_a_server_error(staff_client, logged_errors, method, target, body, csrf):
    client, token, conversation_id = staff_client
    if isinstance(target, tuple):
        wanted, action = target
        path = f"/staff/api/conversations/{quote(wanted, safe='') if wanted is not None else conversation_id}{action}"
    else:
        path = target
    content_type, content = body
    headers: dict[str, str | bytes] = {"content-type": content_type}
    if csrf != "none":
        headers["x-csrf-token"] = token if csrf == "right" else "gæt".encode("latin-1")
    response = client.request(method, path, content=content, headers=headers)
    assert response.status_code < 500, (method, path, response.status_code, response.text[:200])
    if response.headers.get("content-type", "").startswith("application/json"):
        response.json()  # what the console's scripts read is always JSON when it says so
    assert logged_errors.take() == []


@FUZZ
@given(method=st.sampled_from(["GET", "POST"]), action=st.sampled_from(ACTIONS), body=bodies)
def test_a_stranger_gets_401_from_every_api_call(gateway, logged_errors, method, action, body):
    content_type, content = body
    response = httpx.request(
        method, f"{gateway.url}/staff/api/conversations/{'0' * 32}{action}", content=content,
        headers={"content-type": content_type}, cookies={"bh_staff": "forfalsket"}, timeout=30,
    )
    assert response.status_code in (401, 404, 405), response.status_code
    assert logged_errors.take() == []
