"""The DNS face answered with real DNS queries (dnspython) to an in-process listener: the zone apex,
labels taken exactly, every record ARM accepted served as it was written, and a bounded answer cache."""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import pytest

from .conftest import Arm, make_arm
from .dns_face import DnsServer, serving
from .network_world import NET, vnet_body

ZONE = "corp.example"
ZONE_PATH = f"{NET}/privateDnsZones/{ZONE}"
LONG = "".join(chr(ord("a") + i % 26) for i in range(300))


def _world(arm: Arm, records: dict[str, dict[str, Any]]) -> None:
    """A VNet with a VM (a NIC tagged acrlink-vm), the zone linked to it, and record sets (path -> body)."""
    arm.group()
    assert arm.request(
        "PUT", f"{NET}/virtualNetworks/myvnet", vnet_body(subnets=[("default", "10.0.0.0/24")])
    ).is_success
    subnet = (
        f"/subscriptions/{arm.sub}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/myvnet/subnets/default"
    )
    nic = {
        "location": "chinanorth2",
        "tags": {"acrlink-vm": "myVM"},
        "properties": {"ipConfigurations": [{"name": "ipconfig1", "properties": {"subnet": {"id": subnet}}}]},
    }
    assert arm.request("PUT", f"{NET}/networkInterfaces/myVMVMNic", nic).is_success
    assert arm.request("PUT", ZONE_PATH, {"location": "global"}).status_code == 201
    vnet = f"/subscriptions/{arm.sub}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/myvnet"
    link = {"location": "global", "properties": {"virtualNetwork": {"id": vnet}, "registrationEnabled": False}}
    assert arm.request("PUT", f"{ZONE_PATH}/virtualNetworkLinks/mylink", link).status_code == 201
    for path, body in records.items():
        put = arm.request("PUT", f"{ZONE_PATH}/{path}", body)
        assert put.status_code == 201, put.text


RECORDS = {
    "A/www": {"properties": {"ttl": 300, "aRecords": [{"ipv4Address": "10.0.0.7"}]}},
    "A/app.east.svc": {"properties": {"ttl": 300, "aRecords": [{"ipv4Address": "10.0.0.8"}]}},
    "TXT/long": {"properties": {"ttl": 60, "txtRecords": [{"value": [LONG]}]}},
    "TXT/quoted": {"properties": {"ttl": 60, "txtRecords": [{"value": ['say "hi" \\ there']}]}},
    "TXT/parts": {"properties": {"ttl": 60, "txtRecords": [{"value": ["one", "two"]}, {"value": ["中文"]}]}},
    "MX/@": {"properties": {"ttl": 60, "mxRecords": [{"preference": 10, "exchange": "mail.corp.example"}]}},
    "A/*.apps": {"properties": {"ttl": 30, "aRecords": [{"ipv4Address": "10.0.0.9"}]}},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Arm, DnsServer]]:
    data_dir: Path = tmp_path_factory.mktemp("dnsface")
    for arm in make_arm(data_dir):
        _world(arm, RECORDS)
        with serving(arm, data_dir) as dns_server:
            yield arm, dns_server


def _txt(response: dns.message.Message) -> list[list[bytes]]:
    return [list(rdata.strings) for rrset in response.answer for rdata in rrset]


def test_the_apex_answers_its_soa_and_nodata_for_other_types(server: tuple[Arm, DnsServer]) -> None:
    arm, dns_server = server
    soa = dns_server.ask("myVM", f"{ZONE}.", "SOA")
    assert soa.rcode() == dns.rcode.NOERROR
    assert [(r.rdtype, r.ttl) for r in soa.answer] == [(dns.rdatatype.SOA, 3600)]
    record = soa.answer[0][0]
    stored = arm.request("GET", f"{ZONE_PATH}/SOA/@").json()["properties"]["soaRecord"]
    assert (record.mname.to_text(), record.rname.to_text()) == (f"{stored['host']}.", f"{stored['email']}.")
    assert (record.serial, record.refresh, record.retry, record.expire, record.minimum) == (
        stored["serialNumber"],
        stored["refreshTime"],
        stored["retryTime"],
        stored["expireTime"],
        stored["minimumTtl"],
    )
    for qtype in ("A", "NS", "AAAA", "TXT"):
        nodata = dns_server.ask("myVM", f"{ZONE}.", qtype)
        assert nodata.rcode() == dns.rcode.NOERROR, qtype
        assert nodata.answer == [] and [r.rdtype for r in nodata.authority] == [dns.rdatatype.SOA], qtype
    assert [r.exchange.to_text() for r in dns_server.ask("myVM", f"{ZONE}.", "MX").answer[0]] == [f"mail.{ZONE}."]


