"""A stand-in for Rasa's REST channel and HTTP API, for gateway tests that need no trained model.

It answers like the real assistant in shape (text, buttons, custom payloads), records the tracker
events the gateway appends, and can be switched off to play "Rasa is down".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

TOKEN = "test-token"

GREETING = {
    "text": "Hej! Jeg er en chatbot. Hvad kan jeg hjælpe dig med?",
    "buttons": [
        {"title": "MitID", "payload": "/mitid_help"},
        {"title": "Digital Post", "payload": "/digital_post_help"},
        {"title": "Tal med en medarbejder", "payload": "/request_human"},
    ],
}

# Markup as the real answers may carry it (the domain files write bare addresses; the widget also knows
# [label](address) and **bold**), and a javascript: link, which must never become a link.
GUIDE = {
    "text": "Her er vejledningen: [mitid.dk](https://www.mitid.dk/hjaelp/) eller https://www.borger.dk. "
    "**Husk** dit bruger-ID. Klik ikke på [dette](javascript:alert(1))."
}


@dataclass
class FakeRasa:
    down: bool = False
    # The action server behind Rasa is down: its /health fails, and Rasa answers a message with what
    # its rule says before the custom action (e.g. the answer, but no "Hjalp det?").
    actions_down: bool = False
    received: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    appended: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    # Both of the above in the order they arrived: ("message", sender, text) or ("events", sender, first event).
    journal: list[tuple[str, str, str]] = field(default_factory=list)

    def reply(self, text: str) -> list[dict[str, Any]]:
        lowered = text.lower()
        if text == "/greet":
            return [GREETING]
        if "vejledning" in lowered:
            return [GUIDE]
        if "mitid" in lowered:
            return [
                {"text": "Sådan får du en ny adgangskode til MitID: gå til [MitID.dk](https://www.mitid.dk/)."},
                {"text": "Hjalp det?", "buttons": [{"title": "Ja", "payload": "/affirm"}, {"title": "Nej", "payload": "/deny"}]},
            ]
        if "medarbejder" in lowered or text == "/request_human":
            return [
                {"text": "Jeg sætter dig i kø til en medarbejder."},
                {"custom": {"handoff": {"reason": "request_human", "topic": "mitid", "summary": "Borgeren vil tale med en person."}}},
            ]
        if text == "/affirm":
            return [{"text": "Godt!"}]
        return [{"text": f"Du skrev: {text}"}]

    def app(self) -> Starlette:
        async def webhook(request: Request) -> JSONResponse:
            if self.down:
                return JSONResponse({"error": "down"}, status_code=503)
            body = await request.json()
            self.received.append((body["sender"], body["message"], body.get("metadata") or {}))
            self.journal.append(("message", body["sender"], body["message"]))
            replies = self.reply(body["message"])
            if self.actions_down:
                replies = replies[:1]
            return JSONResponse([{"recipient_id": body["sender"], **r} for r in replies])

        async def events(request: Request) -> JSONResponse:
            if request.query_params.get("token") != TOKEN:
                return JSONResponse({"reason": "NotAuthenticated"}, status_code=401)
            if self.down:
                return JSONResponse({"error": "down"}, status_code=503)
            events = await request.json()
            self.appended.append((request.path_params["sender"], events))
            self.journal.append(("events", request.path_params["sender"], events[0]["event"] if events else ""))
            return JSONResponse({"sender_id": request.path_params["sender"]})

        async def status(request: Request) -> JSONResponse:
            if self.down or request.query_params.get("token") != TOKEN:
                return JSONResponse({}, status_code=503 if self.down else 401)
            return JSONResponse({"model_file": "fake.tar.gz"})

        async def health(_request: Request) -> JSONResponse:
            if self.actions_down:
                return JSONResponse({"error": "down"}, status_code=503)
            return JSONResponse({"status": "ok"})

        return Starlette(
            routes=[
                Route("/webhooks/rest/webhook", webhook, methods=["POST"]),
                Route("/conversations/{sender}/tracker/events", events, methods=["POST"]),
                Route("/status", status),
                Route("/health", health),
            ]
        )

    def texts_for(self, sender: str) -> list[str]:
        return [text for who, text, _ in self.received if who == sender]
