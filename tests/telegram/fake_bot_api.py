"""A small stand-in for Telegram's Bot API, served on loopback, for python-telegram-bot to talk to.

It implements the methods the channel calls (getMe, sendMessage, sendChatAction,
answerCallbackQuery, editMessageReplyMarkup, deleteMessages, getUpdates, setWebhook, deleteWebhook, ...) with
Telegram's own checks that matter here (4096 characters, 64-byte callback data, HTML that parses),
records every call, keeps each chat's transcript, and fails on request the way Telegram does:
429 with `retry_after`, 403 "bot was blocked by the user", 502 for a network fault.

Updates reach the gateway as Telegram would send them: posted to the webhook with its secret token
once `setWebhook` was called, otherwise handed out by `getUpdates`.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Callable

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

TOKEN = "123456:TEST-token-for-the-fake-bot-api"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Borgerhjælp", "username": "borgerhjaelp_test_bot"}
_STRAY_AMPERSAND = re.compile(r"&(?!(?:amp|lt|gt|quot|#\d+|#x[0-9a-fA-F]+);)")
_TAG = re.compile(r"</?[a-z-]+(?:\s[^<>]*)?>")
_ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "tg-spoiler", "blockquote"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float
    status: int = 200


@dataclass
class Fault:
    status: int
    description: str
    retry_after: int | None = None
    chat_id: int | None = None


@dataclass
class Sent:
    """A message as the citizen sees it in their chat."""

    message_id: int
    chat_id: int
    text: str  # what is shown, markup removed
    raw: str  # what was sent
    parse_mode: str | None
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (text, callback_data)
    reply_markup: dict[str, Any] | None = None


class _Visible(HTMLParser):
    """Telegram's HTML check: only its tags, everything else escaped; collects the shown text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _ALLOWED_TAGS:
            raise ValueError(f"Unsupported start tag \"{tag}\"")
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            raise ValueError(f"Unmatched end tag \"{tag}\"")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def visible_text(raw: str, parse_mode: str | None) -> str:
    if (parse_mode or "").upper() != "HTML":
        return raw
    if _STRAY_AMPERSAND.search(raw):
        raise ValueError("unescaped &")
    if ">" in _TAG.sub("", raw):
        raise ValueError("unescaped >")
    parser = _Visible()
    parser.feed(raw)
    parser.close()
    if parser.open:
        raise ValueError(f"Unclosed tag \"{parser.open[-1]}\"")
    return "".join(parser.text)


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class FakeBotAPI:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.url = ""  # where it is served, once it is
        self.calls: list[Call] = []
        self.chats: dict[int, list[Sent]] = {}
        self.webhook_url = ""
        self.webhook_secret = ""
        self.allowed_updates: list[str] | None = None
        self._faults: dict[str, list[Fault]] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._lock = threading.Lock()

    # The test's side ----------------------------------------------------------------------------

    def fail(self, method: str, status: int, description: str, *, retry_after: int | None = None,
             times: int = 1, chat_id: int | None = None) -> None:
        """The next `times` calls of `method` (to `chat_id`, if given) fail like Telegram fails."""
        with self._lock:
            self._faults.setdefault(method, []).extend(
                Fault(status, description, retry_after, chat_id) for _ in range(times)
            )

    def heal(self) -> None:
        """Every fault still waiting is dropped: Telegram works again."""
        with self._lock:
            self._faults.clear()

    def fail_with_flood_limit(self, method: str, retry_after: int, **kwargs: Any) -> None:
        self.fail(method, 429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after, **kwargs)

    def fail_blocked(self, method: str, **kwargs: Any) -> None:
        self.fail(method, 403, "Forbidden: bot was blocked by the user", **kwargs)

    def fail_network(self, method: str, **kwargs: Any) -> None:
        self.fail(method, 502, "Bad Gateway", **kwargs)

    def calls_of(self, method: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def sent(self, chat_id: int) -> list[Sent]:
        with self._lock:
            return list(self.chats.get(chat_id, []))

    def texts(self, chat_id: int) -> list[str]:
        return [message.text for message in self.sent(chat_id)]

    async def wait_for(
        self, predicate: Callable[[], Any], timeout: float = 20.0, what: str | Callable[[], str] = ""
    ) -> Any:
        """Poll until `predicate()` is truthy (and return it); fail after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if time.monotonic() > deadline:
                said = what() if callable(what) else what
                raise AssertionError(f"timed out after {timeout} s waiting for {said or predicate}")
            await asyncio.sleep(0.05)

    async def wait_for_text(self, chat_id: int, needle: str, timeout: float = 20.0, after: int = 0) -> Sent:
        """The first message to `chat_id` from the `after`-th on that contains `needle` (case-insensitive)."""

        def find() -> Sent | None:
            for message in self.sent(chat_id)[after:]:
                if needle.lower() in message.text.lower():
                    return message
            return None

        return await self.wait_for(find, timeout, lambda: f"{needle!r} in chat {chat_id}; it has {self.texts(chat_id)[after:]}")

    def next_update_id(self) -> int:
        return next(self._update_ids)

    async def deliver(self, update: dict[str, Any], secret: str | None = None) -> int:
        """Hand one update to the bot as Telegram would; returns the webhook's HTTP status (200 for polling)."""
        if self.webhook_url:
            token = self.webhook_secret if secret is None else secret
            async with httpx.AsyncClient(timeout=30) as client:
                response = await client.post(
                    self.webhook_url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": token}
                )
            return response.status_code
        with self._lock:
            self._updates.append(update)
        return 200

    # The bot's side -----------------------------------------------------------------------------

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"])])

    async def _endpoint(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        params = await _params(request)
        call = Call(method, params, time.monotonic())
        with self._lock:
            self.calls.append(call)
        if request.path_params["token"] != self.token:
            call.status = 401
            return _error(401, "Unauthorized")
        fault = self._take_fault(method, params)
        if fault is not None:
            call.status = fault.status
            return _error(fault.status, fault.description, fault.retry_after)
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            call.status = 404
            return _error(404, "Not Found: method not found")
        try:
            result = await handler(params)
        except _BadRequest as error:
            call.status = 400
            return _error(400, f"Bad Request: {error}")
        return JSONResponse({"ok": True, "result": result})

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        with self._lock:
            faults = self._faults.get(method, [])
            for index, fault in enumerate(faults):
                if fault.chat_id is None or str(fault.chat_id) == str(params.get("chat_id")):
                    return faults.pop(index)
        return None

    async def _getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return BOT_USER

    async def _setWebhook(self, params: dict[str, Any]) -> bool:
        with self._lock:
            self.webhook_url = params.get("url", "")
            self.webhook_secret = params.get("secret_token", "")
            self.allowed_updates = params.get("allowed_updates")
        return True

    async def _deleteWebhook(self, params: dict[str, Any]) -> bool:
        with self._lock:
            self.webhook_url = self.webhook_secret = ""
        return True

    async def _getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.webhook_url, "has_custom_certificate": False, "pending_update_count": len(self._updates)}

    async def _getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        self.allowed_updates = params.get("allowed_updates", self.allowed_updates)
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 5.0)
        while True:
            with self._lock:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                if self._updates or time.monotonic() >= deadline:
                    return list(self._updates)
            await asyncio.sleep(0.05)

    async def _sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        raw = str(params.get("text") or "")
        parse_mode = params.get("parse_mode")
        try:
            shown = visible_text(raw, parse_mode)
        except ValueError as error:
            raise _BadRequest(f"can't parse entities: {error}") from None
        if not shown.strip():
            raise _BadRequest("message text is empty")
        if utf16_length(shown) > 4096:
            raise _BadRequest("message is too long")
        markup = _markup(params.get("reply_markup"))
        message = Sent(next(self._message_ids), chat_id, shown, raw, parse_mode, _buttons(markup), markup)
        with self._lock:
            self.chats.setdefault(chat_id, []).append(message)
        return _message_json(message)

    async def _editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        markup = _markup(params.get("reply_markup"))
        with self._lock:
            for message in self.chats.get(chat_id, []):
                if message.message_id == message_id:
                    if message.reply_markup == markup:
                        raise _BadRequest("message is not modified")
                    message.reply_markup, message.buttons = markup, _buttons(markup)
                    return _message_json(message)
        raise _BadRequest("message to edit not found")

    async def _deleteMessages(self, params: dict[str, Any]) -> bool:
        """Telegram skips the messages it cannot find, and deletes only those under 48 hours old."""
        chat_id, ids = int(params["chat_id"]), params.get("message_ids") or []
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise _BadRequest("message_ids must hold 1 to 100 ids")
        with self._lock:
            self.chats[chat_id] = [m for m in self.chats.get(chat_id, []) if m.message_id not in set(map(int, ids))]
        return True

    async def _sendChatAction(self, params: dict[str, Any]) -> bool:
        return True

    async def _answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        return True

    async def _close(self, params: dict[str, Any]) -> bool:
        return True


