"""The client proxy, first form: HTTP CONNECT for the names the registry face serves.

A client (``HTTPS_PROXY=http://127.0.0.1:PORT``) asks ``CONNECT NAME:443``. The proxy asks the
registry face whether it serves NAME; if so it connects to the face's internal listener, sends a signed
PROXY v2 header with the connection's origin (the internet host, public path) and relays bytes both
ways; otherwise it refuses with a status and a reason. The relay is an ``asyncio.Protocol`` pump with
``pause_reading``/``resume_reading`` flow control (PERFORMANCE-NOTES: streams cost 25%).
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import cast
from urllib.parse import unquote

from acrlink.netsim import proxyproto

log = logging.getLogger("acrlink.proxy")

HEADER_LIMIT = 16 * 1024
WRITE_HIGH_WATER = 512 * 1024


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str
    delay: float = 0.0
    """Seconds to hold the connection before answering: a black hole looks like a timeout."""


Decide = Callable[[str | None, str, int], "Refusal | proxyproto.Origin"]
"""(proxy user name, host, port) -> the origin to carry the connection with, or why not."""


class _Pump(asyncio.Protocol):
    """One side of a relay: what it reads it writes to its peer; a full peer pauses its reading."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.peer: _Pump | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses.
        self.transport = cast(asyncio.Transport, transport)
        transport.set_write_buffer_limits(high=WRITE_HIGH_WATER)

    def data_received(self, data: bytes) -> None:
        if self.peer and self.peer.transport:
            self.peer.transport.write(data)

    def eof_received(self) -> bool:
        if self.peer and self.peer.transport and self.peer.transport.can_write_eof():
            self.peer.transport.write_eof()
            return True
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self.peer and self.peer.transport:
            self.peer.transport.close()
        self.transport = None

    def pause_writing(self) -> None:
        if self.peer and self.peer.transport:
            self.peer.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.peer and self.peer.transport:
            self.peer.transport.resume_reading()


class _ClientSide(_Pump):
    """The client's connection: reads the CONNECT request, then relays."""

    def __init__(self, proxy: ConnectProxy) -> None:
        super().__init__()
        self._proxy = proxy
        self._buffer = b""
        self._relaying = False

    def data_received(self, data: bytes) -> None:
        if self._relaying:
            super().data_received(data)
            return
        self._buffer += data
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buffer) > HEADER_LIMIT:
                self._refuse(Refusal(431, "request header too large"))
            return
        head, rest = self._buffer[:end].decode("latin-1"), self._buffer[end + 4 :]
        self._buffer = b""
        self._relaying = True
        assert self.transport is not None
        self.transport.pause_reading()
        asyncio.ensure_future(self._open(head, rest))

    def _refuse(self, refusal: Refusal) -> None:
        body = f"acrlink proxy: {refusal.reason}\n".encode()
        phrase = {
            400: "Bad Request",
            403: "Forbidden",
            405: "Method Not Allowed",
            407: "Proxy Authentication Required",
            502: "Bad Gateway",
            504: "Gateway Timeout",
        }
        status = f"HTTP/1.1 {refusal.status} {phrase.get(refusal.status, 'Refused')}\r\n"
        headers = f"Content-Type: text/plain\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        if self.transport:
            self.transport.write(status.encode() + headers.encode() + body)
            self.transport.close()

    async def _open(self, head: str, rest: bytes) -> None:
        request_line = head.split("\r\n", 1)[0].split(" ")
        if len(request_line) != 3 or request_line[0] != "CONNECT":
            self._refuse(Refusal(405, "only CONNECT is supported (set HTTPS_PROXY, not HTTP_PROXY, for https)"))
            return
        host, _, port_text = request_line[1].rpartition(":")
        if not host or not port_text.isdigit():
            self._refuse(Refusal(400, f"CONNECT target {request_line[1]!r} is not host:port"))
            return
        decision = self._proxy.decide(proxy_user(head), host.strip("[]").lower(), int(port_text))
        if isinstance(decision, Refusal):
            log.info("proxy refused CONNECT %s: %s", request_line[1], decision.reason)
            if decision.delay:
                await asyncio.sleep(decision.delay)
            self._refuse(decision)
            return
        await self._relay(decision, rest)

    async def _relay(self, origin: proxyproto.Origin, rest: bytes) -> None:
        assert self.transport is not None
        loop = asyncio.get_running_loop()
        upstream = _Pump()
        upstream.peer = self
        self.peer = upstream
        try:
            await loop.create_connection(lambda: upstream, *self._proxy.upstream)
        except OSError as exc:
            self._refuse(Refusal(502, f"the registry face is not reachable ({exc})"))
            return
        source_port = self.transport.get_extra_info("peername")[1]
        origin = replace(origin, source_port=source_port)
        assert upstream.transport is not None
        upstream.transport.write(proxyproto.encode(origin, self._proxy.upstream, self._proxy.key) + rest)
        self.transport.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.transport.resume_reading()


class ConnectProxy:
    def __init__(self, decide: Decide, upstream: tuple[str, int], key: bytes) -> None:
        self.decide = decide
        self.upstream = upstream
        self.key = key

    async def start(self, sock: object) -> asyncio.Server:
        loop = asyncio.get_running_loop()
        return await loop.create_server(lambda: _ClientSide(self), sock=sock)  # type: ignore[arg-type]


def proxy_user(head: str) -> str | None:
    """The host a client acts as: the user of ``HTTPS_PROXY=http://HOST@127.0.0.1:PORT``, which clients
    send as ``Proxy-Authorization: Basic base64(HOST:)``."""
    for line in head.split("\r\n")[1:]:
        field, _, value = line.partition(":")
        if field.strip().lower() == "proxy-authorization":
            scheme, _, token = value.strip().partition(" ")
            if scheme.lower() == "basic":
                try:
                    user = base64.b64decode(token.strip(), validate=True).decode().partition(":")[0]
                except (ValueError, UnicodeDecodeError):
                    return None
                return unquote(user) or None
    return None
