"""The HTTPS server of the faces (``httpserver.py`` + ``asgibridge.py``) with real clients: framing, bodies,
keep-alive, zero-copy file responses, refusals of malformed requests."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from acrlink import certs
from acrlink.httpserver import HttpsServer
from acrlink.registry.server import server_context
from acrlink.settings import Limits


async def _app(scope: Any, receive: Any, send: Any) -> None:
    path = scope["path"]
    if path.startswith("/file"):
        handle = open(scope["state"]["file"], "rb")  # noqa: SIM115 - closed below, after the send
        try:
            size = os.fstat(handle.fileno()).st_size
            first, last = 0, size - 1
            for name, value in scope["headers"]:
                if name == b"range":
                    first_text, _, last_text = value.decode().removeprefix("bytes=").partition("-")
                    first, last = int(first_text), int(last_text)
            headers = [(b"content-length", str(last - first + 1).encode())]
            await send({"type": "http.response.start", "status": 200 if first == 0 else 206, "headers": headers})
            message = {"type": "http.response.zerocopysend", "file": handle, "offset": first, "count": last - first + 1}
            await send(message)
        finally:
            handle.close()
        return
    if path == "/hash":
        digest, more = hashlib.sha256(), True
        while more:
            message = await receive()
            digest.update(message.get("body", b""))
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": digest.hexdigest().encode()})
        return
    if path == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        for piece in (b"one ", b"two ", b"three"):
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    if path == "/fail":
        raise RuntimeError("the app failed")
    body = f"{scope['method']} {path} {scope['query_string'].decode()}".encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-app", b"yes")]})
    await send({"type": "http.response.body", "body": body})


class _Running:
    def __init__(self, url: str, ca: str, file: Path) -> None:
        self.url, self.ca, self.file = url, ca, file


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Running]:
    directory = tmp_path_factory.mktemp("httpserver")
    authority = certs.load_or_create_authority(directory)
    certs.issue_server_certificate(authority, ["localhost", "127.0.0.1"], directory / "s.pem", directory / "s.key")
    file = directory / "blob"
    file.write_bytes(os.urandom(9 * 1024 * 1024 + 17))

    async def app(scope: Any, receive: Any, send: Any) -> None:
        scope["state"]["file"] = str(file)
        await _app(scope, receive, send)

    limits = Limits(header_seconds=2, idle_seconds=3)
    https = HttpsServer(app, server_context(directory / "s.pem", directory / "s.key"), limits, "test")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()  # connections wait in the backlog until the loop accepts: no race with the first request
    loop = asyncio.new_event_loop()
    serving = loop.create_task(https.serve(listener))

    def run() -> None:
        asyncio.set_event_loop(loop)
        with contextlib.suppress(asyncio.CancelledError):
            loop.run_until_complete(serving)
        loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield _Running(f"https://127.0.0.1:{listener.getsockname()[1]}", str(authority.cert_path), file)
    loop.call_soon_threadsafe(serving.cancel)
    thread.join(5)
    https.close()


def _curl(server: _Running, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["curl", "-sS", "--http1.1", "--cacert", server.ca, *args], capture_output=True, timeout=30)


def test_keep_alive_requests_on_one_connection(server: _Running) -> None:
    with httpx.Client(verify=ssl.create_default_context(cafile=server.ca)) as client:
        for index in range(5):
            answer = client.get(f"{server.url}/p%20ath/{index}?q=1")
            assert answer.status_code == 200
            assert answer.text == f"GET /p ath/{index} q=1"
            assert answer.headers["x-app"] == "yes"
            assert "date" in answer.headers


def test_file_response_is_the_file_and_ranges_are_exact(server: _Running) -> None:
    whole = _curl(server, "-o", "-", f"{server.url}/file")
    assert whole.stdout == server.file.read_bytes()
    part = _curl(server, "-r", "5000000-5000099", "-o", "-", f"{server.url}/file")
    assert part.stdout == server.file.read_bytes()[5000000:5000100]
    head = _curl(server, "-I", f"{server.url}/file")
    assert f"content-length: {server.file.stat().st_size}".encode() in head.stdout.lower()


@pytest.mark.parametrize("extra", [[], ["-H", "Transfer-Encoding: chunked"], ["-H", "Expect: 100-continue"]])
def test_request_bodies_arrive_whole(server: _Running, extra: list[str]) -> None:
    """Content-Length, chunked and ``Expect: 100-continue`` uploads of 9 MiB."""
    answer = _curl(server, *extra, "-T", str(server.file), f"{server.url}/hash")
    assert answer.stdout.decode() == hashlib.sha256(server.file.read_bytes()).hexdigest()


def test_a_streamed_response_without_length_is_chunked(server: _Running) -> None:
    answer = _curl(server, "-i", f"{server.url}/stream")
    assert b"transfer-encoding: chunked" in answer.stdout.lower()
    assert answer.stdout.endswith(b"one two three")


def test_an_app_failure_is_a_500(server: _Running) -> None:
    answer = _curl(server, "-o", "/dev/null", "-w", "%{http_code}", f"{server.url}/fail")
    assert answer.stdout == b"500"


def test_pipelined_requests_are_answered_in_order(server: _Running) -> None:
    context = ssl.create_default_context(cafile=server.ca)
    with (
        socket.create_connection(("127.0.0.1", int(server.url.rsplit(":", 1)[1])), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        tls.sendall(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := tls.recv(65536):
            answer += chunk
    assert answer.index(b"GET /a") < answer.index(b"GET /b")
    assert answer.count(b"HTTP/1.1 200 OK") == 2


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GARBAGE\r\n\r\n", b"400"),
        (b"GET /\xff HTTP/1.1\r\nHost: x\r\n\r\n", b"400"),
        (b"GET http://elsewhere/ HTTP/1.1\r\nHost: x\r\n\r\n", b"400"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 70000 + b"\r\n\r\n", b"431"),
    ],
)
def test_malformed_requests_are_refused(server: _Running, request_bytes: bytes, status: bytes) -> None:
    context = ssl.create_default_context(cafile=server.ca)
    with (
        socket.create_connection(("127.0.0.1", int(server.url.rsplit(":", 1)[1])), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        with contextlib.suppress(OSError):
            tls.sendall(request_bytes)
        answer = tls.recv(65536)
    assert answer.startswith(b"HTTP/1.1 " + status), answer[:100]
