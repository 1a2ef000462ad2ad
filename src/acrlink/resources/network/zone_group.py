"""Microsoft.Network/privateEndpoints/privateDnsZoneGroups: "integrate with private DNS zone" (S6).

A zone group writes an A record (TTL 10) into each of its zones for every member whose public name
falls in the zone's namespace (``privatelink.azurecr.cn`` holds ``NAME`` and ``NAME.REGION.data``), and
keeps those records in step with the endpoint: approval, new or removed replicas, deletion. Records
are written only while the connection is approved (an inference; see ``unconfirmed``). Two endpoints
writing the same name overwrite each other, as in Azure (the S17 hazard).
"""

from __future__ import annotations

from acrlink import unconfirmed
from acrlink.domain.naming import check_network_name
from acrlink.domain.privatelink import APPROVED
from acrlink.errors import BadRequest
from acrlink.ids import ResourceRef
from acrlink.resources import common
from acrlink.resources.base import Context, Doc, ResourceType
from acrlink.resources.network import private_endpoint as endpoints
from acrlink.resources.network.common import ZONE_GROUP_TYPE, etag, internal, referenced, strip_internal
from acrlink.resources.privatedns import recordset
from acrlink.resources.validation import Body, parse

MAX_ZONE_CONFIGS = 5
RECORD_TTL = 10


class ZoneConfigProperties(Body):
    """The private DNS zone one zone configuration writes into (required)."""

    privateDnsZoneId: str  # noqa: N815


class ZoneConfig(Body):
    """One zone configuration; unnamed, it is named after its zone."""

    name: str | None = None
    properties: ZoneConfigProperties


class Properties(Body):
    """A zone group's request: its zone configurations (1 to 5)."""

    privateDnsZoneConfigs: list[ZoneConfig]  # noqa: N815


class GroupBody(Body):
    """A private DNS zone group PUT: the properties are required."""

    properties: Properties


def relative_name(zone_name: str, fqdn: str) -> str | None:
    """The record name a member's public FQDN gets in a private link zone, or None when the zone does
    not cover it: ``privatelink.azurecr.cn`` covers ``*.azurecr.cn`` (``r.azurecr.cn`` -> ``r``)."""
    public_suffix = zone_name.lower().removeprefix("privatelink.")
    if fqdn.lower().endswith("." + public_suffix):
        return fqdn[: -len(public_suffix) - 1]
    return None


def create(ctx: Context, ref: ResourceRef, existing: Doc | None, body: Doc) -> Doc:
    """PUT: 1 to 5 zone configurations with unique names, each naming an existing zone; the group then writes (and
    keeps in step) the A records of its endpoint's members in each zone that covers them."""
    request = parse(GroupBody, body)
    configs = request.properties.privateDnsZoneConfigs
    if not 1 <= len(configs) <= MAX_ZONE_CONFIGS:
        raise BadRequest(
            "InvalidRequestFormat",
            f"A private DNS zone group holds 1 to {MAX_ZONE_CONFIGS} zone configurations.",
            target="properties.privateDnsZoneConfigs",
        )
    stored: list[Doc] = []
    for index, config in enumerate(configs):
        _, zone = referenced(ctx, config.properties.privateDnsZoneId, recordset.ZONE_TYPE, ref.id)
        name = config.name or zone["name"].replace(".", "-")
        stored.append(
            {
                "name": name,
                "id": f"{ref.id}/privateDnsZoneConfigs/{name}",
                "properties": {"privateDnsZoneId": zone["id"]},
            }
        )
        if any(s["name"].lower() == name.lower() for s in stored[:index]):
            raise BadRequest("InvalidRequestFormat", f"Zone configuration names must be unique ({name}).")
    doc: Doc = {
        **common.envelope(ref, ZONE_GROUP_TYPE),
        "etag": etag(),
        "properties": {"provisioningState": "Succeeded", "privateDnsZoneConfigs": stored},
        "_acrlink": {"written": internal(existing or {}).get("written", [])},
    }
    endpoint_ref = ref.parent
    assert endpoint_ref is not None
    endpoint = ctx.load(endpoint_ref)
    assert endpoint is not None
    return _synced(ctx, endpoint, doc)


