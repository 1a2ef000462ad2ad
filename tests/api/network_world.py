"""Building blocks for network tests: a group with a Premium registry, a VNet and a subnet."""

from __future__ import annotations

from typing import Any

import httpx

from .conftest import Arm

NET = "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network"


def vnet_body(
    prefix: str = "10.0.0.0/16", subnets: list[tuple[str, str]] | None = None, location: str = "chinanorth2"
) -> dict[str, Any]:
    return {
        "location": location,
        "properties": {
            "addressSpace": {"addressPrefixes": [prefix]},
            "subnets": [{"name": n, "properties": {"addressPrefix": p}} for n, p in (subnets or [])],
        },
    }


def world(arm: Arm, registry: str = "myregistry", sku: str = "Premium", subnet_prefix: str = "10.0.0.0/24") -> None:
    arm.group()
    assert (
        arm.request("PUT", arm.registry_path(registry), {"location": "chinanorth2", "sku": {"name": sku}}).status_code
        == 201
    )
    put = arm.request("PUT", f"{NET}/virtualNetworks/myvnet", vnet_body(subnets=[("mysubnet", subnet_prefix)]))
    assert put.status_code == 201, put.text


def subnet_id(arm: Arm, vnet: str = "myvnet", subnet: str = "mysubnet") -> str:
    return f"/subscriptions/{arm.sub}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/{vnet}/subnets/{subnet}"


def registry_id(arm: Arm, name: str = "myregistry") -> str:
    return f"/subscriptions/{arm.sub}/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/{name}"


def endpoint_body(
    arm: Arm, registry: str = "myregistry", manual: bool = False, subnet: str = "mysubnet", **extra: Any
) -> dict[str, Any]:
    key = "manualPrivateLinkServiceConnections" if manual else "privateLinkServiceConnections"
    connection = {
        "name": "myconn",
        "properties": {
            "privateLinkServiceId": registry_id(arm, registry),
            "groupIds": ["registry"],
            "requestMessage": "please",
        },
    }
    return {
        "location": "chinanorth2",
        "properties": {"subnet": {"id": subnet_id(arm, subnet=subnet)}, key: [connection], **extra},
    }


def create_endpoint(arm: Arm, name: str = "mype", **kwargs: Any) -> httpx.Response:
    return arm.request("PUT", f"{NET}/privateEndpoints/{name}", endpoint_body(arm, **kwargs))


def nic_addresses(arm: Arm, endpoint: str = "mype") -> dict[str, str]:
    pe = arm.request("GET", f"{NET}/privateEndpoints/{endpoint}").json()
    nic_id = pe["properties"]["networkInterfaces"][0]["id"]
    nic = arm.client.get(f"{nic_id}?api-version=2023-11-01").json()
    return {
        c["properties"]["privateLinkConnectionProperties"]["requiredMemberName"]: c["properties"]["privateIPAddress"]
        for c in nic["properties"]["ipConfigurations"]
    }


def connections(arm: Arm, registry: str = "myregistry") -> list[dict[str, Any]]:
    return arm.request("GET", arm.registry_path(registry) + "/privateEndpointConnections").json()["value"]
