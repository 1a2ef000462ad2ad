"""Serving blob bytes: an open range of a stored blob (``store.base.BlobRange``, as ``Content.open_blob``
gives it); its file through ``http.response.zerocopysend`` when it has one and the server offers it, else its
chunks, which are blocking reads (an object store's download): handed whole to the server through
``acrlink.response.chunks`` when it offers that (its connection thread consumes them), else read in a worker
thread. Never on the event loop.

Not Starlette's ``FileResponse`` (64 KiB chunks through a thread pool cost 4x) and not
``loop.sendfile`` (over TLS it falls back to 16 KiB blocks); see PERFORMANCE-NOTES.
"""

from __future__ import annotations

from starlette.concurrency import iterate_in_threadpool
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from acrlink.services.content import BlobRange

ZEROCOPY = "http.response.zerocopysend"
"""ASGI's zero-copy extension: acrlink's HTTPS server (``httpserver.py``) writes the file from an mmap."""
CHUNKS = "acrlink.response.chunks"
"""acrlink's HTTPS server's extension for a body of blocking chunks: the message carries the iterator and the
byte count; the connection's thread consumes it and writes each chunk (``asgibridge.py``)."""


class BlobResponse(Response):
    """Bytes ``first..last`` (inclusive) of an open blob range; HEAD requests get the headers only. The range
    is closed once sent (or not sent)."""

    def __init__(self, opened: BlobRange, status: int, headers: dict[str, str]) -> None:
        length = opened.last - opened.first + 1
        super().__init__(status_code=status, headers={**headers, "Content-Length": str(length)})
        self.opened = opened

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self._send(scope, send)
        finally:
            self.opened.close()

    async def _send(self, scope: Scope, send: Send) -> None:
        opened = self.opened
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        if scope.get("method") == "HEAD" or opened.last < opened.first:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        remaining = opened.last - opened.first + 1
        extensions = scope.get("extensions", {})
        if opened.file is not None and ZEROCOPY in extensions:
            message = {"type": ZEROCOPY, "file": opened.file, "offset": opened.first, "count": remaining}
            await send({**message, "more_body": False})
            return
        if CHUNKS in extensions:
            await send({"type": CHUNKS, "chunks": opened.chunks(), "count": remaining, "more_body": False})
            return
        async for chunk in iterate_in_threadpool(opened.chunks()):
            remaining -= len(chunk)
            await send({"type": "http.response.body", "body": chunk, "more_body": remaining > 0})
        if remaining > 0:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
