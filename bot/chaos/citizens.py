"""Simulated citizens for `make chaos`: on the widget's websocket and on Telegram.

A widget citizen behaves like bot/static/widget.js: every message has a `client_id`; a message is
acknowledged when the gateway sends it back stored (with that id); when the socket breaks, it
reconnects (to the other replica, as a load balancer might send it) with the id of the last message
it has, and sends every unacknowledged message again with the same `client_id`.

A Telegram citizen writes in its chat; the update is posted to a gateway replica's webhook as
Telegram does, and posted again (to either replica) until a replica answers 200, as Telegram
retries a webhook that failed. What the citizen sees is the fake Bot API's chat.

Each citizen writes its next message when the answer came, or, told the assistant cannot answer
now, after a pause (citizens keep writing); every message's text is unique in its conversation, so
it can be found in the database and in Rasa's tracker. Every loop is bounded in time.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import httpx

DELAYED = ("Chatbotten kan ikke svare lige nu", "The chatbot cannot answer right now")
ANSWER_WAIT = 30.0  # no answer this long: the citizen writes the next message anyway
PAUSE = 2.0  # reading the answer before writing again
PAUSE_AFTER_DELAYED = 6.0
RECONNECT_PAUSE = 1.0
WEBHOOK_GIVE_UP = 600.0  # Telegram keeps retrying for a day; the run gives up far sooner
# Questions the assistant answers from what it knows (no booking form, no handoff to a person).
INTENTS = (
    "mitid_get", "mitid_activate", "mitid_new_phone", "mitid_forgot_pin", "mitid_blocked", "digitalpost_what",
    "digitalpost_read", "digitalpost_notifications", "opening_hours", "passport", "nemkonto", "health_card",
    "change_address", "driving_licence", "digitalpost_apps",
)


def questions() -> list[str]:
    from bot.evaluation.heldout import load_sections

    return [text for text, intent in load_sections()["short"] if intent in INTENTS]


def delayed(text: str) -> bool:
    return text.startswith(DELAYED)


@dataclass
class Written:
    """One message a citizen sent, as the run knows it."""

    key: str  # the widget's client_id, or "tg-<update_id>" as the gateway stores a Telegram message
    text: str
    acknowledged: bool = False  # the widget got it back stored; a Telegram webhook answered 200


@dataclass
class Citizen:
    name: str
    channel: str  # "web" or "telegram"
    user_id: str  # the widget's visitor id, or the Telegram chat id
    written: list[Written] = field(default_factory=list)
    received: dict[int, dict[str, Any]] = field(default_factory=dict)  # widget: every message seen, by id
    conversation_id: str | None = None
    reconnects: int = 0
    webhook_retries: int = 0
    problems: list[str] = field(default_factory=list)

    def text(self, question: str) -> str:
        # Unique within the conversation; the assistant reads the question, the number is noise to it.
        return f"{question} ({self.name} {len(self.written) + 1})"


# The widget ------------------------------------------------------------------------------------


class _Broken(Exception):
    """The socket closed or failed: reconnect."""


class WidgetCitizen:
    def __init__(self, citizen: Citizen, urls: list[str], texts: list[str], index: int) -> None:
        self.citizen = citizen
        self.urls = urls
        self.texts = itertools.cycle(texts[index % len(texts):] + texts[: index % len(texts)])
        self.index = index
        self.unacked: OrderedDict[str, Written] = OrderedDict()
        self.awaiting: tuple[Written, int | None, float] | None = None  # message, its stored id, when sent
        self.next_at = 0.0

    async def run(self, stop_writing: asyncio.Event, finish: asyncio.Event, hard_deadline: float) -> None:
        while not finish.is_set() and time.monotonic() < hard_deadline:
            url = self.urls[(self.index + self.citizen.reconnects) % len(self.urls)]
            try:
                await self._session(url, stop_writing, finish)
            except (_Broken, aiohttp.ClientError, OSError, asyncio.TimeoutError) as error:
                self.citizen.reconnects += 1
                if self.citizen.reconnects > 500:
                    self.citizen.problems.append(f"gave up reconnecting: {error!r}")
                    return
                await asyncio.sleep(RECONNECT_PAUSE)

    async def _session(self, url: str, stop_writing: asyncio.Event, finish: asyncio.Event) -> None:
        timeout = aiohttp.ClientTimeout(total=None, connect=5)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            async with http.ws_connect(url.replace("http://", "ws://") + "/ws", origin=url) as socket:
                after = max(self.citizen.received, default=0)
                await socket.send_json({
                    "type": "hello", "visitor_id": self.citizen.user_id,
                    "conversation_id": self.citizen.conversation_id, "after": after,
                })
                welcome = await self._frame(socket, 15)
                if welcome.get("type") != "welcome":
                    raise _Broken(f"no welcome: {welcome}")
                if self.citizen.conversation_id is None:
                    await socket.send_json({"type": "start"})
                    while self.citizen.conversation_id is None:
                        self._take(await self._frame(socket, 15))
                elif welcome.get("conversation_id") != self.citizen.conversation_id:
                    self.citizen.problems.append("the gateway did not know the conversation after a reconnect")
                for written in list(self.unacked.values()):  # resent with the same client_id
                    await self._send(socket, written)
                while not finish.is_set():
                    now = time.monotonic()
                    if self._may_write(now, stop_writing):
                        written = Written(uuid.uuid4().hex, self.citizen.text(next(self.texts)))
                        self.citizen.written.append(written)
                        self.unacked[written.key] = written
                        self.awaiting = (written, None, now)
                        await self._send(socket, written)
                    try:
                        frame = await self._frame(socket, 0.5)
                    except asyncio.TimeoutError:
                        continue
                    self._take(frame)
                    if frame.get("type") == "error" and frame.get("client_id") in self.unacked:
                        await asyncio.sleep(2.0)  # rate limited, or the database was down: send it again
                        await self._send(socket, self.unacked[frame["client_id"]])

    def _may_write(self, now: float, stop_writing: asyncio.Event) -> bool:
        if stop_writing.is_set() or now < self.next_at or self.unacked:
            return False
        if self.awaiting is not None and now - self.awaiting[2] < ANSWER_WAIT:
            return False
        return True

    async def _send(self, socket: aiohttp.ClientWebSocketResponse, written: Written) -> None:
        await socket.send_json({"type": "message", "client_id": written.key, "text": written.text, "payload": None})

    async def _frame(self, socket: aiohttp.ClientWebSocketResponse, timeout: float) -> dict[str, Any]:
        raw = await socket.receive(timeout=timeout)
        if raw.type != aiohttp.WSMsgType.TEXT:
            raise _Broken(f"socket {raw.type.name}")
        return json.loads(raw.data)

    def _take(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "conversation":
            self.citizen.conversation_id = frame["conversation_id"]
        elif kind == "deleted":
            self.citizen.problems.append("the conversation was deleted")
        elif kind == "message":
            message = frame["message"]
            self.citizen.received[message["id"]] = message
            written = self.unacked.pop(message.get("client_message_id") or "", None)
            if written is not None:
                written.acknowledged = True
                if self.awaiting is not None and self.awaiting[0] is written:
                    self.awaiting = (written, message["id"], self.awaiting[2])
            elif message["sender"] != "citizen" and self.awaiting is not None:
                stored_id = self.awaiting[1]
                if stored_id is not None and message["id"] > stored_id:
                    if delayed(message["text"]):
                        self.next_at = time.monotonic() + PAUSE_AFTER_DELAYED
                        self.awaiting = (self.awaiting[0], stored_id, 0.0)  # write on after the pause
                    else:
                        self.awaiting = None
                        self.next_at = time.monotonic() + PAUSE


# Telegram --------------------------------------------------------------------------------------


class TelegramSide:
    """What Telegram does for the gateway: posts each update to the webhook until one replica takes it."""

    def __init__(self, fake: Any, urls: list[str], secret: str, path: str) -> None:
        self.fake = fake
        self.urls = urls
        self.secret = secret
        self.path = path
        self._turn = itertools.count()

    async def post(self, update: dict[str, Any], citizen: Citizen) -> bool:
        deadline = time.monotonic() + WEBHOOK_GIVE_UP
        pause = 0.5
        async with httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=3.0)) as http:
            while time.monotonic() < deadline:
                url = self.urls[next(self._turn) % len(self.urls)] + self.path
                try:
                    headers = {"X-Telegram-Bot-Api-Secret-Token": self.secret}
                    response = await http.post(url, json=update, headers=headers)
                    if response.status_code == 200:
                        return True
                except httpx.HTTPError:
                    pass
                citizen.webhook_retries += 1
                await asyncio.sleep(pause)
                pause = min(pause * 2, 5.0)
        citizen.problems.append(f"update {update['update_id']} never taken")
        return False


async def telegram_citizen(
    citizen: Citizen,
    side: TelegramSide,
    texts: list[str],
    index: int,
    stop_writing: asyncio.Event,
    hard_deadline: float,
) -> None:
    from tests.telegram.fake_bot_api import text_update

    chat_id = int(citizen.user_id)
    questions_left = itertools.cycle(texts[index % len(texts):] + texts[: index % len(texts)])
    while not stop_writing.is_set() and time.monotonic() < hard_deadline:
        update_id = side.fake.next_update_id()
        written = Written(f"tg-{update_id}", citizen.text(next(questions_left)))
        citizen.written.append(written)
        seen = len(side.fake.sent(chat_id))
        written.acknowledged = await side.post(text_update(update_id, chat_id, written.text), citizen)
        pause = PAUSE
        deadline = time.monotonic() + ANSWER_WAIT
        while time.monotonic() < deadline:
            new = side.fake.texts(chat_id)[seen:]
            if any(delayed(text) for text in new):
                pause = PAUSE_AFTER_DELAYED
                break
            if new:
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(pause)
