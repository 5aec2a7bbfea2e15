"""bot.rasa_speedups: Rasa as bot.rasa_launch starts it checks action server answers exactly as before."""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest
import rasa.core.run
from aiohttp import web
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import ClientResponseError, EndpointConfig
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
    monkeypatch.setattr(EndpointConfig, "request", EndpointConfig.request)
    monkeypatch.setattr(rasa.core.run, "close_resources", rasa.core.run.close_resources)
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


async def _serve_and_call(calls: list[dict]) -> tuple[list, list[str], int]:
    """A loopback HTTP server; each call goes through EndpointConfig.request. Results, bodies, connections."""
    bodies: list[str] = []
    peers: set[tuple] = set()

    async def webhook(request: web.Request) -> web.StreamResponse:
        peers.add(request.transport.get_extra_info("peername"))
        bodies.append(await request.text())
        if request.query.get("fail"):
            return web.Response(status=500, text="broken")
        if request.query.get("plain"):
            return web.Response(text="not json")
        return web.json_response({"events": [], "responses": [{"text": "Hej"}], "token": request.query.get("token")})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook", token="secret")
    results = []
    try:
        for call in calls:
            try:
                results.append(await endpoint.request(json=call.get("json"), params=call.get("params", {})))
            except ClientResponseError as error:
                results.append(("error", error.status))
        session = endpoint.__dict__[rasa_speedups._SESSION][1]
        await rasa_speedups.close_sessions()  # as when Rasa's server stops
        assert session.closed
    finally:
        await runner.cleanup()
    return results, bodies, len(peers)


def test_action_calls_reuse_one_connection_and_answer_as_rasa_does(installed):
    tracker = {"events": [{"event": "user", "text": "Jeg har mistet mit MitID / æøå", "confidence": 0.25}] * 50}
    calls = [{"json": {"next_action": "action_did_that_help", "tracker": tracker}}] * 5
    calls += [{"json": {}, "params": {"fail": "1"}}, {"json": {}, "params": {"plain": "1"}}]
    results, bodies, connections = asyncio.run(_serve_and_call(calls))
    assert connections == 1  # Rasa's own request opened a new session, and connection, for each call
    assert results[:5] == [{"events": [], "responses": [{"text": "Hej"}], "token": "secret"}] * 5
    assert results[5:] == [("error", 500), None]
    assert json.loads(bodies[0]) == calls[0]["json"]
