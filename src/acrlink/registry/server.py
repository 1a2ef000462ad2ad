"""The registry face's sockets: the public HTTPS port (uvicorn) and an internal listener for the proxy.

The internal listener takes only connections that start with a PROXY v2 header signed with the data
dir's key (``netsim/proxyproto.py``). It reads exactly that header, then hands the socket to the same
uvicorn HTTP protocol over TLS, with the origin in the ASGI scope's ``state``. A connection to the
public port cannot claim an origin: there, a PROXY header would just be a failed TLS handshake.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.server import ServerState

from acrlink.netsim import proxyproto

log = logging.getLogger("acrlink.registry")
HEADER_TIMEOUT = 10.0


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    context.set_alpn_protocols(["http/1.1"])
    return context


async def _read_exactly(loop: asyncio.AbstractEventLoop, sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = await loop.sock_recv(sock, size - len(data))
        if not chunk:
            raise proxyproto.ProxyHeaderError("connection closed inside the PROXY header")
        data += chunk
    return data


class InternalListener:
    """Accepts proxied connections, verifies their origin, serves them with uvicorn's protocol."""

    def __init__(self, config: uvicorn.Config, state: ServerState, context: ssl.SSLContext, key: bytes) -> None:
        self._config = config
        self._state = state
        self._context = context
        self._key = key
        self._tasks: set[asyncio.Task[None]] = set()

    async def serve(self, listener: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        listener.setblocking(False)
        listener.listen(128)
        try:
            while True:
                conn, _ = await loop.sock_accept(listener)
                task = asyncio.create_task(self._accept(loop, conn))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        finally:
            listener.close()

    async def _accept(self, loop: asyncio.AbstractEventLoop, conn: socket.socket) -> None:
        conn.setblocking(False)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            async with asyncio.timeout(HEADER_TIMEOUT):
                fixed = await _read_exactly(loop, conn, proxyproto.HEADER_FIXED)
                rest = await _read_exactly(loop, conn, proxyproto.body_length(fixed))
            origin = proxyproto.decode(fixed + rest, self._key)
        except (proxyproto.ProxyHeaderError, TimeoutError, OSError) as exc:
            log.warning("refused an internal connection: %s", exc)
            conn.close()
            return
        app_state: dict[str, Any] = {"origin": origin}

        def protocol() -> asyncio.Protocol:
            made = self._config.http_protocol_class(  # type: ignore[call-arg]
                config=self._config, server_state=self._state, app_state=app_state
            )
            return made  # type: ignore[no-any-return]

        with contextlib.suppress(OSError, ssl.SSLError, ConnectionError):
            await loop.connect_accepted_socket(protocol, conn, ssl=self._context, ssl_handshake_timeout=HEADER_TIMEOUT)

    def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
