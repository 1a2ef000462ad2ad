"""Microsoft.Network/privateDnsZones: a private zone (``location: global``) with an SOA set at ``@``
and Azure's limits."""

from __future__ import annotations

import re
from typing import Any

from acrlink import unconfirmed
from acrlink.errors import BadRequest, Conflict
from acrlink.ids import ResourceRef, new_guid
from acrlink.resources import common
from acrlink.resources.base import Context, Doc, ResourceType
from acrlink.resources.privatedns import recordset
from acrlink.resources.validation import Body, parse

TYPE = recordset.ZONE_TYPE
MAX_RECORD_SETS = 25000
MAX_LINKS = 1000
MAX_REGISTRATION_LINKS = 100
_LABEL = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?")
_ZONE = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)+$"
)


class ZoneBody(Body):
    """A private DNS zone PUT or PATCH: tags, and a location that must be ``global``."""

    location: Any = None
    tags: dict[str, str] | None = None


MAX_LABELS = 34


def check_name(name: str) -> None:
    """Two to 34 labels of letters, digits, hyphens and underscores: single-label zones are refused
    (with Azure's words), and so are deeper ones (Azure's documented limit)."""
    text = name.rstrip(".")
    if text and "." not in text and _LABEL.fullmatch(text):
        raise BadRequest(
            "BadRequest",
            f"The zone name '{name}' does not have enough labels. Zone names must have two or more labels.",
        )
    if not _ZONE.match(text) or text.count(".") + 1 > MAX_LABELS:
        raise BadRequest(
            unconfirmed.ZONE_NAME_CODE,
            f"The zone name '{name}' is invalid: a private DNS zone name "
            f"needs 2 to {MAX_LABELS} labels of letters, digits and hyphens.",
        )


def create(ctx: Context, ref: ResourceRef, existing: Doc | None, body: Doc) -> Doc:
    """PUT: a zone in ``global`` with Azure's limits; a new zone gets its apex SOA record set, which goes only with
    it."""
    request = parse(ZoneBody, body if body is not None else {})
    if request.location is not None and str(request.location).lower() != "global":
        raise BadRequest(
            unconfirmed.ZONE_LOCATION_CODE,
            f"The location '{request.location}' is invalid for a private DNS zone: use 'global'.",
            target="location",
        )
    if existing is None:
        soa = ref.child("SOA", "@")
        ctx.save(
            soa,
            recordset.document(
                ctx,
                soa,
                ref.name,
                3600,
                {
                    "host": "azureprivatedns.net",
                    "email": "azureprivatedns-host.microsoft.com",
                    "serialNumber": 1,
                    "refreshTime": 3600,
                    "retryTime": 300,
                    "expireTime": 2419200,
                    "minimumTtl": 10,
                },
                {},
                None,
            ),
        )
    return {
        **common.envelope(ref, TYPE),
        "etag": new_guid(),
        "location": "global",
        "tags": request.tags if request.tags is not None else (existing or {}).get("tags", {}),
        "properties": {
            "maxNumberOfRecordSets": MAX_RECORD_SETS,
            "maxNumberOfVirtualNetworkLinks": MAX_LINKS,
            "maxNumberOfVirtualNetworkLinksWithRegistration": MAX_REGISTRATION_LINKS,
            "provisioningState": "Succeeded",
            "internalId": (existing or {}).get("properties", {}).get("internalId") or new_guid(),
        },
    }


def update(ctx: Context, ref: ResourceRef, existing: Doc, body: Doc) -> Doc:
    """PATCH: tags only (when sent); the etag changes."""
    request = parse(ZoneBody, body if body is not None else {})
    return {**existing, "etag": new_guid(), "tags": request.tags if request.tags is not None else existing["tags"]}


def render(ctx: Context, ref: ResourceRef, doc: Doc) -> Doc:
    """A zone shows how many record sets and links (with registration) it has."""
    links = ctx.children(ref, "virtualNetworkLinks")
    return {
        **doc,
        "properties": {
            **doc["properties"],
            "numberOfRecordSets": recordset.count(ctx, ref),
            "numberOfVirtualNetworkLinks": len(links),
            "numberOfVirtualNetworkLinksWithRegistration": sum(
                1 for link in links if link["properties"]["registrationEnabled"]
            ),
        },
    }


def refuse_delete_with_links(ctx: Context, ref: ResourceRef, _doc: Doc) -> None:
    """A zone still linked to virtual networks cannot be deleted; its links go first."""
    if ctx.children(ref, "virtualNetworkLinks") and not ctx.cascading:
        raise Conflict(
            unconfirmed.ZONE_HAS_LINKS_CODE,
            f"The private DNS zone {ref.name} cannot be deleted while virtual network links exist. "
            "Delete the links first.",
        )


ZONES = ResourceType(
    type=TYPE,
    check_name=check_name,
    create=create,
    update=update,
    render=render,
    guard_delete=refuse_delete_with_links,
    listed_in_subscription=True,
    location="global",
    create_status="Updating",
    delete_rank=75,
    label="Zone",
)
