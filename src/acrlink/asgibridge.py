"""HTTP/1.1 on a blocking socket in a connection's thread, and the ASGI app it feeds on the event loop.

``RequestReader`` parses with httptools into a queue of events (a request head, body pieces, its end), so a
pipelined request waits its turn. ``Exchange`` is one request: the app's ``receive`` asks the thread for the
next body chunk (up to ``BODY_CHUNK``), its ``send`` hands response messages to the thread, which frames and
writes them. ``http.response.zerocopysend`` (a file, offset, count) is written from an mmap in ``SLICE``
memoryview slices, so blob bytes are never copied into Python objects (PERFORMANCE-NOTES).
``acrlink.response.chunks`` (an iterator of bytes and their count) is consumed here, in the connection's
thread, so an iterator whose reads block (an object store's download) never blocks the event loop; one that
fails or yields other than ``count`` bytes ends the connection (the body already announced its length).
"""

from __future__ import annotations

import asyncio
import collections
import email.utils
import http
import logging
import mmap
import os
import queue
import ssl
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import httptools

log = logging.getLogger("acrlink.http")
App = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[dict[str, Any]]], Callable[[dict[str, Any]], Awaitable[None]]],
    Awaitable[None],
]
RECV_SIZE = 256 * 1024
BODY_CHUNK = 1 << 20
"""Request body bytes per ``http.request`` message."""
SLICE = 4 << 20
"""Bytes per ``sendall`` of a file: 1-4 MiB slices of an mmap are the fast path (PERFORMANCE-NOTES)."""
SMALL = 64 * 1024
"""A response head and a body up to this size go out in one write."""
HEAD_LIMIT = 64 * 1024
"""Bytes of a request line and headers; more is answered 431."""
ZEROCOPY = "http.response.zerocopysend"
CHUNKS = "acrlink.response.chunks"
_MAP_FLAGS = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
"""Pages mapped up front: no page fault per 4 KiB inside the TLS write."""
_END = object()
_PHRASES = {status.value: status.phrase.encode() for status in http.HTTPStatus}


@dataclass
class Head:
    """A parsed request line and headers."""

    method: str
    target: bytes
    headers: list[tuple[bytes, bytes]]
    version: str
    keep_alive: bool
    expect_continue: bool

    def scope(
        self, client: tuple[str, int], server: tuple[str, int], state: dict[str, Any]
    ) -> MutableMapping[str, Any]:
        """The ASGI HTTP scope; ``ValueError`` for a target that is not an origin-form path."""
        raw_path, _, query = self.target.partition(b"?")
        if not raw_path.startswith(b"/"):
            raise ValueError(f"request target {self.target[:80]!r} is not a path")
        text = raw_path.decode("ascii")
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": self.version,
            "method": self.method,
            "scheme": "https",
            "path": unquote(text) if "%" in text else text,
            "raw_path": raw_path,
            "query_string": query,
            "root_path": "",
            "headers": self.headers,
            "client": client,
            "server": server,
            "state": dict(state),
            "extensions": {ZEROCOPY: {}, CHUNKS: {}},
        }


