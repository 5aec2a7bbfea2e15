"""Server-side pages: Jinja2 templates with autoescaping, so citizen text is always shown as text."""
from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from bot.console.presence import get_presence
from bot.console.sessions import StaffIdentity
from bot.times import as_utc

TEMPLATES = Path(__file__).with_name("templates")


class Renderer:
    def __init__(self, zone: ZoneInfo, municipality_name: str) -> None:
        self.zone = zone
        self.environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.environment.filters["moment"] = self.moment
        self.environment.globals["municipality"] = municipality_name

    def moment(self, value: datetime | None) -> str:
        """'24.11.2026 kl. 10.05' in the municipality's time zone."""
        if value is None:
            return ""
        local = as_utc(value).astimezone(self.zone)
        return f"{local:%d.%m.%Y} kl. {local:%H.%M}"

    def page(
        self, request: Request, name: str, staff: StaffIdentity | None, status: int = 200, **context: Any
    ) -> HTMLResponse:
        html = self.environment.get_template(name).render(
            staff=staff,
            csrf_token=staff.csrf_token if staff else "",
            path=request.url.path,
            **context,
        )
        # With the gateway's "no-referrer", browsers send "Origin: null" with our own forms; "same-origin"
        # still tells no other site where staff came from, and lets the forms show where they come from.
        return HTMLResponse(
            html, status_code=status, headers={"cache-control": "no-store", "referrer-policy": "same-origin"}
        )


async def show(
    request: Request, name: str, title: str, staff: StaffIdentity | None, status: int = 200, **context: Any
) -> HTMLResponse:
    """A page with the header every signed-in page has (the staff member's presence in it)."""
    console = request.app.state.console
    presence = (await asyncio.to_thread(get_presence, console.db, staff.staff_id)).value if staff else "away"
    return console.renderer.page(request, name, staff, status=status, title=title, presence=presence, **context)


async def refused_page(request: Request, staff: StaffIdentity | None, status: int, text: str) -> HTMLResponse:
    return await show(request, "refused.html", "Ikke muligt", staff, status=status, text=text)
