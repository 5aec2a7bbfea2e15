"""Protection at the edge: security headers, request body limits, the console's address allow-list,
allowed origins for sockets, and rate limits (one bucket, and a bounded map of buckets by key)."""
from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable, Hashable, Iterable, Sequence
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

    def __init__(self, app: ASGIApp, embeddable_prefixes: Iterable[str] = ("/widget/",), hsts_max_age: int = 0) -> None:
        self.app = app
        self.embeddable = tuple(embeddable_prefixes)
        # Strict-Transport-Security only on answers that came over HTTPS (directly, or from a proxy
        # uvicorn trusts): browsers ignore it over plain HTTP, and a wrong one over HTTPS is hard to undo.
        self.hsts_max_age = hsts_max_age

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
                if self.hsts_max_age > 0 and scope.get("scheme") == "https":
                    extra["strict-transport-security"] = f"max-age={self.hsts_max_age}"
                present = {name.lower() for name, _ in headers}
                headers += [(k.encode(), v.encode()) for k, v in extra.items() if k.encode() not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(Exception):
    """A request body went over its route's limit while it was being read."""


TOO_LARGE = "Forespørgslen er for stor.".encode()


async def _refuse(send: Send, status: int, text: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(text)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": text})


class BodyLimit:
    """Refuses a request body over its route's limit with 413, before anything parses it.

    A declared Content-Length over the limit is refused before a byte of the body is read; a body
    sent without one (chunked) is counted as it arrives and refused the moment it goes over. The
    first prefix in `route_limits` that the path starts with gives the limit; others get `default`.
    """

    def __init__(self, app: ASGIApp, default: int, route_limits: Sequence[tuple[str, int]] = ()) -> None:
        self.app = app
        self.default = default
        self.route_limits = tuple(route_limits)

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.route_limits:
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return min(limit, self.default)
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        for name, value in scope.get("headers", []):
            if name == b"content-length" and (not value.strip().isdigit() or int(value) > limit):
                await _refuse(send, 413, TOO_LARGE)
                return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return message

        async def noting_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, noting_send)
        except BodyTooLarge:
            if started:
                raise
            await _refuse(send, 413, TOO_LARGE)


def parse_networks(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Comma-separated addresses or networks ("10.0.0.0/8, 192.0.2.7"); ValueError names a wrong one."""
    networks = []
    for item in (part.strip() for part in text.split(",")):
        if item:
            networks.append(ipaddress.ip_network(item, strict=False))
    return tuple(networks)


def address_in(address: str | None, networks: Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == network.version and ip in network for network in networks)


NOT_FROM_HERE = b"Konsollen kan kun bruges fra kommunens eget net."


class AddressAllowList:
    """Only the listed addresses reach paths under `prefix` (the staff console), pages and sockets alike.

    The address is the client's as uvicorn gives it: behind a proxy, the one in X-Forwarded-For when
    the proxy is trusted (FORWARDED_ALLOW_IPS). No networks: everyone may.
    """

    def __init__(
        self, app: ASGIApp, prefix: str, networks: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]
    ) -> None:
        self.app = app
        self.prefix = prefix.rstrip("/")
        self.networks = tuple(networks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        guarded = scope["type"] in ("http", "websocket") and (path == self.prefix or path.startswith(self.prefix + "/"))
        client = scope.get("client")
        if not guarded or not self.networks or address_in(client[0] if client else None, self.networks):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await _refuse(send, 403, NOT_FROM_HERE)


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


# Below this many limiters a sweep is not worth its time.
_SWEEP_FLOOR = 64


class RateLimits:
    """A token bucket for each key (a Telegram chat, a widget visitor, an address), kept only while it matters.

    Keys come and go without end over a gateway's life; keeping a limiter for every key ever seen would
    grow without end. A limiter lives until its bucket has filled up again, when a new one would decide
    the same; idle ones are swept out whenever the map has doubled since the last sweep, so the map
    stays within twice the keys that were limited within one window.
    """

    def __init__(self, capacity: int, per_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = (capacity, per_seconds)
        self._clock = clock
        self._limiters: dict[Hashable, RateLimiter] = {}
        self._sweep_at = _SWEEP_FLOOR

    def allow(self, key: Hashable) -> bool:
        """Whether `key` may do one more now."""
        limiter = self._limiters.get(key)
        if limiter is None:
            limiter = self._limiters[key] = RateLimiter(*self._limit, clock=self._clock)
            if len(self._limiters) >= self._sweep_at:
                self.forget_idle()
        return limiter.allow()

    def forget_idle(self) -> None:
        """Drop the limiters whose bucket is full again: a new one would decide the same."""
        for key in [key for key, limiter in self._limiters.items() if limiter.is_full()]:
            del self._limiters[key]
        self._sweep_at = max(_SWEEP_FLOOR, 2 * len(self._limiters))

    def __len__(self) -> int:
        return len(self._limiters)
