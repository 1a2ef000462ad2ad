"""Client addresses from a trusted load balancer: the PROXY protocol v2 header HAProxy sends (``send-proxy-v2``).

HAProxy in TCP mode in front of an acrlink face hides the client: every connection comes from HAProxy. With
``--trusted-proxy ADDR`` a public listener expects a connection from ADDR (an address or a network) to start
with an unsigned PROXY v2 header, and takes its source address as the connection's peer (request logs, the
ASGI scope's ``client``, the proxy's source port). The header only ever sets that peer address: an emulated
origin (network host, path, private endpoint) stays what the signed headers of ``netsim/proxyproto.py`` and
the proxy's own decisions say, so a load balancer's header cannot open a private path.

- A connection from a trusted address without a valid header is refused (closed): the balancer is
  misconfigured, and guessing would log the wrong client.
- A connection from any other address is served as before: a header it sends is just bytes, which the
  face's protocol rejects (a failed TLS handshake, a 400 from the proxy, a DNS message that never ends).

Layout (HAProxy's proxy-protocol.txt, 2.2): the 12-byte signature; version (2) and command (0 LOCAL, 1 PROXY);
address family (0 UNSPEC, 1 INET, 2 INET6, 3 UNIX) and transport (0 UNSPEC, 1 STREAM, 2 DGRAM); the length of
what follows; the addresses (source, destination, source port, destination port); then TLVs. HAProxy's health
checks send LOCAL with family UNSPEC and no addresses: the connection's own endpoints stand. A CRC32C TLV
(HAProxy's ``proxy-v2-options crc32c``), when present, must match.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import struct
from collections.abc import Iterable
from dataclasses import dataclass

SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
FIXED = 16
"""Signature, version/command, family/transport, length."""
MAX_BODY = 4096
"""The longest address block and TLVs taken (HAProxy's own headers are far shorter)."""
_LOCAL, _PROXY = 0x0, 0x1
_INET, _INET6, _UNIX = 0x1, 0x2, 0x3
_STREAM = 0x1
_ADDRESS_BYTES = {_INET: 12, _INET6: 36, _UNIX: 216}
_CRC32C_TLV = 0x03

Peer = tuple[str, int]


class HeaderError(ValueError):
    """Not a PROXY v2 header this face takes from its load balancer."""


def body_length(fixed: bytes) -> int:
    """The length of the rest of a header, from its first 16 bytes; ``HeaderError`` when they are not the
    start of a PROXY v2 header with a known command."""
    if len(fixed) != FIXED or not fixed.startswith(SIGNATURE):
        raise HeaderError("the connection does not start with a PROXY v2 header")
    if fixed[12] >> 4 != 2 or fixed[12] & 0x0F not in (_LOCAL, _PROXY):
        raise HeaderError(f"PROXY header version/command byte 0x{fixed[12]:02x} is not v2 LOCAL or PROXY")
    length = int(struct.unpack("!H", fixed[14:16])[0])
    if length > MAX_BODY:
        raise HeaderError(f"PROXY v2 header of {length} bytes is longer than {MAX_BODY}")
    return length


def parse(header: bytes) -> Peer | None:
    """The client a complete header names: (address, port) for PROXY over TCP on IPv4 or IPv6; None for a
    header that says to keep the connection's own endpoints (LOCAL, as health checks send, or PROXY with an
    unspecified or UNIX family). ``HeaderError`` for anything malformed."""
    body = header[FIXED:]
    if len(body) != body_length(header[:FIXED]):
        raise HeaderError("the PROXY v2 header's length does not match its bytes")
    command, family, transport = header[12] & 0x0F, header[13] >> 4, header[13] & 0x0F
    if command == _LOCAL:  # the proxy's own connection: the rest of the block is to be ignored
        return None
    if family not in (0, *_ADDRESS_BYTES) or transport > 2:
        raise HeaderError(f"PROXY v2 family/transport byte 0x{header[13]:02x} is unknown")
    addresses = _ADDRESS_BYTES.get(family, 0)
    if len(body) < addresses:
        raise HeaderError("the PROXY v2 header is shorter than its addresses")
    _check_tlvs(header, FIXED + addresses)
    if family not in (_INET, _INET6):
        return None
    if transport != _STREAM:
        raise HeaderError("the PROXY v2 header is not for a TCP connection")
    size = 4 if family == _INET else 16
    source = ipaddress.ip_address(body[:size])
    (port,) = struct.unpack("!H", body[2 * size : 2 * size + 2])
    return str(source), int(port)


def _check_tlvs(header: bytes, start: int) -> None:
    """Every TLV fits in the header; a CRC32C TLV matches the header with its value zeroed."""
    position = start
    while position < len(header):
        if position + 3 > len(header):
            raise HeaderError("a PROXY v2 TLV is truncated")
        kind, length = header[position], int(struct.unpack("!H", header[position + 1 : position + 3])[0])
        value_at = position + 3
        if value_at + length > len(header):
            raise HeaderError("a PROXY v2 TLV runs past the header")
        if kind == _CRC32C_TLV:
            if length != 4:
                raise HeaderError("the PROXY v2 CRC32C TLV is not 4 bytes")
            zeroed = header[:value_at] + b"\0\0\0\0" + header[value_at + 4 :]
            if crc32c(zeroed) != int(struct.unpack("!I", header[value_at : value_at + 4])[0]):
                raise HeaderError("the PROXY v2 header's CRC32C does not match")
        position = value_at + length


def _crc32c_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC32C = _crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), the checksum of the PROXY v2 CRC32C TLV."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC32C[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


