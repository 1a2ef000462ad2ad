"""What Microsoft.Network resources share: etags, GUIDs, references, and who uses a subnet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from acrlink.errors import AcrlinkError, BadRequest, NotFound
from acrlink.ids import ResourceRef, new_guid
from acrlink.resources.base import Context, Doc
from acrlink.resources.validation import Body

NAMESPACE = "Microsoft.Network"
VNET_TYPE = f"{NAMESPACE}/virtualNetworks"
SUBNET_TYPE = f"{VNET_TYPE}/subnets"
PEERING_TYPE = f"{VNET_TYPE}/virtualNetworkPeerings"
NIC_TYPE = f"{NAMESPACE}/networkInterfaces"
PE_TYPE = f"{NAMESPACE}/privateEndpoints"
ZONE_GROUP_TYPE = f"{PE_TYPE}/privateDnsZoneGroups"


class SubResource(Body):
    """``{"id": "..."}``: a reference to another resource."""

    id: str


def etag() -> str:
    """Network's weak etag: ``W/"<guid>"``, new on every write."""
    return f'W/"{new_guid()}"'


def child_not_found(ref: ResourceRef) -> AcrlinkError:
    """Network answers a missing child (a subnet of an existing VNet, say) with ``NotFound``."""
    return NotFound("NotFound", f"Resource {ref.id} not found.")


def referenced(ctx: Context, resource_id: str, expected_type: str, referrer: str) -> tuple[ResourceRef, Doc]:
    """A resource another one points at; ``InvalidResourceReference`` when it is not there."""
    found = ctx.load_id(resource_id)
    if found is None or found[0].type.lower() != expected_type.lower():
        raise BadRequest(
            "InvalidResourceReference",
            f"Resource {resource_id} referenced by resource {referrer} was not found. Please make sure that the "
            "referenced resource exists, and that both resources are in the same region.",
        )
    return found


@dataclass(frozen=True)
class AddressUse:
    """One private address in use in a subnet, and what holds it."""

    address: str
    nic_id: str
    ip_configuration_id: str
    private_endpoint_id: str | None


def subnet_uses(ctx: Context, subnet_id: str, exclude_nic: str | None = None) -> list[AddressUse]:
    """Every ip configuration of every network interface that sits in the subnet."""
    uses: list[AddressUse] = []
    wanted = subnet_id.lower()
    for record in ctx.tx.query(type=NIC_TYPE):
        if exclude_nic is not None and record.key == exclude_nic.lower():
            continue
        nic = record.body
        endpoint = (nic["properties"].get("privateEndpoint") or {}).get("id")
        for config in nic["properties"]["ipConfigurations"]:
            props = config["properties"]
            if props["subnet"]["id"].lower() == wanted and props.get("privateIPAddress"):
                uses.append(AddressUse(props["privateIPAddress"], nic["id"], config["id"], endpoint))
    return uses


def resource_guid(existing: Doc | None) -> str:
    """A Network resource keeps its ``resourceGuid`` for life: the existing one on a PUT, a new GUID on create."""
    if existing is not None:
        return str(existing["properties"]["resourceGuid"])
    return new_guid()


def strip_internal(doc: Doc) -> Doc:
    """Documents may carry acrlink's own bookkeeping under ``_acrlink``; clients never see it."""
    return {k: v for k, v in doc.items() if k != "_acrlink"}


def internal(doc: Doc) -> dict[str, Any]:
    """acrlink's own bookkeeping on a document (``_acrlink``, never rendered), or an empty mapping."""
    value: dict[str, Any] = doc.get("_acrlink") or {}
    return value
