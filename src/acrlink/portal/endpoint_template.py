"""The template the portal deploys for a private endpoint, as the real portal's "Review + create" does: the
``Microsoft.Network/privateEndpoints`` resource, and nested deployments for what goes with it:
``UpdateSubnetDeployment-<stamp>`` (the subnet, unchanged but for its endpoint network policies),
``PrivateDns-<stamp>`` (the ``privatelink`` zone, when it is new), ``VirtualNetworkLink-<stamp>`` (the
zone's link to the endpoint's VNet, when there is none) and ``DnsZoneGroup-<stamp>`` (the zone group that
keeps the endpoint's records in the zone).

Used by the endpoint wizard and by the registry wizard's Networking tab (the same endpoint pane).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from acrlink.portal.deploy import nested, stamp, template

NETWORK_API = "2024-05-01"
DNS_API = "2024-06-01"


@dataclass(frozen=True)
class EndpointPlan:
    """What the user chose in the endpoint pane."""

    subscription: str
    group: str
    name: str
    location: str
    resource_id: str
    """The target: a registry's id."""
    sub_resource: str
    """``registry``."""
    subnet_id: str
    integrate_dns: bool
    zone_name: str
    """``privatelink.azurecr.cn``."""
    zone_group: str
    """The group the zone is in (or is created in)."""
    zone_exists: bool
    link_exists: bool
    """Whether the zone already has a link to the endpoint's VNet."""
    manual: bool = False
    """Manual approval (a connection request) instead of automatic."""
    request_message: str = ""


def deployment_name(moment_stamp: str | None = None) -> str:
    return f"Microsoft.PrivateEndpoint-{moment_stamp or stamp()}"


def endpoint_id(plan: EndpointPlan) -> str:
    group = f"/subscriptions/{plan.subscription}/resourceGroups/{plan.group}"
    return f"{group}/providers/Microsoft.Network/privateEndpoints/{plan.name}"


def zone_id(plan: EndpointPlan) -> str:
    return (
        f"/subscriptions/{plan.subscription}/resourceGroups/{plan.zone_group}/providers/Microsoft.Network/"
        f"privateDnsZones/{plan.zone_name}"
    )


def vnet_id(plan: EndpointPlan) -> str:
    return plan.subnet_id.split("/subnets/")[0]


def build(plan: EndpointPlan, subnet: dict[str, Any], moment_stamp: str | None = None) -> tuple[str, dict[str, Any]]:
    """(deployment name, template) for ``plan``; ``subnet`` is the subnet's current GET document (the subnet
    update re-sends it, as the portal's does)."""
    when = moment_stamp or stamp()
    connection = {
        "name": plan.name,
        "properties": {"privateLinkServiceId": plan.resource_id, "groupIds": [plan.sub_resource]},
    }
    if plan.manual:
        connection["properties"]["requestMessage"] = plan.request_message
    connections = "manualPrivateLinkServiceConnections" if plan.manual else "privateLinkServiceConnections"
    subnet_name = plan.subnet_id.rsplit("/", 1)[-1]
    vnet_name = vnet_id(plan).rsplit("/", 1)[-1]
    subnet_update = nested(
        f"UpdateSubnetDeployment-{when}",
        [
            {
                "type": "Microsoft.Network/virtualNetworks/subnets",
                "apiVersion": NETWORK_API,
                "name": f"{vnet_name}/{subnet_name}",
                "properties": {**_kept_subnet(subnet), "privateEndpointNetworkPolicies": "Disabled"},
            }
        ],
        group=plan.subnet_id.split("/")[4],
    )
    endpoint = {
        "type": "Microsoft.Network/privateEndpoints",
        "apiVersion": NETWORK_API,
        "name": plan.name,
        "location": plan.location,
        "dependsOn": [f"UpdateSubnetDeployment-{when}"],
        "properties": {"subnet": {"id": plan.subnet_id}, connections: [connection]},
    }
    resources: list[dict[str, Any]] = [subnet_update, endpoint]
    if plan.integrate_dns:
        dns_depends = [plan.name]
        if not plan.zone_exists:
            resources.append(
                nested(
                    f"PrivateDns-{when}",
                    [
                        {
                            "type": "Microsoft.Network/privateDnsZones",
                            "apiVersion": DNS_API,
                            "name": plan.zone_name,
                            "location": "global",
                            "properties": {},
                        }
                    ],  # fmt: skip
                    group=plan.zone_group,
                    depends_on=[plan.name],
                )
            )
            dns_depends = [f"PrivateDns-{when}"]
        if not plan.link_exists:
            resources.append(
                nested(
                    f"VirtualNetworkLink-{when}",
                    [
                        {
                            "type": "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
                            "apiVersion": DNS_API,
                            "name": f"{plan.zone_name}/{vnet_name}-link",
                            "location": "global",
                            "properties": {"virtualNetwork": {"id": vnet_id(plan)}, "registrationEnabled": False},
                        }
                    ],
                    group=plan.zone_group,
                    depends_on=dns_depends,
                )
            )
            dns_depends = [f"VirtualNetworkLink-{when}"]
        resources.append(
            nested(
                f"DnsZoneGroup-{when}",
                [
                    {
                        "type": "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
                        "apiVersion": NETWORK_API,
                        "name": f"{plan.name}/default",
                        "properties": {
                            "privateDnsZoneConfigs": [
                                {
                                    "name": plan.zone_name.replace(".", "-"),
                                    "properties": {"privateDnsZoneId": zone_id(plan)},
                                }
                            ]
                        },
                    }
                ],
                group=plan.group,
                depends_on=dns_depends,
            )
        )
    return deployment_name(when), template(resources)


_SUBNET_KEPT = ("addressPrefix", "addressPrefixes", "networkSecurityGroup", "routeTable", "serviceEndpoints",
                "delegations", "privateLinkServiceNetworkPolicies", "defaultOutboundAccess")  # fmt: skip


def _kept_subnet(subnet: dict[str, Any]) -> dict[str, Any]:
    """The subnet's writable properties as they are (a subnet PUT replaces what it does not repeat)."""
    properties = subnet.get("properties") or {}
    return {k: properties[k] for k in _SUBNET_KEPT if k in properties}
