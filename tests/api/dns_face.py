"""The DNS face in-process on ephemeral ports, in a thread of its own, asked with dnspython."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dns.message
import dns.name
import dns.query
import dns.rdatatype

from acrlink.dns.server import DnsFace
from acrlink.trustedproxy import NO_TRUSTED_PROXIES, TrustedProxies

from .conftest import Arm


class DnsServer:
    def __init__(self, ports: dict[str, int]) -> None:
        self.ports = ports

    def ask(self, host: str, name: str | dns.name.Name, qtype: str = "A", tcp: bool = False) -> dns.message.Message:
        query = dns.message.make_query(name, dns.rdatatype.from_text(qtype))
        send = dns.query.tcp if tcp else dns.query.udp
        return send(query, "127.0.0.1", port=self.ports[host.lower()], timeout=3)

    def raw(self, host: str, datagram: bytes, timeout: float = 3) -> bytes | None:
        """One datagram out, its answer back (None if there is none within ``timeout``)."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(timeout)
            sock.sendto(datagram, ("127.0.0.1", self.ports[host.lower()]))
            try:
                return sock.recv(65535)
            except TimeoutError:
                return None


@contextmanager
def serving(arm: Arm, data_dir: Path, trusted: TrustedProxies = NO_TRUSTED_PROXIES) -> Iterator[DnsServer]:
    """Start the DNS face for the world ``arm`` built (write the world first: the face follows hosts), behind
    ``trusted`` load balancers."""
    application = arm.application
    loop = asyncio.new_event_loop()
    started = threading.Event()
    views = data_dir / "dns-views.json"
    face = DnsFace(
        application.dns,
        application.graphs.hosts,
        application.signal,
        "127.0.0.1",
        views,
        application.settings.limits,
        trusted,
    )

    def run() -> None:
        asyncio.set_event_loop(loop)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.bind(("127.0.0.1", udp.getsockname()[1]))
        loop.run_until_complete(face.start(udp, tcp))
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(10), "the DNS face did not start"
    try:
        yield DnsServer(json.loads(views.read_text()))
    finally:
        loop.call_soon_threadsafe(face.close)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
