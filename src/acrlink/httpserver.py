"""The HTTPS faces' server: a thread per connection with a blocking ``ssl.SSLSocket``, in front of an ASGI app
that runs on the event loop.

Why not uvicorn (PERFORMANCE-NOTES, December table): asyncio and uvloop TLS encrypt into a memory BIO and copy
every encrypted chunk before the socket write (uvicorn 0.77-0.83x CNCF Distribution on a blob pull); a blocking
``SSLSocket`` writes straight to the socket with the GIL released, and slices of an mmap reached 1.15x. So:

- the event loop accepts (``serve``) or is handed a socket (``handoff``: the internal listener and the proxy,
  with the connection's origin); a thread does the TLS handshake, parses HTTP/1.1 (httptools) and writes;
- the app runs on the loop (``asgibridge``): its ``receive`` pulls request body chunks from the thread, its
  ``send`` hands response messages to it. The server offers ASGI's ``http.response.zerocopysend`` extension:
  the thread writes such a file from an mmap in ``SLICE`` memoryview slices;
- ``Limits``: the handshake and each request head must complete within ``header_seconds`` (a watchdog shuts
  the socket down), a kept-alive connection is closed after ``idle_seconds`` without a request, a read or
  write that makes no progress for ``idle_seconds`` fails (``SO_RCVTIMEO``/``SO_SNDTIMEO``), and at most
  ``connections`` are served at once: further ones wait in the listen backlog;
- behind a trusted load balancer (``trustedproxy.py``), a connection ``serve`` accepts from it starts with a
  PROXY v2 header, read in the connection's thread before the handshake and within ``header_seconds``; its
  source is the request's client. A trusted connection without a valid header is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable, MutableMapping
from typing import Any

from acrlink import trustedproxy
from acrlink.acceptor import accept_bounded
from acrlink.asgibridge import App, Exchange, Head, RequestReader
from acrlink.settings import Limits
from acrlink.trustedproxy import NO_TRUSTED_PROXIES, TrustedProxies

log = logging.getLogger("acrlink.http")
WATCHDOG_TICK = 0.1


class Watchdog:
    """Shuts down sockets whose deadline passed: a blocked ``recv`` in their thread then returns."""

    def __init__(self) -> None:
        self._deadlines: dict[int, tuple[float, socket.socket]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()

    def arm(self, sock: socket.socket, seconds: float) -> None:
        with self._lock:
            self._deadlines[id(sock)] = (time.monotonic() + seconds, sock)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="acrlink-watchdog", daemon=True)
                self._thread.start()

    def disarm(self, sock: socket.socket) -> None:
        with self._lock:
            self._deadlines.pop(id(sock), None)

    def _run(self) -> None:
        while not self._stopped.wait(WATCHDOG_TICK):
            now = time.monotonic()
            with self._lock:
                expired = [key for key, (deadline, _) in self._deadlines.items() if deadline <= now]
                for key in expired:
                    _, sock = self._deadlines.pop(key)
                    with contextlib.suppress(OSError):
                        # The base class's shutdown: SSLSocket.shutdown would drop the SSL object under the
                        # thread that is reading it.
                        socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def stop(self) -> None:
        self._stopped.set()


def raise_descriptor_limit() -> None:
    """Lift the soft limit on open files to the hard one: every connection is a descriptor."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _set_io_timeouts(sock: socket.socket, seconds: float) -> None:
    """Kernel timeouts on a blocking socket: a read or write without progress for ``seconds`` fails, while
    Python keeps the socket in blocking mode (its fast path for ``SSLSocket.sendall``)."""
    whole = int(seconds)
    timeval = struct.pack("ll", whole, int((seconds - whole) * 1e6))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)