@dataclass(frozen=True)
class TrustedProxies:
    """The load balancers whose PROXY v2 headers a face takes (``Settings.trusted_proxies``)."""

    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @classmethod
    def of(cls, addresses: Iterable[str]) -> TrustedProxies:
        """From addresses or networks (``127.0.0.2``, ``10.1.0.0/24``); ``ValueError`` for one that is neither."""
        networks = []
        for address in addresses:
            try:
                networks.append(ipaddress.ip_network(address.strip(), strict=False))
            except ValueError:
                raise ValueError(f"trusted proxy {address!r} is not an IP address or network") from None
        return cls(tuple(networks))

    def trusts(self, address: str) -> bool:
        """Whether a connection from ``address`` must start with a header (and its header counts)."""
        if not self.networks:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def __bool__(self) -> bool:
        return bool(self.networks)


NO_TRUSTED_PROXIES = TrustedProxies()


def read_blocking(sock: socket.socket) -> Peer | None:
    """Read exactly one header from a blocking socket (nothing after it) and ``parse`` it; ``HeaderError``
    when the peer closes first or sends something else. The caller bounds the wait."""
    fixed = _recv_exactly(sock, FIXED)
    return parse(fixed + _recv_exactly(sock, body_length(fixed)))


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise HeaderError("the connection closed inside the PROXY v2 header")
        data += chunk
    return data


async def read_async(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> Peer | None:
    """``read_blocking`` for a non-blocking socket on the event loop."""
    fixed = await _sock_recv_exactly(loop, sock, FIXED)
    return parse(fixed + await _sock_recv_exactly(loop, sock, body_length(fixed)))


async def _sock_recv_exactly(loop: asyncio.AbstractEventLoop, sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = await loop.sock_recv(sock, size - len(data))
        if not chunk:
            raise HeaderError("the connection closed inside the PROXY v2 header")
        data += chunk
    return data


class HeaderBuffer:
    """The header at the start of a stream delivered in pieces (an ``asyncio.Protocol``'s ``data_received``)."""

    def __init__(self) -> None:
        self._buffer = b""
        self.peer: Peer | None = None

    def feed(self, data: bytes) -> bytes | None:
        """The bytes after the header once it is complete (``peer`` then set), else None for more;
        ``HeaderError`` as soon as the bytes cannot be a header."""
        self._buffer += data
        if len(self._buffer) < FIXED:
            if not SIGNATURE.startswith(self._buffer[: len(SIGNATURE)]):
                raise HeaderError("the connection does not start with a PROXY v2 header")
            return None
        end = FIXED + body_length(self._buffer[:FIXED])
        if len(self._buffer) < end:
            return None
        self.peer = parse(self._buffer[:end])
        rest, self._buffer = self._buffer[end:], b""
        return rest
