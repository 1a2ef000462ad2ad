"""Microsoft.Network/virtualNetworks/virtualNetworkPeerings: a peering connects two VNets only when
both sides exist (``Initiated`` until the remote side peers back, then ``Connected``)."""

from __future__ import annotations

from acrlink.domain import ipam
from acrlink.domain.naming import check_network_name
from acrlink.errors import BadRequest
from acrlink.ids import ResourceRef
from acrlink.resources import common
from acrlink.resources.base import Context, Doc, ResourceType
from acrlink.resources.network.common import PEERING_TYPE, VNET_TYPE, SubResource, child_not_found, etag, referenced
from acrlink.resources.validation import Body, parse


class Properties(Body):
    """A peering's request: the remote VNet is required; the traffic and gateway flags are optional."""

    remoteVirtualNetwork: SubResource  # noqa: N815
    allowVirtualNetworkAccess: bool | None = None  # noqa: N815
    allowForwardedTraffic: bool | None = None  # noqa: N815
    allowGatewayTransit: bool | None = None  # noqa: N815
    useRemoteGateways: bool | None = None  # noqa: N815


class PeeringBody(Body):
    """A peering PUT: the properties are required."""

    properties: Properties


def _space(vnet: Doc) -> list[ipam.Network]:
    return [ipam.parse_prefix(p, vnet["id"]) for p in vnet["properties"]["addressSpace"]["addressPrefixes"]]


def create(ctx: Context, ref: ResourceRef, existing: Doc | None, body: Doc) -> Doc:
    """The remote VNet must exist and its address space must not overlap this VNet's."""
    request = parse(PeeringBody, body)
    parent = ref.parent
    assert parent is not None
    local = ctx.load(parent)
    assert local is not None
    remote_ref, remote = referenced(ctx, request.properties.remoteVirtualNetwork.id, VNET_TYPE, ref.id)
    if remote_ref.key == parent.key:
        raise BadRequest(
            "CannotPeerVirtualNetworkWithItself", f"Virtual network {parent.name} cannot peer with itself."
        )
    clash = ipam.overlapping([*_space(local), *_space(remote)])
    if clash:
        raise BadRequest(
            "VnetAddressSpacesOverlap",
            f"Cannot create or update peering {ref.id} because address space {clash[0]} of virtual network "
            f"{parent.id} overlaps with address space {clash[1]} of virtual network {remote_ref.id}.",
        )
    props = request.properties
    return {
        **common.envelope(ref, PEERING_TYPE),
        "etag": etag(),
        "properties": {
            "provisioningState": "Succeeded",
            "remoteVirtualNetwork": {"id": remote["id"]},
            "remoteAddressSpace": remote["properties"]["addressSpace"],
            "allowVirtualNetworkAccess": True
            if props.allowVirtualNetworkAccess is None
            else props.allowVirtualNetworkAccess,
            "allowForwardedTraffic": bool(props.allowForwardedTraffic),
            "allowGatewayTransit": bool(props.allowGatewayTransit),
            "useRemoteGateways": bool(props.useRemoteGateways),
        },
    }


def state(ctx: Context, local_vnet_id: str, doc: Doc) -> str:
    """``Connected`` when the remote VNet peers back, ``Initiated`` while it does not, ``Disconnected``
    once the remote VNet is gone."""
    found = ctx.load_id(doc["properties"]["remoteVirtualNetwork"]["id"])
    if found is None:
        return "Disconnected"
    remote_ref, _ = found
    for back in ctx.children(remote_ref, "virtualNetworkPeerings"):
        if back["properties"]["remoteVirtualNetwork"]["id"].lower() == local_vnet_id.lower():
            return "Connected"
    return "Initiated"


def render(ctx: Context, ref: ResourceRef, doc: Doc) -> Doc:
    """``remoteAddressSpace`` is the remote VNet's space when the peering was written;
    ``remoteVirtualNetworkAddressSpace`` is its space now (the stored one once the remote VNet is gone)."""
    parent = ref.parent
    assert parent is not None
    peering_state = state(ctx, parent.id, doc)
    sync = "FullyInSync" if peering_state == "Connected" else "LocalNotInSync"
    remote = ctx.load_id(doc["properties"]["remoteVirtualNetwork"]["id"])
    space = remote[1]["properties"]["addressSpace"] if remote else doc["properties"]["remoteAddressSpace"]
    return {
        **doc,
        "properties": {
            **doc["properties"],
            "remoteVirtualNetworkAddressSpace": space,
            "peeringState": peering_state,
            "peeringSyncLevel": sync,
        },
    }


PEERINGS = ResourceType(
    type=PEERING_TYPE,
    check_name=check_network_name,
    create=create,
    render=render,
    location="inherited",
    create_status="Updating",
    delete_rank=70,
    not_found=child_not_found,
)
