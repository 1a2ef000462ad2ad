"""The DNS face: one UDP+TCP listener per host, each answering with that host's view.

The main DNS port (``endpoints.json`` ``dns``) answers as the internet host; every other host (VMs,
the trusted-service host) gets a port of its own, listed in ``DIR/dns-views.json`` and by
``acrlink hosts``, so a real ``dig -p PORT`` asks as that host. Answers are rendered once per
(host, name, type) and cached until the resource graph changes; a hit only patches ID, RD and the
question's casing. Over UDP a repeated query (the same bytes after its ID) is one lookup, and the
listener reads and answers datagrams straight from its socket (PERFORMANCE-NOTES, bench/dns). Both
caches are bounded by bytes (``Answers``: 32 MiB together, least recently used dropped first).
Over TCP, a connection from a trusted load balancer (``trustedproxy.py``) starts with its PROXY v2 header,
which is taken off before the first message (a connection without one is closed); UDP has no such header.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import socket
import struct
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import dns.rcode
import dns.rdataclass
import dns.rdatatype

from acrlink import trustedproxy
from acrlink.atomic import write_file
from acrlink.dns import wire
from acrlink.dns.cache import ByteLru
from acrlink.domain import dnsview
from acrlink.domain.netgraph import Graph, Host
from acrlink.services.changes import ChangeSignal
from acrlink.settings import Limits
from acrlink.trustedproxy import NO_TRUSTED_PROXIES, TrustedProxies

log = logging.getLogger("acrlink.dns")
ANSWER_BUDGET = 24 * 1024 * 1024
"""Bytes of rendered answers kept, keyed by the normalised question (host, name, type, EDNS)."""
UDP_FAST_PATH_BUDGET = 8 * 1024 * 1024
"""Bytes of remembered UDP queries (the datagram after its ID -> the response after its ID)."""
UDP_FAST_PATH_MAX_QUERY = 512
"""Longer queries (large EDNS options) are answered through the answer cache, not remembered."""
UDP_MAX = 65535
UDP_BATCH = 64
"""Datagrams answered per readiness callback before other work gets the loop."""
UDP_BACKLOG = 1024
"""Responses held while the socket's send buffer is full; more are dropped, as a full network would."""
INTERNET = "internet"

AnswerKey = tuple[str, str, int, bool]
PacketKey = tuple[str, bytes]


PAIR_ATTEMPTS = 32
"""How many free UDP ports ``bind_pair`` tries before it gives up on finding one whose TCP twin is free too."""


def bind_pair(host: str, port: int) -> tuple[socket.socket, socket.socket]:
    """A UDP and a TCP socket bound to the same port (DNS answers on both). Port 0 picks a free UDP port and
    tries another when its TCP twin is taken (another listener's port, or an outgoing connection's: likelier
    with every process of a cluster opening views for every host); a given port that is taken is an OSError."""
    for attempt in range(PAIR_ATTEMPTS):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            udp.bind((host, port))
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                tcp.bind((host, udp.getsockname()[1]))
            except OSError as error:
                tcp.close()
                if port != 0 or error.errno != errno.EADDRINUSE or attempt == PAIR_ATTEMPTS - 1:
                    raise
                udp.close()
                continue
        except BaseException:
            udp.close()
            raise
        return udp, tcp
    raise AssertionError("unreachable")  # the last attempt raises


