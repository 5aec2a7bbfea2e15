"""Channels the gateway speaks besides its own web widget (which lives in `bot.gateway.widget_socket`)."""
