"""Microsoft.Network/privateDnsZones/virtualNetworkLinks: which VNets see a private zone (S12, S17)."""

from __future__ import annotations

from typing import Annotated, Any

from acrlink import unconfirmed
from acrlink.domain.naming import check_network_name
from acrlink.errors import BadRequest, Conflict
from acrlink.ids import ResourceRef, new_guid, parse_resource_id
from acrlink.resources import common
from acrlink.resources.base import Context, Doc, ResourceType
from acrlink.resources.network.common import VNET_TYPE, SubResource, referenced
from acrlink.resources.privatedns import zone as zones
from acrlink.resources.validation import Body, one_of, parse

TYPE = f"{zones.TYPE}/virtualNetworkLinks"
ResolutionPolicy = Annotated[str, one_of("Default", "NxDomainRedirect")]


class Properties(Body):
    """A link's request: the VNet (required, fixed once linked), whether the VNet's VMs auto-register, and the
    resolution policy."""

    virtualNetwork: SubResource  # noqa: N815
    registrationEnabled: bool | None = None  # noqa: N815
    resolutionPolicy: ResolutionPolicy | None = None  # noqa: N815


class LinkBody(Body):
    """A virtual network link PUT: the properties are required; the location, if any, is ``global``."""

    location: Any = None
    tags: dict[str, str] | None = None
    properties: Properties


class LinkPatch(Body):
    """A virtual network link PATCH: tags and any properties to change."""

    tags: dict[str, str] | None = None
    properties: dict[str, Any] | None = None


def overlapping_namespaces(a: str, b: str) -> bool:
    """Two zone names overlap when they are equal or one lies inside the other."""
    a, b = a.lower().rstrip("."), b.lower().rstrip(".")
    return a == b or a.endswith("." + b) or b.endswith("." + a)


def links_of_vnet(ctx: Context, vnet_id: str) -> list[tuple[ResourceRef, Doc]]:
    """Every link (in any zone) to the VNet, with its ref."""
    found = []
    for record in ctx.tx.query(type=TYPE):
        if record.body["properties"]["virtualNetwork"]["id"].lower() == vnet_id.lower():
            ref = parse_resource_id(record.body["id"])
            assert ref is not None
            found.append((ref, record.body))
    return found


def _check_rules(ctx: Context, ref: ResourceRef, zone: Doc, vnet_id: str, registration: bool) -> None:
    """One link per (zone, VNet); at most one registration zone per VNet; no two zones with
    overlapping names linked to one VNet; the zone's link limits."""
    zone_ref = ref.parent
    assert zone_ref is not None
    for other_ref, other in links_of_vnet(ctx, vnet_id):
        if other_ref.key == ref.key:
            continue
        other_zone = other_ref.parent
        assert other_zone is not None
        if other_zone.key == zone_ref.key:
            raise Conflict(
                unconfirmed.LINK_DUPLICATE_CODE,
                f"The virtual network {vnet_id} is already linked to zone {zone['name']} by link {other_ref.name}.",
            )
        if overlapping_namespaces(other_zone.name, zone["name"]):
            raise BadRequest(
                "BadRequest",
                "A virtual network cannot be linked to multiple zones with overlapping namespaces. You tried to "
                f"link virtual network with '{other_zone.name}' and '{zone['name']}' zones.",
            )
        if registration and other["properties"]["registrationEnabled"]:
            raise BadRequest(
                unconfirmed.REGISTRATION_ZONE_CODE,
                f"The virtual network {vnet_id} already has auto-registration enabled with zone "
                f"{other_zone.name}; a virtual network can have only one registration zone.",
            )
    links = [link for link in ctx.children(zone_ref, "virtualNetworkLinks") if link["id"].lower() != ref.key]
    if len(links) >= zones.MAX_LINKS:
        raise BadRequest("BadRequest", f"The zone {zone['name']} already has the maximum of {zones.MAX_LINKS} links.")
    if (
        registration
        and sum(1 for link in links if link["properties"]["registrationEnabled"]) >= zones.MAX_REGISTRATION_LINKS
    ):
        raise BadRequest(
            "BadRequest",
            f"The zone {zone['name']} already has the maximum of "
            f"{zones.MAX_REGISTRATION_LINKS} registration-enabled links.",
        )


def _document(ref: ResourceRef, tags: dict[str, str], vnet_id: str, registration: bool, policy: str) -> Doc:
    return {
        **common.envelope(ref, TYPE),
        "etag": new_guid(),
        "location": "global",
        "tags": tags,
        "properties": {
            "virtualNetwork": {"id": vnet_id},
            "registrationEnabled": registration,
            "resolutionPolicy": policy,
            "virtualNetworkLinkState": "Completed",
            "provisioningState": "Succeeded",
        },
    }


def create(ctx: Context, ref: ResourceRef, existing: Doc | None, body: Doc) -> Doc:
    """PUT: a link in ``global`` to an existing VNet, which it keeps; one link per zone and VNet, one registration
    zone per VNet, no two zones of overlapping names on one VNet (S17), within the zone's link limits."""
    request = parse(LinkBody, body)
    if request.location is not None and str(request.location).lower() != "global":
        raise BadRequest(
            unconfirmed.ZONE_LOCATION_CODE,
            f"The location '{request.location}' is invalid for a virtual network link: use 'global'.",
            target="location",
        )
    zone_ref = ref.parent
    assert zone_ref is not None
    zone = ctx.load(zone_ref)
    assert zone is not None
    _, vnet = referenced(ctx, request.properties.virtualNetwork.id, VNET_TYPE, ref.id)
    if existing is not None and existing["properties"]["virtualNetwork"]["id"].lower() != vnet["id"].lower():
        raise BadRequest("BadRequest", f"The virtual network of link {ref.name} cannot be changed.")
    registration = bool(request.properties.registrationEnabled)
    _check_rules(ctx, ref, zone, vnet["id"], registration)
    return _document(
        ref, request.tags or {}, vnet["id"], registration, request.properties.resolutionPolicy or "Default"
    )


def update(ctx: Context, ref: ResourceRef, existing: Doc, body: Doc) -> Doc:
    """PATCH: tags and ``registrationEnabled``."""
    request = parse(LinkPatch, body)
    props = existing["properties"]
    registration = props["registrationEnabled"]
    if request.properties and "registrationEnabled" in request.properties:
        registration = request.properties["registrationEnabled"]
        if not isinstance(registration, bool):
            raise BadRequest(
                "InvalidRequestContent",
                "registrationEnabled must be a boolean.",
                target="properties.registrationEnabled",
            )
    zone_ref = ref.parent
    assert zone_ref is not None
    zone = ctx.load(zone_ref)
    assert zone is not None
    _check_rules(ctx, ref, zone, props["virtualNetwork"]["id"], registration)
    return _document(
        ref,
        request.tags if request.tags is not None else existing["tags"],
        props["virtualNetwork"]["id"],
        registration,
        props["resolutionPolicy"],
    )


VIRTUAL_NETWORK_LINKS = ResourceType(
    type=TYPE,
    check_name=check_network_name,
    create=create,
    update=update,
    location="global",
    create_status="Updating",
    delete_rank=12,
    label="Virtual network link",
)