class _BadRequest(Exception):
    pass


async def _params(request: Request) -> dict[str, Any]:
    """python-telegram-bot posts form fields whose values are JSON; tests may post JSON."""
    params: dict[str, Any] = dict(request.query_params)
    if request.headers.get("content-type", "").startswith("application/json"):
        params.update(await request.json())
        return params
    form = await request.form()
    for key, value in form.items():
        if isinstance(value, str):
            try:
                decoded = json.loads(value)
            except ValueError:
                decoded = value
            # Texts stay texts, even when they happen to be valid JSON ("1", "true").
            params[key] = value if key in ("text", "secret_token", "url", "parse_mode") else decoded
    return params


def _markup(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str):
        value = json.loads(value) if value else None
    if not value:
        return None
    for row in value.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= 64:
                raise _BadRequest("BUTTON_DATA_INVALID")
    return value


def _buttons(markup: dict[str, Any] | None) -> list[tuple[str, str]]:
    if not markup:
        return []
    return [(b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", []) for b in row]


def _message_json(message: Sent) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message_id": message.message_id,
        "date": int(time.time()),
        "chat": {"id": message.chat_id, "type": "private", "first_name": "Borger"},
        "from": BOT_USER,
        "text": message.text,
    }
    if message.reply_markup:
        body["reply_markup"] = message.reply_markup
    return body


def _error(status: int, description: str, retry_after: int | None = None) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return JSONResponse(body, status_code=status)


# Updates as Telegram sends them -------------------------------------------------------------------


def _user(chat_id: int, language_code: str = "da") -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Borger", "language_code": language_code}


def _chat(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "type": "private", "first_name": "Borger"}


def message_update(update_id: int, chat_id: int, language_code: str = "da", **content: Any) -> dict[str, Any]:
    sender = _user(chat_id, language_code)
    message = {"message_id": update_id, "date": int(time.time()), "chat": _chat(chat_id), "from": sender}
    return {"update_id": update_id, "message": {**message, **content}}


def text_update(update_id: int, chat_id: int, text: str, language_code: str = "da") -> dict[str, Any]:
    content: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        command = text.split()[0]
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return message_update(update_id, chat_id, language_code, **content)


def photo_update(update_id: int, chat_id: int, caption: str | None = None) -> dict[str, Any]:
    sizes = [
        {"file_id": f"photo-{update_id}-{size}", "file_unique_id": f"u{update_id}{size}", "width": size, "height": size}
        for size in (90, 320)
    ]
    return message_update(update_id, chat_id, photo=sizes, **({"caption": caption} if caption else {}))


def callback_update(update_id: int, chat_id: int, message: Sent, data: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cb-{update_id}",
            "from": _user(chat_id),
            "chat_instance": f"ci-{chat_id}",
            "data": data,
            "message": _message_json(message),
        },
    }


def blocked_update(update_id: int, chat_id: int) -> dict[str, Any]:
    member = {"user": BOT_USER, "status": "member"}
    return {
        "update_id": update_id,
        "my_chat_member": {
            "chat": _chat(chat_id),
            "from": _user(chat_id),
            "date": int(time.time()),
            "old_chat_member": member,
            "new_chat_member": {**member, "status": "kicked", "until_date": 0},
        },
    }
