"""Protection at the edge: security headers, allowed origins for sockets, and a rate limit."""
from __future__ import annotations

import time
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Scripts and styles come only from the gateway itself: no inline code, so injected markup cannot run.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self' {sockets}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"
)


def _socket_sources(host: str) -> str:
    return f"ws://{host} wss://{host}" if host else ""


class SecurityHeaders:
    """Adds the security headers to every HTTP response.

    The widget's own files must load on any municipality's page, so they are marked cross-origin
    loadable; everything else may only be framed or read by the gateway's own pages.
    """

    def __init__(self, app: ASGIApp, embeddable_prefixes: Iterable[str] = ("/widget/",), https: bool = False) -> None:
        self.app = app
        self.embeddable = tuple(embeddable_prefixes)
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        host = ""
        for name, value in scope.get("headers", []):
            if name == b"host":
                host = value.decode("latin-1")
        embeddable = path.startswith(self.embeddable)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                extra = {
                    "content-security-policy": PAGE_CSP.format(sockets=_socket_sources(host)),
                    "x-content-type-options": "nosniff",
                    "referrer-policy": "no-referrer",
                    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
                    "cross-origin-resource-policy": "cross-origin" if embeddable else "same-origin",
                }
                if not embeddable:
                    extra["x-frame-options"] = "DENY"
                    extra["cross-origin-opener-policy"] = "same-origin"
                if self.https:
                    extra["strict-transport-security"] = "max-age=31536000"
                present = {name.lower() for name, _ in headers}
                headers += [(k.encode(), v.encode()) for k, v in extra.items() if k.encode() not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def origin_allowed(origin: str | None, host: str | None, allowed: Iterable[str]) -> bool:
    """A browser socket may connect from the gateway's own pages or from a configured origin."""
    if not origin:
        return False
    origin = origin.rstrip("/").lower()
    allowed_set = {o.rstrip("/").lower() for o in allowed}
    if "*" in allowed_set or origin in allowed_set:
        return True
    parts = urlsplit(origin)
    return host is not None and host != "" and parts.scheme in ("http", "https") and parts.netloc == host.lower()


class RateLimiter:
    """A token bucket: `capacity` messages at once, refilled evenly over `per_seconds`."""

    def __init__(self, capacity: int, per_seconds: float, clock=time.monotonic) -> None:
        self.capacity = capacity
        self.rate = capacity / per_seconds
        self._clock = clock
        self._tokens = float(capacity)
        self._last = clock()

    def is_full(self) -> bool:
        """Whether the bucket has filled up again: the limiter then decides as a new one would."""
        return self._tokens + (self._clock() - self._last) * self.rate >= self.capacity

    def allow(self) -> bool:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False
