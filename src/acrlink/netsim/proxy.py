"""The client proxy: HTTP CONNECT for the names acrlink's registry face serves.

A client (``HTTPS_PROXY=http://HOST@127.0.0.1:PORT``) asks ``CONNECT NAME:443``. The proxy reads that request
(within ``limits.header_seconds``), asks the network (``routing.proxy_policy``) for the origin to carry the
connection with, and then either
- hands the socket over: it answers ``200 Connection established`` and the registry face's HTTPS server
  serves TLS on this same socket with the origin attached in-process, so no byte is relayed (PERFORMANCE-NOTES:
  every relay stays near 0.6x a direct pull on two cores; the handoff reaches 1.0x); or
- relays: it connects to the face's internal listener, sends a signed PROXY v2 header with the origin and pumps
  bytes both ways (an ``asyncio.Protocol`` pair with ``pause_reading``/``resume_reading`` flow control), closing
  a tunnel idle for ``limits.tunnel_idle_seconds``; used when handoff is off or the client sent bytes before
  the 200;
- or refuses with a status and a reason: 400 for a request line that is not ``CONNECT host:port HTTP/1.x``,
  405 for other methods, 407 (with ``Proxy-Authenticate``) for unusable ``Proxy-Authorization``, 408 when the
  request does not arrive in time, 431 when it is too large, and the network's own refusals.
At most ``limits.connections`` clients are served at once; more wait in the listen backlog. Behind a trusted
load balancer (``trustedproxy.py``) a connection from it starts with its PROXY v2 header, read within the same
``limits.header_seconds``; the client it names is the one logged and whose port the origin carries (never the
origin's network position, which the proxy user decides). A trusted connection without one is closed.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import cast
from urllib.parse import unquote

from acrlink import trustedproxy
from acrlink.acceptor import Release, accept_bounded
from acrlink.netsim import proxyproto
from acrlink.settings import Limits
from acrlink.trustedproxy import NO_TRUSTED_PROXIES, TrustedProxies

log = logging.getLogger("acrlink.proxy")

HEADER_LIMIT = 16 * 1024
WRITE_HIGH_WATER = 512 * 1024
ESTABLISHED = b"HTTP/1.1 200 Connection established\r\n\r\n"
_HOST = re.compile(r"[A-Za-z0-9._-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]")
_PHRASES = {
    400: "Bad Request",
    403: "Forbidden",
    405: "Method Not Allowed",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    431: "Request Header Fields Too Large",
    502: "Bad Gateway",
    504: "Gateway Timeout",
}


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str
    delay: float = 0.0
    """Seconds to hold the connection before answering: a black hole looks like a timeout."""


Decide = Callable[[str | None, str, int], "Refusal | proxyproto.Origin"]
"""(proxy user name, host, port) -> the origin to carry the connection with, or why not."""
Handoff = Callable[[socket.socket, proxyproto.Origin, bytes, Callable[[], object]], None]
"""(accepted socket, origin, bytes to write first, call when the connection is over): serve TLS on it."""


class MalformedCredentials(ValueError):
    """A ``Proxy-Authorization`` header this proxy cannot read."""


def proxy_user(head: str) -> str | None:
    """The host a client acts as: the user of ``HTTPS_PROXY=http://HOST@127.0.0.1:PORT``, which clients
    send as ``Proxy-Authorization: Basic base64(HOST:)``; None without the header. A header that is not
    Basic with base64 of UTF-8 ``user:password`` raises ``MalformedCredentials`` (not a silent fallback to
    the internet host)."""
    for line in head.split("\r\n")[1:]:
        field, _, value = line.partition(":")
        if field.strip().lower() != "proxy-authorization":
            continue
        scheme, _, token = value.strip().partition(" ")
        if scheme.lower() != "basic":
            raise MalformedCredentials(f"Proxy-Authorization scheme {scheme[:20]!r} is not Basic")
        try:
            decoded = base64.b64decode(token.strip(), validate=True).decode()
        except (binascii.Error, ValueError) as exc:
            raise MalformedCredentials("Proxy-Authorization is not base64 of user:password") from exc
        if ":" not in decoded:
            raise MalformedCredentials("Proxy-Authorization is not base64 of user:password")
        return unquote(decoded.partition(":")[0]) or None
    return None


def parse_connect(head: str) -> tuple[str, int] | Refusal:
    """The (host, port) of ``CONNECT host:port HTTP/1.x``, or the refusal of a request that is not one."""
    parts = head.split("\r\n", 1)[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        return Refusal(400, "the request line is not 'METHOD target HTTP/1.x'")
    method, target, _ = parts
    if method != "CONNECT":
        return Refusal(405, "only CONNECT is supported (set HTTPS_PROXY, not HTTP_PROXY, for https)")
    host, _, port_text = target.rpartition(":")
    valid_port = port_text.isascii() and port_text.isdigit() and len(port_text) <= 5 and 0 < int(port_text) < 65536
    if not valid_port or not _HOST.fullmatch(host):
        return Refusal(400, f"CONNECT target {target[:300]!r} is not host:port")
    return host.strip("[]").lower(), int(port_text)


class _Tunnel:
    """The two sides of a relay: closed together, and after ``idle`` seconds without a byte either way."""

    def __init__(self, loop: asyncio.AbstractEventLoop, idle: float, release: Callable[[], object]) -> None:
        self.loop, self.idle, self._release = loop, idle, release
        self.last = loop.time()
        self.pumps: list[_Pump] = []
        self._timer: asyncio.TimerHandle | None = None
        self._lost = 0

    def start(self) -> None:
        self._timer = self.loop.call_later(self.idle, self._check)

    def _check(self) -> None:
        quiet = self.loop.time() - self.last
        if quiet >= self.idle:
            log.info("proxy closed a tunnel idle for %.0f s", quiet)
            self.close()
        else:
            self._timer = self.loop.call_later(self.idle - quiet, self._check)

    def close(self) -> None:
        for pump in self.pumps:
            if pump.transport:
                pump.transport.close()

    def lost(self) -> None:
        self._lost += 1
        self.close()
        if self._lost == len(self.pumps):
            if self._timer:
                self._timer.cancel()
            self._release()


class _Pump(asyncio.Protocol):
    """One side of a relay: what it reads it writes to its peer; a full peer pauses its reading."""

    def __init__(self, tunnel: _Tunnel) -> None:
        self.tunnel = tunnel
        self.transport: asyncio.Transport | None = None
        self.peer: _Pump | None = None
        tunnel.pumps.append(self)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses.
        self.transport = cast(asyncio.Transport, transport)
        self.transport.set_write_buffer_limits(high=WRITE_HIGH_WATER)

    def data_received(self, data: bytes) -> None:
        self.tunnel.last = self.tunnel.loop.time()
        if self.peer and self.peer.transport:
            self.peer.transport.write(data)

    def eof_received(self) -> bool:
        if self.peer and self.peer.transport and self.peer.transport.can_write_eof():
            self.peer.transport.write_eof()
            return True
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self.tunnel.lost()

    def pause_writing(self) -> None:
        if self.peer and self.peer.transport:
            self.peer.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.peer and self.peer.transport:
            self.peer.transport.resume_reading()


async def _read_head(loop: asyncio.AbstractEventLoop, conn: socket.socket) -> tuple[str, bytes] | Refusal | None:
    """The request head (latin-1) and the bytes after it; None when the client closed first."""
    buffer = b""
    while True:
        chunk = await loop.sock_recv(conn, HEADER_LIMIT)
        if not chunk:
            return None
        buffer += chunk
        end = buffer.find(b"\r\n\r\n")
        if end >= 0:
            return buffer[:end].decode("latin-1"), buffer[end + 4 :]
        if len(buffer) > HEADER_LIMIT:
            return Refusal(431, "request header too large")


def _answer(refusal: Refusal) -> bytes:
    body = f"acrlink proxy: {refusal.reason}\n".encode()
    status = f"HTTP/1.1 {refusal.status} {_PHRASES.get(refusal.status, 'Refused')}\r\n"
    challenge = 'Proxy-Authenticate: Basic realm="acrlink"\r\n' if refusal.status == 407 else ""
    headers = f"Content-Type: text/plain\r\nContent-Length: {len(body)}\r\nConnection: close\r\n{challenge}\r\n"
    return status.encode() + headers.encode() + body


class ConnectProxy:
    def __init__(
        self,
        decide: Decide,
        upstream: tuple[str, int],
        key: bytes,
        limits: Limits | None = None,
        handoff: Handoff | None = None,
        trusted: TrustedProxies = NO_TRUSTED_PROXIES,
    ) -> None:
        self.decide = decide
        self.upstream = upstream
        self.key = key
        self.limits = limits or Limits()
        self.handoff = handoff
        self.trusted = trusted
        self._tasks: set[asyncio.Task[None]] = set()

    async def serve(self, listener: socket.socket) -> None:
        """Accept until cancelled, at most ``limits.connections`` clients at once."""
        loop = asyncio.get_running_loop()

        def on_connection(conn: socket.socket, release: Release) -> None:
            task = asyncio.create_task(self._client(loop, conn, release))
            self._tasks.add(task)
            task.add_done_callback(self._done)

        try:
            await accept_bounded(listener, self.limits.connections, on_connection, "proxy")
        finally:
            for task in list(self._tasks):
                task.cancel()

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("proxy connection failed", exc_info=task.exception())

    async def _client(
        self, loop: asyncio.AbstractEventLoop, conn: socket.socket, release: Callable[[], object]
    ) -> None:
        owned = True
        try:
            conn.setblocking(False)
            peer: tuple[str, int] = conn.getpeername()[:2]
            header_due = bool(self.trusted) and self.trusted.trusts(peer[0])
            try:
                async with asyncio.timeout(self.limits.header_seconds):
                    if header_due:
                        peer = await trustedproxy.read_async(loop, conn) or peer
                        header_due = False
                    request = await _read_head(loop, conn)
            except TimeoutError:
                if header_due:
                    log.warning("proxy refused a connection from its load balancer %s: no PROXY v2 header", peer[0])
                    return
                request = Refusal(408, f"no complete CONNECT request within {self.limits.header_seconds:g} s")
            except trustedproxy.HeaderError as exc:
                log.warning("proxy refused a connection from its load balancer %s: %s", peer[0], exc)
                return
            except OSError:
                return
            if request is None:
                return
            outcome = request if isinstance(request, Refusal) else self._decide(request[0])
            if isinstance(outcome, Refusal):
                log.info("proxy refused %s: %s", peer[0], outcome.reason)
                if outcome.delay:
                    await asyncio.sleep(outcome.delay)
                await loop.sock_sendall(conn, _answer(outcome))
                return
            assert not isinstance(request, Refusal)
            origin = replace(outcome, source_port=peer[1])
            rest = request[1]
            if self.handoff is not None and not rest:
                owned = False
                self.handoff(conn, origin, ESTABLISHED, release)
                return
            owned = not await self._relay(loop, conn, origin, rest, release)
        except OSError as exc:
            log.debug("proxy client went away: %s", exc)
        finally:
            if owned:
                conn.close()
                release()

    def _decide(self, head: str) -> Refusal | proxyproto.Origin:
        target = parse_connect(head)
        if isinstance(target, Refusal):
            return target
        try:
            user = proxy_user(head)
        except MalformedCredentials as exc:
            return Refusal(407, f"{exc}: use HTTPS_PROXY=http://HOST@ADDRESS:PORT ('acrlink hosts' lists them)")
        return self.decide(user, *target)

    async def _relay(
        self,
        loop: asyncio.AbstractEventLoop,
        conn: socket.socket,
        origin: proxyproto.Origin,
        rest: bytes,
        release: Callable[[], object],
    ) -> bool:
        """Relay to the internal listener; True once the tunnel owns the socket (and releases the slot)."""
        tunnel = _Tunnel(loop, self.limits.tunnel_idle_seconds, release)
        upstream = _Pump(tunnel)
        try:
            await loop.create_connection(lambda: upstream, *self.upstream)
        except OSError as exc:
            await loop.sock_sendall(conn, _answer(Refusal(502, f"the registry face is not reachable ({exc})")))
            return False
        assert upstream.transport is not None
        upstream.transport.write(proxyproto.encode(origin, self.upstream, self.key) + rest)
        client = _Pump(tunnel)
        client.peer, upstream.peer = upstream, client
        try:
            await loop.connect_accepted_socket(lambda: client, conn)
        except OSError:
            upstream.transport.close()
            raise
        assert client.transport is not None
        client.transport.write(ESTABLISHED)
        tunnel.start()
        return True
