"""The console's HTML pages and their forms (Post/Redirect/Get; every form carries the CSRF token)."""
from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.config import ConfigError
from bot.console import rendering
from bot.console.auth import (
    CSRF_FIELD,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    attempt_login,
    console_of,
    end_session,
    identify,
    new_login_token,
    safe_next,
    same_origin,
    set_cookie,
    staff_page,
)
from bot.console.bookings import upcoming_by_day
from bot.console.desk import Refused, canned_answers, delete_canned, save_canned
from bot.console.forms import read_form
from bot.console.presence import set_presence
from bot.console.sessions import same_token, token_digest
from bot.danish import WEEKDAY_NAMES
from bot.store import Conversation, Presence, audit
from bot.store.models import CONVERSATION_ID, utcnow

# What a page says after a form did its job; only these fixed texts, so a link cannot put words in our mouth.
NOTICES = {
    "marked": "Tiden er markeret.",
    "cancelled": "Tiden er aflyst. Borgeren har fået besked i chatten, hvis samtalen stadig findes.",
    "saved": "Gemt.",
    "deleted": "Slettet.",
}


async def show(request: Request, name: str, title: str, status: int = 200, **context: Any) -> Response:
    context.setdefault("notice", NOTICES.get(request.query_params.get("ok", "")))
    context.setdefault("error", None)
    return await rendering.show(request, name, title, getattr(request.state, "staff", None), status=status, **context)


