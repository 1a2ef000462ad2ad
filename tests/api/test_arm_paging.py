"""Every ARM list pages the same way: ``$top`` sizes a page, ``nextLink`` carries on with ``$skiptoken``, and
following it gives the whole list, nothing lost and nothing twice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from .conftest import Arm, make_arm
from .network_world import NET, create_endpoint, vnet_body, world

RG = "/subscriptions/{sub}/resourceGroups/rg"
ACR = f"{RG}/providers/Microsoft.ContainerRegistry/registries"
ZONE = f"{NET}/privateDnsZones/privatelink.azurecr.cn"


@pytest.fixture
def populated(tmp_path: Path) -> Iterator[Arm]:
    """Three or more of every listed type (page size 2, so every list has several pages)."""
    for arm in make_arm(tmp_path, page_size=2):
        world(arm)
        for index in range(2):
            arm.group(f"extra{index}")
        for name in ("myregistry2", "myregistry3"):
            assert arm.request("PUT", f"{ACR}/{name}", {"location": "chinanorth2", "sku": {"name": "Premium"}})
        for region in ("chinaeast2", "chinanorth3", "chinaeast3"):
            put = arm.request("PUT", f"{ACR}/myregistry/replications/{region}", {"location": region})
            assert put.status_code in (200, 201), put.text
        subnets = [(f"s{i}", f"10.1.{i}.0/24") for i in range(3)]
        for vnet, prefix in (("peer1", "10.1.0.0/16"), ("peer2", "10.2.0.0/16"), ("peer3", "10.3.0.0/16")):
            body = vnet_body(prefix, subnets if vnet == "peer1" else [])
            assert arm.request("PUT", f"{NET}/virtualNetworks/{vnet}", body).status_code == 201
            peering = {"properties": {"remoteVirtualNetwork": {"id": arm.sub_id(f"{NET}/virtualNetworks/{vnet}")}}}
            assert arm.request("PUT", f"{NET}/virtualNetworks/myvnet/virtualNetworkPeerings/to-{vnet}", peering)
        for name in ("pe1", "pe2", "pe3"):
            assert create_endpoint(arm, name, manual=name == "pe3").status_code == 201, name
            group = {
                "properties": {
                    "privateDnsZoneConfigs": [{"name": "c", "properties": {"privateDnsZoneId": arm.sub_id(ZONE)}}]
                }
            }
            if name == "pe1":
                assert arm.request("PUT", ZONE, {"location": "global"}).status_code in (200, 201)
                put = arm.request("PUT", f"{NET}/privateEndpoints/{name}/privateDnsZoneGroups/default", group)
                assert put.status_code in (200, 201), put.text
        for zone in ("a.example", "b.example"):
            assert arm.request("PUT", f"{NET}/privateDnsZones/{zone}", {"location": "global"}).status_code == 201
        for vnet in ("myvnet", "peer1", "peer2"):
            link = {
                "location": "global",
                "properties": {"virtualNetwork": {"id": arm.sub_id(f"{NET}/virtualNetworks/{vnet}")}},
            }
            assert arm.request("PUT", f"{NET}/privateDnsZones/a.example/virtualNetworkLinks/{vnet}", link).status_code
        for name in ("www", "api", "mail", "ftp"):
            record = {"properties": {"ttl": 60, "aRecords": [{"ipv4Address": "10.9.9.9"}]}}
            assert arm.request("PUT", f"{NET}/privateDnsZones/a.example/A/{name}", record).status_code in (200, 201)
        for name in ("t1", "t2", "t3"):
            record = {"properties": {"ttl": 60, "txtRecords": [{"value": ["x"]}]}}
            assert arm.request("PUT", f"{NET}/privateDnsZones/a.example/TXT/{name}", record).status_code in (200, 201)
        for index, name in enumerate(("h1", "h2", "h3")):
            host = {
                "properties": {
                    "virtualNetwork": {"id": arm.sub_id(f"{NET}/virtualNetworks/myvnet")},
                    "privateIPAddress": f"192.168.0.{10 + index}",
                }
            }
            put = arm.request("PUT", f"{RG}/providers/Acrlink.Network/onPremisesHosts/{name}", host)
            assert put.status_code in (200, 201), put.text
        yield arm


LISTS = [
    "/tenants",
    "/subscriptions",
    "/subscriptions/{sub}/locations",
    "/subscriptions/{sub}/providers",
    "/subscriptions/{sub}/resourcegroups",
    "/subscriptions/{sub}/resources",
    f"{RG}/resources",
    ACR,
    "/subscriptions/{sub}/providers/Microsoft.ContainerRegistry/registries",
    f"{ACR}/myregistry/replications",
    f"{ACR}/myregistry/privateEndpointConnections",
    f"{NET}/virtualNetworks",
    "/subscriptions/{sub}/providers/Microsoft.Network/virtualNetworks",
    f"{NET}/virtualNetworks/peer1/subnets",
    f"{NET}/virtualNetworks/myvnet/virtualNetworkPeerings",
    f"{NET}/networkInterfaces",
    f"{NET}/privateEndpoints",
    "/subscriptions/{sub}/providers/Microsoft.Network/privateEndpoints",
    "/subscriptions/{sub}/providers/Microsoft.Network/networkInterfaces",
    f"{NET}/privateEndpoints/pe1/privateDnsZoneGroups",
    f"{NET}/privateDnsZones",
    "/subscriptions/{sub}/providers/Microsoft.Network/privateDnsZones",
    f"{NET}/privateDnsZones/a.example/virtualNetworkLinks",
    f"{NET}/privateDnsZones/a.example/A",
    f"{NET}/privateDnsZones/a.example/TXT",
    f"{NET}/privateDnsZones/a.example/ALL",
    f"{RG}/providers/Acrlink.Network/onPremisesHosts",
    "/providers/Microsoft.ContainerRegistry/operations",
]


def _walk(arm: Arm, path: str, **params: str) -> tuple[list[Any], list[int]]:
    """Every item of a list, following nextLink; and the size of each page."""
    response = arm.client.get(arm.url(path) + ("&" + urlencode(params) if params else ""))
    assert response.status_code == 200, f"{path}: {response.text}"
    items: list[Any] = []
    sizes: list[int] = []
    while True:
        body = response.json()
        items += body["value"]
        sizes.append(len(body["value"]))
        if not body.get("nextLink"):
            return items, sizes
        assert len(sizes) < 100, f"{path}: nextLink never ends"
        response = arm.client.get(body["nextLink"])
        assert response.status_code == 200, f"{path}: {response.text}"


def _key(item: Any) -> str:
    return str(item.get("id") or item.get("name"))


@pytest.mark.parametrize("path", LISTS)
def test_top_pages_through_the_whole_list(populated: Arm, path: str) -> None:
    full, _ = _walk(populated, path)
    single = ("/tenants", f"{NET}/privateEndpoints/pe1/privateDnsZoneGroups")  # one tenant; one group per endpoint
    assert len(full) >= 2 or path in single, f"{path}: the fixture should fill it"
    for top in ("1", "3"):
        paged, sizes = _walk(populated, path, **{"$top": top})
        assert [_key(i) for i in paged] == [_key(i) for i in full], f"{path} $top={top}"
        assert all(size <= int(top) for size in sizes), f"{path}: a page is larger than $top={top}: {sizes}"
        if len(full) > int(top):
            assert len(sizes) > 1, f"{path}: $top={top} gave one page and no nextLink"


def test_next_link_keeps_top_and_takes_a_skip_token(populated: Arm) -> None:
    path = f"{NET}/privateDnsZones/a.example/ALL"
    first = populated.client.get(populated.url(path) + "&$top=2").json()
    link = first["nextLink"]
    assert "%24top=2" in link or "$top=2" in link
    assert "skiptoken=" in link.lower()
    camel = link.replace("$skiptoken", "$skipToken").replace("%24skiptoken", "%24skipToken")
    assert populated.client.get(camel).json()["value"] == populated.client.get(link).json()["value"]
