"""Blob bytes from a range without a file (what an object store's blob store gives): ``BlobResponse`` hands the
blocking chunks to the HTTPS server (``acrlink.response.chunks``), whose connection thread reads and writes
them; never the event loop. A source that fails or falls short mid-body ends the connection, not the server."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import ssl
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from acrlink import certs
from acrlink.httpserver import HttpsServer
from acrlink.registry.blobserve import BlobResponse
from acrlink.registry.server import server_context
from acrlink.settings import Limits
from acrlink.store.base import StoreUnavailable

DATA = os.urandom(3 * (1 << 20) + 12345)
PIECE = 1 << 20


class FakeRange:
    """Bytes ``first..last`` of ``DATA`` with no file: ``chunks`` records which thread reads each piece, and
    fails (``fail_after`` bytes in) or stops early (``short``) when told to."""

    def __init__(self, first: int, last: int, fail_after: int | None = None, short: bool = False) -> None:
        self.first, self.last, self.file = first, last, None
        self.fail_after, self.short = fail_after, short
        self.readers: list[str] = []
        self.closed = False
        self.ended: str | None = None
        """The thread the source's generator ended in (its cleanup ran)."""

    def chunks(self) -> Iterator[bytes]:
        position = self.first
        end = self.last + 1 - (PIECE if self.short else 0)
        try:
            while position < end:
                self.readers.append(threading.current_thread().name)
                if self.fail_after is not None and position - self.first >= self.fail_after:
                    raise StoreUnavailable("the blob store went away")
                upto = min(end, position + PIECE)
                yield DATA[position:upto]
                position = upto
        finally:
            self.ended = threading.current_thread().name

    def close(self) -> None:
        self.closed = True


class Served:
    def __init__(self, url: str, ca: str) -> None:
        self.url, self.ca = url, ca
        self.ranges: list[FakeRange] = []
        self.loop_thread = ""

    def client(self) -> httpx.Client:
        return httpx.Client(verify=ssl.create_default_context(cafile=self.ca), timeout=30)


def _app(served: Served) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        served.loop_thread = threading.current_thread().name
        path, first, last = scope["path"], 0, len(DATA) - 1
        for name, value in scope["headers"]:
            if name == b"range":
                first_text, _, last_text = value.decode().removeprefix("bytes=").partition("-")
                first, last = int(first_text), int(last_text)
        opened = FakeRange(first, last, fail_after=PIECE if path == "/failing" else None, short=path == "/short")
        served.ranges.append(opened)
        await BlobResponse(opened, 200 if first == 0 else 206, {"content-type": "application/octet-stream"})(
            scope, receive, send
        )

    return app


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    directory = tmp_path_factory.mktemp("chunks")
    authority = certs.load_or_create_authority(directory)
    certs.issue_server_certificate(authority, ["127.0.0.1"], directory / "s.pem", directory / "s.key")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()  # connections wait in the backlog until the loop accepts: no race with the first request
    served = Served(f"https://127.0.0.1:{listener.getsockname()[1]}", str(authority.cert_path))
    https = HttpsServer(_app(served), server_context(directory / "s.pem", directory / "s.key"), Limits(), "chunks")
    loop = asyncio.new_event_loop()
    serving = loop.create_task(https.serve(listener))

    def run() -> None:
        asyncio.set_event_loop(loop)
        with contextlib.suppress(asyncio.CancelledError):
            loop.run_until_complete(serving)
        loop.close()

    thread = threading.Thread(target=run, name="chunks-loop", daemon=True)
    thread.start()
    yield served
    loop.call_soon_threadsafe(serving.cancel)
    thread.join(5)
    https.close()


def test_chunks_are_read_and_written_by_the_connection_thread(served: Served) -> None:
    with served.client() as client:
        answer = client.get(f"{served.url}/blob")
        again = client.get(f"{served.url}/blob", headers={"range": "bytes=1048570-2097160"})
    assert answer.status_code == 200 and answer.content == DATA
    assert answer.headers["content-length"] == str(len(DATA))
    assert again.status_code == 206 and again.content == DATA[1048570:2097161], "kept alive, then a middle range"
    whole, middle = served.ranges[-2:]
    assert served.loop_thread == "chunks-loop"
    assert len(whole.readers) == 4 and set(whole.readers) == {"acrlink-chunks"}, whole.readers
    assert set(middle.readers) == {"acrlink-chunks"}
    assert whole.closed and middle.closed


def test_the_source_ends_in_the_connection_thread_once_its_body_is_written(served: Served) -> None:
    """The server stops reading at the byte count and closes the source then (a blob store's generator returns
    its connection to the pool, a read cache drops a copy it was filling), not whenever it is collected."""
    with served.client() as client:
        assert client.get(f"{served.url}/blob").content == DATA
        assert client.get(f"{served.url}/blob", headers={"range": "bytes=0-10"}).content == DATA[:11]
        # The second answer on the kept-alive connection came after the first request was done with.
        assert served.ranges[-2].ended == "acrlink-chunks"


def test_head_reads_nothing(served: Served) -> None:
    with served.client() as client:
        answer = client.head(f"{served.url}/blob")
    assert answer.status_code == 200 and answer.headers["content-length"] == str(len(DATA))
    assert served.ranges[-1].readers == [] and served.ranges[-1].closed


@pytest.mark.parametrize("path", ["/failing", "/short"])
def test_a_source_that_breaks_off_ends_the_connection_not_the_server(served: Served, path: str) -> None:
    with served.client() as client, pytest.raises(httpx.RemoteProtocolError):
        client.get(f"{served.url}{path}")
    assert served.ranges[-1].closed, "the range is closed when the body could not be sent"
    assert served.ranges[-1].ended == "acrlink-chunks"
    with served.client() as client:
        assert client.get(f"{served.url}/blob").content == DATA


def test_without_the_extension_chunks_are_read_off_the_event_loop() -> None:
    """An ASGI server that offers no extension (httpx's in-process transport): a worker thread reads."""
    served = Served("http://acrlink.test", "")
    transport = httpx.ASGITransport(app=_app(served))

    async def fetch() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url=served.url) as client:
            return await client.get("/blob")

    answer = asyncio.run(fetch())
    assert answer.content == DATA
    readers = served.ranges[-1].readers
    assert readers and served.loop_thread not in readers, (served.loop_thread, readers)