class HttpsServer:
    """Serves one ASGI app over TLS to the connections it accepts or is handed."""

    def __init__(
        self,
        app: App,
        context: ssl.SSLContext,
        limits: Limits,
        name: str,
        trusted: TrustedProxies = NO_TRUSTED_PROXIES,
    ) -> None:
        self.app = app
        self.context = context
        self.limits = limits
        self.name = name
        self.trusted = trusted
        self.watchdog = Watchdog()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots: asyncio.Semaphore | None = None
        self._closing = False
        self._tasks: set[asyncio.Future[None]] = set()

    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    async def serve(self, listener: socket.socket) -> None:
        """Accept until cancelled; beyond ``limits.connections`` at once, wait before accepting more. A
        connection from a trusted load balancer must start with its PROXY v2 header."""
        self._loop = asyncio.get_running_loop()

        def on_connection(conn: socket.socket, release: Callable[[], None]) -> None:
            behind = bool(self.trusted) and self.trusted.trusts(_peer_host(conn))
            self.start(conn, None, release=release, proxy_header=behind)

        await accept_bounded(listener, self.limits.connections, on_connection, self.name)

    def start(
        self,
        conn: socket.socket,
        origin: object | None,
        preface: bytes = b"",
        release: Callable[[], object] | None = None,
        proxy_header: bool = False,
    ) -> None:
        """Serve ``conn`` in a new thread; ``preface`` is written before the TLS handshake (the proxy's
        ``200 Connection established``); ``origin`` goes into the ASGI scope's ``state``; with
        ``proxy_header`` the connection starts with a trusted load balancer's PROXY v2 header."""
        thread = threading.Thread(
            target=self._connection,
            args=(conn, origin, preface, release, proxy_header),
            name=f"acrlink-{self.name}",
            daemon=True,
        )
        thread.start()

    def _connection(
        self,
        conn: socket.socket,
        origin: object | None,
        preface: bytes,
        release: Callable[[], object] | None,
        proxy_header: bool,
    ) -> None:
        tls: ssl.SSLSocket | None = None
        try:
            conn.setblocking(True)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            _set_io_timeouts(conn, self.limits.idle_seconds)
            client = self._read_proxy_header(conn) if proxy_header else None
            if preface:
                conn.sendall(preface)
            tls = self.context.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
            self.watchdog.arm(tls, self.limits.header_seconds)
            tls.do_handshake()
            loop = self._loop
            if loop is None or self._closing:
                return
            peer = origin_peer(origin) or client or tls.getpeername()
            state: dict[str, Any] = {"origin": origin} if origin is not None else {}
            _Connection(self, loop, tls, peer, tls.getsockname(), state).run()
        except trustedproxy.HeaderError as exc:
            log.warning("%s refused a connection from its load balancer %s: %s", self.name, _peer_host(conn), exc)
        except (OSError, ssl.SSLError, ValueError) as exc:
            log.debug("%s: connection ended: %s", self.name, exc)
        finally:
            if tls is not None:
                self.watchdog.disarm(tls)
                tls.close()
            conn.close()
            if release is not None:
                with contextlib.suppress(RuntimeError):  # the loop is gone at exit
                    release()

    def _read_proxy_header(self, conn: socket.socket) -> tuple[str, int] | None:
        """The client the load balancer's header names (None: the connection's own peer), read within
        ``header_seconds``; ``HeaderError`` when it is missing or malformed."""
        self.watchdog.arm(conn, self.limits.header_seconds)
        try:
            return trustedproxy.read_blocking(conn)
        except OSError as exc:
            raise trustedproxy.HeaderError(f"no PROXY v2 header ({exc})") from None
        finally:
            self.watchdog.disarm(conn)

    def spawn(self, exchange: Exchange, scope: MutableMapping[str, Any]) -> None:
        """On the loop: run the app for one request (a task, kept until it ends)."""
        task = asyncio.ensure_future(exchange.call(self.app, scope))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def close(self) -> None:
        self._closing = True
        self.watchdog.stop()


def _peer_host(conn: socket.socket) -> str:
    try:
        return str(conn.getpeername()[0])
    except OSError:
        return ""


def origin_peer(origin: object | None) -> tuple[str, int] | None:
    """The client address an origin names (the emulated source), if it names one."""
    source, port = getattr(origin, "source", None), getattr(origin, "source_port", None)
    return (source, port) if isinstance(source, str) and isinstance(port, int) else None


class _Connection:
    """One TLS connection: requests in turn (keep-alive), each handed to the app on the loop."""

    def __init__(
        self,
        server: HttpsServer,
        loop: asyncio.AbstractEventLoop,
        tls: ssl.SSLSocket,
        peer: tuple[str, int],
        local: tuple[str, int],
        state: dict[str, Any],
    ) -> None:
        self.server, self.loop, self.tls = server, loop, tls
        self.peer, self.local, self.state = peer, local, state
        self.reader = RequestReader(tls)

    def run(self) -> None:
        limits, watchdog = self.server.limits, self.server.watchdog
        first = True  # the deadline armed before the handshake covers the first request's head
        while True:
            if not first:
                watchdog.arm(self.tls, limits.idle_seconds)
                if not self.reader.wait_for_data():
                    return
                watchdog.arm(self.tls, limits.header_seconds)
            first = False
            head = self.reader.read_head()
            watchdog.disarm(self.tls)
            if isinstance(head, int):
                if head:
                    self.refuse(head)
                return
            if not self.exchange(head):
                return

    def exchange(self, head: Head) -> bool:
        try:
            scope = head.scope(self.peer, self.local, self.state)
        except ValueError:
            self.refuse(400)
            return False
        exchange = Exchange(self.loop, self.tls, self.reader, head)
        try:
            self.loop.call_soon_threadsafe(self.server.spawn, exchange, scope)
        except RuntimeError:  # the loop is closed: the process is stopping
            return False
        return exchange.pump() and not self.server._closing

    def refuse(self, status: int) -> None:
        body = {400: b"Bad Request", 431: b"Request Header Fields Too Large"}.get(status, b"Error")
        with contextlib.suppress(OSError, ssl.SSLError):
            self.tls.sendall(
                b"HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                % (status, body, len(body), body)
            )
