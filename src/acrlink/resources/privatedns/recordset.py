"""Private DNS record sets: ``privateDnsZones/{zone}/{A|AAAA|CNAME|MX|PTR|SOA|SRV|TXT}/{name}``.

Names are relative to the zone (``@`` is the apex), case-insensitive; ``fqdn`` ends with a dot.
Writes honour ``If-Match``/``If-None-Match`` through the etag. A set holds at most 20 records;
CNAME and SOA sets hold exactly one, and there is no CNAME set at the apex. Names and values follow
``domain.dnsrecords`` (what Azure private DNS accepts, so the DNS face can serve it); a write that breaks
a rule gets one 400 ``BadRequest`` naming every problem.
"""

from __future__ import annotations

from typing import Any

from acrlink import unconfirmed
from acrlink.domain import dnsrecords
from acrlink.errors import BadRequest, Conflict, ErrorDetail, NotFound
from acrlink.ids import ResourceRef, new_guid
from acrlink.resources.base import Context, Doc, ResourceType
from acrlink.resources.validation import Body, parse

ZONE_TYPE = "Microsoft.Network/privateDnsZones"
RECORD_TYPES = ("A", "AAAA", "CNAME", "MX", "PTR", "SOA", "SRV", "TXT")
MAX_RECORDS_PER_SET = 20
DEFAULT_TTL = 3600

# Which property holds a type's records.
RECORDS_KEY = {
    "A": "aRecords",
    "AAAA": "aaaaRecords",
    "CNAME": "cnameRecord",
    "MX": "mxRecords",
    "PTR": "ptrRecords",
    "SOA": "soaRecord",
    "SRV": "srvRecords",
    "TXT": "txtRecords",
}


class Properties(Body):
    """A record set's request: a TTL, metadata, and the records of its own type only."""

    ttl: int | None = None
    metadata: dict[str, str] | None = None
    aRecords: list[dict[str, Any]] | None = None  # noqa: N815
    aaaaRecords: list[dict[str, Any]] | None = None  # noqa: N815
    cnameRecord: dict[str, Any] | None = None  # noqa: N815
    mxRecords: list[dict[str, Any]] | None = None  # noqa: N815
    ptrRecords: list[dict[str, Any]] | None = None  # noqa: N815
    soaRecord: dict[str, Any] | None = None  # noqa: N815
    srvRecords: list[dict[str, Any]] | None = None  # noqa: N815
    txtRecords: list[dict[str, Any]] | None = None  # noqa: N815


class RecordSetBody(Body):
    """A record set PUT or PATCH."""

    properties: Properties | None = None


def record_type(ref: ResourceRef) -> str:
    """A record set's type as its path names it, upper case (``A``, ``SOA``)."""
    return ref.segments[-1][0].upper()


def check_name(name: str) -> None:
    """A relative name of dot-separated labels (``@`` for the apex); see ``domain.dnsrecords``."""
    problem = dnsrecords.record_name_problem(name, "")
    if problem:
        raise BadRequest("BadRequest", problem)


def fqdn(zone: str, name: str) -> str:
    """A record set's absolute name: the zone itself for ``@``, else ``name.zone.`` in lower case."""
    return f"{zone}." if name == "@" else f"{name}.{zone}.".lower()


def _refuse(problems: list[dnsrecords.Problem]) -> None:
    """One ARM error for every problem: the first one's words, every one in ``details``."""
    if not problems:
        return
    target, message = problems[0]
    details = [ErrorDetail("BadRequest", m, t) for t, m in problems] if len(problems) > 1 else []
    raise BadRequest("BadRequest", message, target=target, details=details)


def _ttl_problems(ttl: int | None) -> list[dnsrecords.Problem]:
    if ttl is None or 0 <= ttl <= dnsrecords.MAX_TTL:
        return []
    return [("properties.ttl", f"The TTL {ttl} is out of range.")]


def _validate_records(kind: str, props: Properties) -> Any:
    """The records of ``kind`` in ``props``, checked (with the TTL); others given are refused."""
    key = RECORDS_KEY[kind]
    for other, other_key in RECORDS_KEY.items():
        if other != kind and getattr(props, other_key) is not None:
            raise BadRequest(
                "BadRequest",
                f"A record set of type {kind} cannot hold {other} records.",
                target=f"properties.{other_key}",
            )
    records = getattr(props, key)
    problems = _ttl_problems(props.ttl)
    if isinstance(records, list):
        if len(records) > MAX_RECORDS_PER_SET:
            problems.append((f"properties.{key}", f"A record set can hold at most {MAX_RECORDS_PER_SET} records."))
        for index, record in enumerate(records):
            problems += dnsrecords.record_problems(kind, record, f"properties.{key}[{index}]")
    elif records is not None:
        problems += dnsrecords.record_problems(kind, records, f"properties.{key}")
    _refuse(problems)
    return records


def document(
    ctx: Context,
    ref: ResourceRef,
    zone_name: str,
    ttl: int,
    records: Any,
    metadata: dict[str, str],
    existing: Doc | None,
    auto_registered: bool = False,
) -> Doc:
    """A record set as private DNS stores it: its TTL, FQDN and metadata, whether it was auto-registered, and its
    records under its type's key."""
    kind = record_type(ref)
    props: Doc = {
        "ttl": ttl,
        "fqdn": fqdn(zone_name, ref.name),
        "isAutoRegistered": auto_registered,
        "metadata": metadata,
    }
    default: Any = {} if kind in ("CNAME", "SOA") else []
    props[RECORDS_KEY[kind]] = records if records is not None else default
    return {"id": ref.id, "name": ref.name, "type": f"{ZONE_TYPE}/{kind}", "etag": new_guid(), "properties": props}


