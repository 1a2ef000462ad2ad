"""Every face times out and bounds its connections (issue 8, item 6): no request that never ends, no idle
connection held forever, no pile of idle connections that takes the descriptors the other faces need, and
the proxy answers every request line and every Proxy-Authorization it cannot use."""

from __future__ import annotations

import base64
import json
import os
import resource
import socket
import ssl
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from .conftest import Running, start, stop

pytestmark = pytest.mark.slow

HEADER_SECONDS, IDLE_SECONDS = 1.0, 2.0
LIMITS = {
    "ACRLINK_HEADER_TIMEOUT": str(HEADER_SECONDS),
    "ACRLINK_IDLE_TIMEOUT": str(IDLE_SECONDS),
    "ACRLINK_TUNNEL_IDLE_TIMEOUT": str(IDLE_SECONDS),
}


@pytest.fixture(scope="module")
def short(tmp_path_factory: pytest.TempPathFactory, acrlink: Running) -> Iterator[Running]:
    """A process of the module's own whose header and idle timeouts are 1 and 2 seconds."""
    running = start(tmp_path_factory.mktemp("short"), ca_from=acrlink.data_dir, env=LIMITS)
    yield running
    stop(running)


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    assert parts.hostname and parts.port
    return parts.hostname, parts.port


def _proxy(running: Running) -> tuple[str, int]:
    return _address(running.endpoints["proxy"])


def _ask_proxy(running: Running, request: bytes, timeout: float = 5.0) -> bytes:
    """Send ``request`` to the proxy; everything it answers before closing (or within ``timeout``)."""
    with socket.create_connection(_proxy(running), timeout=timeout) as sock:
        sock.sendall(request)
        answer = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            answer += chunk
            if b"\r\n\r\n" in answer and answer.startswith(b"HTTP/1.1 200"):
                break
        return answer


def _closed_within(sock: socket.socket, seconds: float) -> float | None:
    """Seconds until the peer closes ``sock`` (EOF or reset), or None if it is still open after ``seconds``."""
    started = time.monotonic()
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return None
    except ConnectionResetError:
        pass
    return time.monotonic() - started


@pytest.mark.parametrize("target", ["benchreg.azurecr.cn:\xb2", "benchreg.azurecr.cn:" + "9" * 5000, "a:b:c", ":443"])
def test_proxy_answers_an_unparseable_connect_target_with_400(short: Running, target: str) -> None:
    started = time.monotonic()
    answer = _ask_proxy(short, f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode("latin-1"))
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    "request_line", [b"CONNECT mcr.microsoft.com:443", b"CONNECT mcr.microsoft.com:443 SPDY/3", b"CONNECT"]
)
def test_proxy_answers_a_malformed_request_line_with_400(short: Running, request_line: bytes) -> None:
    assert _ask_proxy(short, request_line + b"\r\n\r\n").startswith(b"HTTP/1.1 400 ")


@pytest.mark.parametrize(
    "credentials",
    ["Basic !!!not-base64!!!", "Basic " + base64.b64encode(b"\xff\xfe:").decode(), "Bearer abc", "Basic " + "QQ=="],
)
def test_proxy_answers_malformed_proxy_authorization_with_407(short: Running, credentials: str) -> None:
    """Not a silent fallback to the internet host (which would carry mcr.microsoft.com)."""
    answer = _ask_proxy(
        short, f"CONNECT mcr.microsoft.com:443 HTTP/1.1\r\nProxy-Authorization: {credentials}\r\n\r\n".encode()
    )
    assert answer.startswith(b"HTTP/1.1 407 "), answer[:200]
    assert b'\r\nProxy-Authenticate: Basic realm="acrlink"\r\n' in answer


def test_proxy_closes_a_connect_request_that_never_completes(short: Running) -> None:
    """A client that trickles its request gets 408 after the header timeout, however often it sends."""
    with socket.create_connection(_proxy(short), timeout=5) as sock:
        started = time.monotonic()
        answer = b""
        sock.settimeout(0.3)
        for byte in b"CONNECT mcr.microsoft.com:443 HTTP/1.1\r\nX-Slow: " + b"a" * 40:
            try:
                sock.sendall(bytes([byte]))
                answer += sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                break
            if answer:
                break
        assert answer.startswith(b"HTTP/1.1 408 "), answer
        assert time.monotonic() - started < HEADER_SECONDS + 1.5


def _faces(running: Running) -> dict[str, tuple[str, int]]:
    dns = running.endpoints["dns"]
    return {
        "arm": _address(running.arm),
        "registry": _address(running.endpoints["registry"]),
        "proxy": _proxy(running),
        "dns-tcp": (dns["host"], int(dns["port"])),
    }


