"""Microsoft.Network rules in-process: each refusal with Azure's code, and nothing changed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import Arm, error_code, make_arm
from .network_world import NET, connections, create_endpoint, endpoint_body, nic_addresses, subnet_id, vnet_body, world


def test_subnet_prefix_rules(arm: Arm) -> None:
    arm.group()
    outside = arm.request("PUT", f"{NET}/virtualNetworks/v1", vnet_body(subnets=[("s", "10.1.0.0/24")]))
    assert (outside.status_code, error_code(outside)) == (400, "NetcfgSubnetRangeOutsideVnet")
    overlap = arm.request(
        "PUT", f"{NET}/virtualNetworks/v1", vnet_body(subnets=[("a", "10.0.0.0/24"), ("b", "10.0.0.128/25")])
    )
    assert (overlap.status_code, error_code(overlap)) == (400, "NetcfgSubnetRangesOverlap")
    cidr = arm.request("PUT", f"{NET}/virtualNetworks/v1", vnet_body(prefix="10.0.0.1/16"))
    assert (cidr.status_code, error_code(cidr)) == (400, "InvalidCIDRNotation")
    assert "10.0.0.0/16" in cidr.json()["error"]["message"]
    assert arm.request("GET", f"{NET}/virtualNetworks/v1").status_code == 404, "nothing was created"


def test_inline_and_child_subnets_agree(arm: Arm) -> None:
    arm.group()
    arm.request("PUT", f"{NET}/virtualNetworks/v1", vnet_body(subnets=[("a", "10.0.0.0/24")]))
    child = arm.request("PUT", f"{NET}/virtualNetworks/v1/subnets/b", {"properties": {"addressPrefix": "10.0.1.0/24"}})
    assert child.status_code == 201
    names = [s["name"] for s in arm.request("GET", f"{NET}/virtualNetworks/v1").json()["properties"]["subnets"]]
    assert names == ["a", "b"]
    listed = [s["name"] for s in arm.request("GET", f"{NET}/virtualNetworks/v1/subnets").json()["value"]]
    assert listed == ["a", "b"]
    clash = arm.request("PUT", f"{NET}/virtualNetworks/v1/subnets/c", {"properties": {"addressPrefix": "10.0.1.0/25"}})
    assert (clash.status_code, error_code(clash)) == (400, "NetcfgSubnetRangesOverlap")
    missing = arm.request("GET", f"{NET}/virtualNetworks/v1/subnets/zzz")
    assert (missing.status_code, error_code(missing)) == (404, "NotFound")


def test_endpoint_allocates_from_the_subnet_and_creates_the_connection(arm: Arm) -> None:
    world(arm)
    response = create_endpoint(arm)
    assert response.status_code == 201, response.text
    pe = response.json()
    assert nic_addresses(arm) == {"registry": "10.0.0.4", "registry_data_chinanorth2": "10.0.0.5"}
    assert pe["properties"]["customDnsConfigs"] == [
        {"fqdn": "myregistry.azurecr.cn", "ipAddresses": ["10.0.0.4"]},
        {"fqdn": "myregistry.chinanorth2.data.azurecr.cn", "ipAddresses": ["10.0.0.5"]},
    ]
    state = pe["properties"]["privateLinkServiceConnections"][0]["properties"]["privateLinkServiceConnectionState"]
    assert state == {"status": "Approved", "description": "Auto-Approved", "actionsRequired": "None"}
    [connection] = connections(arm)
    assert connection["name"].startswith("myregistry.") and len(connection["name"]) == len("myregistry.") + 32
    assert connection["properties"]["privateEndpoint"]["id"].endswith("/privateEndpoints/mype")
    subnet = arm.request("GET", f"{NET}/virtualNetworks/myvnet/subnets/mysubnet").json()["properties"]
    assert [e["id"] for e in subnet["privateEndpoints"]] == [pe["id"]]
    assert len(subnet["ipConfigurations"]) == 2


def test_manual_endpoint_waits_pending_then_approved(arm: Arm) -> None:
    world(arm)
    pe = create_endpoint(arm, manual=True).json()
    link = pe["properties"]["manualPrivateLinkServiceConnections"][0]
    assert link["properties"]["privateLinkServiceConnectionState"]["status"] == "Pending"
    assert len(pe["properties"]["customDnsConfigs"]) == 2, "filled while pending, as in the REST examples"
    [connection] = connections(arm)
    assert connection["properties"]["privateLinkServiceConnectionState"]["description"] == "please"
    approve = {"properties": {"privateLinkServiceConnectionState": {"status": "Approved", "description": "ok"}}}
    path = arm.registry_path("myregistry") + f"/privateEndpointConnections/{connection['name']}"
    assert arm.request("PUT", path, approve).status_code == 200
    pe = arm.request("GET", f"{NET}/privateEndpoints/mype").json()
    assert (
        pe["properties"]["manualPrivateLinkServiceConnections"][0]["properties"]["privateLinkServiceConnectionState"][
            "status"
        ]
        == "Approved"
    )
    assert len(pe["properties"]["customDnsConfigs"]) == 2
    reject = {"properties": {"privateLinkServiceConnectionState": {"status": "Rejected"}}}
    assert arm.request("PUT", path, reject).status_code == 200
    again = arm.request("PUT", path, approve)
    assert again.status_code == 400, "a rejected connection cannot be approved again"
    assert connections(arm)[0]["properties"]["privateLinkServiceConnectionState"]["status"] == "Rejected"


def test_deleting_the_connection_disconnects_the_endpoint(arm: Arm) -> None:
    world(arm)
    create_endpoint(arm)
    name = connections(arm)[0]["name"]
    assert (
        arm.request("DELETE", arm.registry_path("myregistry") + f"/privateEndpointConnections/{name}").status_code
        == 200
    )
    pe = arm.request("GET", f"{NET}/privateEndpoints/mype").json()
    assert (
        pe["properties"]["privateLinkServiceConnections"][0]["properties"]["privateLinkServiceConnectionState"][
            "status"
        ]
        == "Disconnected"
    )


def test_endpoint_target_rules(arm: Arm) -> None:
    world(arm)
    arm.request("PUT", arm.registry_path("basicreg1"), {"location": "chinanorth2", "sku": {"name": "Basic"}})
    basic = create_endpoint(arm, registry="basicreg1")
    assert (basic.status_code, error_code(basic)) == (400, "PrivateEndpointConnectionNotSupported")
    missing = create_endpoint(arm, registry="nosuchreg1")
    assert missing.status_code == 400
    body = endpoint_body(arm)
    body["properties"]["privateLinkServiceConnections"][0]["properties"]["groupIds"] = ["blob"]
    group = arm.request("PUT", f"{NET}/privateEndpoints/mype", body)
    assert group.status_code == 400
    bad_subnet = arm.request(
        "PUT",
        f"{NET}/privateEndpoints/mype",
        {**body, "properties": {**body["properties"], "subnet": {"id": subnet_id(arm, subnet="none")}}},
    )
    assert (bad_subnet.status_code, error_code(bad_subnet)) == (400, "InvalidResourceReference")
    assert connections(arm) == [] and connections(arm, "basicreg1") == []
    assert arm.request("GET", f"{NET}/networkInterfaces").json()["value"] == [], "no NIC was left behind"


def test_legacy_registry_takes_ten_endpoints(arm: Arm) -> None:
    world(arm, registry="legacyreg1")
    arm.request("PATCH", arm.registry_path("legacyreg1"), {"tags": {}})
    arm.request(
        "PUT",
        arm.registry_path("oldreg001"),
        {"location": "chinanorth2", "sku": {"name": "Premium"}, "tags": {"acrlink-created": "2020-01-01"}},
    )
    for index in range(10):
        assert create_endpoint(arm, name=f"pe{index}", registry="oldreg001").status_code == 201
    eleventh = create_endpoint(arm, name="pe10", registry="oldreg001")
    assert (eleventh.status_code, error_code(eleventh)) == (400, "QuotaExceeded")
    usage = {u["name"]: u for u in arm.request("GET", arm.registry_path("oldreg001") + "/listUsages").json()["value"]}
    assert (usage["PrivateEndpointConnections"]["limit"], usage["PrivateEndpointConnections"]["currentValue"]) == (
        10,
        10,
    )


def test_static_ip_configurations_must_cover_every_member(arm: Arm) -> None:
    world(arm)
    statics = [
        {
            "name": "cfg1",
            "properties": {"groupId": "registry", "memberName": "registry", "privateIPAddress": "10.0.0.10"},
        }
    ]
    response = arm.request("PUT", f"{NET}/privateEndpoints/mype", endpoint_body(arm, ipConfigurations=statics))
    assert (response.status_code, error_code(response)) == (
        400,
        "PrivateEndpointIpConfigurationMissingMemberNamesRequiredByFps",
    )
    assert "MemberName: registry_data_chinanorth2" in response.json()["error"]["message"]
    statics.append(
        {
            "name": "cfg2",
            "properties": {
                "groupId": "registry",
                "memberName": "registry_data_chinanorth2",
                "privateIPAddress": "10.0.0.2",
            },
        }
    )
    reserved = arm.request("PUT", f"{NET}/privateEndpoints/mype", endpoint_body(arm, ipConfigurations=statics))
    assert (reserved.status_code, error_code(reserved)) == (400, "PrivateIPAddressInReservedRange")
    statics[1]["properties"]["privateIPAddress"] = "10.0.0.11"
    good = arm.request("PUT", f"{NET}/privateEndpoints/mype", endpoint_body(arm, ipConfigurations=statics))
    assert good.status_code == 201
    assert nic_addresses(arm) == {"registry": "10.0.0.10", "registry_data_chinanorth2": "10.0.0.11"}
    second = create_endpoint(arm, name="pe2")
    assert second.status_code == 201
    assert nic_addresses(arm, "pe2") == {"registry": "10.0.0.4", "registry_data_chinanorth2": "10.0.0.5"}


def test_replica_adds_a_member_to_every_endpoint_and_asks_for_approval_again(arm: Arm) -> None:
    world(arm)
    create_endpoint(arm)
    assert (
        arm.request(
            "PUT", arm.registry_path("myregistry") + "/replications/chinaeast2", {"location": "chinaeast2"}
        ).status_code
        == 201
    )
    assert nic_addresses(arm) == {
        "registry": "10.0.0.4",
        "registry_data_chinanorth2": "10.0.0.5",
        "registry_data_chinaeast2": "10.0.0.6",
    }
    assert connections(arm)[0]["properties"]["privateLinkServiceConnectionState"]["status"] == "Pending"
    arm.request("DELETE", arm.registry_path("myregistry") + "/replications/chinaeast2")
    assert set(nic_addresses(arm)) == {"registry", "registry_data_chinanorth2"}


def test_replica_fails_whole_when_a_subnet_is_full(arm: Arm) -> None:
    """/29: .4, .5, .6 usable. The endpoint takes two, a NIC the third: no room for a replica member."""
    world(arm, subnet_prefix="10.0.0.0/29")
    create_endpoint(arm)
    nic = {
        "location": "chinanorth2",
        "properties": {"ipConfigurations": [{"name": "ipconfig1", "properties": {"subnet": {"id": subnet_id(arm)}}}]},
    }
    assert arm.request("PUT", f"{NET}/networkInterfaces/vmnic", nic).status_code == 201
    before = nic_addresses(arm)
    response = arm.request(
        "PUT", arm.registry_path("myregistry") + "/replications/chinaeast2", {"location": "chinaeast2"}
    )
    assert (response.status_code, error_code(response)) == (400, "SubnetIsFull")
    assert nic_addresses(arm) == before
    assert arm.request("GET", arm.registry_path("myregistry") + "/replications").json()["value"] == []
    assert connections(arm)[0]["properties"]["privateLinkServiceConnectionState"]["status"] == "Approved"


def test_in_use_subnet_and_endpoint_nic_cannot_be_deleted(arm: Arm) -> None:
    world(arm)
    create_endpoint(arm)
    subnet = arm.request("DELETE", f"{NET}/virtualNetworks/myvnet/subnets/mysubnet")
    assert (subnet.status_code, error_code(subnet)) == (400, "InUseSubnetCannotBeDeleted")
    vnet = arm.request("DELETE", f"{NET}/virtualNetworks/myvnet")
    assert (vnet.status_code, error_code(vnet)) == (400, "InUseSubnetCannotBeDeleted")
    nic_id = arm.request("GET", f"{NET}/privateEndpoints/mype").json()["properties"]["networkInterfaces"][0]["id"]
    nic = arm.client.request("DELETE", f"{nic_id}?api-version=2023-11-01")
    assert nic.status_code == 400
    assert arm.request("GET", f"{NET}/virtualNetworks/myvnet").status_code == 200
    assert arm.request("DELETE", f"{NET}/privateEndpoints/mype").status_code == 200
    assert connections(arm) == []
    assert arm.client.get(f"{nic_id}?api-version=2023-11-01").status_code == 404
    assert arm.request("DELETE", f"{NET}/virtualNetworks/myvnet").status_code == 200


def test_cross_subscription_endpoint_needs_the_registry_provider(arm: Arm) -> None:
    """S9: an endpoint in the second subscription to a registry in the first."""
    world(arm)
    second = arm.application.tenancy.world.subscriptions[1]
    base = f"/subscriptions/{second}/resourceGroups/rg2/providers/Microsoft.Network"
    arm.request("PUT", f"/subscriptions/{second}/resourcegroups/rg2", {"location": "chinanorth2"})
    arm.request("POST", f"/subscriptions/{second}/providers/Microsoft.Network/register")
    arm.request("PUT", f"{base}/virtualNetworks/v2", vnet_body(subnets=[("s", "10.0.0.0/24")]))
    body = endpoint_body(arm)
    body["properties"]["subnet"]["id"] = (
        f"/subscriptions/{second}/resourceGroups/rg2/providers/Microsoft.Network/virtualNetworks/v2/subnets/s"
    )
    refused = arm.request("PUT", f"{base}/privateEndpoints/crosspe", body)
    assert (refused.status_code, error_code(refused)) == (409, "MissingSubscriptionRegistration")
    assert "'Microsoft.ContainerRegistry'" in refused.json()["error"]["message"]
    arm.request("POST", f"/subscriptions/{second}/providers/Microsoft.ContainerRegistry/register")
    assert arm.request("PUT", f"{base}/privateEndpoints/crosspe", body).status_code == 201
    assert len(connections(arm)) == 1


@pytest.fixture
def legacy(tmp_path: Path) -> Iterator[Arm]:
    yield from make_arm(tmp_path / "legacy", legacy_pe_network_policies=True)


def test_legacy_network_policy_setting(legacy: Arm, arm: Arm) -> None:
    """S10: with the legacy setting, a policy-enabled subnet refuses endpoints; current Azure allows them."""
    for each in (legacy, arm):
        world(each)
        each.request(
            "PUT",
            f"{NET}/virtualNetworks/myvnet/subnets/mysubnet",
            {"properties": {"addressPrefix": "10.0.0.0/24", "privateEndpointNetworkPolicies": "Enabled"}},
        )
    refused = create_endpoint(legacy)
    assert (refused.status_code, error_code(refused)) == (
        400,
        "PrivateEndpointCannotBeCreatedInSubnetThatHasNetworkPoliciesEnabled",
    )
    assert create_endpoint(arm).status_code == 201
    legacy.request(
        "PUT",
        f"{NET}/virtualNetworks/myvnet/subnets/mysubnet",
        {"properties": {"addressPrefix": "10.0.0.0/24", "privateEndpointNetworkPolicies": "Disabled"}},
    )
    assert create_endpoint(legacy).status_code == 201
    enable = legacy.request(
        "PUT",
        f"{NET}/virtualNetworks/myvnet/subnets/mysubnet",
        {"properties": {"addressPrefix": "10.0.0.0/24", "privateEndpointNetworkPolicies": "Enabled"}},
    )
    assert (enable.status_code, error_code(enable)) == (
        400,
        "PrivateEndpointNetworkPoliciesCannotBeEnabledOnPrivateEndpointSubnet",
    )


def test_peering_states(arm: Arm) -> None:
    arm.group()
    arm.request("PUT", f"{NET}/virtualNetworks/a", vnet_body("10.1.0.0/16"))
    arm.request("PUT", f"{NET}/virtualNetworks/b", vnet_body("10.2.0.0/16"))
    arm.request("PUT", f"{NET}/virtualNetworks/c", vnet_body("10.1.0.0/16"))
    vnet_id = f"/subscriptions/{arm.sub}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks"
    a_to_b = arm.request(
        "PUT",
        f"{NET}/virtualNetworks/a/virtualNetworkPeerings/a-b",
        {"properties": {"remoteVirtualNetwork": {"id": f"{vnet_id}/b"}}},
    )
    assert a_to_b.json()["properties"]["peeringState"] == "Initiated"
    arm.request(
        "PUT",
        f"{NET}/virtualNetworks/b/virtualNetworkPeerings/b-a",
        {"properties": {"remoteVirtualNetwork": {"id": f"{vnet_id}/a"}}},
    )
    assert (
        arm.request("GET", f"{NET}/virtualNetworks/a/virtualNetworkPeerings/a-b").json()["properties"]["peeringState"]
        == "Connected"
    )
    overlap = arm.request(
        "PUT",
        f"{NET}/virtualNetworks/a/virtualNetworkPeerings/a-c",
        {"properties": {"remoteVirtualNetwork": {"id": f"{vnet_id}/c"}}},
    )
    assert (overlap.status_code, error_code(overlap)) == (400, "VnetAddressSpacesOverlap")
    arm.request("DELETE", f"{NET}/virtualNetworks/b")
    assert (
        arm.request("GET", f"{NET}/virtualNetworks/a/virtualNetworkPeerings/a-b").json()["properties"]["peeringState"]
        == "Disconnected"
    )


def test_standalone_nic_takes_the_lowest_free_address(arm: Arm) -> None:
    world(arm)
    nic = {
        "location": "chinanorth2",
        "properties": {"ipConfigurations": [{"name": "ipconfig1", "properties": {"subnet": {"id": subnet_id(arm)}}}]},
    }
    first = arm.request("PUT", f"{NET}/networkInterfaces/n1", nic).json()
    assert first["properties"]["ipConfigurations"][0]["properties"]["privateIPAddress"] == "10.0.0.4"
    static = {
        "location": "chinanorth2",
        "properties": {
            "ipConfigurations": [
                {
                    "name": "ipconfig1",
                    "properties": {
                        "subnet": {"id": subnet_id(arm)},
                        "privateIPAllocationMethod": "Static",
                        "privateIPAddress": "10.0.0.4",
                    },
                }
            ]
        },
    }
    taken = arm.request("PUT", f"{NET}/networkInterfaces/n2", static)
    assert (taken.status_code, error_code(taken)) == (400, "PrivateIPAddressInUse")
    assert (
        arm.request("PUT", f"{NET}/networkInterfaces/n2", nic).json()["properties"]["ipConfigurations"][0][
            "properties"
        ]["privateIPAddress"]
        == "10.0.0.5"
    )
    again = arm.request("PUT", f"{NET}/networkInterfaces/n1", nic).json()
    assert again["properties"]["ipConfigurations"][0]["properties"]["privateIPAddress"] == "10.0.0.4", (
        "an update keeps its address"
    )


def test_group_delete_removes_network_and_registry_together(arm: Arm) -> None:
    world(arm)
    create_endpoint(arm)
    assert arm.request("DELETE", "/subscriptions/{sub}/resourcegroups/rg").status_code == 200
    with arm.application.store.transaction() as tx:
        assert tx.query(subscription=arm.sub) == []


def _vm_nic(arm: Arm, vm: str) -> dict[str, Any]:
    return {
        "location": "chinanorth2",
        "tags": {"acrlink-vm": vm},
        "properties": {"ipConfigurations": [{"name": "ipconfig1", "properties": {"subnet": {"id": subnet_id(arm)}}}]},
    }


@pytest.mark.parametrize("reserved", ["internet", "azure-trusted-service", "Internet"])
def test_a_nic_cannot_claim_a_built_in_host(arm: Arm, reserved: str) -> None:
    """Otherwise every unproxied client (the internet host) would become a VM inside the VNet."""
    world(arm)
    put = arm.request("PUT", f"{NET}/networkInterfaces/evil", _vm_nic(arm, reserved))
    assert (put.status_code, error_code(put)) == (400, "ReservedHostName")
    assert arm.request("GET", f"{NET}/networkInterfaces/evil").status_code == 404, "nothing was created"
    arm.request("PUT", f"{NET}/networkInterfaces/plain", {**_vm_nic(arm, "plainvm")})
    patch = arm.request("PATCH", f"{NET}/networkInterfaces/plain", {"tags": {"acrlink-vm": reserved}})
    assert (patch.status_code, error_code(patch)) == (400, "ReservedHostName")
    assert arm.request("GET", f"{NET}/networkInterfaces/plain").json()["tags"] == {"acrlink-vm": "plainvm"}


def test_two_vms_cannot_share_a_name(arm: Arm) -> None:
    world(arm)
    assert arm.request("PUT", f"{NET}/networkInterfaces/n1", _vm_nic(arm, "myVM")).status_code == 201
    again = arm.request("PUT", f"{NET}/networkInterfaces/n1", _vm_nic(arm, "myVM"))
    assert again.status_code == 200, "a NIC keeps its own name"
    second = arm.request("PUT", f"{NET}/networkInterfaces/n2", _vm_nic(arm, "MYVM"))
    assert (second.status_code, error_code(second)) == (409, "HostNameInUse")
    assert arm.request("GET", f"{NET}/networkInterfaces/n2").status_code == 404
    onprem = arm.request(
        "PUT",
        "/subscriptions/{sub}/resourceGroups/rg/providers/Acrlink.Network/onPremisesHosts/myvm",
        {
            "location": "chinanorth2",
            "properties": {
                "virtualNetwork": {"id": subnet_id(arm).rsplit("/subnets/", 1)[0]},
                "privateIPAddress": "192.168.1.10",
            },
        },
    )
    assert (onprem.status_code, error_code(onprem)) == (409, "HostNameInUse"), onprem.text
