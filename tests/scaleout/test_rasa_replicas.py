"""Two real Rasa replicas on one PostgreSQL tracker database and one Redis, as architecture.md scales out.

The load balancer is played by this test: the messages of ONE conversation go to both replicas at
once, in pairs. With the locks in Redis the replicas take turns, so the stored tracker reads as one
conversation: every citizen message once, each followed by exactly the answers it got over HTTP.
(With in-memory locks both replicas handle the pair at once, and the second save drops events.)

Cost: two Rasa processes and an action server start in parallel; on the 2-core machine that is one
to three minutes, most of it Rasa importing TensorFlow and loading the model.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import httpx
import pytest
import redis

from bot.devstack import START_TIMEOUT, free_port
from bot.store import Database
from tests.conftest import PROJECT_ROOT
from tests.support.postgres import fresh_postgres_database
from tests.support.services import REDIS_URL, require_redis

RASA = str(Path(sys.executable).with_name("rasa"))
REPLY_TIMEOUT = 120.0  # one answer, including waiting for the other replica's turn, on a busy machine

# Different questions, so no "same question again" handoff pauses the conversation.
QUESTIONS = [
    "hej",
    "hvordan faar jeg mit id",
    "har glemt min pinkode til mit id",
    "har købt ny iphone hvordan flytter jeg mitid over",
    "hvad er jeres åbningstider",
    "hvordan læser jeg min digitale post",
    "jeg kan ikke huske mit bruger id",
    "min telefon er blevet stjålet og mitid var på den",
]


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    ready_url: str
    log: Path


@pytest.fixture
def tracker_database():
    with fresh_postgres_database("borgerhjaelp_replicas") as url:
        database = Database(url)  # the action server's tables, as `python -m bot run` makes them
        database.upgrade()
        database.dispose()
        yield url


@pytest.fixture
def lock_prefix():
    require_redis()
    prefix = f"test{uuid.uuid4().hex}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback only)
            return response.status == 200
    except OSError:
        return False


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@contextlib.contextmanager
def running(processes_to_start: list[tuple[str, list[str], dict[str, str], str]], directory: Path) -> Iterator[None]:
    """Start every process at once, wait until all answer their ready URL, and stop them all at the end."""
    started: list[Process] = []
    try:
        for name, argv, env, ready_url in processes_to_start:
            log = directory / f"{name}.log"
            with log.open("wb") as out:
                popen = subprocess.Popen(
                    argv, cwd=PROJECT_ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                )
            started.append(Process(name, popen, ready_url, log))
        waiting = list(started)
        deadline = time.monotonic() + START_TIMEOUT
        while waiting:
            for process in list(waiting):
                if process.popen.poll() is not None:
                    raise RuntimeError(f"{process.name} exited with {process.popen.returncode}:\n{_tail(process.log)}")
                if _ready(process.ready_url):
                    waiting.remove(process)
            if time.monotonic() > deadline:
                raise TimeoutError(f"not ready in {START_TIMEOUT:.0f} s: {[p.name for p in waiting]}")
            time.sleep(1)
        yield
    finally:
        for process in started:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.popen.pid, signal.SIGTERM)
        for process in started:
            try:
                process.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.popen.pid, signal.SIGKILL)
                process.popen.wait(timeout=10)


@pytest.fixture
def two_replicas(trained_model, tracker_database, lock_prefix, tmp_path):
    """Two Rasa replicas and one action server, sharing the tracker database and the Redis locks."""
    token = secrets.token_urlsafe(16)
    actions_port = free_port()
    replica_ports = [free_port(), free_port()]
    shared = {
        "DATABASE_URL": tracker_database,
        "ACTION_SERVER_URL": f"http://127.0.0.1:{actions_port}/webhook",
        "REDIS_URL": REDIS_URL,
        "REDIS_KEY_PREFIX": lock_prefix,
        "LOG_LEVEL": "WARNING",
        "LOG_LEVEL_LIBRARIES": "ERROR",
    }
    start = [
        (
            "actions",
            [RASA, "run", "actions", "--actions", "actions", "-p", str(actions_port)],
            {**shared, "SANIC_HOST": "127.0.0.1"},
            f"http://127.0.0.1:{actions_port}/health",
        )
    ]
    for number, port in enumerate(replica_ports, 1):
        start.append(
            (
                f"rasa{number}",
                [
                    RASA, "run", "--enable-api", f"--auth-token={token}", "-i", "127.0.0.1", "-p", str(port),
                    "--model", str(trained_model), "--connector", "rest",
                    "--endpoints", str(PROJECT_ROOT / "endpoints.yml"),
                ],
                shared,
                f"http://127.0.0.1:{port}/status?token={token}",
            )
        )
    with running(start, tmp_path):
        yield [f"http://127.0.0.1:{port}" for port in replica_ports]


def stored_events(database_url: str, sender_id: str) -> list[dict]:
    import psycopg2

    with contextlib.closing(psycopg2.connect(database_url)) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT data FROM events WHERE sender_id = %s ORDER BY id", (sender_id,))
        return [json.loads(data) for (data,) in cursor.fetchall()]


def words(texts: list) -> list[str]:
    """The words of several answers: Rasa's REST channel sends a text's paragraphs as separate messages."""
    return " ".join(text for text in texts if text).split()


def turns(events: list[dict]) -> list[list[dict]]:
    """The stored events cut at each citizen message: [user event, what followed it ...] per turn."""
    found: list[list[dict]] = []
    for event in events:
        if event["event"] == "user":
            found.append([event])
        elif found:
            found[-1].append(event)
    return found


async def test_one_conversation_on_two_replicas_is_stored_as_one_consistent_conversation(two_replicas, tracker_database):
    sender_id = f"borger-{uuid.uuid4().hex[:8]}"
    replies: dict[int, list[dict]] = {}

    async with httpx.AsyncClient(timeout=REPLY_TIMEOUT) as http:

        async def send(replica: str, probe: int) -> None:
            body = {"sender": sender_id, "message": QUESTIONS[probe], "metadata": {"probe": probe}}
            response = await http.post(f"{replica}/webhooks/rest/webhook", json=body)
            assert response.status_code == 200, response.text
            replies[probe] = response.json()

        # The load balancer sends each pair of messages to both replicas at the same moment.
        for first in range(0, len(QUESTIONS), 2):
            await asyncio.gather(send(two_replicas[0], first), send(two_replicas[1], first + 1))

    assert all(replies[probe] for probe in range(len(QUESTIONS))), f"a message got no answer: {replies}"
    stored = turns(stored_events(tracker_database, sender_id))
    probes = [turn[0].get("metadata", {}).get("probe") for turn in stored]
    assert sorted(probes) == list(range(len(QUESTIONS))), f"citizen messages lost or doubled: {probes}"
    for turn in stored:
        probe = turn[0]["metadata"]["probe"]
        answers = [event.get("text") for event in turn if event["event"] == "bot"]
        sent = [reply.get("text") for reply in replies[probe]]
        assert words(answers) == words(sent), f"turn {probe} does not hold the answers its message got"
        actions = [event["name"] for event in turn if event["event"] == "action"]
        assert actions and actions[-1] == "action_listen", f"turn {probe} was cut by another: {actions}"
