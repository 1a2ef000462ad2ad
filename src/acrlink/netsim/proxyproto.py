"""PROXY protocol v2 headers that carry a connection's origin, signed so only acrlink can write them.

Layout (haproxy's proxy-protocol.txt, section 2.2): 12-byte signature, version/command, family,
length, IPv4 addresses and ports, then TLVs. acrlink adds:
- ``PP2_TYPE_AUTHORITY`` (0x02): the host name the client asked the proxy for;
- 0xE0 (custom): the origin as JSON (network host, path, region, private endpoint link id);
- 0xEF (custom, last): HMAC-SHA256 over every byte before it, keyed with the data dir's key.
A header whose signature does not verify is refused: a client cannot forge its origin.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import struct
from dataclasses import asdict, dataclass

SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
HEADER_FIXED = 16
MAX_LENGTH = 4096
_AUTHORITY, _ORIGIN, _MAC = 0x02, 0xE0, 0xEF


class ProxyHeaderError(Exception):
    """Not a valid, signed PROXY v2 header."""


@dataclass(frozen=True)
class Origin:
    """Where a connection comes from, as the network decided it."""

    source: str
    source_port: int
    authority: str
    host: str = "internet"
    """The emulated network position (``internet`` or a VM's name)."""
    path: str = "public"
    """``public`` or ``private`` (through a private endpoint)."""
    region: str | None = None
    link_id: str | None = None


def _tlv(kind: int, value: bytes) -> bytes:
    return struct.pack("!BH", kind, len(value)) + value


def encode(origin: Origin, destination: tuple[str, int], key: bytes) -> bytes:
    """A signed PROXY v2 header (command PROXY, TCP over IPv4) for ``origin``."""
    addresses = struct.pack(
        "!4s4sHH",
        ipaddress.IPv4Address(origin.source).packed,
        ipaddress.IPv4Address(destination[0]).packed,
        origin.source_port,
        destination[1],
    )
    tlvs = _tlv(_AUTHORITY, origin.authority.encode()) + _tlv(
        _ORIGIN, json.dumps(asdict(origin), separators=(",", ":")).encode()
    )
    length = len(addresses) + len(tlvs) + 3 + 32
    unsigned = SIGNATURE + bytes([0x21, 0x11]) + struct.pack("!H", length) + addresses + tlvs
    mac = hmac.new(key, unsigned, hashlib.sha256).digest()
    return unsigned + _tlv(_MAC, mac)


def body_length(fixed: bytes) -> int:
    """The length of the rest of a header, from its first 16 bytes."""
    if len(fixed) != HEADER_FIXED or not fixed.startswith(SIGNATURE) or fixed[12] != 0x21:
        raise ProxyHeaderError("not a PROXY v2 header")
    length = int(struct.unpack("!H", fixed[14:16])[0])
    if length > MAX_LENGTH:
        raise ProxyHeaderError("PROXY v2 header too long")
    return length


def decode(header: bytes, key: bytes) -> Origin:
    """The origin of a complete header this key signed."""
    body = header[HEADER_FIXED:]
    if len(body) != body_length(header[:HEADER_FIXED]) or len(body) < 12 + 35:
        raise ProxyHeaderError("truncated PROXY v2 header")
    mac_at = len(header) - 35
    if header[mac_at] != _MAC or not hmac.compare_digest(
        hmac.new(key, header[:mac_at], hashlib.sha256).digest(), header[mac_at + 3 :]
    ):
        raise ProxyHeaderError("PROXY v2 header is not signed by acrlink")
    position, fields = HEADER_FIXED + 12, {}
    while position < mac_at:
        kind, length = struct.unpack("!BH", header[position : position + 3])
        fields[kind] = header[position + 3 : position + 3 + length]
        position += 3 + length
    try:
        return Origin(**json.loads(fields[_ORIGIN]))
    except (KeyError, ValueError, TypeError) as exc:
        raise ProxyHeaderError(f"PROXY v2 origin TLV is malformed ({exc})") from None