def _zone(ctx: Context, ref: ResourceRef) -> tuple[ResourceRef, Doc]:
    zone_ref = ref.parent
    assert zone_ref is not None
    zone = ctx.load(zone_ref)
    assert zone is not None
    return zone_ref, zone


def count(ctx: Context, zone_ref: ResourceRef) -> int:
    """The zone's record sets (``numberOfRecordSets``, and what its limit counts), counted in the store."""
    return sum(ctx.tx.count(type=f"{zone_ref.type}/{t}", parent=zone_ref.key) for t in RECORD_TYPES)


def create(ctx: Context, ref: ResourceRef, existing: Doc | None, body: Doc) -> Doc:
    """PUT: the whole set (TTL, metadata, records) is replaced."""
    check_name(ref.name)
    kind = record_type(ref)
    request = parse(RecordSetBody, body if body is not None else {})
    props = request.properties or Properties()
    zone_ref, zone = _zone(ctx, ref)
    name_problem = dnsrecords.record_name_problem(ref.name, zone["name"])
    if name_problem:
        raise BadRequest("BadRequest", name_problem)
    if kind == "CNAME" and ref.name == "@":
        raise BadRequest("BadRequest", unconfirmed.CNAME_AT_APEX_MESSAGE)
    records = _validate_records(kind, props)
    if existing is None:
        refuse_cname_clash(ctx, zone_ref, kind, ref.name)
    if existing is None and count(ctx, zone_ref) >= zone["properties"]["maxNumberOfRecordSets"]:
        raise BadRequest(
            "BadRequest",
            f"The zone {zone['name']} already has the maximum of "
            f"{zone['properties']['maxNumberOfRecordSets']} record sets.",
        )
    if kind == "SOA" and existing is None:
        raise BadRequest("BadRequest", "SOA record sets exist only at the zone apex and are created with the zone.")
    ttl = props.ttl if props.ttl is not None else DEFAULT_TTL
    return document(ctx, ref, zone["name"], ttl, records, props.metadata or {}, existing)


def refuse_cname_clash(ctx: Context, zone_ref: ResourceRef, kind: str, name: str) -> None:
    """A CNAME set is the only set at its name (RFC 1034 3.6.2): Azure DNS answers 409 either way round."""
    if kind == "CNAME":
        if any(ctx.load(zone_ref.child(other, name)) for other in RECORD_TYPES if other != "CNAME"):
            raise Conflict(
                "Conflict",
                "The CNAME record could not be created because another record with the same name "
                "already exists in this zone.",
            )
    elif ctx.load(zone_ref.child("CNAME", name)):
        raise Conflict(
            "Conflict",
            "The record could not be created because a CNAME record with the same name already exists in this zone.",
        )


def update(ctx: Context, ref: ResourceRef, existing: Doc, body: Doc) -> Doc:
    """PATCH: only what the body names changes."""
    kind = record_type(ref)
    request = parse(RecordSetBody, body if body is not None else {})
    props = request.properties or Properties()
    records = _validate_records(kind, props)
    old = existing["properties"]
    _, zone = _zone(ctx, ref)
    return document(
        ctx,
        ref,
        zone["name"],
        props.ttl if props.ttl is not None else old["ttl"],
        records if records is not None else old[RECORDS_KEY[kind]],
        props.metadata if props.metadata is not None else old.get("metadata", {}),
        existing,
    )


def refuse_soa_delete(ctx: Context, ref: ResourceRef, _doc: Doc) -> None:
    """The apex SOA set goes only with its zone."""
    if record_type(ref) == "SOA" and not ctx.cascading:
        raise BadRequest("BadRequest", "The SOA record set at the zone apex cannot be deleted.")


def not_found(ref: ResourceRef) -> NotFound:
    """A missing record set is private DNS's ``NotFound``, naming its group and subscription."""
    return NotFound(
        "NotFound",
        f"The resource record '{ref.name}' does not exist in resource group "
        f"'{ref.resource_group}' of subscription '{ref.subscription}'.",
    )


def upsert(
    ctx: Context,
    zone_ref: ResourceRef,
    kind: str,
    name: str,
    ttl: int,
    records: Any,
    metadata: dict[str, str],
    auto_registered: bool = False,
) -> None:
    """Write a record set on behalf of another resource (a zone group, a VM's auto-registration)."""
    zone = ctx.load(zone_ref)
    assert zone is not None
    ref = zone_ref.child(kind, name)
    ctx.save(ref, document(ctx, ref, zone["name"], ttl, records, metadata, ctx.load(ref), auto_registered))


def _not_a_record_type(_ctx: Context, ref: ResourceRef, _existing: Doc | None, _body: Doc) -> Doc:
    raise BadRequest(
        "InvalidResourceType",
        f"'{ref.segments[-1][0]}' lists record sets of every type; "
        "write a record set under its own type (A, AAAA, CNAME, ...).",
    )


ALL_RECORD_SETS = ResourceType(
    type=f"{ZONE_TYPE}/ALL",
    check_name=check_name,
    create=_not_a_record_type,
    location="inherited",
    lists=tuple(f"{ZONE_TYPE}/{kind}" for kind in RECORD_TYPES),
)
"""``GET .../privateDnsZones/{zone}/ALL``: every record set of the zone (the SDK spells it ``aLL``)."""

RECORD_SET_TYPES = tuple(
    ResourceType(
        type=f"{ZONE_TYPE}/{kind}",
        check_name=check_name,
        create=create,
        update=update,
        on_delete=refuse_soa_delete,
        location="inherited",
        create_status="Updating",
        delete_rank=10,
        not_found=not_found,
    )
    for kind in RECORD_TYPES
)
