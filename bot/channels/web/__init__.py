"""Citizens on the municipality's website: the chat widget's files, its websocket and the demo page.

`web_routes()` gives the routes the gateway mounts; the socket reads the conversation service,
delivery, settings and its limits (a `WidgetLimits`, one per gateway process) from `app.state`.
"""
from bot.channels.web.limits import WidgetLimits
from bot.channels.web.pages import web_routes

__all__ = ["WidgetLimits", "web_routes"]
