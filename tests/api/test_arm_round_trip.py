"""Azure keeps every property it is sent: what acrlink does not act on comes back on GET, and never overrides
what ARM computes."""

from __future__ import annotations

from .conftest import Arm
from .network_world import NET, create_endpoint, vnet_body, world


def test_unmodelled_vnet_property_round_trips(arm: Arm) -> None:
    arm.group()
    body = vnet_body(subnets=[("s1", "10.0.0.0/24")])
    body["properties"]["flowTimeoutInMinutes"] = 10
    body["properties"]["enableVmProtection"] = False
    put = arm.request("PUT", f"{NET}/virtualNetworks/v1", body)
    assert put.status_code == 201, put.text
    assert put.json()["properties"]["flowTimeoutInMinutes"] == 10
    got = arm.request("GET", f"{NET}/virtualNetworks/v1").json()["properties"]
    assert (got["flowTimeoutInMinutes"], got["enableVmProtection"]) == (10, False)
    listed = arm.request("GET", f"{NET}/virtualNetworks").json()["value"][0]["properties"]
    assert listed["flowTimeoutInMinutes"] == 10
    body["properties"]["flowTimeoutInMinutes"] = 20
    del body["properties"]["enableVmProtection"]
    arm.request("PUT", f"{NET}/virtualNetworks/v1", body)
    again = arm.request("GET", f"{NET}/virtualNetworks/v1").json()["properties"]
    assert again["flowTimeoutInMinutes"] == 20
    assert "enableVmProtection" not in again, "a PUT replaces the whole resource"


def test_sent_properties_never_override_computed_ones(arm: Arm) -> None:
    arm.group()
    body = vnet_body()
    body["properties"].update({"provisioningState": "Failed", "resourceGuid": "forged"})
    put = arm.request("PUT", f"{NET}/virtualNetworks/v2", body).json()["properties"]
    got = arm.request("GET", f"{NET}/virtualNetworks/v2").json()["properties"]
    assert got["provisioningState"] == "Succeeded"
    assert got["resourceGuid"] == put["resourceGuid"] != "forged"


def test_unmodelled_registry_property_survives_a_patch(arm: Arm) -> None:
    arm.group()
    preview = "2026-09-01-preview"
    body = {"location": "chinanorth2", "sku": {"name": "Premium"}, "properties": {"metadataSearch": "Enabled"}}
    assert arm.request("PUT", arm.registry_path("keep0001"), body, api=preview).status_code == 201
    patch = {"properties": {"adminUserEnabled": True}}
    assert arm.request("PATCH", arm.registry_path("keep0001"), patch, api=preview).status_code == 200
    got = arm.request("GET", arm.registry_path("keep0001"), api=preview).json()["properties"]
    assert (got["metadataSearch"], got["adminUserEnabled"]) == ("Enabled", True)
    patch = {"properties": {"metadataSearch": "Disabled"}}
    arm.request("PATCH", arm.registry_path("keep0001"), patch, api=preview)
    assert arm.request("GET", arm.registry_path("keep0001"), api=preview).json()["properties"]["metadataSearch"] == (
        "Disabled"
    )


def test_pending_manual_endpoint_shows_its_custom_dns_configs(arm: Arm) -> None:
    world(arm)
    pe = create_endpoint(arm, manual=True).json()
    link = pe["properties"]["manualPrivateLinkServiceConnections"][0]
    assert link["properties"]["privateLinkServiceConnectionState"]["status"] == "Pending"
    assert pe["properties"]["customDnsConfigs"] == [
        {"fqdn": "myregistry.azurecr.cn", "ipAddresses": ["10.0.0.4"]},
        {"fqdn": "myregistry.chinanorth2.data.azurecr.cn", "ipAddresses": ["10.0.0.5"]},
    ]


def test_read_only_properties_rendered_by_default_cannot_be_sent(arm: Arm) -> None:
    world(arm)
    nic = {
        "location": "chinanorth2",
        "properties": {
            "ipConfigurations": [
                {
                    "name": "ipconfig1",
                    "properties": {"subnet": {"id": arm.sub_id(f"{NET}/virtualNetworks/myvnet/subnets/mysubnet")}},
                }
            ],
            "primary": "forged",
            "vnetEncryptionSupported": True,
        },
    }
    put = arm.request("PUT", f"{NET}/networkInterfaces/nic1", nic)
    assert put.status_code in (200, 201), put.text
    got = arm.request("GET", f"{NET}/networkInterfaces/nic1").json()["properties"]
    assert (got["primary"], got["vnetEncryptionSupported"]) == (True, False)


def test_a_patch_of_one_policy_keeps_the_others(arm: Arm) -> None:
    arm.group()
    body = {"location": "chinanorth2", "sku": {"name": "Premium"}}
    arm.request("PUT", arm.registry_path("policy01"), body)
    quarantine = {"properties": {"policies": {"quarantinePolicy": {"status": "enabled"}}}}
    assert arm.request("PATCH", arm.registry_path("policy01"), quarantine).status_code == 200
    retention = {"properties": {"policies": {"retentionPolicy": {"days": 30, "status": "enabled"}}}}
    assert arm.request("PATCH", arm.registry_path("policy01"), retention).status_code == 200
    policies = arm.request("GET", arm.registry_path("policy01")).json()["properties"]["policies"]
    assert policies["quarantinePolicy"] == {"status": "enabled"}
    assert (policies["retentionPolicy"]["days"], policies["retentionPolicy"]["status"]) == (30, "enabled")
