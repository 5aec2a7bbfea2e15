"""The gateway's only way to Rasa: its REST channel for messages, its HTTP API for tracker events.

The API token stays in this process; nothing here is ever sent to a browser.
"""
from __future__ import annotations

import logging
import time
from typing import Any

import httpx

logger = logging.getLogger(__name__)
# httpx logs every request URL at INFO, and Rasa's HTTP API takes its token in the query string.
logging.getLogger("httpx").setLevel(logging.WARNING)


# The action that paused the conversation (a handoff) never reached its `action_listen`; without one,
# Rasa takes the citizen's next message as coming mid-turn and only listens instead of answering.
RESUME_EVENTS = [{"event": "resume"}, {"event": "action", "name": "action_listen"}]


ACTION_HEALTH_TRUSTED_SECONDS = 2.0


class RasaUnavailable(Exception):
    """Rasa (or the action server behind it) did not answer; the message should be tried again later."""


class RasaClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 30.0,
        action_server_health_url: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._action_health = action_server_health_url
        self._action_healthy_until = 0.0
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)))

    async def close(self) -> None:
        await self._http.aclose()

    async def send(self, sender_id: str, text: str, metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Pass one citizen message to Rasa; returns its replies (text, buttons, custom payloads...)."""
        if not await self.action_server_ready():
            # Rasa would still answer what its rules say before a custom action, and record the
            # message; the citizen would get half an answer and the retry a second copy in Rasa.
            raise RasaUnavailable("The action server did not answer")
        body = {"sender": sender_id, "message": text, "metadata": metadata or {}}
        try:
            response = await self._http.post(f"{self.base_url}/webhooks/rest/webhook", json=body)
        except httpx.HTTPError as error:
            raise RasaUnavailable(f"Rasa did not answer: {error!r}") from error
        if response.status_code != 200:
            raise RasaUnavailable(f"Rasa answered {response.status_code}")
        replies = response.json()
        if not isinstance(replies, list):
            raise RasaUnavailable("Rasa answered something that is not a list of messages")
        if not replies and not await self.action_server_ready(fresh=True):
            # Rasa keeps going when a custom action fails and just says nothing; silence is not an answer.
            raise RasaUnavailable("The action server did not answer")
        return [reply for reply in replies if isinstance(reply, dict)]

    async def append_events(self, sender_id: str, events: list[dict[str, Any]]) -> None:
        try:
            response = await self._http.post(
                f"{self.base_url}/conversations/{sender_id}/tracker/events",
                params={"token": self._token, "include_events": "NONE"},
                json=events,
            )
        except httpx.HTTPError as error:
            raise RasaUnavailable(f"Rasa did not answer: {error!r}") from error
        if response.status_code != 200:
            raise RasaUnavailable(f"Rasa refused the events: {response.status_code} {response.text[:200]}")

    async def resume(self, sender_id: str) -> None:
        """Let the assistant answer this conversation again after a person had it."""
        await self.append_events(sender_id, RESUME_EVENTS)

    async def ready(self) -> bool:
        """Rasa is up and has a model loaded."""
        try:
            response = await self._http.get(f"{self.base_url}/status", params={"token": self._token}, timeout=3)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def action_server_ready(self, fresh: bool = False) -> bool:
        """`fresh`: ask now, as when Rasa's silence may mean the action server just went down."""
        if not self._action_health:
            return True
        # Asked before every message: a healthy answer is trusted for a moment, so a busy
        # conversation does not cost a request per message. A failure is never remembered.
        now = time.monotonic()
        if not fresh and now < self._action_healthy_until:
            return True
        try:
            response = await self._http.get(self._action_health, timeout=3)
        except httpx.HTTPError:
            return False
        if response.status_code != 200:
            return False
        self._action_healthy_until = now + ACTION_HEALTH_TRUSTED_SECONDS
        return True
