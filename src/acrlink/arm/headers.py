"""The tracing headers ARM and Entra put on every answer, errors and polls included.

- ``x-ms-request-id``: new for each answer;
- ``x-ms-correlation-request-id``: the client's, when it sent one, so one id follows an operation across
  requests; else a new one;
- ``x-ms-client-request-id``: the client's, echoed; the Entra endpoints also echo MSAL's
  ``client-request-id`` under that name, as Entra does;
- ``x-ms-ratelimit-remaining-subscription-reads`` or ``-writes`` on ARM requests (by method).

A plain ASGI middleware: it adds headers to the response start and never touches the body.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from acrlink.unconfirmed import RATELIMIT_REMAINING_READS, RATELIMIT_REMAINING_WRITES

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

_ECHOABLE = re.compile(rb"[\x21-\x7e]{1,256}")
"""A client's id is echoed only if it is a short run of visible ASCII (no header injection, no bulk)."""
_READS = {b"GET", b"HEAD", b"OPTIONS"}
_IDENTITY_PREFIXES = ("/metadata/", "/msi/")
_IDENTITY_PARTS = ("/oauth2/", "/.well-known/", "/discovery/")


def _is_identity(path: str) -> bool:
    lower = path.lower()
    return lower.startswith(_IDENTITY_PREFIXES) or any(part in lower for part in _IDENTITY_PARTS)


def _client_value(headers: list[tuple[bytes, bytes]], *names: bytes) -> bytes | None:
    for name, value in headers:
        if name.lower() in names and _ECHOABLE.fullmatch(value):
            return value
    return None


def tracing_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    """The headers for the answer to this request."""
    request_headers: list[tuple[bytes, bytes]] = list(scope.get("headers") or [])
    request_id = str(uuid.uuid4()).encode()
    correlation = _client_value(request_headers, b"x-ms-correlation-request-id") or request_id
    out = [(b"x-ms-request-id", request_id), (b"x-ms-correlation-request-id", correlation)]
    client = _client_value(request_headers, b"x-ms-client-request-id", b"client-request-id")
    if client is not None:
        out.append((b"x-ms-client-request-id", client))
    identity = _is_identity(str(scope.get("path", "")))
    msal = _client_value(request_headers, b"client-request-id")
    if identity and msal is not None:
        out.append((b"client-request-id", msal))
    if not identity:
        if str(scope.get("method", "")).encode() in _READS:
            out.append((b"x-ms-ratelimit-remaining-subscription-reads", RATELIMIT_REMAINING_READS.encode()))
        else:
            out.append((b"x-ms-ratelimit-remaining-subscription-writes", RATELIMIT_REMAINING_WRITES.encode()))
    return out


class TracingHeaders:
    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = tracing_headers(scope)
        correlation = dict(extra)[b"x-ms-correlation-request-id"].decode()
        scope.setdefault("state", {})["correlation_id"] = correlation  # what a deployment records as its own

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                taken = {name for name, _ in extra}
                kept = [(n, v) for n, v in message.get("headers", []) if n.lower() not in taken]
                message["headers"] = kept + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)
