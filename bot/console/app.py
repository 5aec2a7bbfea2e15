"""The staff console as one object the gateway wires in: its routes, and its background watch.

`create_app` adds `console.routes()` to the gateway's and runs `start()` / `stop()` in its lifespan;
every handler reaches the console's parts through `console_of(request)` (`bot.console.context`).
"""
from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from bot.console import api, inbox, pages, statistics
from bot.console.context import ConsoleContext
from bot.console.socket import staff_socket

STATIC = Path(__file__).with_name("static")
# Paths anyone may reach: the login form and the console's own scripts and styles.
PUBLIC_PATHS = frozenset({"/staff/login", "/staff/static"})


class Console(ConsoleContext):
    """The console's parts, its routes and its background watch."""

    _watch_task: asyncio.Task[None] | None = None

    def routes(self) -> list[BaseRoute]:
        conversation = "/staff/api/conversations/{conversation_id}"
        return [
            Route("/staff/login", pages.login_page, methods=["GET"]),
            Route("/staff/login", pages.login, methods=["POST"]),
            Route("/staff/logout", pages.logout, methods=["POST"]),
            Route("/staff/presence", pages.presence_form, methods=["POST"]),
            Route("/staff", pages.queue_page, methods=["GET"]),
            Route("/staff/conversations/{conversation_id}", pages.conversation_page, methods=["GET"]),
            Route("/staff/bookings", pages.bookings_page, methods=["GET"]),
            Route("/staff/bookings/{booking_id:int}/mark", pages.booking_mark, methods=["POST"]),
            Route("/staff/bookings/{booking_id:int}/cancel", pages.booking_cancel, methods=["POST"]),
            Route("/staff/availability", pages.availability_page, methods=["GET"]),
            Route("/staff/availability/rules", pages.rule_add, methods=["POST"]),
            Route("/staff/availability/rules/{rule_id:int}/delete", pages.rule_delete, methods=["POST"]),
            Route("/staff/availability/exceptions", pages.exception_add, methods=["POST"]),
            Route("/staff/availability/exceptions/{exception_id:int}/delete", pages.exception_delete, methods=["POST"]),
            Route("/staff/canned", pages.canned_page, methods=["GET"]),
            Route("/staff/canned", pages.canned_add, methods=["POST"]),
            Route("/staff/canned/{canned_id:int}", pages.canned_update, methods=["POST"]),
            Route("/staff/canned/{canned_id:int}/delete", pages.canned_delete, methods=["POST"]),
            Route("/staff/audit", pages.audit_page, methods=["GET"]),
            Route("/staff/statistics", statistics.statistics_page, methods=["GET"]),
            Route("/staff/statistics.csv", statistics.statistics_csv, methods=["GET"]),
            Route("/staff/inbox", inbox.inbox_page, methods=["GET"]),
            Route("/staff/inbox/{item_id:int}/decide", inbox.inbox_decide, methods=["POST"]),
            Route("/staff/inbox/examples/{example_id:int}/delete", inbox.example_delete, methods=["POST"]),
            Route("/staff/models", inbox.models_page, methods=["GET"]),
            Route("/staff/models/train", inbox.model_train, methods=["POST"]),
            Route("/staff/models/{model_id:int}/use", inbox.model_use, methods=["POST"]),
            Route("/staff/api/queue", api.queue, methods=["GET"]),
            Route(conversation, api.conversation, methods=["GET"]),
            Route(f"{conversation}/claim", api.claim, methods=["POST"]),
            Route(f"{conversation}/reply", api.reply, methods=["POST"]),
            Route(f"{conversation}/hand-back", api.hand_back, methods=["POST"]),
            Route(f"{conversation}/close", api.close, methods=["POST"]),
            Route(f"{conversation}/notes", api.add_note, methods=["POST"]),
            Route("/staff/api/canned", api.canned, methods=["GET"]),
            Route("/staff/api/presence", api.presence, methods=["GET", "POST"]),
            WebSocketRoute("/staff/ws", staff_socket),
            Mount("/staff/static", StaticFiles(directory=STATIC), name="console-static"),
        ]

    async def start(self) -> None:
        self._watch_task = asyncio.create_task(self.watch.run(), name="handoff-watch")

    async def stop(self) -> None:
        if self._watch_task is not None:
            self._watch_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch_task
            self._watch_task = None
