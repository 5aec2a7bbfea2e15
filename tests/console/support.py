"""For console tests: a gateway with the console on loopback (Rasa played by a fake), signed-in staff
over real HTTP, and citizens speaking the widget's protocol."""
from __future__ import annotations

import asyncio
import contextlib
import json
import re
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import AsyncIterator, Iterator

import httpx
import websockets
from starlette.applications import Starlette

from bot.config import Municipality, Settings, load_municipality
from bot.console import ConsoleSettings
from bot.console.accounts import add_staff
from bot.app import create_app
from bot.gateway.settings import GatewaySettings
from bot.store import Database, StaffRole
from tests.support.databases import migrated_sqlite
from tests.support.fake_rasa import TOKEN, FakeRasa
from tests.support.rasa_tables import create_events_table
from tests.support.servers import serve_in_thread

PASSWORD = "korrekt-hest-batteri"
TIMEOUT = 10
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')
_LOGIN_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def create_staff(db: Database) -> None:
    add_staff(db, "anna", "Anna", PASSWORD, StaffRole.ADMIN)
    add_staff(db, "bo", "Bo", PASSWORD, StaffRole.STAFF)


@dataclass
class Gateway:
    url: str
    db: Database
    rasa: FakeRasa
    app: Starlette
    municipality: Municipality


@contextlib.contextmanager
def running_gateway(
    directory: Path,
    console: ConsoleSettings,
    municipality: Municipality | None = None,
    database_url: str | None = None,
    **gateway_options,
) -> Iterator[Gateway]:
    """The gateway with its console on a free loopback port, staff "anna" (admin) and "bo" (staff).

    The database is a new SQLite file in `directory` unless `database_url` names an empty one;
    `gateway_options` are more `GatewaySettings` fields."""
    fake = FakeRasa()
    if database_url:
        db = Database(database_url)
        db.upgrade()
    else:
        db = migrated_sqlite(directory / "console.db")
    create_events_table(db)
    create_staff(db)
    municipality = municipality or load_municipality()
    try:
        with serve_in_thread(fake.app()) as rasa_url:
            base = Settings.from_env(
                {"DATABASE_URL": db.url, "RASA_URL": rasa_url, "RASA_TOKEN": TOKEN, "ACTION_SERVER_URL": f"{rasa_url}/webhook"}
            )
            settings = GatewaySettings(base=base, **{"retry_interval": 0.1, "rasa_timeout": 5, **gateway_options})
            app = create_app(settings, municipality=municipality, db=db, console=console)
            with serve_in_thread(app, timeout_graceful_shutdown=1) as url:
                yield Gateway(url, db, fake, app, municipality)
    finally:
        db.dispose()


def login_token(page: str) -> str:
    match = _LOGIN_TOKEN.search(page)
    assert match, "the login form has no CSRF token"
    return match.group(1)


def csrf_of(page: str) -> str:
    match = _CSRF_META.search(page)
    assert match and match.group(1), "the page has no CSRF token"
    return match.group(1)


@dataclass
class Staff:
    """A signed-in staff member's browser, as far as HTTP goes: cookies and the CSRF token."""

    client: httpx.AsyncClient
    csrf: str
    url: str

    @property
    def session_cookie(self) -> str:
        return self.client.cookies.get("bh_staff", path="/staff") or ""

    async def api(self, method: str, path: str, body: dict | None = None, csrf: str | None = None) -> httpx.Response:
        headers = {"x-csrf-token": self.csrf if csrf is None else csrf}
        return await self.client.request(method, path, json=body if method != "GET" else None, headers=headers)

    async def form(self, path: str, data: dict | None = None, csrf: str | None = None) -> httpx.Response:
        return await self.client.post(path, data={"csrf_token": self.csrf if csrf is None else csrf, **(data or {})})

    @asynccontextmanager
    async def socket(self) -> AsyncIterator["StaffSocket"]:
        cookie = f"bh_staff={self.session_cookie}"
        async with websockets.connect(
            self.url.replace("http", "ws") + "/staff/ws", origin=self.url, extra_headers={"Cookie": cookie}, open_timeout=TIMEOUT
        ) as connection:
            socket = StaffSocket(connection)
            await socket.send(type="hello", csrf=self.csrf)
            await socket.next("ready")
            yield socket


class StaffSocket:
    def __init__(self, connection) -> None:
        self.connection = connection

    async def send(self, **message) -> None:
        await self.connection.send(json.dumps(message))

    async def next(self, kind: str, predicate=lambda event: True, timeout: float = TIMEOUT) -> dict:
        async def wait() -> dict:
            while True:
                event = json.loads(await self.connection.recv())
                if event["type"] == kind and predicate(event):
                    return event

        return await asyncio.wait_for(wait(), timeout)


async def sign_in(url: str, username: str, password: str = PASSWORD) -> Staff:
    client = httpx.AsyncClient(base_url=url, follow_redirects=False, timeout=TIMEOUT)
    form = await client.get("/staff/login")
    response = await client.post(
        "/staff/login",
        data={"username": username, "password": password, "csrf_token": login_token(form.text), "next": "/staff"},
    )
    assert response.status_code == 303, response.text
    page = await client.get("/staff")
    assert page.status_code == 200
    return Staff(client, csrf_of(page.text), url)


class Citizen:
    """Speaks the widget's protocol, as widget.js does."""

    def __init__(self, connection) -> None:
        self.connection = connection
        self.conversation_id = ""

    async def send(self, **message) -> None:
        await self.connection.send(json.dumps(message))

    async def say(self, text: str, payload: str | None = None) -> None:
        await self.send(type="message", client_id=uuid.uuid4().hex, text=text, payload=payload)

    async def event(self, predicate, timeout: float = TIMEOUT) -> dict:
        async def wait() -> dict:
            while True:
                event = json.loads(await self.connection.recv())
                if predicate(event):
                    return event

        return await asyncio.wait_for(wait(), timeout)

    async def until(self, predicate, timeout: float = TIMEOUT) -> dict:
        """The next message that matches."""
        event = await self.event(lambda e: e["type"] == "message" and predicate(e["message"]), timeout)
        return event["message"]

    async def state(self, state: str, timeout: float = TIMEOUT) -> None:
        await self.event(lambda e: e["type"] == "state" and e["state"] == state, timeout)


@asynccontextmanager
async def citizen(url: str) -> AsyncIterator[Citizen]:
    visitor = uuid.uuid4().hex
    async with websockets.connect(url.replace("http", "ws") + "/ws", origin=url, open_timeout=TIMEOUT) as connection:
        person = Citizen(connection)
        await person.send(type="hello", visitor_id=visitor, conversation_id=None, after=0)
        await person.send(type="start")

        async def opened() -> str:
            while True:
                event = json.loads(await connection.recv())
                if event["type"] == "conversation":
                    return event["conversation_id"]

        person.conversation_id = await asyncio.wait_for(opened(), TIMEOUT)
        yield person


@asynccontextmanager
async def waiting_citizen(url: str) -> AsyncIterator[Citizen]:
    """A citizen whose conversation is in the staff queue (the fake Rasa hands off on "medarbejder")."""
    async with citizen(url) as person:
        await person.say("Jeg vil gerne tale med en medarbejder")
        await person.state("waiting")
        yield person


class Clock:
    """A clock a test moves by hand; give it to what takes `clock=` (or set its `clock`)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)
