"""Record set names and values as Azure private DNS accepts them, and the zone-file form they are served in."""

from __future__ import annotations

import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pytest

from acrlink.domain import dnsrecords


@pytest.mark.parametrize("name", ["@", "www", "a.b.c", "*", "*.apps", "_sip._tcp", "x-1", "-x", "x" * 63])
def test_good_record_set_names(name: str) -> None:
    assert dnsrecords.record_name_problem(name, "corp.example") is None


@pytest.mark.parametrize("name", ["", "a..b", ".a", "a.", "x.*", "a*", "a b", "a\\.b", "é", "x" * 64, "@.x", "a/b"])
def test_bad_record_set_names(name: str) -> None:
    assert dnsrecords.record_name_problem(name, "corp.example") == f"The record set name '{name}' is invalid."


def test_a_name_and_its_zone_make_at_most_253_characters() -> None:
    zone = "z" * 40 + ".example"  # 48
    fits = ".".join(["x" * 63, "x" * 63, "y" * 63])  # 191
    assert len(fits) + 1 + len(zone) == 240
    assert dnsrecords.record_name_problem(fits, zone) is None
    longer = fits + ".y" * 7  # 254 with the zone
    problem = dnsrecords.record_name_problem(longer, zone)
    assert problem is not None and "exceed 253 characters" in problem


@pytest.mark.parametrize("value", ["x.example", "x.example.", "_svc.x-1.example", "a", "x" * 63 + ".example"])
def test_good_domain_names(value: str) -> None:
    assert dnsrecords.domain_name_problem(value) is None


@pytest.mark.parametrize("value", ["", ".", "a..b", ".a", "a b", '"x"', "x" * 64, "a.b..", "é.example", 5])
def test_bad_domain_names(value: object) -> None:
    assert dnsrecords.domain_name_problem(value) == f"The domain name '{value}' is invalid."
    assert dnsrecords.domain_name_problem(None) == "The domain name '' is invalid."


def test_the_root_is_a_target_only_where_it_means_none() -> None:
    assert dnsrecords.domain_name_problem(".", allow_root=True) is None
    assert dnsrecords.record_problems("MX", {"preference": 0, "exchange": "."}, "r") == []
    assert dnsrecords.record_problems("SRV", {"priority": 0, "weight": 0, "port": 0, "target": "."}, "r") == []
    assert dnsrecords.record_problems("CNAME", {"cname": "."}, "r") != []
    assert dnsrecords.record_problems("PTR", {"ptrdname": "."}, "r") != []


def test_a_name_longer_than_253_characters_is_refused() -> None:
    value = ".".join(["x" * 63] * 4)  # 255
    assert dnsrecords.domain_name_problem(value) is not None
    assert dnsrecords.domain_name_problem(value[:253]) is None


@pytest.mark.parametrize(
    ("kind", "record", "targets"),
    [
        ("A", {"ipv4Address": "10.0.0.1"}, []),
        ("A", {"ipv4Address": "010.0.0.1"}, ["r.ipv4Address"]),
        ("A", {"ipv4Address": 167772161}, ["r.ipv4Address"]),
        ("A", {}, ["r.ipv4Address"]),
        ("AAAA", {"ipv6Address": "fd00::1"}, []),
        ("AAAA", {"ipv6Address": "fd00::g"}, ["r.ipv6Address"]),
        ("MX", {"preference": 65535, "exchange": "m.x"}, []),
        ("MX", {"preference": True, "exchange": "m..x"}, ["r.preference", "r.exchange"]),
        ("SRV", {"priority": 65536, "weight": -1, "port": "80", "target": "s.x"}, ["r.priority", "r.weight", "r.port"]),
        ("SOA", {"email": "hostmaster.x", "serialNumber": 4294967295, "minimumTtl": 10}, []),
        ("SOA", {"email": "a..b", "refreshTime": 4294967296}, ["r.refreshTime", "r.email"]),
        ("TXT", {"value": ["a" * 1024]}, []),
        ("TXT", {"value": ["a" * 1000, "b" * 25]}, ["r.value"]),
        ("TXT", {"value": [1]}, ["r.value"]),
        ("TXT", {}, []),
        ("CNAME", "x.example", ["r"]),
    ],
)
def test_record_problems_name_every_bad_field(kind: str, record: object, targets: list[str]) -> None:
    assert [t for t, _ in dnsrecords.record_problems(kind, record, "r")] == targets


def test_txt_strings_are_split_at_255_bytes_in_order() -> None:
    assert dnsrecords.txt_strings(["x" * 300]) == [b"x" * 255, b"x" * 45]
    assert dnsrecords.txt_strings(["x" * 255, "y"]) == [b"x" * 255, b"y"]
    assert dnsrecords.txt_strings(["a", "", "b"]) == [b"a", b"", b"b"]
    assert dnsrecords.txt_strings([]) == [b""]
    assert dnsrecords.txt_strings(["中" * 100]) == [("中" * 85).encode(), ("中" * 15).encode()]


@pytest.mark.parametrize(
    "value",
    [
        ["x" * 300],
        ['say "hi"'],
        ["back\\slash"],
        ['"'],
        ["tab\there", "new\nline"],
        ["中文"],
        [],
        ["a", "b"],
        ["( ; @ $"],
    ],
)
def test_the_zone_file_form_reads_back_as_the_same_strings(value: list[str]) -> None:
    (text,) = dnsrecords.presentation("TXT", [{"value": value}])
    rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.TXT, text)
    assert list(rdata.strings) == dnsrecords.txt_strings(value)  # type: ignore[attr-defined]


def test_presentation_of_every_type_reads_back() -> None:
    cases = {
        "A": [{"ipv4Address": "10.0.0.1"}],
        "AAAA": [{"ipv6Address": "fd00::1"}],
        "CNAME": {"cname": "X.Example."},
        "MX": [{"preference": 10, "exchange": "mail.x"}, {"preference": 0, "exchange": "."}],
        "PTR": [{"ptrdname": "host.x."}],
        "SRV": [{"priority": 1, "weight": 2, "port": 3, "target": "s.x"}],
        "SOA": {
            "host": "azureprivatedns.net",
            "email": "azureprivatedns-host.microsoft.com",
            "serialNumber": 1,
            "refreshTime": 3600,
            "retryTime": 300,
            "expireTime": 2419200,
            "minimumTtl": 10,
        },
    }
    expected = {
        "A": ("10.0.0.1",),
        "AAAA": ("fd00::1",),
        "CNAME": ("x.example",),
        "MX": ("10 mail.x.", "0 ."),
        "PTR": ("host.x.",),
        "SRV": ("1 2 3 s.x.",),
        "SOA": ("azureprivatedns.net. azureprivatedns-host.microsoft.com. 1 3600 300 2419200 10",),
    }
    for kind, data in cases.items():
        texts = dnsrecords.presentation(kind, data)
        assert texts == expected[kind]
        for text in texts:
            dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(kind), text, origin=None)