def _desired(ctx: Context, endpoint: Doc, group: Doc) -> list[tuple[str, str, str]]:
    """(zone id, record name, address) the group should have written now."""
    members = endpoints.member_addresses(ctx, endpoint)
    writes = not unconfirmed.ZONE_GROUP_RECORDS_ONLY_WHEN_APPROVED
    approved = writes or endpoints.connection_status(ctx, endpoint) == APPROVED
    previously = {(z.lower(), n.lower()) for z, n in internal(group).get("written", [])}
    wanted = []
    for config in group["properties"]["privateDnsZoneConfigs"]:
        zone_id = config["properties"]["privateDnsZoneId"]
        found = ctx.load_id(zone_id)
        if found is None:
            continue
        for _, fqdn, address in members:
            name = relative_name(found[1]["name"], fqdn)
            if name is not None and (approved or (zone_id.lower(), name.lower()) in previously):
                wanted.append((zone_id, name, address))
    return wanted


def _synced(ctx: Context, endpoint: Doc, group: Doc) -> Doc:
    """Write what the group should hold, remove what it wrote before and no longer should."""
    wanted = _desired(ctx, endpoint, group)
    keep = {(z.lower(), n.lower()) for z, n, _ in wanted}
    for zone_id, name in internal(group).get("written", []):
        if (zone_id.lower(), name.lower()) not in keep:
            _remove_record(ctx, zone_id, name)
    metadata = {
        "creator": f"created by private endpoint {endpoint['name']} with resource guid "
        f"{endpoint['properties']['resourceGuid']}"
    }
    for zone_id, name, address in wanted:
        found = ctx.load_id(zone_id)
        assert found is not None
        recordset.upsert(ctx, found[0], "A", name, RECORD_TTL, [{"ipv4Address": address}], metadata)
    return {**group, "_acrlink": {"written": [[z, n] for z, n, _ in wanted]}}


def _remove_record(ctx: Context, zone_id: str, name: str) -> None:
    found = ctx.load_id(zone_id)
    if found is not None:
        ctx.tx.delete(found[0].child("A", name).key)


def sync_endpoint(ctx: Context, endpoint_ref: ResourceRef) -> None:
    """Bring every zone group of the endpoint in step with its members and connection state."""
    endpoint = ctx.load(endpoint_ref)
    if endpoint is None:
        return
    for group in ctx.children(endpoint_ref, "privateDnsZoneGroups"):
        ctx.save(endpoint_ref.child("privateDnsZoneGroups", group["name"]), _synced(ctx, endpoint, group))


def render(ctx: Context, _ref: ResourceRef, doc: Doc) -> Doc:
    """Each zone configuration lists the record sets the group wrote in that zone."""
    written = internal(doc).get("written", [])
    configs = []
    for config in doc["properties"]["privateDnsZoneConfigs"]:
        zone_id = config["properties"]["privateDnsZoneId"]
        found = ctx.load_id(zone_id)
        record_sets = []
        for written_zone, name in written:
            if found is None or written_zone.lower() != zone_id.lower():
                continue
            record = ctx.load(found[0].child("A", name))
            if record is not None:
                record_sets.append(
                    {
                        "recordType": "A",
                        "recordSetName": name,
                        "fqdn": f"{name}.{found[1]['name']}",
                        "ttl": record["properties"]["ttl"],
                        "ipAddresses": [r["ipv4Address"] for r in record["properties"]["aRecords"]],
                        "provisioningState": "Succeeded",
                    }
                )
        configs.append({**config, "properties": {**config["properties"], "recordSets": record_sets}})
    return strip_internal({**doc, "properties": {**doc["properties"], "privateDnsZoneConfigs": configs}})


def on_delete(ctx: Context, _ref: ResourceRef, doc: Doc) -> None:
    """Removing the group (or its endpoint) removes the records it wrote."""
    for zone_id, name in internal(doc).get("written", []):
        _remove_record(ctx, zone_id, name)


ZONE_GROUPS = ResourceType(
    type=ZONE_GROUP_TYPE,
    check_name=check_network_name,
    create=create,
    render=render,
    on_delete=on_delete,
    location="inherited",
    create_status="Updating",
    delete_rank=5,
)
