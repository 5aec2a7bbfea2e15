"""The staff console: staff accounts and sign-in, the live queue, conversations, bookings, audit.

What other parts build on:
- `Console` (`app.state.console`): its `routes()` join the gateway's, `start()` / `stop()` run the
  background watch (handoff timeout, stale presence) in the gateway's lifespan.
- `ConsoleSettings.from_env()`: HANDOFF_TIMEOUT_SECONDS, STAFF_COOKIE_SECURE and the session limits.
"""
from bot.console.app import PUBLIC_PATHS, Console
from bot.console.settings import ConsoleSettings

__all__ = ["PUBLIC_PATHS", "Console", "ConsoleSettings"]