class RequestReader:
    """Reads and parses requests from a blocking socket; ``read_head`` and ``next_event`` block."""

    def __init__(self, sock: ssl.SSLSocket) -> None:
        self.sock = sock
        self.parser = httptools.HttpRequestParser(self)
        self.events: collections.deque[object] = collections.deque()
        self.error = 0
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._in_head = True
        self._head_bytes = 0

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._url, self._headers = b"", []

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        if self._head_bytes > HEAD_LIMIT:
            self.error = 431
            return
        parser = self.parser
        expect = any(n == b"expect" and v.lower() == b"100-continue" for n, v in self._headers)
        method = parser.get_method().decode("latin-1")
        self.events.append(
            Head(method, self._url, self._headers, parser.get_http_version(), parser.should_keep_alive(), expect)
        )
        self._in_head, self._head_bytes = False, 0

    def on_body(self, body: bytes) -> None:
        self.events.append(body)

    def on_message_complete(self) -> None:
        self.events.append(_END)
        self._in_head = True

    def feed(self) -> bool:
        """Read once and parse; False when the peer is gone, timed out or sent something unparseable."""
        if self.error:
            return False
        try:
            data = self.sock.recv(RECV_SIZE)
        except (OSError, ssl.SSLError):  # SO_RCVTIMEO shows as SSLWantReadError / EAGAIN
            return False
        if not data:
            return False
        if self._in_head:
            self._head_bytes += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self.error = 400  # CONNECT or an Upgrade: this server speaks HTTP/1.1 only
            return False
        except httptools.HttpParserError:
            self.error = 400
            return False
        if self._in_head and self._head_bytes > HEAD_LIMIT:
            self.error = 431
        return not self.error

    def wait_for_data(self) -> bool:
        return bool(self.events) or self.feed()

    def read_head(self) -> Head | int:
        """The next request's head, or a status to refuse with (0: just close)."""
        while True:
            while self.events:
                event = self.events.popleft()
                if isinstance(event, Head):
                    return event
            if not self.feed():
                return self.error

    def next_event(self) -> object | None:
        """A body piece (bytes), ``_END``, or None when the connection failed."""
        while not self.events:
            if not self.feed():
                return None
        return self.events.popleft()

    def body_buffered_to_end(self) -> bool:
        """Whether the rest of the current request's body is already read; if so, it is discarded."""
        if _END not in self.events:
            return False
        while self.events.popleft() is not _END:
            pass
        return True


_date_cache: tuple[int, bytes] = (0, b"")


def http_date() -> bytes:
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, email.utils.formatdate(now, usegmt=True).encode())
    return _date_cache[1]


