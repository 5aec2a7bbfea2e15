"""The web channel's HTTP side: the widget's files, the demo page that shows the widget, and the socket's route."""
from __future__ import annotations

import html
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from bot.channels.web.socket import widget_socket
from bot.config import Municipality

STATIC = Path(__file__).with_name("static")


class WidgetFiles(StaticFiles):
    """The widget's script and style; short caching so a new version reaches citizens the same day."""

    async def get_response(self, path: str, scope: Scope) -> Response:
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


def web_routes() -> list[BaseRoute]:
    return [
        Route("/", demo_page),
        WebSocketRoute("/ws", widget_socket),
        Mount("/widget", WidgetFiles(directory=STATIC / "widget"), name="widget"),
        Mount("/demo", WidgetFiles(directory=STATIC / "demo"), name="demo"),
    ]
