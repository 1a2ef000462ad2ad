"""Pieces every resource type shares: the envelope, locations, tags and systemData."""

from __future__ import annotations

from typing import Any

from acrlink.clock import iso
from acrlink.errors import BadRequest
from acrlink.ids import ResourceRef
from acrlink.resources.base import Context, Doc


def envelope(ref: ResourceRef, canonical_type: str) -> Doc:
    """``id``, ``name`` and ``type`` as ARM returns them: caller's name casing, canonical type casing."""
    return {"id": ref.id, "name": ref.name, "type": canonical_type}


def region(ctx: Context, location: Any, resource_type: str) -> str:
    """A required region of the cloud, normalised (``China North 2`` -> ``chinanorth2``)."""
    if location is None or location == "":
        raise BadRequest("LocationRequired", "The location property is required for this definition.")
    normalized = ctx.cloud.normalize_region(location) if isinstance(location, str) else None
    if normalized is None:
        available = ",".join(ctx.cloud.regions.values())
        raise BadRequest(
            "LocationNotAvailableForResourceType",
            f"The provided location '{location}' is not available for resource type '{resource_type}'. "
            f"List of available regions for the resource type is '{available.lower()}'.",
            target="location",
        )
    return normalized


def same_location(existing: Doc | None, location: str, ref: ResourceRef) -> None:
    """A resource cannot move: a PUT naming another location than the existing one is refused."""
    if existing is not None and existing.get("location") != location:
        raise BadRequest(
            "InvalidResourceLocation",
            f"The resource '{ref.name}' already exists in location '{existing.get('location')}' in resource "
            f"group '{ref.resource_group}'. A resource with the same name cannot be created in location "
            f"'{location}'. Please select a new resource name.",
        )


def system_data(ctx: Context, existing: Doc | None) -> Doc:
    """``systemData``: who created the resource and when, and who changed it last."""
    stamp = iso(ctx.now)
    created = (existing or {}).get("systemData") or {
        "createdBy": ctx.principal,
        "createdByType": "Application",
        "createdAt": stamp,
    }
    return {
        **{k: created[k] for k in ("createdBy", "createdByType", "createdAt")},
        "lastModifiedBy": ctx.principal,
        "lastModifiedByType": "Application",
        "lastModifiedAt": stamp,
    }