class Exchange:
    """One request and its response, between the connection's thread and the app on the loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, sock: ssl.SSLSocket, reader: RequestReader, head: Head) -> None:
        self.loop, self.sock, self.reader, self.head = loop, sock, reader, head
        self.items: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self.keep_alive = head.keep_alive
        self.request_done = False
        self.started = False
        self.finished = False
        self.chunked = False
        self.bodyless = head.method == "HEAD"
        self._start: dict[str, Any] | None = None
        self._received_all = False
        self._disconnect: asyncio.Future[dict[str, Any]] | None = None
        self._over = False
        self._continued = not head.expect_continue
        self._prefetched: dict[str, Any] | None = None
        if _END in reader.events:  # the whole body came with the head: no thread hop to read it
            self._continued = True
            self._prefetched = self._next_body()

    # On the loop ------------------------------------------------------------------------------------

    async def call(self, app: App, scope: MutableMapping[str, Any]) -> None:
        try:
            await app(scope, self.receive, self.send)
        except OSError as exc:
            log.debug("%s %s: the client went away (%s)", scope["method"], scope["path"], exc)
        except Exception:  # noqa: BLE001 - an app error becomes a 500, as every ASGI server does
            log.exception("%s %s failed", scope["method"], scope["path"])
        finally:
            self.items.put(("done",))

    async def receive(self) -> dict[str, Any]:
        if self._received_all:
            if self._disconnect is None:
                self._disconnect = self.loop.create_future()
            if self._over:  # checked after the future exists: the thread sets _over, then settles it
                return {"type": "http.disconnect"}
            return await self._disconnect
        if self._prefetched is not None:
            message, self._prefetched = self._prefetched, None
        else:
            future: asyncio.Future[dict[str, Any]] = self.loop.create_future()
            self.items.put(("recv", future))
            message = await future
        if not message.get("more_body"):
            self._received_all = True
        return message

    async def send(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self._start = message
            return
        start, self._start = self._start, None
        future: asyncio.Future[None] | None = None
        if kind == "http.response.body":
            more = bool(message.get("more_body", False))
            if more:
                future = self.loop.create_future()
            self.items.put(("body", start, message.get("body", b""), more, future))
        elif kind in (ZEROCOPY, "http.response.pathsend"):
            future = self.loop.create_future()
            self.items.put(("file", start, message, future))
        elif kind == CHUNKS:
            future = self.loop.create_future()
            self.items.put(("chunks", start, message, future))
        else:
            raise RuntimeError(f"unsupported ASGI message {kind!r}")
        if future is not None:
            await future

    # In the connection's thread ---------------------------------------------------------------------

    def _settle(self, future: asyncio.Future[Any], result: Any = None, error: BaseException | None = None) -> None:
        def settle() -> None:
            if future.done():
                return
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)

        self.loop.call_soon_threadsafe(settle)

    def pump(self) -> bool:
        """Serve the app's messages until its response is complete (or it returns without one); whether the
        connection can take another request."""
        while True:
            item = self.items.get()
            kind = item[0]
            if kind == "recv":
                self._settle(item[1], self._next_body())
            elif kind == "body":
                _, start, body, more, future = item
                error = self._guard(self._write_body, start, body, more)
                if future is not None:
                    self._settle(future, error=error)
            elif kind == "file":
                _, start, message, future = item
                self._settle(future, error=self._guard(self._write_file, start, message))
            elif kind == "chunks":
                _, start, message, future = item
                self._settle(future, error=self._guard(self._write_chunks, start, message))
            else:
                break
            if self.finished:
                break  # the response is complete: the next request need not wait for the app to return
        if not self.started:
            self._guard(self._write_body, {"status": 500, "headers": []}, b"Internal Server Error", False)
            self.keep_alive = False
        if not self.finished:
            self.keep_alive = False
        self._over = True
        if self._disconnect is not None:
            self._settle(self._disconnect, {"type": "http.disconnect"})
        return self.keep_alive

    def _guard(self, write: Callable[..., None], *args: Any) -> BaseException | None:
        try:
            write(*args)
        except (OSError, ssl.SSLError, ValueError) as exc:
            self.keep_alive = False
            self.finished = False
            return ConnectionResetError(f"the client connection failed: {exc}")
        return None

    def _next_body(self) -> dict[str, Any]:
        if self.request_done:
            return {"type": "http.disconnect"}
        if not self._continued:
            self._continued = True
            if not self.started:
                self.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        pieces: list[bytes] = []
        size = 0
        while size < BODY_CHUNK:
            event = self.reader.next_event()
            if event is None:
                self.keep_alive = False
                self.request_done = True
                return {"type": "http.disconnect"}
            if event is _END:
                self.request_done = True
                break
            if isinstance(event, bytes):
                pieces.append(event)
                size += len(event)
        body = pieces[0] if len(pieces) == 1 else b"".join(pieces)
        return {"type": "http.request", "body": body, "more_body": not self.request_done}

    def _head(self, start: dict[str, Any] | None, length: int | None) -> bytes:
        """The status line and headers; ``length`` is the whole body's size when known here."""
        if self.started:
            return b""
        if start is None:
            raise ValueError("a response body before http.response.start")
        self.started = True
        status = int(start["status"])
        lines = [b"HTTP/1.1 %d %s\r\n" % (status, _PHRASES.get(status, b"Unknown"))]
        has_length = has_date = False
        for name, value in start.get("headers", []):
            lowered = name.lower()
            if lowered == b"content-length":
                has_length = True
            elif lowered == b"date":
                has_date = True
            elif lowered == b"transfer-encoding":
                continue
            elif lowered == b"connection" and b"close" in value.lower():
                self.keep_alive = False
            lines.append(b"%s: %s\r\n" % (name, value))
        if not has_date:
            lines.append(b"date: %s\r\n" % http_date())
        if status < 200 or status in (204, 304):
            self.bodyless = True
        if not has_length and not self.bodyless:
            if length is not None:
                lines.append(b"content-length: %d\r\n" % length)
            elif self.head.version == "1.1":
                lines.append(b"transfer-encoding: chunked\r\n")
                self.chunked = True
            else:
                self.keep_alive = False
        if not self.request_done and not self.reader.body_buffered_to_end():
            self.keep_alive = False  # the rest of the request body is still on the wire
        else:
            self.request_done = True
        if not self.keep_alive:
            lines.append(b"connection: close\r\n")
        lines.append(b"\r\n")
        return b"".join(lines)

    def _write_body(self, start: dict[str, Any] | None, body: bytes, more: bool) -> None:
        head = self._head(start, None if more else len(body))
        if self.bodyless:
            body = b""
        elif self.chunked:
            body = (b"%x\r\n%s\r\n" % (len(body), body) if body else b"") + (b"" if more else b"0\r\n\r\n")
        if len(body) <= SMALL:
            self.sock.sendall(head + body)
        else:
            if head:
                self.sock.sendall(head)
            self.sock.sendall(body)
        if not more:
            self.finished = True

    def _write_file(self, start: dict[str, Any] | None, message: dict[str, Any]) -> None:
        more = bool(message.get("more_body", False))
        if message["type"] == ZEROCOPY:
            handle = message["file"]
            self._send_file(start, handle.fileno(), message.get("offset"), message.get("count"), more)
        else:
            descriptor = os.open(message["path"], os.O_RDONLY)
            try:
                self._send_file(start, descriptor, None, None, more)
            finally:
                os.close(descriptor)

    def _write_chunks(self, start: dict[str, Any] | None, message: dict[str, Any]) -> None:
        """Write the bytes an iterator yields, ``count`` in all, consuming it here. The head is written
        before the first read; a read that fails, or a count that is not met, ends the connection."""
        more = bool(message.get("more_body", False))
        count = int(message["count"])
        head = self._head(start, None if more else count)
        if head:
            self.sock.sendall(head)
        if self.bodyless:
            if not more:
                self.finished = True
            return
        if self.chunked and count:
            self.sock.sendall(b"%x\r\n" % count)
        sent = 0
        chunks = iter(message["chunks"])
        try:
            while sent < count:
                try:
                    chunk = next(chunks, None)
                except Exception as exc:  # noqa: BLE001 - any failure of the source ends this response alike
                    log.warning("a response body's source failed after %d of %d bytes: %s", sent, count, exc)
                    raise ConnectionAbortedError(f"the response body's source failed: {exc}") from exc
                if chunk is None:
                    break
                piece = memoryview(chunk)[: count - sent]
                self.sock.sendall(piece)
                sent += len(piece)
        finally:
            _close_source(chunks)
        if sent != count:
            raise ConnectionAbortedError(f"the response body's source gave {sent} of {count} bytes")
        if self.chunked and count:
            self.sock.sendall(b"\r\n")
        if not more:
            if self.chunked:
                self.sock.sendall(b"0\r\n\r\n")
            self.finished = True

    def _send_file(
        self, start: dict[str, Any] | None, fd: int, offset: int | None, count: int | None, more: bool
    ) -> None:
        size = os.fstat(fd).st_size
        first = offset if offset is not None else os.lseek(fd, 0, os.SEEK_CUR)
        count = max(0, min(size - first, count if count is not None else size - first))
        head = self._head(start, None if more else count)
        if head:
            self.sock.sendall(head)
        if not self.bodyless and count:
            if self.chunked:
                self.sock.sendall(b"%x\r\n" % count)
            position, end = first, first + count
            while position < end:
                # A window of the file at a time, so a pull holds SLICE bytes of it in memory, not the file.
                base = position - position % mmap.ALLOCATIONGRANULARITY
                length = min(end, base + SLICE) - base
                with (
                    mmap.mmap(fd, length, flags=_MAP_FLAGS, prot=mmap.PROT_READ, offset=base) as window,
                    memoryview(window)[position - base :] as piece,
                ):
                    self.sock.sendall(piece)
                position = base + length
            if self.chunked:
                self.sock.sendall(b"\r\n")
        if not more:
            if self.chunked and not self.bodyless:
                self.sock.sendall(b"0\r\n\r\n")
            self.finished = True


def _close_source(chunks: Iterator[Any]) -> None:
    """Close a body's source once the body is written or abandoned (a generator runs its cleanup here, in
    this thread, now: a blob store releases its connection, a read cache drops a half-written copy)."""
    close = getattr(chunks, "close", None)
    if close is None:
        return
    try:
        close()
    except Exception as exc:  # noqa: BLE001 - a source failing to clean up must not fail the response
        log.warning("a response body's source failed to close: %s", exc)
