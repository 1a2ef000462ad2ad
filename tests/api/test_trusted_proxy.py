"""Faces behind a trusted load balancer (``--trusted-proxy``), over real sockets: a connection from the balancer's
address (127.0.0.2 here) starts with a PROXY v2 header whose source is the peer; without one it is refused; a
header from any other address is only bytes, which the face's protocol rejects. The header never sets an
emulated origin."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import struct
import threading
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import dns.message
import pytest

from acrlink import certs
from acrlink.httpserver import HttpsServer
from acrlink.netsim.proxy import ConnectProxy, Refusal
from acrlink.netsim.proxyproto import Origin
from acrlink.registry.server import server_context
from acrlink.settings import Limits
from acrlink.trustedproxy import TrustedProxies

from .conftest import Arm
from .dns_face import serving

BALANCER = "127.0.0.2"
TRUSTED = TrustedProxies.of([BALANCER])
LIMITS = Limits(header_seconds=1, idle_seconds=3)
SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def header_for(client: str, client_port: int, server_port: int) -> bytes:
    """What HAProxy's send-proxy-v2 writes first for a TCP client on IPv4."""
    body = socket.inet_aton(client) + socket.inet_aton("127.0.0.1") + struct.pack("!HH", client_port, server_port)
    return SIG + b"\x21\x11" + struct.pack("!H", len(body)) + body


HEALTH_CHECK = SIG + b"\x20\x00\x00\x00"


def connect(port: int, source: str) -> socket.socket:
    sock = socket.socket()
    sock.settimeout(10)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    return sock


def receive_all(sock: socket.socket) -> bytes:
    data = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            data += chunk
    return data