class Answers:
    """Host name + query packet -> response packet, through the answer cache.

    Two caches, both least-recently-used within a byte budget (32 MiB together, counted with a fixed
    per-entry overhead) and cleared when the resource graph changes: rendered answers keyed by the
    normalised question (lower-cased exact labels, type, EDNS), and the UDP fast path keyed by the
    datagram after its ID. Only a datagram that is exactly one question (and its OPT record), at most
    512 bytes, enters the fast path: trailing junk, or a flood of distinct datagrams, cannot grow
    memory past the budget."""

    def __init__(
        self,
        graph: Callable[[], Graph],
        changes: ChangeSignal,
        answer_budget: int = ANSWER_BUDGET,
        fast_path_budget: int = UDP_FAST_PATH_BUDGET,
    ) -> None:
        self._graph = graph
        self._cache: ByteLru[AnswerKey] = ByteLru(answer_budget, lambda key: len(key[0]) + len(key[1]))
        self.packets: ByteLru[PacketKey] = ByteLru(fast_path_budget, lambda key: len(key[0]) + len(key[1]))
        changes.subscribe(self._clear)

    def _clear(self) -> None:
        self._cache.clear()
        self.packets.clear()

    @property
    def cached_bytes(self) -> int:
        """What both caches hold, as their budgets count it."""
        return self._cache.bytes + self.packets.bytes

    @property
    def budget_bytes(self) -> int:
        return self._cache.budget + self.packets.budget

    @property
    def cached_entries(self) -> int:
        return len(self._cache) + len(self.packets)

    def respond_udp(self, host: str, packet: bytes) -> bytes | None:
        """``respond`` for UDP, remembering an answered query in the fast path (``packets``) when the
        datagram is exactly its question: a repeat with another ID is then one lookup."""
        outcome = self._respond(host, packet, True)
        if outcome is None:
            return None
        response, question = outcome
        if question is not None and question.exact and len(packet) <= UDP_FAST_PATH_MAX_QUERY:
            self.packets.put((host, packet[2:]), response[2:])
        return response

    def respond(self, host: str, packet: bytes, udp: bool) -> bytes | None:
        response = self._respond(host, packet, udp)
        return None if response is None else response[0]

    def _respond(self, host: str, packet: bytes, udp: bool) -> tuple[bytes, wire.Question | None] | None:
        """The response, and the question when it is a view's answer (not an error about the packet)."""
        try:
            question = wire.read_question(packet)
        except wire.Malformed:
            return None
        except wire.FormError as error:
            return wire.error_response(error.ident, error.flags, dns.rcode.FORMERR), None
        if question.opcode != 0:
            return wire.error_response(question.id, question.flags, dns.rcode.NOTIMP, question.question_bytes), None
        if question.qclass != dns.rdataclass.IN or question.qtype in wire.ZONE_TRANSFERS:
            response = wire.error_response(question.id, question.flags, dns.rcode.REFUSED, question.question_bytes)
            return response, None
        key = (host, question.name, question.qtype, question.edns)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._render(host, question)
            self._cache.put(key, cached)
        limit = question.udp_payload if udp else None
        return wire.personalize(cached, question, limit), question

    def _render(self, host_name: str, question: wire.Question) -> bytes:
        graph = self._graph()
        host = graph.host(host_name)
        if host is None:
            answer = dnsview.Answer(dnsview.REFUSED)
        else:
            view = dnsview.view_of(graph, host)
            qtype = dns.rdatatype.to_text(dns.rdatatype.RdataType.make(question.qtype))
            answer = dnsview.resolve(graph, view, question.name, qtype)
        return wire.render(question, answer)


class _Udp:
    """A host's UDP listener: ``recvfrom``/``sendto`` on the socket from the loop's reader callback.

    Cheaper per datagram than a loop's datagram transport (no per-datagram protocol call or context
    copy, several datagrams per wake-up); a repeated query is answered from ``Answers.packets``.
    Responses the kernel cannot take yet wait for the socket to be writable."""

    def __init__(self, loop: asyncio.AbstractEventLoop, sock: socket.socket, answers: Answers, host: str) -> None:
        self._loop, self._sock, self._answers, self._host = loop, sock, answers, host
        self._backlog: deque[tuple[bytes, Any]] = deque()
        self._fd = sock.fileno()
        sock.setblocking(False)
        loop.add_reader(self._fd, self._readable)

    def _readable(self) -> None:
        recvfrom, answers, host = self._sock.recvfrom, self._answers, self._host
        remembered, touch = answers.packets.entries.get, answers.packets.entries.move_to_end
        for _ in range(UDP_BATCH):
            try:
                data, addr = recvfrom(UDP_MAX)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # e.g. an ICMP error reported for an earlier send
                continue
            key = (host, data[2:])
            tail = remembered(key)
            if tail is not None:
                touch(key)
                self._send(data[:2] + tail, addr)
                continue
            response = answers.respond_udp(host, data)
            if response is not None:
                self._send(response, addr)

    def _send(self, response: bytes, addr: Any) -> None:
        if not self._backlog:
            try:
                self._sock.sendto(response, addr)
                return
            except (BlockingIOError, InterruptedError):
                self._loop.add_writer(self._fd, self._writable)
            except OSError:
                return
        if len(self._backlog) < UDP_BACKLOG:
            self._backlog.append((response, addr))

    def _writable(self) -> None:
        while self._backlog:
            response, addr = self._backlog[0]
            try:
                self._sock.sendto(response, addr)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                pass
            self._backlog.popleft()
        self._loop.remove_writer(self._fd)

    def close(self) -> None:
        if self._sock.fileno() >= 0:
            self._loop.remove_reader(self._fd)
            self._loop.remove_writer(self._fd)
            self._sock.close()
        self._backlog.clear()


