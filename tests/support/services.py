"""The machine's own services (PostgreSQL, Redis) and the shared design files: skip where missing, or fail.

A developer's machine may lack them, so tests that need them skip there. CI sets
BORGERHJAELP_REQUIRE_SERVICES=1 (`.ci/run`): a missing service then fails the run instead of
silently skipping the PostgreSQL races or the scale-out tests.
"""
from __future__ import annotations

import os
import socket

import pytest

REDIS_URL = "redis://127.0.0.1:6379/0"


def services_required() -> bool:
    return os.environ.get("BORGERHJAELP_REQUIRE_SERVICES") == "1"


def unavailable(what: str) -> None:
    """Skip the test because `what` is missing, or fail it where the services are required."""
    if services_required():
        pytest.fail(f"{what}, and BORGERHJAELP_REQUIRE_SERVICES=1 says it must be there", pytrace=False)
    pytest.skip(what)


def redis_running() -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.3)
        return probe.connect_ex(("127.0.0.1", 6379)) == 0


def require_redis() -> None:
    if not redis_running():
        unavailable("no Redis on 127.0.0.1:6379")
