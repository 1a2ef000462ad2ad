"""Microsoft.Resources/resourceGroups: the container every other resource lives in.

ARM serves groups itself, not through a resource provider (``ResourceType.served_by_arm``): at
``/subscriptions/{s}/resourceGroups/{name}``, synchronously, without etags. A group has a region that
never changes, tags and an optional ``managedBy``. Deleting a group deletes everything in it first (S26,
``services/arm.py``); every other resource needs its group to exist (``require``).
"""

from __future__ import annotations

from typing import Any

from acrlink.domain.naming import check_group_name
from acrlink.errors import BadRequest, Conflict, NotFound
from acrlink.ids import GROUP_TYPE, ResourceRef, group_id, group_ref
from acrlink.resources.base import Context, Doc, ResourceType
from acrlink.resources.validation import Body, parse
from acrlink.store.base import Transaction

TYPE = GROUP_TYPE
PERMISSION_TYPE = "Microsoft.Resources/subscriptions/resourceGroups"
"""The type Azure RBAC names in a group's actions (``.../resourceGroups/read``), not the type of the document."""


class GroupBody(Body):
    """A group's PUT: a region (required), tags and who manages it; anything else is ignored."""

    location: Any = None
    tags: dict[str, str] | None = None
    managedBy: str | None = None  # noqa: N815


class GroupPatch(Body):
    """A group's PATCH: tags and ``managedBy`` only (its region never changes)."""

    tags: dict[str, str] | None = None
    managedBy: str | None = None  # noqa: N815


def find(tx: Transaction, subscription: str, name: str) -> Doc | None:
    """The stored group of that name (any casing) in the subscription, or None."""
    record = tx.get(group_id(subscription, name).lower())
    return record.body if record else None


def not_found(ref: ResourceRef) -> NotFound:
    """A group that does not exist is ARM's ``ResourceGroupNotFound``, named as the caller spelled it."""
    return NotFound("ResourceGroupNotFound", f"Resource group '{ref.resource_group}' could not be found.")


def require(tx: Transaction, subscription: str, name: str) -> Doc:
    """The stored group, or ``ResourceGroupNotFound``: nothing can be read or written in a missing group."""
    found = find(tx, subscription, name)
    if found is None:
        raise not_found(group_ref(subscription, name))
    return found


def _location(ctx: Context, location: Any) -> str:
    """A group's location is required and must be a region of the cloud (any spelling ARM accepts)."""
    if not location:
        raise BadRequest("LocationRequired", "The location property is required for this definition.")
    region = ctx.cloud.normalize_region(location) if isinstance(location, str) else None
    if region is None:
        available = ",".join(ctx.cloud.regions)
        raise BadRequest(
            "LocationNotAvailableForResourceGroup",
            f"The provided location '{location}' is not available for resource group. List of "
            f"available regions is '{available}'.",
        )
    return region


def create(ctx: Context, ref: ResourceRef, existing: Doc | None, body: Doc) -> Doc:
    """PUT: a new group, or the same group with new tags; a group that exists keeps its region
    (``InvalidResourceGroupLocation`` for another one)."""
    request = parse(GroupBody, body)
    location = _location(ctx, request.location)
    if existing and existing["location"] != location:
        raise Conflict(
            "InvalidResourceGroupLocation",
            f"Invalid resource group location '{location}'. The Resource group already exists in "
            f"location '{existing['location']}'.",
        )
    doc: Doc = {
        "id": ref.id,
        "name": ref.name,
        "type": TYPE,
        "location": location,
        "tags": request.tags or {},
        "properties": {"provisioningState": "Succeeded"},
    }
    if request.managedBy:
        doc["managedBy"] = request.managedBy
    return doc


def update(_ctx: Context, _ref: ResourceRef, existing: Doc, body: Doc) -> Doc:
    """PATCH: only ``tags`` and ``managedBy`` change, each only when sent."""
    request = parse(GroupPatch, body)
    doc = dict(existing)
    if request.tags is not None:
        doc["tags"] = request.tags
    if request.managedBy is not None:
        doc["managedBy"] = request.managedBy
    return doc


RESOURCE_GROUPS = ResourceType(
    type=TYPE,
    check_name=check_group_name,
    create=create,
    update=update,
    not_found=not_found,
    listed_in_subscription=True,
    synchronous=True,
    permission_type=PERMISSION_TYPE,
)
