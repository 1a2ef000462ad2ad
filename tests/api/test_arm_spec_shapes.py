"""Each operation's answer has the property paths of the REST spec example for its api-version (the fixtures
in ``spec_shapes.py``), in the spirit of LocalStack's snapshot tests: nothing missing, nothing extra, except
the exceptions each fixture names with its reason."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from . import spec_shapes as shapes
from .conftest import Arm, make_arm
from .network_world import NET, create_endpoint, vnet_body, world

ZONE = f"{NET}/privateDnsZones/privatelink.azurecr.cn"


def paths(doc: Any, prefix: str = "") -> set[str]:
    """Every node of a JSON document as a path (``a.b``, ``a[].b``); user maps are leaves."""
    found: set[str] = set()
    if isinstance(doc, dict):
        for key, value in doc.items():
            path = f"{prefix}.{key}" if prefix else key
            found.add(path)
            if path.replace("value[].", "") not in shapes.OPAQUE:
                found |= paths(value, path)
    elif isinstance(doc, list):
        for item in doc:
            found |= paths(item, f"{prefix}[]")
    return found


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Arm]:
    """One world with every modelled type: a registry with a replica, a VNet peered to another, a manual
    private endpoint (approved) and an automatic one with a zone group, a linked zone and an A record."""
    for arm in make_arm(Path(tmp_path_factory.mktemp("shapes"))):
        world(arm)
        arm.request("PUT", arm.registry_path("myregistry") + "/replications/chinaeast2", {"location": "chinaeast2"})
        arm.request("PUT", f"{NET}/virtualNetworks/other", vnet_body("10.9.0.0/16", location="chinanorth2"))
        peer = {"properties": {"remoteVirtualNetwork": {"id": arm.sub_id(f"{NET}/virtualNetworks/other")}}}
        arm.request("PUT", f"{NET}/virtualNetworks/myvnet/virtualNetworkPeerings/to-other", peer)
        assert create_endpoint(arm, "mype").status_code == 201
        assert create_endpoint(arm, "manualpe", manual=True).status_code == 201
        arm.request("PUT", ZONE, {"location": "global", "tags": {"k": "v"}})
        link = {
            "location": "global",
            "properties": {"virtualNetwork": {"id": arm.sub_id(f"{NET}/virtualNetworks/myvnet")}},
        }
        arm.request("PUT", f"{ZONE}/virtualNetworkLinks/mylink", link)
        group = {
            "properties": {
                "privateDnsZoneConfigs": [{"name": "c", "properties": {"privateDnsZoneId": arm.sub_id(ZONE)}}]
            }
        }
        arm.request("PUT", f"{NET}/privateEndpoints/mype/privateDnsZoneGroups/default", group)
        record = {"properties": {"ttl": 3600, "metadata": {"k": "v"}, "aRecords": [{"ipv4Address": "10.1.2.3"}]}}
        arm.request("PUT", f"{ZONE}/A/recorda", record)
        plain = {"location": "chinanorth2", "tags": {"key": "value"}, "sku": {"name": "Standard"}}
        arm.group("plain")
        assert arm.request("PUT", arm.registry_path("plainreg", "plain"), plain).status_code == 201
        yield arm


def compare(doc: Any, shape: shapes.Shape, prefix: str = "") -> None:
    """The answer's paths are the fixture's, but for the named exceptions (each of which must still hold)."""

    def under(found: set[str] | frozenset[str]) -> set[str]:
        return {f"{prefix}{p}" for p in found}

    actual = paths(doc)
    expected = ({"value"} if prefix else set()) | under(shape.paths)
    missing = expected - actual - under(set(shape.missing))
    extra = actual - expected - under(set(shape.extra))
    assert not missing, f"{shape.example}: acrlink lacks {sorted(missing)}"
    assert not extra, f"{shape.example}: acrlink adds {sorted(extra)}"
    stale = (under(set(shape.missing)) & actual) | (under(set(shape.extra)) - actual)
    assert not stale, f"{shape.example}: exceptions that no longer apply: {sorted(stale)}"


PLAIN = "/subscriptions/{sub}/resourceGroups/plain/providers/Microsoft.ContainerRegistry/registries"
PREVIEW = "2026-09-01-preview"


def test_registry_get(built: Arm) -> None:
    compare(built.request("GET", f"{PLAIN}/plainreg").json(), shapes.REGISTRY_STABLE)


def test_registry_get_in_a_preview_api_version(built: Arm) -> None:
    compare(built.request("GET", f"{PLAIN}/plainreg", api=PREVIEW).json(), shapes.REGISTRY_PREVIEW)


@pytest.mark.parametrize("api", [None, PREVIEW])
def test_registry_create(built: Arm, api: str | None) -> None:
    body = {"location": "chinanorth2", "tags": {"key": "value"}, "sku": {"name": "Standard"}}
    created = built.request("PUT", f"{PLAIN}/created{1 if api else 2}", body, api=api or "auto")
    assert created.status_code == 201
    compare(created.json(), shapes.REGISTRY_PREVIEW if api else shapes.REGISTRY_STABLE)


@pytest.mark.parametrize("api", [None, PREVIEW])
def test_registry_update(built: Arm, api: str | None) -> None:
    patch = {"properties": {"adminUserEnabled": True}, "tags": {"key": "value"}}
    updated = built.request("PATCH", f"{PLAIN}/plainreg", patch, api=api or "auto")
    assert updated.status_code == 200
    compare(updated.json(), shapes.REGISTRY_PREVIEW if api else shapes.REGISTRY_STABLE)


def test_registry_list(built: Arm) -> None:
    listed = built.request("GET", PLAIN).json()
    assert len(listed["value"]) >= 1
    compare(listed, shapes.REGISTRY_STABLE, "value[].")


def test_replication_get(built: Arm) -> None:
    path = built.registry_path("myregistry") + "/replications/chinaeast2"
    compare(built.request("GET", path).json(), shapes.REPLICATION)


def test_private_endpoint_connection_get(built: Arm) -> None:
    listed = built.request("GET", built.registry_path("myregistry") + "/privateEndpointConnections").json()
    connection = next(c for c in listed["value"] if c["properties"]["privateEndpoint"]["id"].endswith("/mype"))
    got = built.client.get(f"{connection['id']}?api-version=2025-11-01").json()
    compare(got, shapes.CONNECTION)
    compare(listed, shapes.CONNECTION, "value[].")


def test_private_link_resources(built: Arm) -> None:
    got = built.request("GET", built.registry_path("myregistry") + "/privateLinkResources").json()
    compare(got, shapes.PRIVATE_LINK_RESOURCES)


def test_virtual_network_get(built: Arm) -> None:
    compare(built.request("GET", f"{NET}/virtualNetworks/myvnet").json(), shapes.VNET_WITH_PEERING)


def test_subnet_get(built: Arm) -> None:
    compare(built.request("GET", f"{NET}/virtualNetworks/myvnet/subnets/mysubnet").json(), shapes.SUBNET)


def test_peering_get(built: Arm) -> None:
    got = built.request("GET", f"{NET}/virtualNetworks/myvnet/virtualNetworkPeerings/to-other").json()
    compare(got, shapes.PEERING)


def test_network_interface_get(built: Arm) -> None:
    pe = built.request("GET", f"{NET}/privateEndpoints/manualpe").json()
    nic = built.client.get(pe["properties"]["networkInterfaces"][0]["id"] + "?api-version=2024-05-01").json()
    compare(nic, shapes.NIC)


def test_private_endpoint_get_for_manual_approval(built: Arm) -> None:
    compare(built.request("GET", f"{NET}/privateEndpoints/manualpe").json(), shapes.PRIVATE_ENDPOINT_MANUAL)


def test_zone_group_get(built: Arm) -> None:
    got = built.request("GET", f"{NET}/privateEndpoints/mype/privateDnsZoneGroups/default").json()
    compare(got, shapes.ZONE_GROUP)


def test_private_dns_zone_get(built: Arm) -> None:
    compare(built.request("GET", ZONE).json(), shapes.DNS_ZONE)


def test_virtual_network_link_get(built: Arm) -> None:
    compare(built.request("GET", f"{ZONE}/virtualNetworkLinks/mylink").json(), shapes.DNS_LINK)


def test_record_set_get(built: Arm) -> None:
    compare(built.request("GET", f"{ZONE}/A/recorda").json(), shapes.DNS_RECORD_A)
