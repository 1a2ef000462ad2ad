"""PROXY protocol v2 headers from a trusted load balancer: the bytes HAProxy's ``send-proxy-v2`` writes (built
here by hand, field by field), what they say about the client, and every way a header can be wrong."""

from __future__ import annotations

import ipaddress
import socket
import struct

import pytest

from acrlink import trustedproxy
from acrlink.trustedproxy import HeaderBuffer, HeaderError, TrustedProxies, body_length, crc32c, parse

SIG = b"\x0d\x0a\x0d\x0a\x00\x0d\x0a\x51\x55\x49\x54\x0a"


def _v4(src: str, dst: str, sport: int, dport: int) -> bytes:
    return socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!HH", sport, dport)


def _header(ver_cmd: int, fam: int, body: bytes) -> bytes:
    return SIG + bytes([ver_cmd, fam]) + struct.pack("!H", len(body)) + body


def _tlv(kind: int, value: bytes) -> bytes:
    return bytes([kind]) + struct.pack("!H", len(value)) + value


# What HAProxy 2.6 sent in front of a listener for a client on 127.0.0.5:53994 (PROXY, TCP over IPv4) and
# for its own health check (LOCAL, family UNSPEC, no addresses).
HAPROXY_CLIENT = bytes.fromhex("0d0a0d0a000d0a515549540a2111000c7f0000057f000001d2ea49d4")
HAPROXY_CHECK = bytes.fromhex("0d0a0d0a000d0a515549540a20000000")


def test_a_client_behind_haproxy_is_the_header_source() -> None:
    assert _header(0x21, 0x11, _v4("127.0.0.5", "127.0.0.1", 53994, 18900)) == HAPROXY_CLIENT
    assert parse(HAPROXY_CLIENT) == ("127.0.0.5", 53994)


def test_a_health_check_keeps_the_connection_own_peer() -> None:
    assert parse(HAPROXY_CHECK) is None


def test_local_ignores_whatever_block_follows() -> None:
    assert parse(_header(0x20, 0x11, _v4("10.9.9.9", "10.0.0.1", 1, 2))) is None
    assert parse(_header(0x20, 0x00, b"\xff\xff")) is None


def test_ipv6_client() -> None:
    body = (ipaddress.IPv6Address("2001:db8::7").packed + ipaddress.IPv6Address("2001:db8::1").packed) + struct.pack(
        "!HH", 40000, 443
    )
    assert parse(_header(0x21, 0x21, body)) == ("2001:db8::7", 40000)


def test_unspecified_and_unix_families_keep_the_connection_own_peer() -> None:
    assert parse(_header(0x21, 0x00, b"")) is None
    unix = b"/run/a.sock".ljust(108, b"\0") + b"/run/b.sock".ljust(108, b"\0")
    assert parse(_header(0x21, 0x31, unix)) is None


def test_tlvs_after_the_addresses_are_skipped() -> None:
    tlvs = _tlv(0x01, b"h2") + _tlv(0x02, b"reg.azurecr.cn") + _tlv(0x04, b"\0\0\0") + _tlv(0x05, b"id-1")
    header = _header(0x21, 0x11, _v4("192.0.2.10", "192.0.2.1", 1234, 443) + tlvs)
    assert parse(header) == ("192.0.2.10", 1234)


def test_crc32c_of_the_standard_check_string() -> None:
    assert crc32c(b"123456789") == 0xE3069283


def _with_crc(addresses: bytes, corrupt: bool = False) -> bytes:
    unsigned = _header(0x21, 0x11, addresses + _tlv(0x03, b"\0\0\0\0"))
    value = crc32c(unsigned) ^ (1 if corrupt else 0)
    return unsigned[:-4] + struct.pack("!I", value)


