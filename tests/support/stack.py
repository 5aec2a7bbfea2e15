"""The whole stack for tests; it lives in bot.devstack so that `make bench` can start it too."""
from bot.devstack import Stack, running_stack

__all__ = ["Stack", "running_stack"]