@pytest.mark.parametrize("face", ["arm", "registry", "proxy", "dns-tcp"])
def test_a_connection_that_sends_nothing_is_closed_after_the_header_timeout(short: Running, face: str) -> None:
    with socket.create_connection(_faces(short)[face], timeout=5) as sock:
        closed = _closed_within(sock, HEADER_SECONDS + IDLE_SECONDS + 3)
    assert closed is not None, f"{face} kept a silent connection open"


@pytest.mark.parametrize("face", ["arm", "registry"])
def test_a_tls_connection_that_never_sends_its_request_is_closed(short: Running, face: str) -> None:
    """The handshake completes, then nothing (or a request head that never ends): closed after the header
    timeout."""
    context = ssl.create_default_context(cafile=short.endpoints["ca"])
    with (
        socket.create_connection(_faces(short)[face], timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        tls.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        started = time.monotonic()
        tls.settimeout(HEADER_SECONDS + 3)
        try:
            while tls.recv(65536):
                pass
        except (ConnectionResetError, ssl.SSLError):
            pass
        assert time.monotonic() - started < HEADER_SECONDS + 2


@pytest.mark.parametrize("face", ["arm", "registry"])
def test_an_idle_keep_alive_connection_is_closed_after_the_idle_timeout(short: Running, face: str) -> None:
    context = ssl.create_default_context(cafile=short.endpoints["ca"])
    host = "127.0.0.1"
    with (
        socket.create_connection(_faces(short)[face], timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        tls.sendall(f"GET /metadata/endpoints?api-version=2022-09-01 HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        first = tls.recv(65536)
        assert first.startswith(b"HTTP/1.1 ")
        assert b"connection: close" not in first.lower()
        started = time.monotonic()
        tls.settimeout(IDLE_SECONDS + 5)
        try:
            while tls.recv(65536):
                pass
        except (ConnectionResetError, ssl.SSLError):
            pass
        waited = time.monotonic() - started
    assert IDLE_SECONDS - 0.5 < waited < IDLE_SECONDS + 2


def test_dns_over_tcp_closes_a_message_that_never_completes(short: Running) -> None:
    """A client that trickles a length prefix and part of a query is closed after the header timeout."""
    with socket.create_connection(_faces(short)["dns-tcp"], timeout=5) as sock:
        sock.sendall(struct.pack("!H", 40))
        started = time.monotonic()
        sock.settimeout(0.4)
        closed = False
        for _ in range(20):
            try:
                sock.sendall(b"\x00")
                if sock.recv(10) == b"":
                    closed = True
                    break
            except TimeoutError:
                continue
            except OSError:
                closed = True
                break
        assert closed, "DNS over TCP kept a trickling connection open"
        assert time.monotonic() - started < HEADER_SECONDS + 2


# Many idle connections under a low descriptor limit --------------------------------------------------


def _low_descriptor_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))


@pytest.mark.single_process(reason="starts a process of its own under a descriptor limit, from the data dir's CA files")
def test_idle_connections_beyond_the_bound_do_not_stop_arm(tmp_path: Path, acrlink: Running) -> None:
    """240 silent connections to the proxy (and as many to the registry face and DNS over TCP) of a process
    limited to 256 descriptors: ARM still answers, because each face serves at most its bound at once and
    the rest wait in the listen backlog."""
    for name in ("ca.pem", "ca.key"):
        (tmp_path / name).write_bytes((acrlink.data_dir / name).read_bytes())
    env = {**os.environ, "ACRLINK_DATA_DIR": str(tmp_path), "ACRLINK_MAX_CONNECTIONS": "32"}
    process = subprocess.Popen(
        [sys.executable, "-m", "acrlink", "up", "--data-dir", str(tmp_path)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_low_descriptor_limit,
    )
    idle: list[socket.socket] = []
    try:
        endpoints_path = tmp_path / "endpoints.json"
        deadline = time.monotonic() + 30
        while not (endpoints_path.exists() and json.loads(endpoints_path.read_text()).get("pid") == process.pid):
            assert process.poll() is None and time.monotonic() < deadline, "acrlink did not start"
            time.sleep(0.1)
        endpoints = json.loads(endpoints_path.read_text())
        running = Running(tmp_path, endpoints)
        for face in ("proxy", "registry", "dns-tcp"):
            for _ in range(240):
                sock = socket.socket()
                sock.setblocking(False)
                sock.connect_ex(_faces(running)[face])
                idle.append(sock)
        time.sleep(0.5)
        for _ in range(3):
            answer = httpx.get(
                f"{endpoints['arm']}/metadata/endpoints?api-version=2022-09-01",
                verify=ssl.create_default_context(cafile=endpoints["ca"]),
                timeout=10,
            )
            assert answer.status_code == 200
        assert process.poll() is None
    finally:
        for sock in idle:
            sock.close()
        process.terminate()
        process.wait(15)
