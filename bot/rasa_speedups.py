"""Work Rasa 3.6 repeats on every action call, done once instead; what Rasa checks stays the same.

Rasa validates each answer of the action server with `jsonschema.validate`, which checks the schema
itself against JSON Schema's meta-schema and builds a new validator every time: about a fifth of
Rasa's CPU time per message here (make bench --profile). `install()` replaces that one method with
a validator built once from the same schema, raising the same ValidationError with Rasa's own hint.
Rasa also opens a new HTTP session, so a new connection, for every call to the action server, and
writes the whole conversation as JSON with Python's json module each time. `request` below is Rasa
3.6's EndpointConfig.request with one kept session per endpoint and event loop (connections are
reused, and dropped by this side after 2 s idle, before the action server's 5 s keep-alive ends)
and ujson for the body, which writes the same JSON about four times faster.

It also installs bot.incremental_states: the dialogue states of a conversation worked out once per
event rather than from its first event on every prediction.
bot.rasa_launch calls it before Rasa starts. What it replaces is named here and in incremental_states;
nothing else of Rasa is touched.
"""
from __future__ import annotations

import asyncio
import functools
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import rasa.core.run
import ujson
from aiohttp import ContentTypeError
from jsonschema import validators
from jsonschema.exceptions import best_match
from rasa.core.actions.action import RemoteAction
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.exceptions import FileNotFoundException
from rasa.utils.endpoints import ClientResponseError, EndpointConfig, concat_url

from bot import incremental_states


@functools.lru_cache(maxsize=1)
def _action_result_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)  # once, as jsonschema.validate did on every call
    return validator_class(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    # The error jsonschema.validate would raise: the best match among all errors.
    error = best_match(_action_result_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from the Action "
        f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


IDLE_CONNECTION_SECONDS = 2.0
_SESSION = "_borgerhjaelp_session"
_OPEN_SESSIONS: list[aiohttp.ClientSession] = []


def _session(endpoint: EndpointConfig) -> aiohttp.ClientSession:
    """The endpoint's kept session on the running event loop; a new one for a new loop or a closed one."""
    loop = asyncio.get_running_loop()
    kept = endpoint.__dict__.get(_SESSION)
    if kept is not None and kept[0] is loop and not kept[1].closed:
        return kept[1]
    auth = None
    if endpoint.basic_auth:
        auth = aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"])
    session = aiohttp.ClientSession(
        headers=endpoint.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        connector=aiohttp.TCPConnector(keepalive_timeout=IDLE_CONNECTION_SECONDS),
        json_serialize=ujson.dumps,
    )
    endpoint.__dict__[_SESSION] = (loop, session)
    _OPEN_SESSIONS.append(session)
    return session


async def close_sessions() -> None:
    """Closes the kept sessions and their connections (when the server stops, while its loop still runs)."""
    while _OPEN_SESSIONS:
        await _OPEN_SESSIONS.pop().close()


def _closing_sessions_first(close_resources: Callable[[Any, Any], Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    async def close(app: Any, loop: Any) -> None:
        await close_sessions()
        await close_resources(app, loop)

    return close


async def request(
    self: EndpointConfig,
    method: str = "post",
    subpath: str | None = None,
    content_type: str | None = "application/json",
    compress: bool = False,
    **kwargs: Any,
) -> Any:
    """Rasa 3.6's EndpointConfig.request, on the endpoint's kept session: the same headers, errors and result."""
    headers = {}
    if content_type:
        headers["Content-Type"] = content_type
    if "headers" in kwargs:
        headers.update(kwargs.pop("headers"))
    if self.headers:
        headers.update(self.headers)
    sslcontext = None
    if self.cafile:
        try:
            sslcontext = ssl.create_default_context(cafile=self.cafile)
        except FileNotFoundError as error:
            raise FileNotFoundException(f"Failed to find certificate file, '{self.cafile}' does not exist.") from error
    async with _session(self).request(
        method,
        concat_url(self.url, subpath),
        headers=headers,
        params=self.combine_parameters(kwargs),
        compress=compress,
        ssl=sslcontext,
        **kwargs,
    ) as response:
        if response.status >= 400:
            raise ClientResponseError(response.status, response.reason, await response.content.read())
        try:
            return await response.json()
        except ContentTypeError:
            return None


def install() -> None:
    RemoteAction._validate_action_result = validate_action_result
    EndpointConfig.request = request
    # Rasa's server registers this listener by its module name when it starts ("after_server_stop").
    rasa.core.run.close_resources = _closing_sessions_first(rasa.core.run.close_resources)
    incremental_states.install()
