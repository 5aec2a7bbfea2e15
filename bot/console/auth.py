"""Who may use the console: guards for pages, forms, the JSON API and the socket; login and logout.

- Pages send a visitor without a session to the login page; the JSON API answers 401, and 403
  when the role is not enough; the socket is refused before it opens.
- Every state-changing request carries the session's CSRF token (form field `csrf_token`, or the
  `X-CSRF-Token` header from the console's scripts) and, when the browser says where it comes
  from, the gateway's own origin. The login form uses a double-submit cookie instead, since there
  is no session yet.
"""
from __future__ import annotations

import asyncio
import functools
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import quote, urlsplit

from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from bot.console.accounts import find_staff, needs_rehash, password_matches, rehash
from bot.console.context import ConsoleContext, console_of
from bot.console.forms import read_form
from bot.console.rendering import refused_page
from bot.console.sessions import StaffIdentity, same_token
from bot.gateway.security import origin_allowed
from bot.store import audit

SESSION_COOKIE = "bh_staff"
LOGIN_COOKIE = "bh_staff_login"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
# The console's scripts send this on requests nobody asked for (a queue refresh after a socket event):
# they must not keep an idle session alive.
BACKGROUND_HEADER = "x-console-background"
LOGIN_PATH = "/staff/login"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Endpoint = Callable[[Request], Awaitable[Response]]


def session_topic(session_id: str) -> str:
    """Where the end of one session is announced, so its open sockets close at once (on every replica)."""
    return f"staff-session:{session_id}"


async def end_session(console: ConsoleContext, session_id: str) -> None:
    await asyncio.to_thread(console.sessions.revoke, session_id)
    await console.delivery.publish(session_topic(session_id), {"type": "signed_out"})


async def identify(connection: HTTPConnection) -> StaffIdentity | None:
    token = connection.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    touch = connection.headers.get(BACKGROUND_HEADER) != "1"
    return await asyncio.to_thread(console_of(connection).sessions.lookup, token, touch)


def same_origin(connection: HTTPConnection) -> bool:
    """The browser's Origin (when it sends one) is the gateway itself: no other site's page is asking."""
    origin = connection.headers.get("origin")
    if origin is None:
        return True
    return origin_allowed(origin, connection.headers.get("host"), ())


def secure_cookies(request: Request) -> bool:
    configured = console_of(request).settings.secure_cookies
    return request.url.scheme == "https" if configured is None else configured


def set_cookie(
    response: Response, request: Request, name: str, value: str, path: str = "/staff", max_age: int | None = None
) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path=path, httponly=True, samesite="strict", secure=secure_cookies(request)
    )


def safe_next(target: str | None) -> str:
    """Only a console page of this gateway: never a redirect to another site."""
    if not target:
        return "/staff"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/staff") or target.startswith("//"):
        return "/staff"
    return target


async def _csrf_ok(request: Request, staff: StaffIdentity) -> bool:
    if not same_origin(request):
        return False
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        field = (await read_form(request)).get(CSRF_FIELD)
        given = field if isinstance(field, str) else None
    return same_token(given, staff.csrf_token)


def staff_page(admin: bool = False) -> Callable[[Endpoint], Endpoint]:
    """An HTML page or form: no session sends the visitor to the login page."""

    def decorate(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            staff = await identify(request)
            if staff is None:
                if request.method in SAFE_METHODS:
                    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                    return RedirectResponse(f"{LOGIN_PATH}?next={quote(target)}", status_code=303)
                return RedirectResponse(LOGIN_PATH, status_code=303)
            if admin and not staff.is_admin:
                return await refused_page(request, staff, 403, "Kun administratorer kan se denne side.")
            if request.method not in SAFE_METHODS and not await _csrf_ok(request, staff):
                return await refused_page(
                    request, staff, 403, "Formularen var for gammel. Gå tilbage, opdater siden, og prøv igen."
                )
            request.state.staff = staff
            return await endpoint(request)

        guarded.console_guard = "page"  # type: ignore[attr-defined]
        return guarded

    return decorate


def staff_api(admin: bool = False) -> Callable[[Endpoint], Endpoint]:
    """A JSON endpoint: 401 without a session, 403 without the role or a valid CSRF token."""

    def decorate(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            staff = await identify(request)
            if staff is None:
                return JSONResponse({"error": "not_signed_in", "text": "Du er ikke logget ind."}, status_code=401)
            if admin and not staff.is_admin:
                return JSONResponse({"error": "forbidden", "text": "Kun for administratorer."}, status_code=403)
            if request.method not in SAFE_METHODS and not await _csrf_ok(request, staff):
                return JSONResponse(
                    {"error": "csrf", "text": "Siden er for gammel. Opdater siden, og prøv igen."}, status_code=403
                )
            request.state.staff = staff
            response = await endpoint(request)
            response.headers["cache-control"] = "no-store"
            return response

        guarded.console_guard = "api"  # type: ignore[attr-defined]
        return guarded

    return decorate


# Login and logout ---------------------------------------------------------------------------------


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


TOO_MANY_ATTEMPTS = "For mange forkerte forsøg. Vent {seconds} sekunder, og prøv igen."


async def attempt_login(request: Request, username: str, password: str) -> tuple[str | None, str | None]:
    """Check the password, with back-off; returns (session token, None) or (None, a Danish reason)."""
    console = console_of(request)
    address = request.client.host if request.client else None
    rules = console.throttle.rules(username, address)
    # The attempt counts as a failure before the password is checked, so attempts sent side by side
    # are refused once the free tries are used up, instead of all being checked.
    wait = await asyncio.to_thread(console.throttle.reserve, rules)
    if wait > 0:
        return None, TOO_MANY_ATTEMPTS.format(seconds=max(1, round(wait)))
    found = await asyncio.to_thread(find_staff, console.db, username)
    account, password_hash = found if found else (None, None)
    async with console.password_checks:
        matches = await asyncio.to_thread(password_matches, password_hash, password)
    if account is None or not matches or not account.active:
        return None, "Brugernavn eller adgangskode er forkert."
    await asyncio.to_thread(console.throttle.succeeded, rules)
    if password_hash and needs_rehash(password_hash):
        await asyncio.to_thread(rehash, console.db, account.id, password)
    token = await asyncio.to_thread(console.sessions.create, account.id)
    await asyncio.to_thread(audit.record, console.db, account.id, "login")
    return token, None
