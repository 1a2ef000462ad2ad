"""The DNS face: generated and mutated datagrams (UDP) and messages (TCP) get an answer with the query's
ID and a proper RCODE, or are dropped; never a traceback, and the server keeps answering."""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator

import dns.message
import dns.rcode
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.api.conftest import Arm
from tests.api.dns_face import DnsServer, serving
from tests.api.network_world import NET, world


@pytest.fixture(scope="module")
def dns_server(fuzz_arm: Arm, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DnsServer]:
    world(fuzz_arm, registry="dnsfuzzreg")
    fuzz_arm.request("PUT", f"{NET}/privateDnsZones/privatelink.azurecr.cn", {"location": "global"})
    with serving(fuzz_arm, tmp_path_factory.mktemp("dnsfuzz")) as server:
        yield server


def _query(name: str, qtype: str) -> bytes:
    return dns.message.make_query(name, qtype, use_edns=True).to_wire()


valid = st.builds(
    _query,
    st.sampled_from(
        [
            "dnsfuzzreg.azurecr.cn",
            "privatelink.azurecr.cn",
            "x.privatelink.azurecr.cn",
            "example.com",
            "dnsfuzzreg.chinanorth2.data.azurecr.cn",
            ".",
        ]
    ),
    st.sampled_from(["A", "AAAA", "SOA", "TXT", "CNAME", "NS", "ANY", "AXFR", "PTR", "SRV"]),
)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid query with bytes flipped, cut, or junk appended."""
    data = bytearray(draw(valid))
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        if not data:
            break
        index = draw(st.integers(min_value=0, max_value=len(data) - 1))
        data[index] = draw(st.integers(min_value=0, max_value=255))
    cut = draw(st.integers(min_value=0, max_value=len(data)))
    return bytes(data[:cut]) + draw(st.binary(max_size=30))


@st.composite
def odd_labels(draw: st.DrawFn) -> bytes:
    """Hand-made questions: labels with dots, empty labels, over-long labels, compression loops."""
    labels = draw(
        st.lists(
            st.sampled_from([b"dnsfuzzreg", b"azurecr", b"cn", b"a.b", b"", b"\x00", b"x" * 63, b"privatelink"]),
            max_size=6,
        )
    )
    name = b"".join(bytes([len(label)]) + label for label in labels)
    tail = draw(st.sampled_from([b"\x00", b"\xc0\x0c", b"\xc0\xff", b"", b"\x40"]))
    header = struct.pack(
        ">HHHHHH",
        draw(st.integers(0, 65535)),
        draw(st.integers(0, 65535)),
        draw(st.integers(0, 3)),
        draw(st.integers(0, 2)),
        0,
        draw(st.integers(0, 1)),
    )
    return header + name + tail + struct.pack(">HH", draw(st.integers(0, 300)), draw(st.integers(0, 300)))


def _assert_proper(query: bytes, answer: bytes | None) -> None:
    if answer is None:
        return  # dropped: allowed for what cannot be answered
    assert len(answer) >= 12, answer
    assert answer[:2] == query[:2], "the answer carries the query's ID"
    assert answer[2] & 0x80, "QR is set"
    assert dns.rcode.from_flags(answer[2] << 8 | answer[3], 0) in (
        dns.rcode.NOERROR,
        dns.rcode.NXDOMAIN,
        dns.rcode.FORMERR,
        dns.rcode.REFUSED,
        dns.rcode.NOTIMP,
        dns.rcode.SERVFAIL,
    )
    assert dns.rcode.from_flags(answer[2] << 8 | answer[3], 0) != dns.rcode.SERVFAIL, "no internal failure"


def _still_answers(server: DnsServer) -> None:
    reply = server.ask("internet", "dnsfuzzreg.azurecr.cn")
    assert reply.rcode() == dns.rcode.NOERROR


@given(datagram=st.one_of(valid, mutated(), odd_labels(), st.binary(min_size=2, max_size=120)))
def test_udp_datagrams(dns_server: DnsServer, datagram: bytes) -> None:
    answer = dns_server.raw("internet", datagram, timeout=0.5)
    _assert_proper(datagram, answer)
    _still_answers(dns_server)


@given(
    message=st.one_of(mutated(), odd_labels(), st.binary(min_size=2, max_size=80)),
    declared=st.none() | st.integers(min_value=0, max_value=65535),
)
def test_tcp_messages(dns_server: DnsServer, message: bytes, declared: int | None) -> None:
    """A length prefix that lies (longer than what follows) must be timed out, not hang the face."""
    with socket.create_connection(("127.0.0.1", dns_server.ports["internet"]), timeout=5) as sock:
        size = len(message) if declared is None else declared
        sock.sendall(struct.pack(">H", size) + message)
        if declared is not None and declared != len(message):
            sock.shutdown(socket.SHUT_WR)
        try:
            prefix = sock.recv(2)
        except (TimeoutError, ConnectionResetError):
            prefix = b""
        if len(prefix) == 2:
            (length,) = struct.unpack(">H", prefix)
            body = b""
            while len(body) < length:
                chunk = sock.recv(length - len(body))
                if not chunk:
                    break
                body += chunk
            if declared is None:
                _assert_proper(message, body)
    _still_answers(dns_server)
