"""azure-mgmt-network and azure-mgmt-privatedns (default api-versions) against a real acrlink: every
operation of the private endpoint scenario, through the SDK models."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError

from .conftest import Sdk

pytestmark = pytest.mark.slow

RG = "rg-sdk-net"
ZONE = "privatelink.azurecr.cn"


@pytest.fixture(scope="module")
def world(sdk: Sdk) -> dict[str, Any]:
    sdk.resources.resource_groups.create_or_update(RG, {"location": "chinanorth2"})
    registry = sdk.acr.registries.begin_create(
        RG, "sdknetreg", {"location": "chinanorth2", "sku": {"name": "Premium"}}
    ).result()
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
    return {"registry": registry, "vnet": vnet}


def _endpoint(sdk: Sdk, world: dict[str, Any], name: str, manual: bool = False) -> Any:
    key = "manualPrivateLinkServiceConnections" if manual else "privateLinkServiceConnections"
    return sdk.network.private_endpoints.begin_create_or_update(
        RG,
        name,
        {
            "location": "chinanorth2",
            "properties": {
                "subnet": {"id": world["vnet"].subnets[0].id},
                key: [
                    {
                        "name": f"{name}-conn",
                        "properties": {
                            "privateLinkServiceId": world["registry"].id,
                            "groupIds": ["registry"],
                            "requestMessage": "let me in",
                        },
                    }
                ],
            },
        },
    ).result()


def test_virtual_networks_and_subnets(sdk: Sdk, world: dict[str, Any]) -> None:
    vnets = sdk.network.virtual_networks
    vnet = vnets.get(RG, "vnet1")
    assert vnet.address_space.address_prefixes == ["10.0.0.0/16"]
    assert [s.name for s in vnet.subnets] == ["default"]
    assert "vnet1" in [v.name for v in vnets.list(RG)] and "vnet1" in [v.name for v in vnets.list_all()]
    subnet = sdk.network.subnets.begin_create_or_update(
        RG,
        "vnet1",
        "second",
        {"properties": {"addressPrefix": "10.0.1.0/24", "privateEndpointNetworkPolicies": "Enabled"}},
    ).result()
    assert subnet.private_endpoint_network_policies == "Enabled"
    assert [s.name for s in sdk.network.subnets.list(RG, "vnet1")] == ["default", "second"]
    tagged = vnets.update_tags(RG, "vnet1", {"tags": {"team": "net"}})
    assert tagged.tags == {"team": "net"}
    with pytest.raises(HttpResponseError) as caught:
        sdk.network.subnets.begin_create_or_update(
            RG, "vnet1", "outside", {"properties": {"addressPrefix": "10.9.0.0/24"}}
        ).result()
    assert caught.value.error.code == "NetcfgSubnetRangeOutsideVnet"
    sdk.network.subnets.begin_delete(RG, "vnet1", "second").result()
    with pytest.raises(ResourceNotFoundError):
        sdk.network.subnets.get(RG, "vnet1", "second")


def test_private_endpoint_nic_and_connection(sdk: Sdk, world: dict[str, Any]) -> None:
    pe = _endpoint(sdk, world, "pe-auto")
    state = pe.private_link_service_connections[0].private_link_service_connection_state
    assert (state.status, state.description) == ("Approved", "Auto-Approved")
    assert {c.fqdn: c.ip_addresses for c in pe.custom_dns_configs} == {
        "sdknetreg.azurecr.cn": ["10.0.0.4"],
        "sdknetreg.chinanorth2.data.azurecr.cn": ["10.0.0.5"],
    }
    nic_name = pe.network_interfaces[0].id.split("/")[-1]
    assert nic_name.startswith("pe-auto.nic.")
    nic = sdk.network.network_interfaces.get(RG, nic_name)
    members = {
        c.private_link_connection_properties.required_member_name: (
            c.private_ip_address,
            c.private_link_connection_properties.fqdns,
        )
        for c in nic.ip_configurations
    }
    assert members == {
        "registry": ("10.0.0.4", ["sdknetreg.azurecr.cn"]),
        "registry_data_chinanorth2": ("10.0.0.5", ["sdknetreg.chinanorth2.data.azurecr.cn"]),
    }
    assert nic.private_endpoint.id == pe.id
    assert nic_name in [n.name for n in sdk.network.network_interfaces.list(RG)]
    assert "pe-auto" in [p.name for p in sdk.network.private_endpoints.list(RG)]
    assert "pe-auto" in [p.name for p in sdk.network.private_endpoints.list_by_subscription()]
    subnet = sdk.network.subnets.get(RG, "vnet1", "default")
    assert pe.id in [p.id for p in subnet.private_endpoints]
    [connection] = [
        c for c in sdk.acr.private_endpoint_connections.list(RG, "sdknetreg") if c.private_endpoint.id == pe.id
    ]
    assert connection.private_link_service_connection_state.status == "Approved"
    with pytest.raises(HttpResponseError):
        sdk.network.network_interfaces.begin_delete(RG, nic_name).result()


def test_manual_connection_approval_through_the_registry(sdk: Sdk, world: dict[str, Any]) -> None:
    pe = _endpoint(sdk, world, "pe-manual", manual=True)
    assert pe.manual_private_link_service_connections[0].private_link_service_connection_state.status == "Pending"
    assert len(pe.custom_dns_configs) == 2, "filled while pending, as in the REST examples"
    connections = sdk.acr.private_endpoint_connections
    [connection] = [c for c in connections.list(RG, "sdknetreg") if c.private_endpoint.id == pe.id]
    approved = connections.begin_create_or_update(
        RG,
        "sdknetreg",
        connection.name,
        {"properties": {"privateLinkServiceConnectionState": {"status": "Approved", "description": "welcome"}}},
    ).result()
    assert approved.private_link_service_connection_state.status == "Approved"
    assert approved.private_endpoint.id == pe.id, "the endpoint reference is kept"
    pe = sdk.network.private_endpoints.get(RG, "pe-manual")
    assert pe.manual_private_link_service_connections[0].private_link_service_connection_state.description == "welcome"
    assert len(pe.custom_dns_configs) == 2
    connections.begin_delete(RG, "sdknetreg", connection.name).result()
    state = (
        sdk.network.private_endpoints.get(RG, "pe-manual")
        .manual_private_link_service_connections[0]
        .private_link_service_connection_state
    )
    assert state.status == "Disconnected"
    sdk.network.private_endpoints.begin_delete(RG, "pe-manual").result()


def test_private_dns_zone_link_records_and_zone_group(sdk: Sdk, world: dict[str, Any]) -> None:
    zones = sdk.dns.private_zones
    zone = zones.begin_create_or_update(
        RG, ZONE, {"location": "global"}, match_condition=MatchConditions.IfMissing
    ).result()
    assert zone.number_of_record_sets == 1 and zone.max_number_of_record_sets == 25000
    with pytest.raises(HttpResponseError) as caught:
        zones.begin_create_or_update(
            RG, ZONE, {"location": "global"}, match_condition=MatchConditions.IfMissing
        ).result()
    assert caught.value.status_code == 412
    assert ZONE in [z.name for z in zones.list_by_resource_group(RG)] and ZONE in [z.name for z in zones.list()]
    assert zones.begin_update(RG, ZONE, {"tags": {"a": "b"}}).result().tags == {"a": "b"}
    links = sdk.dns.virtual_network_links
    link = links.begin_create_or_update(
        RG,
        ZONE,
        "link1",
        {
            "location": "global",
            "properties": {"virtualNetwork": {"id": world["vnet"].id}, "registrationEnabled": False},
        },
    ).result()
    assert (link.virtual_network_link_state, link.registration_enabled) == ("Completed", False)
    assert [each.name for each in links.list(RG, ZONE)] == ["link1"]
    assert links.begin_update(RG, ZONE, "link1", {"tags": {"x": "y"}}).result().tags == {"x": "y"}
    with pytest.raises(ResourceExistsError):
        links.begin_create_or_update(
            RG, ZONE, "link2", {"location": "global", "properties": {"virtualNetwork": {"id": world["vnet"].id}}}
        ).result()

    records = sdk.dns.record_sets
    created = records.create_or_update(
        RG, ZONE, "A", "manual", {"properties": {"ttl": 3600, "aRecords": [{"ipv4Address": "10.0.0.9"}]}}
    )
    assert created.fqdn == "manual.privatelink.azurecr.cn." and created.a_records[0].ipv4_address == "10.0.0.9"
    assert records.get(RG, ZONE, "A", "manual").ttl == 3600
    updated = records.update(
        RG,
        ZONE,
        "A",
        "manual",
        {"properties": {"ttl": 60}},
        etag=created.etag,
        match_condition=MatchConditions.IfNotModified,
    )
    assert updated.ttl == 60
    with pytest.raises(HttpResponseError) as stale:
        records.update(
            RG,
            ZONE,
            "A",
            "manual",
            {"properties": {"ttl": 30}},
            etag=created.etag,
            match_condition=MatchConditions.IfNotModified,
        )
    assert stale.value.status_code == 412
    records.delete(RG, ZONE, "A", "manual")
    with pytest.raises(ResourceNotFoundError):
        records.get(RG, ZONE, "A", "manual")

    groups = sdk.network.private_dns_zone_groups
    group = groups.begin_create_or_update(
        RG,
        "pe-auto",
        "default",
        {"properties": {"privateDnsZoneConfigs": [{"name": "acr", "properties": {"privateDnsZoneId": zone.id}}]}},
    ).result()
    written = group.private_dns_zone_configs[0].record_sets
    assert {(r.record_set_name, r.ttl, tuple(r.ip_addresses)) for r in written} == {
        ("sdknetreg", 10, ("10.0.0.4",)),
        ("sdknetreg.chinanorth2.data", 10, ("10.0.0.5",)),
    }
    assert [g.name for g in groups.list("pe-auto", RG)] == ["default"]
    a_records = {r.name: r.a_records[0].ipv4_address for r in records.list_by_type(RG, ZONE, "A")}
    assert a_records == {"sdknetreg": "10.0.0.4", "sdknetreg.chinanorth2.data": "10.0.0.5"}
    assert {r.type.split("/")[-1] for r in records.list(RG, ZONE)} == {"A", "SOA"}
    groups.begin_delete(RG, "pe-auto", "default").result()
    assert list(records.list_by_type(RG, ZONE, "A")) == []
    links.begin_delete(RG, ZONE, "link1").result()
    zones.begin_delete(RG, ZONE).result()
    with pytest.raises(ResourceNotFoundError):
        zones.get(RG, ZONE)


def test_peerings(sdk: Sdk, world: dict[str, Any]) -> None:
    other = sdk.network.virtual_networks.begin_create_or_update(
        RG, "vnet2", {"location": "chinanorth2", "properties": {"addressSpace": {"addressPrefixes": ["10.1.0.0/16"]}}}
    ).result()
    peerings = sdk.network.virtual_network_peerings
    one = peerings.begin_create_or_update(
        RG, "vnet1", "to2", {"properties": {"remoteVirtualNetwork": {"id": other.id}}}
    ).result()
    assert one.peering_state == "Initiated"
    peerings.begin_create_or_update(
        RG, "vnet2", "to1", {"properties": {"remoteVirtualNetwork": {"id": world["vnet"].id}}}
    ).result()
    assert peerings.get(RG, "vnet1", "to2").peering_state == "Connected"
    assert [p.name for p in peerings.list(RG, "vnet1")] == ["to2"]
    peerings.begin_delete(RG, "vnet2", "to1").result()
    assert peerings.get(RG, "vnet1", "to2").peering_state == "Initiated"


def test_group_delete_takes_everything(sdk: Sdk, world: dict[str, Any]) -> None:
    sdk.resources.resource_groups.begin_delete(RG).result()
    assert sdk.resources.resource_groups.check_existence(RG) is False
    assert "sdknetreg" not in [r.name for r in sdk.acr.registries.list()]
    assert not [p for p in sdk.network.private_endpoints.list_by_subscription() if p.name.startswith("pe-")]