class Loop:
    """An event loop in a thread, running the servers a test starts until ``stop``."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.tasks: list[asyncio.Task[None]] = []

    def run(self, serve: Callable[[socket.socket], Coroutine[Any, Any, None]]) -> int:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))

        async def start() -> None:
            self.tasks.append(asyncio.create_task(serve(listener)))

        asyncio.run_coroutine_threadsafe(start(), self.loop).result(10)
        return int(listener.getsockname()[1])

    def stop(self) -> None:
        async def cancel() -> None:
            for task in self.tasks:
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(cancel(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def loop() -> Iterator[Loop]:
    running = Loop()
    yield running
    running.stop()


async def _client_app(scope: Any, receive: Any, send: Any) -> None:
    host, port = scope["client"]
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": f"{host}:{port} {scope['state']}".encode()})


class Https:
    def __init__(self, port: int, ca: Path) -> None:
        self.port = port
        self.context = ssl.create_default_context(cafile=str(ca))

    def get(self, source: str, first: bytes = b"") -> bytes:
        """``GET /`` over TLS from ``source``, after writing ``first``; the whole answer."""
        with connect(self.port, source) as sock:
            sock.sendall(first)
            with self.context.wrap_socket(sock, server_hostname="127.0.0.1") as tls:
                tls.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                return receive_all(tls)


@pytest.fixture
def https(tmp_path: Path, loop: Loop) -> Iterator[Https]:
    authority = certs.load_or_create_authority(tmp_path)
    certs.issue_server_certificate(authority, ["127.0.0.1"], tmp_path / "s.pem", tmp_path / "s.key")
    server = HttpsServer(_client_app, server_context(tmp_path / "s.pem", tmp_path / "s.key"), LIMITS, "t", TRUSTED)
    yield Https(loop.run(server.serve), authority.cert_path)
    server.close()


def test_the_balancer_header_source_is_the_request_client(https: Https) -> None:
    answer = https.get(BALANCER, header_for("198.51.100.7", 4242, https.port))
    assert answer.startswith(b"HTTP/1.1 200")
    assert answer.endswith(b"198.51.100.7:4242 {}"), "the peer, and no origin in the scope's state"


def test_a_health_check_header_keeps_the_balancer_as_client(https: Https) -> None:
    assert https.get(BALANCER, HEALTH_CHECK).split(b"\r\n\r\n", 1)[1].startswith(BALANCER.encode() + b":")


def test_the_balancer_without_a_header_is_refused(https: Https, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "acrlink.http")
    with pytest.raises((ssl.SSLError, ConnectionResetError, BrokenPipeError)):
        https.get(BALANCER)
    with connect(https.port, BALANCER) as silent:
        assert receive_all(silent) == b"", "closed once the header's time is up"
    assert "refused a connection from its load balancer 127.0.0.2" in caplog.text


def test_a_header_from_another_address_is_not_honoured(https: Https) -> None:
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        https.get("127.0.0.1", header_for("198.51.100.7", 4242, https.port))
    assert https.get("127.0.0.1").split(b"\r\n\r\n", 1)[1].startswith(b"127.0.0.1:")


class Proxy:
    def __init__(self, port: int, origins: list[Origin]) -> None:
        self.port, self.origins = port, origins

    def connect(self, source: str, first: bytes, target: str = "reg.azurecr.cn:443") -> bytes:
        with connect(self.port, source) as sock:
            sock.sendall(first + f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
            return receive_all(sock)


@pytest.fixture
def proxy(loop: Loop) -> Proxy:
    """The client proxy, deciding every name the internet's public origin (``refused.*`` refused), and
    handing accepted connections to a stand-in that records the origin and answers the 200."""
    origins: list[Origin] = []

    def decide(user: str | None, host: str, port: int) -> Refusal | Origin:
        if host.startswith("refused."):
            return Refusal(403, "the registry refuses this network")
        return Origin(source="203.0.113.50", source_port=0, authority=host)

    def handoff(conn: socket.socket, origin: Origin, preface: bytes, release: Callable[[], object]) -> None:
        origins.append(origin)
        conn.setblocking(True)
        conn.sendall(preface)
        conn.close()
        release()

    server = ConnectProxy(decide, ("127.0.0.1", 9), b"k" * 32, LIMITS, handoff, TRUSTED)
    return Proxy(loop.run(server.serve), origins)


def test_the_proxy_takes_the_client_port_from_the_header_and_never_its_origin(proxy: Proxy) -> None:
    answer = proxy.connect(BALANCER, header_for("198.51.100.7", 4242, proxy.port))
    assert answer.startswith(b"HTTP/1.1 200 Connection established")
    (origin,) = proxy.origins
    assert (origin.source, origin.source_port, origin.host, origin.path) == ("203.0.113.50", 4242, "internet", "public")


def test_the_proxy_logs_the_client_the_header_names(proxy: Proxy, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "acrlink.proxy")
    answer = proxy.connect(BALANCER, header_for("198.51.100.9", 5000, proxy.port), "refused.azurecr.cn:443")
    assert answer.startswith(b"HTTP/1.1 403")
    assert "proxy refused 198.51.100.9: the registry refuses this network" in caplog.text


def test_the_proxy_refuses_the_balancer_without_a_header(proxy: Proxy, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "acrlink.proxy")
    assert proxy.connect(BALANCER, b"") == b""
    with connect(proxy.port, BALANCER) as silent:
        assert receive_all(silent) == b""
    assert caplog.text.count("proxy refused a connection from its load balancer 127.0.0.2") == 2
    assert proxy.origins == []


def test_the_proxy_treats_a_header_from_another_address_as_a_bad_request(proxy: Proxy) -> None:
    assert proxy.connect("127.0.0.1", header_for("198.51.100.7", 4242, proxy.port)).startswith(b"HTTP/1.1 400")
    assert proxy.connect("127.0.0.1", b"").startswith(b"HTTP/1.1 200")
    assert [o.source_port for o in proxy.origins] != [4242]


def _dns_over_tcp(port: int, source: str, first: bytes) -> dns.message.Message | None:
    """The answer to a query over TCP from ``source`` after ``first``; None when the face closes instead."""
    query = dns.message.make_query("azurecr.cn", "SOA")
    wire = query.to_wire()
    with connect(port, source) as sock:
        sock.sendall(first + struct.pack("!H", len(wire)) + wire)
        data = receive_all(sock) if first == b"" and source == BALANCER else sock.recv(65535)
    if len(data) < 2:
        return None
    answer = dns.message.from_wire(data[2:])
    assert answer.id == query.id and answer.question == query.question
    return answer


def test_dns_over_tcp_behind_the_balancer(arm: Arm, tmp_path: Path) -> None:
    with serving(arm, tmp_path, TRUSTED) as dns_server:
        port = dns_server.ports["internet"]
        direct = _dns_over_tcp(port, "127.0.0.1", b"")
        assert direct is not None
        behind = _dns_over_tcp(port, BALANCER, header_for("198.51.100.7", 4242, port))
        assert behind is not None and behind.rcode() == direct.rcode() and behind.answer == direct.answer
        checked = _dns_over_tcp(port, BALANCER, HEALTH_CHECK)
        assert checked is not None and checked.answer == direct.answer
        assert _dns_over_tcp(port, BALANCER, b"") is None, "the balancer without a header is closed"
