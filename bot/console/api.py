"""The console's JSON API, used by its scripts; every call needs a session, every change its CSRF token."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.console.auth import console_of, staff_api
from bot.console.desk import Refused, canned_answers
from bot.console.presence import get_presence, set_presence
from bot.store import Database, Message, Presence, audit
from bot.store.models import CONVERSATION_ID


def refused(error: Refused) -> JSONResponse:
    return JSONResponse({"error": "refused", "text": error.text}, status_code=error.status)


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _conversation_id(request: Request) -> str:
    conversation_id = request.path_params["conversation_id"]
    if not CONVERSATION_ID.match(conversation_id):
        raise Refused(404, "Samtalen findes ikke.")
    return conversation_id


async def _run(action: Callable[[], Awaitable[Any]]) -> Response:
    try:
        result = await action()
    except Refused as error:
        return refused(error)
    return JSONResponse(result if result is not None else {"ok": True})


@staff_api()
async def queue(request: Request) -> Response:
    return JSONResponse(await console_of(request).desk.queue())


def _newest_message_id(db: Database, conversation_id: str) -> int:
    with db.session() as session:
        newest = session.scalar(select(func.max(Message.id)).where(Message.conversation_id == conversation_id))
        return newest or 0


@staff_api()
async def conversation(request: Request) -> Response:
    console = console_of(request)
    staff = request.state.staff

    async def load() -> dict[str, Any]:
        conversation_id = _conversation_id(request)  # inside `_run`: a malformed id is a 404, not a crash
        result = await console.desk.conversation(staff, conversation_id)
        await console.desk.opened(staff, conversation_id, via="http")
        # The page keeps its transcript (role="log") busy until the socket has delivered up to here,
        # so a screen reader does not read the whole backlog out as if it had just arrived.
        result["newest_message_id"] = await asyncio.to_thread(_newest_message_id, console.db, conversation_id)
        return result

    return await _run(load)


@staff_api()
async def claim(request: Request) -> Response:
    return await _run(lambda: console_of(request).desk.claim(request.state.staff, _conversation_id(request)))


@staff_api()
async def reply(request: Request) -> Response:
    text = (await _body(request)).get("text")
    return await _run(
        lambda: console_of(request).desk.reply(
            request.state.staff, _conversation_id(request), text if isinstance(text, str) else ""
        )
    )


@staff_api()
async def hand_back(request: Request) -> Response:
    return await _run(lambda: console_of(request).desk.hand_back(request.state.staff, _conversation_id(request)))


@staff_api()
async def close(request: Request) -> Response:
    return await _run(lambda: console_of(request).desk.close(request.state.staff, _conversation_id(request)))


@staff_api()
async def add_note(request: Request) -> Response:
    text = (await _body(request)).get("text")
    return await _run(
        lambda: console_of(request).desk.add_note(
            request.state.staff, _conversation_id(request), text if isinstance(text, str) else ""
        )
    )


@staff_api()
async def canned(request: Request) -> Response:
    answers = await asyncio.to_thread(canned_answers, console_of(request).db)
    return JSONResponse({"answers": [answer.to_dict() for answer in answers]})


@staff_api()
async def presence(request: Request) -> Response:
    console = console_of(request)
    staff = request.state.staff
    if request.method == "POST":
        wanted = (await _body(request)).get("status")
        if wanted not in (Presence.ONLINE.value, Presence.AWAY.value):
            return JSONResponse({"error": "invalid", "text": "Status skal være online eller away."}, status_code=400)
        await asyncio.to_thread(set_presence, console.db, staff.staff_id, Presence(wanted))
        await asyncio.to_thread(audit.record, console.db, staff.staff_id, "presence", details=wanted)
    status = await asyncio.to_thread(get_presence, console.db, staff.staff_id)
    return JSONResponse({"status": status.value})
