"""The staff console: staff accounts and sign-in, the live queue, conversations, bookings, audit.

What other parts build on:
- `Console` (`app.state.console`): its `routes()` join the gateway's, `start()` / `stop()` run the
  background watch (handoff timeout, stale presence) in the gateway's lifespan.
- `ConsoleSettings.from_env()`: HANDOFF_TIMEOUT_SECONDS, STAFF_COOKIE_SECURE and the session limits.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.console.settings import ConsoleSettings

if TYPE_CHECKING:
    from bot.console.app import PUBLIC_PATHS, Console

__all__ = ["PUBLIC_PATHS", "Console", "ConsoleSettings"]


def __getattr__(name: str) -> Any:
    # The web console is imported on first use: `bot staff ...` needs only the accounts, not the
    # console's pages, statistics and inbox (scikit-learn among them).
    if name in ("PUBLIC_PATHS", "Console"):
        from bot.console import app

        return getattr(app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
