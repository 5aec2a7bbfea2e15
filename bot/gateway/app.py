"""The gateway as one Starlette application: pages, the widget's files and socket, health.

`create_app` wires the parts; everything it needs can be passed in, so tests and other channels
(Telegram, the staff console) build on the same conversation service and delivery.
"""
from __future__ import annotations

import asyncio
import contextlib
import html
import logging
from pathlib import Path
from typing import TYPE_CHECKING, AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from bot.config import Municipality, load_municipality
from bot.gateway.conversations import ConversationService
from bot.gateway.delivery import Delivery, make_delivery
from bot.gateway.publishing import publish_to
from bot.gateway.rasa import RasaClient
from bot.gateway.retention import run_purge_loop
from bot.gateway.security import SecurityHeaders
from bot.gateway.settings import GatewaySettings
from bot.gateway.widget_socket import widget_socket
from bot.store import Database

if TYPE_CHECKING:
    from bot.channels.telegram import TelegramSettings
    from bot.console import ConsoleSettings

logger = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")


class WidgetFiles(StaticFiles):
    """The widget's script and style; short caching so a new version reaches citizens the same day."""

    async def get_response(self, path, scope):  # type: ignore[no-untyped-def]
        response = await super().get_response(path, scope)
        response.headers.setdefault("cache-control", "public, max-age=300")
        return response


async def demo_page(request: Request) -> HTMLResponse:
    municipality: Municipality = request.app.state.municipality
    page = (STATIC / "demo.html").read_text(encoding="utf-8")
    values = {
        "{{municipality}}": municipality.name,
        "{{phone}}": municipality.borgerservice.phone,
        "{{address}}": municipality.borgerservice.address,
        "{{gateway}}": str(request.base_url).rstrip("/"),
    }
    for placeholder, value in values.items():
        page = page.replace(placeholder, html.escape(value, quote=True))
    return HTMLResponse(page, headers={"cache-control": "no-store"})


async def health(request: Request) -> JSONResponse:
    rasa: RasaClient = request.app.state.rasa
    rasa_ready, actions_ready = await asyncio.gather(rasa.ready(), rasa.action_server_ready())
    return JSONResponse({"gateway": True, "rasa": rasa_ready, "actions": actions_ready})


def create_app(
    settings: GatewaySettings | None = None,
    *,
    municipality: Municipality | None = None,
    db: Database | None = None,
    rasa: RasaClient | None = None,
    delivery: Delivery | None = None,
    migrate: bool = True,
    telegram: TelegramSettings | None = None,
    console: ConsoleSettings | None = None,
) -> Starlette:
    # Imported here: the Telegram channel is built on this package, so it cannot be imported with it.
    from bot.channels.telegram import TelegramSettings, telegram_channel
    from bot.console import Console, ConsoleSettings

    settings = settings or GatewaySettings.from_env()
    municipality = municipality or load_municipality(retention_days=settings.base.retention_days)
    db = db or Database(settings.base.database_url)
    rasa = rasa or RasaClient(
        settings.base.rasa_url,
        settings.base.rasa_token,
        timeout=settings.rasa_timeout,
        action_server_health_url=settings.action_server_health_url,
    )
    delivery = delivery or make_delivery(settings.redis_url, settings.redis_key_prefix)
    service = ConversationService(db, rasa, municipality, max_message_length=settings.max_message_length)
    publish_to(delivery, service.events)
    staff_console = Console(db, service, delivery, municipality, console or ConsoleSettings.from_env())
    telegram_chats = telegram_channel(telegram or TelegramSettings.from_env(), service, settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if migrate:
            await asyncio.to_thread(db.upgrade)
        await delivery.start()
        await service.recover_pending()
        retry = asyncio.create_task(service.run_retry_loop(settings.retry_interval), name="retry-pending")
        purge = asyncio.create_task(
            run_purge_loop(
                db, settings.base.retention_days, settings.purge_first_delay, settings.purge_interval, municipality
            ),
            name="retention-purge",
        )
        await staff_console.start()
        if telegram_chats is not None:
            await telegram_chats.start()
        try:
            yield
        finally:
            for task in (retry, purge):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await staff_console.stop()
            await service.shutdown()
            if telegram_chats is not None:
                await telegram_chats.stop()
            await delivery.close()
            await rasa.close()

    app = Starlette(
        routes=[
            Route("/", demo_page),
            Route("/health", health),
            WebSocketRoute("/ws", widget_socket),
            Mount("/widget", WidgetFiles(directory=STATIC / "widget"), name="widget"),
            Mount("/demo", WidgetFiles(directory=STATIC / "demo"), name="demo"),
            *staff_console.routes(),
            *(telegram_chats.routes if telegram_chats is not None else []),
        ],
        middleware=[Middleware(SecurityHeaders)],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.municipality = municipality
    app.state.db = db
    app.state.rasa = rasa
    app.state.delivery = delivery
    app.state.service = service
    app.state.console = staff_console
    app.state.telegram = telegram_chats
    return app
