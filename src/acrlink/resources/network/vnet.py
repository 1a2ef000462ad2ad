"""Microsoft.Network/virtualNetworks: address space, custom DNS servers, inline subnets."""

from __future__ import annotations

import ipaddress
from typing import Any

from acrlink.domain import ipam
from acrlink.domain.naming import check_network_name
from acrlink.errors import BadRequest
from acrlink.ids import ResourceRef
from acrlink.resources import common
from acrlink.resources.base import Context, Doc, ResourceType
from acrlink.resources.network import peering, subnet
from acrlink.resources.network.common import VNET_TYPE, etag, resource_guid
from acrlink.resources.validation import Body, parse


class AddressSpace(Body):
    """A VNet's address prefixes: at least one, none overlapping another."""

    addressPrefixes: list[str]  # noqa: N815


class DhcpOptions(Body):
    """The DNS servers a VNet's hosts ask: IPv4 addresses, none meaning Azure-provided DNS."""

    dnsServers: list[str] | None = None  # noqa: N815


class Properties(Body):
    """A VNet's request: the address space is required; inline subnets replace the VNet's subnets."""

    addressSpace: AddressSpace  # noqa: N815
    dhcpOptions: DhcpOptions | None = None  # noqa: N815
    subnets: list[dict[str, Any]] | None = None
    enableDdosProtection: bool | None = None  # noqa: N815


class VnetBody(Body):
    """A VNet PUT: a region and the properties are required."""

    location: Any = None
    tags: dict[str, str] | None = None
    properties: Properties


class TagsBody(Body):
    """A VNet PATCH: tags only."""

    tags: dict[str, str] | None = None


def _dns_servers(servers: list[str] | None, owner: str) -> list[str]:
    """Custom DNS servers (S16): IPv4 addresses; none means Azure-provided DNS (168.63.129.16)."""
    for server in servers or []:
        try:
            ipaddress.IPv4Address(server)
        except ValueError:
            raise BadRequest(
                "InvalidDnsServerAddress", f"DNS server address {server} of {owner} is not a valid IPv4 address."
            ) from None
    return list(servers or [])


def create(ctx: Context, ref: ResourceRef, existing: Doc | None, body: Doc) -> Doc:
    """PUT replaces the VNet, its inline subnets included: listed subnets are created or updated,
    unlisted ones deleted (refused while in use)."""
    request = parse(VnetBody, body)
    location = common.region(ctx, request.location, VNET_TYPE)
    common.same_location(existing, location, ref)
    props = request.properties
    space = [ipam.parse_prefix(p, ref.id) for p in props.addressSpace.addressPrefixes]
    if not space:
        raise BadRequest("InvalidRequestFormat", f"Virtual network {ref.name} must have an address prefix.")
    clash = ipam.overlapping(space)
    if clash:
        raise BadRequest(
            "VnetAddressSpacesOverlap",
            f"Address prefixes {clash[0]} and {clash[1]} of virtual network {ref.name} overlap.",
        )
    doc: Doc = {
        **common.envelope(ref, VNET_TYPE),
        "etag": etag(),
        "location": location,
        "tags": request.tags or {},
        "properties": {
            "provisioningState": "Succeeded",
            "resourceGuid": resource_guid(existing),
            "addressSpace": {"addressPrefixes": [str(p) for p in space]},
            "dhcpOptions": {
                "dnsServers": _dns_servers(props.dhcpOptions.dnsServers if props.dhcpOptions else None, ref.id)
            },
            "enableDdosProtection": bool(props.enableDdosProtection),
            "privateEndpointVNetPolicies": "Disabled",
        },
    }
    _sync_subnets(ctx, ref, doc, props.subnets or [])
    return doc


def _sync_subnets(ctx: Context, ref: ResourceRef, vnet: Doc, wanted: list[dict[str, Any]]) -> None:
    names = [s.get("name") for s in wanted]
    if any(not isinstance(n, str) or not n for n in names):
        raise BadRequest("InvalidRequestFormat", "Every inline subnet needs a name.", target="properties.subnets")
    lowered = [str(n).lower() for n in names]
    if len(set(lowered)) != len(lowered):
        raise BadRequest("InvalidRequestFormat", f"Subnet names of virtual network {ref.name} must be unique.")
    current = {s["name"].lower(): s for s in ctx.children(ref, "subnets")}
    for gone in set(current) - set(lowered):
        subnet_ref = ref.child("subnets", current[gone]["name"])
        subnet.check_unused(ctx, subnet_ref, current[gone])
        ctx.tx.delete(subnet_ref.key)
    prefixes: dict[str, ipam.Network] = {}
    for body in wanted:
        name = body["name"]
        existing = current.get(name.lower())
        subnet_ref = ref.child("subnets", existing["name"] if existing else name)
        doc = subnet.build(ctx, subnet_ref, existing, body, vnet, prefixes)
        prefixes[doc["name"]] = subnet.prefix_of(doc)
        ctx.save(subnet_ref, doc)


def update(ctx: Context, ref: ResourceRef, existing: Doc, body: Doc) -> Doc:
    """PATCH changes tags only."""
    request = parse(TagsBody, body)
    return {**existing, "etag": etag(), "tags": request.tags if request.tags is not None else existing["tags"]}


def render(ctx: Context, ref: ResourceRef, doc: Doc) -> Doc:
    """A VNet shows its subnets and peerings inline, as rendered from their own documents, so the inline and child
    paths agree."""
    subnets = [subnet.render(ctx, ref.child("subnets", s["name"]), s) for s in ctx.children(ref, "subnets")]
    peerings = [
        peering.render(ctx, ref.child("virtualNetworkPeerings", p["name"]), p)
        for p in ctx.children(ref, "virtualNetworkPeerings")
    ]
    return {**doc, "properties": {**doc["properties"], "subnets": subnets, "virtualNetworkPeerings": peerings}}


VIRTUAL_NETWORKS = ResourceType(
    type=VNET_TYPE,
    check_name=check_network_name,
    create=create,
    update=update,
    render=render,
    listed_in_subscription=True,
    create_status="Updating",
    delete_rank=85,
    consumed_properties=frozenset({"subnets", "virtualNetworkPeerings"}),
)