class _Tcp(asyncio.Protocol):
    """Length-prefixed messages, several per connection. A message must arrive whole within
    ``limits.header_seconds`` of its first byte (or of the connection), a connection is closed after
    ``limits.idle_seconds`` without one, and beyond ``limits.connections`` open on a listener new ones
    are closed at once. From a trusted load balancer, the PROXY v2 header comes first, within the first
    message's time."""

    def __init__(
        self,
        answers: Answers,
        host: str,
        limits: Limits,
        open_now: set[_Tcp],
        trusted: TrustedProxies = NO_TRUSTED_PROXIES,
    ) -> None:
        self._answers, self._host, self._limits, self._open = answers, host, limits, open_now
        self._trusted = trusted
        self._header: trustedproxy.HeaderBuffer | None = None
        self._buffer = b""
        self._transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses.
        self._transport = cast(asyncio.Transport, transport)
        if len(self._open) >= self._limits.connections:
            transport.close()
            return
        self._open.add(self)
        peer = transport.get_extra_info("peername")
        if self._trusted and peer and self._trusted.trusts(str(peer[0])):
            self._header = trustedproxy.HeaderBuffer()
        self._arm(self._limits.header_seconds)

    def _arm(self, seconds: float) -> None:
        if self._timer:
            self._timer.cancel()
        if self._transport:
            self._timer = asyncio.get_running_loop().call_later(seconds, self._transport.close)

    def data_received(self, data: bytes) -> None:
        if self._header is not None:
            try:
                rest = self._header.feed(data)
            except trustedproxy.HeaderError as exc:
                log.warning("DNS over TCP refused a connection from its load balancer: %s", exc)
                if self._transport:
                    self._transport.close()
                return
            if rest is None:
                return
            self._header, data = None, rest
            if not data:
                return
        if not self._buffer:
            self._arm(self._limits.header_seconds)  # a message starts: it has that long to arrive whole
        self._buffer += data
        while len(self._buffer) >= 2:
            length = struct.unpack("!H", self._buffer[:2])[0]
            if len(self._buffer) < 2 + length:
                return
            packet, self._buffer = self._buffer[2 : 2 + length], self._buffer[2 + length :]
            response = self._answers.respond(self._host, packet, udp=False)
            if self._transport is None:
                return
            if response is None:
                self._transport.close()
                return
            self._transport.write(struct.pack("!H", len(response)) + response)
        if not self._buffer:
            self._arm(self._limits.idle_seconds)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer:
            self._timer.cancel()
        self._open.discard(self)
        self._transport = None


class DnsFace:
    """The listeners: the main port for the internet host, and one port per other host."""

    def __init__(
        self,
        answers: Answers,
        hosts: Callable[[], dict[str, Host]],
        changes: ChangeSignal,
        host: str,
        views_path: Path,
        limits: Limits | None = None,
        trusted: TrustedProxies = NO_TRUSTED_PROXIES,
    ) -> None:
        self._answers = answers
        self._limits = limits or Limits()
        self._trusted = trusted
        self._hosts = hosts
        self._host = host
        self._views_path = views_path
        self._listeners: dict[str, tuple[_Udp, asyncio.Server, int]] = {}
        self._pending = False
        self._published: dict[str, int] | None = None
        changes.subscribe(self._schedule_reconcile)

    async def start(self, udp_sock: socket.socket, tcp_sock: socket.socket) -> None:
        await self._listen(INTERNET, udp_sock, tcp_sock)
        await self.reconcile()

    async def _listen(self, host: str, udp_sock: socket.socket, tcp_sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        port = udp_sock.getsockname()[1]
        udp = _Udp(loop, udp_sock, self._answers, host)
        open_now: set[_Tcp] = set()
        server = await loop.create_server(
            lambda: _Tcp(self._answers, host, self._limits, open_now, self._trusted), sock=tcp_sock
        )
        self._listeners[host.lower()] = (udp, server, port)

    def _schedule_reconcile(self) -> None:
        if not self._pending:
            self._pending = True
            asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(self.reconcile()))

    async def reconcile(self) -> None:
        """Open a port for every new host, close those of hosts that are gone, publish the map."""
        self._pending = False
        hosts = self._hosts()
        for name in list(self._listeners):
            if name != INTERNET and name not in hosts:
                transport, server, _ = self._listeners.pop(name)
                transport.close()
                server.close()
        for name, host in hosts.items():
            if name not in self._listeners:
                udp, tcp = bind_pair(self._host, 0)
                await self._listen(host.name, udp, tcp)
        ports = {name: port for name, (_, _, port) in self._listeners.items()}
        if ports != self._published:  # every ARM write reconciles; most change no host
            write_file(self._views_path, json.dumps(ports, indent=2, sort_keys=True).encode())
            self._published = ports

    def close(self) -> None:
        for transport, server, _ in self._listeners.values():
            transport.close()
            server.close()
