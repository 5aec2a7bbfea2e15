"""`python -m bot shell`: a terminal chat through the gateway, the same way the web widget talks.

It uses a running stack if there is one, otherwise starts `python -m bot run` for the session and
stops it again on the way out. Buttons are shown numbered; typing the number presses the button.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from bot.supervisor import url_ready

START_TIMEOUT = 300.0


def chat(args: argparse.Namespace) -> int:
    gateway = (args.gateway_url or f"http://127.0.0.1:{args.gateway_port}").rstrip("/")
    stack: subprocess.Popen | None = None
    if not url_ready(f"{gateway}/health"):
        print("Starting Borgerhjælp for this chat (the first answer can take a minute) ...", flush=True)
        argv = [sys.executable, "-m", "bot", "run", "--quiet", "--model", args.model, "--endpoints", args.endpoints,
                "--rasa-port", str(args.rasa_port), "--actions-port", str(args.actions_port),
                "--gateway-port", str(args.gateway_port)]
        stack = subprocess.Popen(argv, stdout=subprocess.DEVNULL, start_new_session=True)
        if not _wait_for_stack(gateway, stack):
            _stop(stack)
            print("The stack did not start; run `python -m bot run` to see why.", file=sys.stderr)
            return 1
    try:
        return asyncio.run(_talk(gateway))
    except (KeyboardInterrupt, EOFError):
        print()
        return 0
    finally:
        if stack is not None:
            _stop(stack)


def _wait_for_stack(gateway: str, stack: subprocess.Popen) -> bool:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and stack.poll() is None:
        try:
            import urllib.request

            with urllib.request.urlopen(f"{gateway}/health", timeout=2) as response:
                if json.load(response).get("rasa"):
                    return True
        except OSError:
            pass
        time.sleep(1)
    return False


def _stop(stack: subprocess.Popen) -> None:
    import signal

    try:
        os.killpg(stack.pid, signal.SIGTERM)
        stack.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass


class Screen:
    """What the terminal shows, and the buttons a typed number can press.

    Only the latest message from the assistant or staff has buttons that count: a message without
    buttons clears them, so a number typed as an answer ("2" for a count, a time) is sent as text
    and never presses a button from an earlier question.
    """

    def __init__(self, write: Callable[[str], None] = print) -> None:
        self.write = write
        self.buttons: list[dict[str, str]] = []

    def show(self, event: dict[str, Any]) -> bool:
        """Print one event from the gateway; False once the conversation is over (deleted)."""
        if event["type"] == "message" and event["message"]["sender"] != "citizen":
            message = event["message"]
            who = {"bot": "Chatbot", "staff": message.get("staff_name") or "Medarbejder"}.get(
                message["sender"], "Besked"
            )
            self.write(f"\n{who}: {message['text']}")
            self.buttons = list(message.get("buttons") or [])
            for number, button in enumerate(self.buttons, 1):
                self.write(f"  {number}) {button['title']}")
        elif event["type"] == "error":
            self.write(f"\n({event['text']})")
        elif event["type"] == "deleted":
            self.write("\n(Samtalen er slettet.)")
            return False
        return True

    def typed(self, line: str) -> tuple[str, str | None]:
        """The text to send for a typed line, and the button payload if it pressed a button."""
        text = line.strip()
        if text.isdigit() and 1 <= int(text) <= len(self.buttons):
            chosen = self.buttons[int(text) - 1]
            return chosen["title"], chosen["payload"]
        return text, None


async def _talk(
    gateway: str,
    read_line: Callable[[], Awaitable[str | None]] | None = None,
    write: Callable[[str], None] = print,
) -> int:
    from websockets.client import connect
    from websockets.typing import Origin

    visitor = uuid.uuid4().hex
    screen = Screen(write)
    read_line = read_line or _read_terminal_line
    write('Skriv til chatbotten. Tryk Ctrl-D eller skriv "farvel" for at slutte.\n')
    async with connect(gateway.replace("http", "ws", 1) + "/ws", origin=Origin(gateway)) as socket:
        await socket.send(json.dumps({"type": "hello", "visitor_id": visitor, "conversation_id": None, "after": 0}))
        await socket.send(json.dumps({"type": "start"}))

        async def show() -> None:
            async for raw in socket:
                if not screen.show(json.loads(raw)):
                    return

        reader = asyncio.create_task(show())
        while not reader.done():
            line = await read_line()
            if line is None:
                break
            text, payload = screen.typed(line)
            if not text:
                continue
            await socket.send(
                json.dumps({"type": "message", "client_id": uuid.uuid4().hex, "text": text, "payload": payload})
            )
            if text.lower() in ("farvel", "hej hej"):
                await asyncio.sleep(2)
                break
        reader.cancel()
    return 0


async def _read_terminal_line() -> str | None:
    return await asyncio.get_running_loop().run_in_executor(None, _read_line)


def _read_line() -> str | None:
    try:
        return input("Dig: ")
    except EOFError:
        return None


__all__ = ["Screen", "chat"]