def done(path: str, notice: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?{urlencode({'ok': notice})}", status_code=303)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# Login and logout ---------------------------------------------------------------------------------


async def login_page(request: Request) -> Response:
    if await identify(request) is not None:
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    return await _login_form(request, next_page=safe_next(request.query_params.get("next")))


async def _login_form(
    request: Request, next_page: str, error: str | None = None, username: str = "", status: int = 200
) -> Response:
    token = new_login_token()
    response = await show(
        request,
        "login.html",
        "Log ind",
        status=status,
        login_token=token,
        next=next_page,
        error=error,
        username=username,
    )
    set_cookie(response, request, LOGIN_COOKIE, token, path="/staff/login", max_age=3600)
    return response


async def login(request: Request) -> Response:
    form = await read_form(request)
    next_page = safe_next(str(form.get("next") or ""))
    username = str(form.get("username") or "")[:200]
    password = str(form.get("password") or "")[:1024]
    if not same_origin(request) or not same_token(
        str(form.get(CSRF_FIELD) or ""), request.cookies.get(LOGIN_COOKIE, "") or ""
    ):
        return await _login_form(
            request, next_page, "Siden var for gammel. Prøv at logge ind igen.", username, status=403
        )
    token, error = await attempt_login(request, username, password)
    if token is None:
        status = 429 if error and error.startswith("For mange") else 401
        return await _login_form(request, next_page, error, username, status=status)
    previous = request.cookies.get(SESSION_COOKIE)
    if previous and len(previous) <= 128:
        # The browser's earlier session (this person's or someone else's) ends: one browser, one session.
        await end_session(console_of(request), token_digest(previous))
    response = RedirectResponse(next_page, status_code=303)
    settings = console_of(request).settings
    set_cookie(response, request, SESSION_COOKIE, token, max_age=int(settings.session_hours * 3600))
    response.delete_cookie(LOGIN_COOKIE, path="/staff/login")
    return response


@staff_page()
async def logout(request: Request) -> Response:
    console = console_of(request)
    staff = request.state.staff
    await end_session(console, staff.session_id)
    await asyncio.to_thread(set_presence, console.db, staff.staff_id, Presence.AWAY)
    await asyncio.to_thread(audit.record, console.db, staff.staff_id, "logout")
    response = RedirectResponse("/staff/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/staff", httponly=True, samesite="strict")
    return response


@staff_page()
async def presence_form(request: Request) -> Response:
    form = await read_form(request)
    status = Presence.ONLINE if form.get("status") == "online" else Presence.AWAY
    console = console_of(request)
    await asyncio.to_thread(set_presence, console.db, request.state.staff.staff_id, status)
    await asyncio.to_thread(audit.record, console.db, request.state.staff.staff_id, "presence", details=status.value)
    return RedirectResponse(safe_next(str(form.get("next") or "")), status_code=303)


# Queue and conversation ---------------------------------------------------------------------------


@staff_page()
async def queue_page(request: Request) -> Response:
    return await show(request, "queue.html", "Kø")


@staff_page()
async def conversation_page(request: Request) -> Response:
    conversation_id = request.path_params["conversation_id"]
    console = console_of(request)
    # Staff may open only conversations that reached staff (admins any); others look like missing ones.
    staff = request.state.staff
    if not CONVERSATION_ID.match(conversation_id) or not await console.desk.may_open(staff, conversation_id):
        return await show(
            request, "refused.html", "Samtalen findes ikke", status=404,
            text="Samtalen findes ikke. Borgeren kan have slettet den.",
        )
    return await show(request, "conversation.html", "Samtale", conversation_id=conversation_id)


# Bookings and availability ------------------------------------------------------------------------


@staff_page()
async def bookings_page(request: Request, error: str | None = None, status: int = 200) -> Response:
    console = console_of(request)
    lines = await asyncio.to_thread(console.bookings.upcoming)
    ids = {line.conversation_id for line in lines if line.conversation_id}

    def existing() -> set[str]:
        with console.db.session() as session:
            return set(session.scalars(select(Conversation.id).where(Conversation.id.in_(ids))))

    conversations = await asyncio.to_thread(existing) if ids else set()
    today = utcnow().astimezone(console.municipality.timezone).date()
    return await show(
        request, "bookings.html", "Bookinger", status=status,
        days=upcoming_by_day(lines), conversations=conversations, today=today, error=error,
    )


@staff_page()
async def booking_mark(request: Request) -> Response:
    form = await read_form(request)
    try:
        await console_of(request).bookings.mark(
            request.state.staff, _int(request.path_params["booking_id"]) or 0, str(form.get("mark"))
        )
    except Refused as refused:
        return await bookings_page.__wrapped__(request, error=refused.text, status=refused.status)  # type: ignore[attr-defined]
    return done("/staff/bookings", "marked")


@staff_page()
async def booking_cancel(request: Request) -> Response:
    try:
        await console_of(request).bookings.cancel(request.state.staff, _int(request.path_params["booking_id"]) or 0)
    except Refused as refused:
        return await bookings_page.__wrapped__(request, error=refused.text, status=refused.status)  # type: ignore[attr-defined]
    return done("/staff/bookings", "cancelled")


@staff_page(admin=True)
async def availability_page(request: Request, error: str | None = None, status: int = 200) -> Response:
    try:
        rules, exceptions = await asyncio.to_thread(console_of(request).bookings.availability)
    except ConfigError as problem:
        rules, exceptions, error = [], [], f"Bookingreglerne i municipality.yml kan ikke læses: {problem}"
    return await show(
        request, "availability.html", "Tider", status=status,
        rules=rules, exceptions=exceptions, weekdays=WEEKDAY_NAMES, error=error,
    )


async def _availability_change(request: Request, change) -> Response:
    try:
        await asyncio.to_thread(change, await read_form(request))
    except Refused as refused:
        return await availability_page.__wrapped__(request, error=refused.text, status=refused.status)  # type: ignore[attr-defined]
    console = console_of(request)
    await asyncio.to_thread(audit.record, console.db, request.state.staff.staff_id, "availability")
    return done("/staff/availability", "saved")


@staff_page(admin=True)
async def rule_add(request: Request) -> Response:
    bookings = console_of(request).bookings
    return await _availability_change(
        request,
        lambda form: bookings.add_rule(
            str(form.get("kind", "")), str(form.get("weekday", "")), str(form.get("start", "")),
            str(form.get("end", "")), str(form.get("slot_minutes", "")),
        ),
    )


@staff_page(admin=True)
async def rule_delete(request: Request) -> Response:
    bookings = console_of(request).bookings
    rule_id = _int(request.path_params["rule_id"]) or 0
    return await _availability_change(request, lambda form: bookings.delete_rule(rule_id))


@staff_page(admin=True)
async def exception_add(request: Request) -> Response:
    bookings = console_of(request).bookings
    return await _availability_change(
        request,
        lambda form: bookings.add_exception(
            str(form.get("day", "")), str(form.get("kind", "")), form.get("closed") == "1",
            str(form.get("start", "")), str(form.get("end", "")), str(form.get("note", "")),
        ),
    )


@staff_page(admin=True)
async def exception_delete(request: Request) -> Response:
    bookings = console_of(request).bookings
    exception_id = _int(request.path_params["exception_id"]) or 0
    return await _availability_change(request, lambda form: bookings.delete_exception(exception_id))


# Canned answers -----------------------------------------------------------------------------------


@staff_page()
async def canned_page(request: Request, error: str | None = None, status: int = 200) -> Response:
    answers = await asyncio.to_thread(canned_answers, console_of(request).db)
    return await show(request, "canned.html", "Standardsvar", status=status, answers=answers, error=error)


async def _canned_change(request: Request, change, notice: str) -> Response:
    form = await read_form(request)
    console = console_of(request)
    try:
        await asyncio.to_thread(change, form)
    except Refused as refused:
        return await canned_page.__wrapped__(request, error=refused.text, status=refused.status)  # type: ignore[attr-defined]
    await asyncio.to_thread(audit.record, console.db, request.state.staff.staff_id, "canned_answers")
    return done("/staff/canned", notice)


@staff_page()
async def canned_add(request: Request) -> Response:
    db, staff_id = console_of(request).db, request.state.staff.staff_id
    return await _canned_change(
        request, lambda form: save_canned(db, staff_id, str(form.get("title", "")), str(form.get("text", ""))), "saved"
    )


@staff_page()
async def canned_update(request: Request) -> Response:
    db, staff_id = console_of(request).db, request.state.staff.staff_id
    canned_id = _int(request.path_params["canned_id"]) or 0
    return await _canned_change(
        request,
        lambda form: save_canned(db, staff_id, str(form.get("title", "")), str(form.get("text", "")), canned_id),
        "saved",
    )


@staff_page()
async def canned_delete(request: Request) -> Response:
    db = console_of(request).db
    canned_id = _int(request.path_params["canned_id"]) or 0
    return await _canned_change(request, lambda form: delete_canned(db, canned_id), "deleted")


# Audit --------------------------------------------------------------------------------------------


@staff_page(admin=True)
async def audit_page(request: Request) -> Response:
    wanted = request.query_params.get("samtale", "")
    conversation_filter = wanted if CONVERSATION_ID.match(wanted) else ""
    lines = await asyncio.to_thread(audit.recent, console_of(request).db, 300, conversation_filter or None)
    return await show(request, "audit.html", "Log", lines=lines, conversation_filter=conversation_filter)
