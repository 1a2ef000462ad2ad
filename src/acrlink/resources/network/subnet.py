"""Microsoft.Network/virtualNetworks/subnets: address ranges inside a VNet, and who uses them.

A subnet is stored once, as a child resource; the VNet shows its subnets inline, so the inline and
child paths always agree.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any

from acrlink import unconfirmed
from acrlink.domain import ipam
from acrlink.domain.naming import check_network_name
from acrlink.errors import BadRequest
from acrlink.ids import ResourceRef
from acrlink.resources import common
from acrlink.resources.base import Context, Doc, ResourceType
from acrlink.resources.network.common import SUBNET_TYPE, child_not_found, etag, subnet_uses
from acrlink.resources.validation import Body, one_of, parse

PolicyState = Annotated[str, one_of("Enabled", "Disabled", "NetworkSecurityGroupEnabled", "RouteTableEnabled")]
EnabledDisabled = Annotated[str, one_of("Enabled", "Disabled")]


class Properties(Body):
    """A subnet's request: an address prefix (``addressPrefix``, else the first of ``addressPrefixes``) and its
    policies; the prefix is required when building."""

    addressPrefix: str | None = None  # noqa: N815
    addressPrefixes: list[str] | None = None  # noqa: N815
    privateEndpointNetworkPolicies: PolicyState | None = None  # noqa: N815
    privateLinkServiceNetworkPolicies: EnabledDisabled | None = None  # noqa: N815
    delegations: list[dict[str, Any]] | None = None
    serviceEndpoints: list[dict[str, Any]] | None = None  # noqa: N815
    defaultOutboundAccess: bool | None = None  # noqa: N815


class SubnetBody(Body):
    """A subnet PUT, or one inline subnet of a VNet PUT (then ``name`` names it)."""

    name: str | None = None
    properties: Properties


def prefix_of(subnet: Doc) -> ipam.Network:
    """The subnet's address prefix as a network."""
    return ipam.parse_prefix(subnet["properties"]["addressPrefix"], subnet["id"])


def build(
    ctx: Context, ref: ResourceRef, existing: Doc | None, body: Any, vnet: Doc, siblings: dict[str, ipam.Network]
) -> Doc:
    """Validate a subnet against its VNet's space and its siblings, and produce its document."""
    check_network_name(ref.name)
    request = parse(SubnetBody, body)
    props = request.properties
    given = props.addressPrefix or (props.addressPrefixes[0] if props.addressPrefixes else None)
    if given is None:
        raise BadRequest(
            "InvalidRequestFormat", f"Subnet {ref.name} must have an address prefix.", target="properties.addressPrefix"
        )
    prefix = ipam.parse_prefix(given, ref.id)
    space = [ipam.parse_prefix(p, vnet["id"]) for p in vnet["properties"]["addressSpace"]["addressPrefixes"]]
    ipam.check_subnet(ref.name, prefix, vnet["name"], space, siblings)
    uses = subnet_uses(ctx, ref.id) if existing is not None else []
    outside = [u for u in uses if ipaddress.IPv4Address(u.address) not in prefix]
    if outside:
        raise BadRequest(
            unconfirmed.SUBNET_PREFIX_IN_USE_CODE,
            f"Subnet {ref.name} cannot change its address prefix to {prefix}: address {outside[0].address} is in "
            f"use by {outside[0].ip_configuration_id}.",
        )
    previous = (existing or {}).get("properties", {})
    policies = props.privateEndpointNetworkPolicies or previous.get("privateEndpointNetworkPolicies", "Disabled")
    if ctx.options.legacy_pe_network_policies and policies != "Disabled" and any(u.private_endpoint_id for u in uses):
        raise BadRequest(
            "PrivateEndpointNetworkPoliciesCannotBeEnabledOnPrivateEndpointSubnet",
            f"Private endpoint network policies cannot be enabled on subnet {ref.id} because it hosts private "
            "endpoints.",
        )
    return {
        **common.envelope(ref, SUBNET_TYPE),
        "etag": etag(),
        "properties": {
            "provisioningState": "Succeeded",
            "addressPrefix": str(prefix),
            "delegations": props.delegations or [],
            "serviceEndpoints": props.serviceEndpoints or [],
            "privateEndpointNetworkPolicies": policies,
            "privateLinkServiceNetworkPolicies": props.privateLinkServiceNetworkPolicies
            or previous.get("privateLinkServiceNetworkPolicies", "Enabled"),
        },
    }


def _vnet(ctx: Context, ref: ResourceRef) -> tuple[ResourceRef, Doc]:
    parent = ref.parent
    assert parent is not None
    vnet = ctx.load(parent)
    assert vnet is not None, "the service checks the parent exists"
    return parent, vnet


def sibling_prefixes(ctx: Context, vnet_ref: ResourceRef) -> dict[str, ipam.Network]:
    """The prefixes of every subnet of the VNet, by name: what a new or changed subnet must not overlap."""
    return {s["name"]: prefix_of(s) for s in ctx.children(vnet_ref, "subnets")}


def create(ctx: Context, ref: ResourceRef, existing: Doc | None, body: Doc) -> Doc:
    """PUT of a child subnet: built against its VNet's address space and its siblings, as an inline subnet is."""
    vnet_ref, vnet = _vnet(ctx, ref)
    return build(ctx, ref, existing, body, vnet, sibling_prefixes(ctx, vnet_ref))


def render(ctx: Context, _ref: ResourceRef, doc: Doc) -> Doc:
    """Adds the read-only back-references: private endpoints and ip configurations in the subnet."""
    uses = subnet_uses(ctx, doc["id"])
    props = dict(doc["properties"])
    if uses:
        endpoints = sorted({u.private_endpoint_id for u in uses if u.private_endpoint_id})
        props["privateEndpoints"] = [{"id": e} for e in endpoints]
        props["ipConfigurations"] = [{"id": u.ip_configuration_id} for u in uses]
    return {**doc, "properties": props}


def check_unused(ctx: Context, ref: ResourceRef, doc: Doc) -> None:
    """A subnet with addresses in use cannot be deleted (nor can its VNet)."""
    uses = subnet_uses(ctx, doc["id"])
    if uses:
        raise BadRequest(
            "InUseSubnetCannotBeDeleted",
            f"Subnet {ref.name} is in use by {uses[0].ip_configuration_id} and cannot be deleted. In order to "
            "delete the subnet, delete all the resources within the subnet.",
        )


SUBNETS = ResourceType(
    type=SUBNET_TYPE,
    check_name=check_network_name,
    create=create,
    render=render,
    on_delete=check_unused,
    location="inherited",
    create_status="Updating",
    delete_rank=80,
    not_found=child_not_found,
)
