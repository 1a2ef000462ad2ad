"""Acrlink.Network/onPremisesHosts: a machine in an on-premises network connected to a VNet by a VPN
gateway or ExpressRoute private peering (S5, S16).

acrlink-specific on purpose: Azure models the network side (virtual network gateway, local network
gateway, connection) but never the machines behind it, and none of the seed's clients touch those
gateway types. One resource per on-premises machine carries exactly what the network rules need: the
VNet its network connects to, its address, and the DNS server it asks (which may itself be an
on-premises DNS server forwarding to a DNS forwarder VM in Azure).
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any

from acrlink.domain.naming import check_network_name
from acrlink.errors import BadRequest
from acrlink.ids import ResourceRef
from acrlink.resources import common, hostnames
from acrlink.resources.base import Context, Doc, ResourceType
from acrlink.resources.network.common import VNET_TYPE, SubResource, referenced
from acrlink.resources.validation import Body, one_of, parse

TYPE = hostnames.ONPREM_TYPE
ConnectionKind = Annotated[str, one_of("VpnGateway", "ExpressRoute")]


class Properties(Body):
    """An on-premises host: the VNet its network connects to (required), how (VPN gateway or ExpressRoute), its
    private address and the DNS servers it asks."""

    virtualNetwork: SubResource  # noqa: N815
    connectionType: ConnectionKind | None = None  # noqa: N815
    privateIPAddress: str  # noqa: N815
    dnsServers: list[str] | None = None  # noqa: N815
    dnsForwarder: bool | None = None  # noqa: N815


class HostBody(Body):
    """An on-premises host PUT: the properties are required."""

    location: Any = None
    tags: dict[str, str] | None = None
    properties: Properties


def _address(value: str, field: str) -> str:
    try:
        return str(ipaddress.IPv4Address(value))
    except ValueError:
        raise BadRequest("InvalidRequestContent", f"'{value}' is not an IPv4 address.", target=field) from None


def create(ctx: Context, ref: ResourceRef, existing: Doc | None, body: Doc) -> Doc:
    """The host's address must lie outside the VNet's address space (it is on the other side of the
    gateway); its DNS servers are addresses it can reach."""
    request = parse(HostBody, body)
    hostnames.check_host_name(ctx, ref.name, ref.id, "name")
    props = request.properties
    _, vnet = referenced(ctx, props.virtualNetwork.id, VNET_TYPE, ref.id)
    location = common.region(ctx, request.location or vnet["location"], TYPE)
    address = _address(props.privateIPAddress, "properties.privateIPAddress")
    space = [ipaddress.IPv4Network(p) for p in vnet["properties"]["addressSpace"]["addressPrefixes"]]
    if any(ipaddress.IPv4Address(address) in prefix for prefix in space):
        raise BadRequest(
            "InvalidRequestContent",
            f"{address} is inside the address space of {vnet['name']}; an "
            "on-premises host is on the other side of the gateway.",
            target="properties.privateIPAddress",
        )
    servers = [_address(s, "properties.dnsServers") for s in props.dnsServers or []]
    return {
        **common.envelope(ref, TYPE),
        "location": location,
        "tags": request.tags or {},
        "properties": {
            "provisioningState": "Succeeded",
            "virtualNetwork": {"id": vnet["id"]},
            "connectionType": props.connectionType or "VpnGateway",
            "privateIPAddress": address,
            "dnsServers": servers,
            "dnsForwarder": bool(props.dnsForwarder),
        },
    }


ON_PREMISES_HOSTS = ResourceType(
    type=TYPE,
    check_name=check_network_name,
    create=create,
    listed_in_subscription=True,
    delete_rank=25,
)
