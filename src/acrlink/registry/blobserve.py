"""Serving blob bytes: the file itself through ``http.response.zerocopysend`` when the server offers it,
else raw ASGI body messages of 1 MiB read straight from the file.

Not Starlette's ``FileResponse`` (64 KiB chunks through a thread pool cost 4x) and not
``loop.sendfile`` (over TLS it falls back to 16 KiB blocks); see PERFORMANCE-NOTES.
"""

from __future__ import annotations

from pathlib import Path

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

CHUNK = 1 << 20
ZEROCOPY = "http.response.zerocopysend"
"""ASGI's zero-copy extension: acrlink's HTTPS server (``httpserver.py``) writes the file from an mmap."""


class BlobResponse(Response):
    """Bytes ``first..last`` (inclusive) of a file; HEAD requests get the headers only."""

    def __init__(self, path: Path, first: int, last: int, status: int, headers: dict[str, str]) -> None:
        super().__init__(status_code=status, headers={**headers, "Content-Length": str(last - first + 1)})
        self.path, self.first, self.last = path, first, last

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        if scope.get("method") == "HEAD" or self.last < self.first:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        remaining = self.last - self.first + 1
        if ZEROCOPY in scope.get("extensions", {}):
            with open(self.path, "rb", buffering=0) as handle:
                message = {"type": ZEROCOPY, "file": handle, "offset": self.first, "count": remaining}
                await send({**message, "more_body": False})
            return
        with open(self.path, "rb", buffering=0) as handle:
            handle.seek(self.first)
            while remaining > 0:
                chunk = handle.read(min(CHUNK, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": remaining > 0})
        if remaining > 0:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
