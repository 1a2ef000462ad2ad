"""Microsoft.ContainerRegistry/registries/replications: geo-replicas (Premium only, S2, S22)."""

from __future__ import annotations

from acrlink import unconfirmed
from acrlink.clock import iso
from acrlink.domain.naming import check_registry_name
from acrlink.errors import BadRequest
from acrlink.ids import ResourceRef
from acrlink.resources import common
from acrlink.resources.base import Context, Doc, ResourceType
from acrlink.resources.registry import REPLICATIONS, EnabledDisabled
from acrlink.resources.registry import TYPE as REGISTRY_TYPE
from acrlink.resources.validation import Body, parse

TYPE = f"{REGISTRY_TYPE}/replications"


class Properties(Body):
    """A replica's settings: whether its regional endpoint serves, and zone redundancy."""

    regionEndpointEnabled: bool | None = None  # noqa: N815
    zoneRedundancy: EnabledDisabled | None = None  # noqa: N815


class CreateBody(Body):
    """A replication PUT: the region is required."""

    location: object = None
    tags: dict[str, str] | None = None
    properties: Properties | None = None


class UpdateBody(Body):
    """A replication PATCH: tags and settings; the region never changes."""

    tags: dict[str, str] | None = None
    properties: Properties | None = None


def create(ctx: Context, ref: ResourceRef, existing: Doc | None, body: Doc) -> Doc:
    """A replica lives in one region that is neither the home region nor another replica's region.

    The first replica also makes the home region's replication visible, as Azure lists it.
    """
    request = parse(CreateBody, body)
    registry = ctx.parent(ref)[1]
    location = common.region(ctx, request.location, TYPE)
    common.same_location(existing, location, ref)
    sku = registry["sku"]["name"]
    if sku != "Premium":
        raise BadRequest(
            unconfirmed.PREMIUM_ONLY_CODE,
            f"The SKU {sku} is not supported. Geo-replication requires the Premium SKU.",
        )
    parent = ref.parent
    assert parent is not None
    home = registry["location"]
    if existing is None:
        if location == home and ref.name.lower() != home:
            raise _region_conflict(location, "is the registry's home region")
        for other in ctx.children(parent, REPLICATIONS):
            if other["location"] == location:
                raise _region_conflict(location, "already has a replication")
    props = request.properties.model_dump(exclude_none=True) if request.properties else {}
    first = existing is None and location != home and not ctx.children(parent, REPLICATIONS)
    if first and unconfirmed.HOME_REPLICATION_LISTED_WHEN_GEO_REPLICATED:
        home_ref = parent.child("replications", home)
        ctx.save(home_ref, _document(ctx, home_ref, home, {}, {}, None))
    return _document(ctx, ref, location, request.tags or {}, props, existing)


def _region_conflict(location: str, why: str) -> BadRequest:
    return BadRequest(
        unconfirmed.REPLICATION_REGION_CODE,
        f"The replication location '{location}' {why}.",
        target="location",
    )


def _document(
    ctx: Context, ref: ResourceRef, location: str, tags: dict[str, str], props: Doc, existing: Doc | None
) -> Doc:
    return {
        **common.envelope(ref, TYPE),
        "location": location,
        "tags": tags,
        "systemData": common.system_data(ctx, existing),
        "properties": {
            "provisioningState": "Succeeded",
            "status": {
                "displayStatus": "Ready",
                "message": "The replication is ready.",
                "timestamp": iso(ctx.now),
            },
            "regionEndpointEnabled": props.get("regionEndpointEnabled", True),
            "zoneRedundancy": props.get("zoneRedundancy", "Disabled"),
        },
    }


def update(ctx: Context, ref: ResourceRef, existing: Doc, body: Doc) -> Doc:
    """PATCH: tags when sent, and the settings sent merged over the stored ones."""
    request = parse(UpdateBody, body)
    doc = {**existing, "systemData": common.system_data(ctx, existing)}
    if request.tags is not None:
        doc["tags"] = request.tags
    if request.properties is not None:
        doc["properties"] = {**existing["properties"], **request.properties.model_dump(exclude_none=True)}
    return doc


def before_delete(ctx: Context, ref: ResourceRef, doc: Doc) -> None:
    """The home replication goes only with the registry, or when the last replica goes."""
    registry = ctx.parent(ref)[1]
    parent = ref.parent
    assert parent is not None
    others = [r for r in ctx.children(parent, REPLICATIONS) if r["location"] != registry["location"]]
    if doc["location"] == registry["location"] and others:
        raise BadRequest(
            unconfirmed.HOME_REPLICATION_DELETE_CODE,
            f"The home replication '{ref.name}' cannot be deleted while the registry has other replications.",
        )
    if [r["location"] for r in others] == [doc["location"]]:
        ctx.tx.delete(parent.child("replications", registry["location"]).key)


REPLICATIONS_TYPE = ResourceType(
    type=TYPE,
    check_name=check_registry_name,
    create=create,
    update=update,
    on_delete=before_delete,
    location="regional",
    delete_rank=40,
)
