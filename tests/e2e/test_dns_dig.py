"""Private zone records as the real ``dig`` sees them from a VM: the apex, long and quoted TXT values
(written by the SDK as sent and by az as it splits them), and a query label that holds a dot."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator

import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pytest

from .conftest import Running, Sdk, start, stop

pytestmark = [pytest.mark.slow, pytest.mark.az]

RG = "rg-dns-dig"
ZONE = "dig.example"
LONG = "".join(chr(ord("a") + i % 26) for i in range(300))
QUOTED = 'say "hi" \\ there'


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, acrlink: Running, az_path: str, trust: None) -> Iterator[Running]:
    from .conftest import sdk_for

    os.environ["ACRLINK_AZ"] = az_path
    running = start(tmp_path_factory.mktemp("dig"), ca_from=acrlink.data_dir)
    sdk: Sdk = sdk_for(running)
    sdk.resources.resource_groups.create_or_update(RG, {"location": "chinanorth2"})
    vnet = sdk.network.virtual_networks.begin_create_or_update(
        RG,
        "vnet1",
        {
            "location": "chinanorth2",
            "properties": {
                "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                "subnets": [{"name": "default", "properties": {"addressPrefix": "10.0.0.0/24"}}],
            },
        },
    ).result()
    sdk.dns.private_zones.begin_create_or_update(RG, ZONE, {"location": "global"}).result()
    sdk.dns.virtual_network_links.begin_create_or_update(
        RG, ZONE, "link1", {"location": "global", "properties": {"virtualNetwork": {"id": vnet.id}}}
    ).result()
    sets = sdk.dns.record_sets
    sets.create_or_update(RG, ZONE, "TXT", "long", {"properties": {"ttl": 60, "txtRecords": [{"value": [LONG]}]}})
    sets.create_or_update(RG, ZONE, "TXT", "quoted", {"properties": {"ttl": 60, "txtRecords": [{"value": [QUOTED]}]}})
    sets.create_or_update(RG, ZONE, "A", "www", {"properties": {"ttl": 60, "aRecords": [{"ipv4Address": "10.0.0.7"}]}})
    running.az(
        "network", "private-dns", "record-set", "txt", "add-record", "-g", RG, "-z", ZONE, "-n", "bycli", "-v", LONG
    )
    running.cli("vm", "create", "digVM", "-g", RG, "--vnet-name", "vnet1", "--subnet", "default")
    yield running
    stop(running)


def dig(net: Running, *args: str) -> str:
    port = json.loads((net.data_dir / "dns-views.json").read_text())["digvm"]
    return subprocess.run(
        ["dig", "@127.0.0.1", "-p", str(port), *args], capture_output=True, text=True, check=True, timeout=30
    ).stdout


def _status(output: str) -> str:
    return output.split("status: ", 1)[1].split(",", 1)[0]


def _txt(net: Running, name: str) -> list[list[bytes]]:
    lines = dig(net, name, "TXT", "+short").splitlines()
    return [list(dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.TXT, line).strings) for line in lines]  # type: ignore[attr-defined]


def test_the_zone_apex_answers_noerror(world: Running) -> None:
    soa = dig(world, ZONE, "SOA", "+noall", "+comments", "+answer")
    assert _status(soa) == "NOERROR"
    assert "azureprivatedns.net. azureprivatedns-host.microsoft.com. 1 3600 300 2419200 10" in soa
    for qtype in ("A", "NS"):
        nodata = dig(world, ZONE, qtype, "+noall", "+comments", "+authority")
        assert _status(nodata) == "NOERROR" and "SOA" in nodata, qtype


def test_a_300_character_txt_value_is_two_strings(world: Running) -> None:
    assert _txt(world, f"long.{ZONE}") == [[LONG[:255].encode(), LONG[255:].encode()]]
    assert _txt(world, f"bycli.{ZONE}") == [[LONG[:255].encode(), LONG[255:].encode()]], "az splits it the same way"


def test_a_txt_value_with_quotes_is_one_string(world: Running) -> None:
    assert _txt(world, f"quoted.{ZONE}") == [[QUOTED.encode()]]


def test_a_label_with_a_dot_is_one_label(world: Running) -> None:
    output = dig(world, f"www\\.{ZONE}", "A")
    assert "malformed" not in output.lower() and "warning" not in output.lower(), output
    assert _status(output) == "REFUSED", "one label 'www.dig' under 'example': outside the zone"
    inside = dig(world, f"a\\.www.{ZONE}", "A")
    assert _status(inside) == "NXDOMAIN" and f";a\\.www.{ZONE}." in inside, inside
    assert dig(world, f"www.{ZONE}", "A", "+short").strip() == "10.0.0.7"
