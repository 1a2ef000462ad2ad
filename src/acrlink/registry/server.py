"""The registry face's internal listener: where the proxy relays connections, each with its origin.

It takes only connections that start with a PROXY v2 header signed with the data dir's key
(``netsim/proxyproto.py``), read within ``limits.header_seconds``, then hands the socket to the face's
HTTPS server (``httpserver.py``) with the origin, which goes into the ASGI scope's ``state``. A connection
to the public port cannot claim an origin: there, a PROXY header would just be a failed TLS handshake.
The proxy's handoff (``netsim/proxy.py``) skips this listener: it hands its socket to the same server.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from pathlib import Path

from acrlink.acceptor import Release, accept_bounded
from acrlink.httpserver import HttpsServer
from acrlink.netsim import proxyproto

log = logging.getLogger("acrlink.registry")


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
    """Accepts proxied connections, verifies their origin, hands them to the face's server."""

    def __init__(self, server: HttpsServer, key: bytes) -> None:
        self._server = server
        self._key = key
        self._tasks: set[asyncio.Task[None]] = set()

    async def serve(self, listener: socket.socket) -> None:
        loop = asyncio.get_running_loop()

        def on_connection(conn: socket.socket, release: Release) -> None:
            task = asyncio.create_task(self._accept(loop, conn, release))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        await accept_bounded(listener, self._server.limits.connections, on_connection, "internal listener")

    async def _accept(self, loop: asyncio.AbstractEventLoop, conn: socket.socket, release: Release) -> None:
        conn.setblocking(False)
        try:
            async with asyncio.timeout(self._server.limits.header_seconds):
                fixed = await _read_exactly(loop, conn, proxyproto.HEADER_FIXED)
                rest = await _read_exactly(loop, conn, proxyproto.body_length(fixed))
            origin = proxyproto.decode(fixed + rest, self._key)
        except (proxyproto.ProxyHeaderError, TimeoutError, OSError) as exc:
            log.warning("refused an internal connection: %s", exc)
            conn.close()
            release()
            return
        self._server.start(conn, origin, release=release)

    def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