def test_a_matching_crc32c_is_accepted_and_a_wrong_one_refused() -> None:
    addresses = _v4("198.51.100.4", "198.51.100.1", 5555, 443)
    assert parse(_with_crc(addresses)) == ("198.51.100.4", 5555)
    with pytest.raises(HeaderError, match="CRC32C"):
        parse(_with_crc(addresses, corrupt=True))


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\n", "does not start"),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(5), "does not start"),  # a TLS ClientHello
        (SIG + b"\x11\x11\x00\x0c", "version"),  # version 1 in the binary format
        (SIG + b"\x22\x11\x00\x0c", "command"),  # command 2
        (SIG + b"\x21\x11\x10\x01", "longer than"),
    ],
)
def test_what_is_not_a_v2_header_start(header: bytes, message: str) -> None:
    with pytest.raises(HeaderError, match=message):
        body_length(header[:16])


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (HAPROXY_CLIENT[:-1], "length"),
        (HAPROXY_CLIENT + b"x", "length"),
        (_header(0x21, 0x11, _v4("1.2.3.4", "5.6.7.8", 1, 2)[:8]), "shorter than its addresses"),
        (_header(0x21, 0x41, _v4("1.2.3.4", "5.6.7.8", 1, 2)), "unknown"),
        (_header(0x21, 0x13, _v4("1.2.3.4", "5.6.7.8", 1, 2)), "unknown"),
        (_header(0x21, 0x12, _v4("1.2.3.4", "5.6.7.8", 1, 2)), "not for a TCP"),
        (_header(0x21, 0x11, _v4("1.2.3.4", "5.6.7.8", 1, 2) + b"\x01\x00"), "truncated"),
        (_header(0x21, 0x11, _v4("1.2.3.4", "5.6.7.8", 1, 2) + b"\x02\x00\x09abc"), "runs past"),
        (_header(0x21, 0x11, _v4("1.2.3.4", "5.6.7.8", 1, 2) + _tlv(0x03, b"\0\0")), "not 4 bytes"),
    ],
)
def test_malformed_headers_are_refused(header: bytes, message: str) -> None:
    with pytest.raises(HeaderError, match=message):
        parse(header)


def test_a_header_delivered_byte_by_byte_then_the_stream() -> None:
    buffer = HeaderBuffer()
    stream = HAPROXY_CLIENT + b"\x00\x1dDNS"
    for index, byte in enumerate(stream[: len(HAPROXY_CLIENT) - 1]):
        assert buffer.feed(bytes([byte])) is None, index
    assert buffer.feed(stream[len(HAPROXY_CLIENT) - 1 :]) == b"\x00\x1dDNS"
    assert buffer.peer == ("127.0.0.5", 53994)


def test_a_stream_that_cannot_be_a_header_is_refused_at_its_first_bytes() -> None:
    with pytest.raises(HeaderError):
        HeaderBuffer().feed(b"\x00\x1d")
    with pytest.raises(HeaderError):
        HeaderBuffer().feed(b"\r\n\r\nX")


def test_a_health_check_in_pieces_leaves_no_peer() -> None:
    buffer = HeaderBuffer()
    assert buffer.feed(HAPROXY_CHECK[:7]) is None
    assert buffer.feed(HAPROXY_CHECK[7:]) == b""
    assert buffer.peer is None


def test_trusted_addresses_and_networks() -> None:
    trusted = TrustedProxies.of(["127.0.0.2", "10.1.0.0/24", "fd00::1"])
    assert trusted
    assert trusted.trusts("127.0.0.2") and trusted.trusts("10.1.0.77") and trusted.trusts("fd00::1")
    assert not trusted.trusts("127.0.0.1") and not trusted.trusts("10.1.1.1") and not trusted.trusts("not-an-ip")
    assert not trustedproxy.NO_TRUSTED_PROXIES and not trustedproxy.NO_TRUSTED_PROXIES.trusts("127.0.0.2")
    with pytest.raises(ValueError, match="'haproxy.local' is not an IP address or network"):
        TrustedProxies.of(["haproxy.local"])


def test_read_blocking_takes_exactly_the_header() -> None:
    left, right = socket.socketpair()
    with left, right:
        left.sendall(HAPROXY_CLIENT + b"\x16\x03\x01")
        assert trustedproxy.read_blocking(right) == ("127.0.0.5", 53994)
        assert right.recv(10) == b"\x16\x03\x01"
        left.sendall(HAPROXY_CLIENT[:10])
        left.shutdown(socket.SHUT_WR)
        with pytest.raises(HeaderError, match="closed inside"):
            trustedproxy.read_blocking(right)
