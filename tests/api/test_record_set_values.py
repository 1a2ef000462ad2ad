"""Record set names and values through ARM: what Azure private DNS refuses is refused (400 BadRequest,
every problem named), and what it accepts is stored as sent."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Arm, error_code
from .network_world import NET

ZONE_PATH = f"{NET}/privateDnsZones/corp.example"


@pytest.fixture
def zone(arm: Arm) -> Arm:
    arm.group()
    assert arm.request("PUT", ZONE_PATH, {"location": "global"}).status_code == 201
    return arm


def _put(arm: Arm, path: str, props: dict[str, Any]) -> Any:
    return arm.request("PUT", f"{ZONE_PATH}/{path}", {"properties": props})


REFUSED = [
    ("CNAME/alias", {"ttl": 60, "cnameRecord": {"cname": "a..b"}}, "The domain name 'a..b' is invalid."),
    (
        "CNAME/alias",
        {"ttl": 60, "cnameRecord": {"cname": '"x.example"'}},
        "The domain name '\"x.example\"' is invalid.",
    ),
    ("CNAME/alias", {"ttl": 60, "cnameRecord": {"cname": "x" * 64 + ".example"}}, "is invalid."),
    ("CNAME/alias", {"ttl": 60, "cnameRecord": {"cname": "."}}, "The domain name '.' is invalid."),
    ("MX/@", {"ttl": 60, "mxRecords": [{"preference": 10, "exchange": "mail..corp"}]}, "is invalid."),
    ("MX/@", {"ttl": 60, "mxRecords": [{"preference": 70000, "exchange": "mail.corp"}]}, "between 0 and 65535"),
    (
        "SRV/_sip._tcp",
        {"ttl": 60, "srvRecords": [{"priority": 1, "weight": 1, "port": -1, "target": "s.corp"}]},
        "between 0 and 65535",
    ),
    (
        "SRV/_sip._tcp",
        {"ttl": 60, "srvRecords": [{"priority": 1, "weight": 1, "port": 5060, "target": "s corp"}]},
        "is invalid.",
    ),
    ("PTR/4", {"ttl": 60, "ptrRecords": [{"ptrdname": "host..corp"}]}, "is invalid."),
    ("TXT/big", {"ttl": 60, "txtRecords": [{"value": ["x" * 1025]}]}, "may not exceed 1024 characters"),
    ("TXT/big", {"ttl": 60, "txtRecords": [{"value": ["x" * 600, "y" * 600]}]}, "may not exceed 1024 characters"),
    ("TXT/big", {"ttl": 60, "txtRecords": [{"value": "not a list"}]}, "must be a list of strings"),
    ("A/www", {"ttl": 60, "aRecords": [{"ipv4Address": 167772164}]}, "is not a valid IPv4 address"),
    ("A/www", {"ttl": 60, "aRecords": [{"ipv4Address": "10.0.0.256"}]}, "is not a valid IPv4 address"),
    ("AAAA/www", {"ttl": 60, "aaaaRecords": [{"ipv6Address": "10.0.0.1"}]}, "is not a valid IPv6 address"),
    ("A/www", {"ttl": -1, "aRecords": [{"ipv4Address": "10.0.0.1"}]}, "out of range"),
    ("A/www", {"ttl": 2147483648, "aRecords": [{"ipv4Address": "10.0.0.1"}]}, "out of range"),
    ("A/www", {"ttl": 60, "aRecords": [{"ipv4Address": f"10.0.0.{i}"} for i in range(21)]}, "at most 20 records"),
    ("A/a..b", {"ttl": 60, "aRecords": [{"ipv4Address": "10.0.0.1"}]}, "The record set name 'a..b' is invalid."),
    ("A/x.*", {"ttl": 60, "aRecords": [{"ipv4Address": "10.0.0.1"}]}, "The record set name 'x.*' is invalid."),
    ("A/" + "x" * 64, {"ttl": 60, "aRecords": [{"ipv4Address": "10.0.0.1"}]}, "is invalid."),
    ("A/" + ".".join(["x" * 63] * 4), {"ttl": 60, "aRecords": [{"ipv4Address": "10.0.0.1"}]}, "exceed 253 characters"),
    ("CNAME/@", {"ttl": 60, "cnameRecord": {"cname": "x.example"}}, "apex"),
]


@pytest.mark.parametrize(("path", "props", "words"), REFUSED)
def test_what_azure_refuses_is_refused(zone: Arm, path: str, props: dict[str, Any], words: str) -> None:
    response = _put(zone, path, props)
    assert (response.status_code, error_code(response)) == (400, "BadRequest"), response.text
    assert words in response.json()["error"]["message"]
    assert zone.request("GET", f"{ZONE_PATH}/{path}").status_code == 404, "nothing was stored"


def test_every_bad_record_is_named_once(zone: Arm) -> None:
    response = _put(
        zone,
        "MX/@",
        {
            "ttl": 60,
            "mxRecords": [
                {"preference": 10, "exchange": "ok.corp"},
                {"preference": 99999, "exchange": "a..b"},
                {"preference": 20, "exchange": "c..d"},
            ],
        },
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"] == "The value '99999' of 'preference' must be between 0 and 65535."
    assert [d["target"] for d in error["details"]] == [
        "properties.mxRecords[1].preference",
        "properties.mxRecords[1].exchange",
        "properties.mxRecords[2].exchange",
    ]


def test_a_patch_is_validated_too(zone: Arm) -> None:
    assert _put(zone, "CNAME/alias", {"ttl": 60, "cnameRecord": {"cname": "x.example"}}).status_code == 201
    patch = zone.request("PATCH", f"{ZONE_PATH}/CNAME/alias", {"properties": {"cnameRecord": {"cname": "a..b"}}})
    assert (patch.status_code, error_code(patch)) == (400, "BadRequest")
    soa = zone.request("PATCH", f"{ZONE_PATH}/SOA/@", {"properties": {"soaRecord": {"email": "bad..mail"}}})
    assert (soa.status_code, error_code(soa)) == (400, "BadRequest")


ACCEPTED = [
    ("TXT/long", {"ttl": 60, "txtRecords": [{"value": ["x" * 300]}]}),
    ("TXT/full", {"ttl": 60, "txtRecords": [{"value": ["x" * 1024]}, {"value": ["a" * 255, "b" * 255]}]}),
    ("TXT/quoted", {"ttl": 60, "txtRecords": [{"value": ['say "hi" \\ there']}]}),
    ("TXT/empty", {"ttl": 60, "txtRecords": [{"value": []}]}),
    ("CNAME/alias", {"ttl": 0, "cnameRecord": {"cname": "_svc.other-zone.example."}}),
    ("MX/@", {"ttl": 2147483647, "mxRecords": [{"preference": 0, "exchange": "."}]}),
    ("SRV/_sip._tcp", {"ttl": 60, "srvRecords": [{"priority": 0, "weight": 65535, "port": 5060, "target": "s.corp"}]}),
    ("PTR/4.0", {"ttl": 60, "ptrRecords": [{"ptrdname": "host.corp.example"}]}),
    ("A/*", {"ttl": 60, "aRecords": [{"ipv4Address": f"10.0.0.{i}"} for i in range(20)]}),
    ("A/*.apps", {"ttl": 60, "aRecords": [{"ipv4Address": "10.0.0.1"}]}),
    ("AAAA/v6", {"ttl": 60, "aaaaRecords": [{"ipv6Address": "fd00::1"}]}),
    ("A/" + ".".join(["x" * 63] * 3), {"ttl": 60, "aRecords": [{"ipv4Address": "10.0.0.1"}]}),
]


@pytest.mark.parametrize(("path", "props"), ACCEPTED)
def test_what_azure_accepts_is_stored_as_sent(zone: Arm, path: str, props: dict[str, Any]) -> None:
    response = _put(zone, path, props)
    assert response.status_code == 201, response.text
    stored = zone.request("GET", f"{ZONE_PATH}/{path}").json()["properties"]
    for key, value in props.items():
        assert stored[key] == value


def test_a_cname_set_shares_its_name_with_no_other_set(zone: Arm) -> None:
    """Azure DNS's 409s: a CNAME is the only data at its name (RFC 1034 3.6.2)."""
    assert _put(zone, "A/www", {"ttl": 60, "aRecords": [{"ipv4Address": "10.0.0.1"}]}).status_code == 201
    cname = _put(zone, "CNAME/WWW", {"ttl": 60, "cnameRecord": {"cname": "x.example"}})
    assert (cname.status_code, error_code(cname)) == (409, "Conflict")
    assert cname.json()["error"]["message"] == (
        "The CNAME record could not be created because another record with the same name already exists in this zone."
    )
    assert _put(zone, "CNAME/alias", {"ttl": 60, "cnameRecord": {"cname": "x.example"}}).status_code == 201
    txt = _put(zone, "TXT/Alias", {"ttl": 60, "txtRecords": [{"value": ["v"]}]})
    assert (txt.status_code, error_code(txt)) == (409, "Conflict")
    assert txt.json()["error"]["message"] == (
        "The record could not be created because a CNAME record with the same name already exists in this zone."
    )
    assert _put(zone, "CNAME/alias", {"ttl": 30, "cnameRecord": {"cname": "y.example"}}).status_code == 200


def test_zone_names_need_two_to_34_labels(arm: Arm) -> None:
    arm.group()
    single = arm.request("PUT", f"{NET}/privateDnsZones/corp", {"location": "global"})
    assert (single.status_code, error_code(single)) == (400, "BadRequest")
    assert single.json()["error"]["message"] == (
        "The zone name 'corp' does not have enough labels. Zone names must have two or more labels."
    )
    deep = ".".join(["a"] * 35)
    too_deep = arm.request("PUT", f"{NET}/privateDnsZones/{deep}", {"location": "global"})
    assert (too_deep.status_code, error_code(too_deep)) == (400, "BadRequest")
    assert arm.request("PUT", f"{NET}/privateDnsZones/{deep[2:]}", {"location": "global"}).status_code == 201