def test_an_empty_non_terminal_exists_and_a_missing_name_does_not(server: tuple[Arm, DnsServer]) -> None:
    _, dns_server = server
    between = dns_server.ask("myVM", f"east.svc.{ZONE}.")
    assert (between.rcode(), between.answer) == (dns.rcode.NOERROR, [])
    missing = dns_server.ask("myVM", f"nothing.{ZONE}.")
    assert missing.rcode() == dns.rcode.NXDOMAIN
    assert [r.rdtype for r in missing.authority] == [dns.rdatatype.SOA]


def test_a_wildcard_record_set_answers_the_names_below_it(server: tuple[Arm, DnsServer]) -> None:
    _, dns_server = server
    response = dns_server.ask("myVM", f"anything.apps.{ZONE}.")
    assert [(r.name.to_text(), r.ttl, r[0].address) for r in response.answer] == [
        (f"anything.apps.{ZONE}.", 30, "10.0.0.9")
    ]


def test_txt_values_are_served_as_arm_stored_them(server: tuple[Arm, DnsServer]) -> None:
    _, dns_server = server
    for tcp in (False, True):
        assert _txt(dns_server.ask("myVM", f"long.{ZONE}.", "TXT", tcp=tcp)) == [
            [LONG[:255].encode(), LONG[255:].encode()]
        ]
        assert _txt(dns_server.ask("myVM", f"quoted.{ZONE}.", "TXT", tcp=tcp)) == [[b'say "hi" \\ there']]
        assert sorted(_txt(dns_server.ask("myVM", f"parts.{ZONE}.", "TXT", tcp=tcp))) == sorted(
            [[b"one", b"two"], ["中文".encode()]]
        )


@pytest.mark.parametrize(
    ("labels", "rcode"),
    [
        ([b"www.corp", b"example"], dns.rcode.REFUSED),  # "www.corp" under "example": outside the zone
        ([b"a.b", b"corp", b"example"], dns.rcode.NXDOMAIN),
        ([b"app.east", b"svc", b"corp", b"example"], dns.rcode.NXDOMAIN),  # not app.east.svc
        ([b".", b"corp", b"example"], dns.rcode.NXDOMAIN),  # only a dot (text splitting makes it empty)
        ([b"x\\", b"corp", b"example"], dns.rcode.NXDOMAIN),
        ([b"\xff\x00", b"corp", b"example"], dns.rcode.NXDOMAIN),
    ],
)
def test_labels_are_taken_exactly(server: tuple[Arm, DnsServer], labels: list[bytes], rcode: int) -> None:
    _, dns_server = server
    name = dns.name.Name([*labels, b""])
    for tcp in (False, True):
        response = dns_server.ask("myVM", name, tcp=tcp)
        assert response.question[0].name == name
        assert response.answer == []
        assert response.rcode() == rcode
    # The exact name still answers: "www" under the zone is a different name.
    assert dns_server.ask("myVM", f"www.{ZONE}.").answer[0][0].address == "10.0.0.7"
    assert dns_server.ask("myVM", f"app.east.svc.{ZONE}.").answer[0][0].address == "10.0.0.8"


def test_a_label_with_a_dot_outside_the_emulated_names_is_refused(server: tuple[Arm, DnsServer]) -> None:
    _, dns_server = server
    name = dns.name.Name([b"myregistry", b"privatelink.azurecr", b"cn", b""])
    response = dns_server.ask("internet", name)
    assert response.question[0].name == name
    assert response.rcode() == dns.rcode.REFUSED


def _junk_query(ident: int, junk: bytes, name: bytes = b"\x03www\x04corp\x07example\x00") -> bytes:
    return struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + name + struct.pack("!HH", 1, 1) + junk


def test_trailing_junk_is_answered_without_being_remembered(tmp_path: Path) -> None:
    """A stream of distinct junk after one question leaves one answer in the cache, and the cache stays
    under its byte budget."""
    for arm in make_arm(tmp_path):
        _world(arm, RECORDS)
        answers = arm.application.dns
        with serving(arm, tmp_path) as dns_server:
            port = dns_server.ports["myvm"]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.settimeout(5)
                answered, window, total = 0, 64, 100_000
                for start in range(0, total, window):
                    for ident in range(start, min(start + window, total)):
                        junk = ident.to_bytes(4, "big") * 64
                        sock.sendto(_junk_query(ident & 0xFFFF, junk), ("127.0.0.1", port))
                    for _ in range(min(window, total - start)):
                        reply = dns.message.from_wire(sock.recv(65535))
                        assert reply.answer[0][0].address == "10.0.0.7"
                        answered += 1
            assert answered == total
            assert answers.cached_bytes <= answers.budget_bytes
            assert answers.cached_entries <= 2, "one answer for the question, not one per datagram"
