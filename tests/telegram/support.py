"""Helpers for Telegram tests: a gateway served in the test's own event loop (so a test can act as
staff through its ConversationService), and a citizen who writes and presses buttons in the fake chat."""
from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from typing import Any, AsyncIterator, Callable

import uvicorn

from tests.telegram.fake_bot_api import FakeBotAPI, Sent, callback_update, photo_update, text_update

TIMEOUT = 20.0


@contextlib.asynccontextmanager
async def serving(app: Any, port: int) -> AsyncIterator[str]:
    """Run an ASGI app with uvicorn on 127.0.0.1:`port` inside the running event loop."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", ws="wsproto")
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]  # pytest owns the signals
    task = asyncio.create_task(server.serve())
    deadline = asyncio.get_running_loop().time() + 15
    while not server.started:
        if task.done() or asyncio.get_running_loop().time() > deadline:
            raise RuntimeError("the gateway did not start")
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


async def eventually(check: Callable[[], Any], timeout: float = TIMEOUT, what: str = "") -> Any:
    """Poll `check` (plain or async) until it gives something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or check}")
        await asyncio.sleep(0.1)


class Citizen:
    """One Telegram user writing to the bot in a private chat (chat id = user id, as in Telegram)."""

    def __init__(self, fake: FakeBotAPI, chat_id: int, language_code: str = "da") -> None:
        self.fake = fake
        self.chat_id = chat_id
        self.language_code = language_code  # of the citizen's Telegram app

    async def send(self, text: str, update_id: int | None = None) -> int:
        """Returns the update id, so a test can send the same update again."""
        update_id = update_id or self.fake.next_update_id()
        status = await self.fake.deliver(text_update(update_id, self.chat_id, text, self.language_code))
        assert status == 200, status
        return update_id

    async def send_photo(self, caption: str | None = None) -> int:
        update_id = self.fake.next_update_id()
        assert await self.fake.deliver(photo_update(update_id, self.chat_id, caption)) == 200
        return update_id

    def seen(self) -> int:
        return len(self.fake.sent(self.chat_id))

    def texts(self) -> list[str]:
        return self.fake.texts(self.chat_id)

    async def expect(self, needle: str, after: int = 0, timeout: float = TIMEOUT) -> Sent:
        return await self.fake.wait_for_text(self.chat_id, needle, timeout, after)

    async def expect_buttons(self, after: int = 0, timeout: float = TIMEOUT) -> Sent:
        def find() -> Sent | None:
            with_buttons = [m for m in self.fake.sent(self.chat_id)[after:] if m.buttons]
            return with_buttons[-1] if with_buttons else None

        return await self.fake.wait_for(find, timeout, lambda: f"buttons in chat {self.chat_id}; it has {self.texts()[after:]}")

    async def press(self, message: Sent, title: str | None = None, index: int | None = None) -> int:
        """Press a button of `message` by its title (or place), as the Telegram app does."""
        if title is not None:
            matches = [data for text, data in message.buttons if text == title]
            assert matches, f"no button {title!r} in {message.buttons}"
            data = matches[0]
        else:
            data = message.buttons[index or 0][1]
        update_id = self.fake.next_update_id()
        assert await self.fake.deliver(callback_update(update_id, self.chat_id, message, data)) == 200
        return update_id
