"""Microsoft.Network/privateEndpoints to container registries (S1, S4, S8, S9, S10, S21, S22).

Creating an endpoint allocates one address per private link member from the subnet, creates the
endpoint's NIC and the registry's connection (``Approved`` for an auto-approved request, ``Pending``
for a manual one). The connection state and ``customDnsConfigs`` are read from the registry side, so
both sides always agree.
"""

from __future__ import annotations

from typing import Any

from acrlink import unconfirmed
from acrlink.domain import acr, ipam, linked_access
from acrlink.domain.naming import check_network_name
from acrlink.domain.privatelink import APPROVED, DISCONNECTED, PENDING
from acrlink.errors import BadRequest
from acrlink.ids import ResourceRef, new_guid, new_hex, parse_resource_id
from acrlink.resources import common, registration
from acrlink.resources import connection as connections
from acrlink.resources import registry as registries
from acrlink.resources.base import Context, Doc, ResourceType
from acrlink.resources.network import nic as nics
from acrlink.resources.network.common import (
    NAMESPACE,
    PE_TYPE,
    SUBNET_TYPE,
    SubResource,
    etag,
    internal,
    referenced,
    resource_guid,
    strip_internal,
)
from acrlink.resources.validation import Body, parse

GROUP_ID = "registry"


class ConnectionProperties(Body):
    """The target of a private link connection: the registry's id (required), the group ids (``registry`` only) and,
    for a manual request, the message its owner sees."""

    privateLinkServiceId: str  # noqa: N815
    groupIds: list[str] | None = None  # noqa: N815
    requestMessage: str | None = None  # noqa: N815


class ServiceConnection(Body):
    """One named private link service connection, automatic or manual."""

    name: str
    properties: ConnectionProperties


class StaticIpProperties(Body):
    """A static address for one private link member (``memberName``, required) instead of the lowest free one."""

    groupId: str | None = None  # noqa: N815
    memberName: str  # noqa: N815
    privateIPAddress: str  # noqa: N815


class StaticIp(Body):
    """One named static ip configuration of an endpoint."""

    name: str
    properties: StaticIpProperties


class Properties(Body):
    """An endpoint's request: a subnet, exactly one connection (automatic or manual), optionally a NIC name and
    static addresses for every member."""

    subnet: SubResource
    privateLinkServiceConnections: list[ServiceConnection] | None = None  # noqa: N815
    manualPrivateLinkServiceConnections: list[ServiceConnection] | None = None  # noqa: N815
    customNetworkInterfaceName: str | None = None  # noqa: N815
    ipConfigurations: list[StaticIp] | None = None  # noqa: N815
    applicationSecurityGroups: list[SubResource] | None = None  # noqa: N815


class EndpointBody(Body):
    """A private endpoint PUT: a region and the properties are required."""

    location: Any = None
    tags: dict[str, str] | None = None
    properties: Properties


def _the_connection(props: Properties) -> tuple[ServiceConnection, bool]:
    """Exactly one connection, automatic or manual; returns it and whether it is manual."""
    auto = props.privateLinkServiceConnections or []
    manual = props.manualPrivateLinkServiceConnections or []
    if len(auto) + len(manual) != 1:
        raise BadRequest(
            unconfirmed.PE_CONNECTION_COUNT_CODE,
            "A private endpoint must have exactly one private link service connection.",
        )
    return (manual[0], True) if manual else (auto[0], False)


def _authorise_links(ctx: Context, ref: ResourceRef, subnet_id: str, service: ServiceConnection, manual: bool) -> None:
    """ARM's linked access checks, before the resource provider looks at anything: the caller must be able to
    join the subnet, and an automatic connection needs the approval action on its target (S21); a manual one
    asks the target's owner instead, so it needs nothing there. A target in another tenant than the caller's
    cannot be approved automatically (S9): the caller's token is not valid in that tenant."""
    caller = ctx.caller
    if caller is None:
        return
    action = f"{PE_TYPE}/write"
    wanted = [(linked_access.SUBNET_JOIN_ACTION, subnet_id)]
    if not manual:
        target = parse_resource_id(service.properties.privateLinkServiceId)
        if target is not None:
            kind = registries.TYPE if target.type.lower() == registries.TYPE.lower() else target.type
            wanted.append((linked_access.approval_action(kind), service.properties.privateLinkServiceId))
    for linked_action, scope in wanted:
        linked = parse_resource_id(scope)
        tenant = ctx.tenant_of(linked.subscription) if linked is not None else ""
        linked_access.check(caller, action, ref.id, linked_access.Linked(linked_action, scope, tenant), ctx.may)


def _target(ctx: Context, ref: ResourceRef, link: ConnectionProperties) -> tuple[ResourceRef, Doc]:
    """The registry the endpoint connects to: it exists, group ``registry``, Premium, under its limit,
    and the endpoint's subscription has registered Microsoft.ContainerRegistry (S9)."""
    target = parse_resource_id(link.privateLinkServiceId)
    if target is None or target.type.lower() != registries.TYPE.lower():
        raise BadRequest(
            unconfirmed.PE_TARGET_TYPE_CODE,
            f"Private endpoint {ref.id} targets {link.privateLinkServiceId}, which is not a container "
            "registry. acrlink serves private endpoints to Microsoft.ContainerRegistry/registries.",
        )
    registration.require_registered(ctx.tx, ref.subscription, registries.TYPE.split("/")[0])
    registry = ctx.load(target)
    if registry is None:
        raise BadRequest(
            unconfirmed.PE_TARGET_NOT_FOUND_CODE,
            f"The private link service resource {link.privateLinkServiceId} of private endpoint "
            f"{ref.id} was not found.",
        )
    target = ResourceRef(
        target.subscription, target.resource_group, target.namespace, ((target.segments[0][0], registry["name"]),)
    )
    groups = link.groupIds or []
    if [g.lower() for g in groups] != [GROUP_ID]:
        raise BadRequest(
            unconfirmed.PE_GROUP_ID_CODE,
            f"The group ids {groups} are not valid for {registry['id']}: a container registry has "
            f"one private link group, '{GROUP_ID}'.",
        )
    if registry["sku"]["name"] != "Premium":
        raise BadRequest(
            unconfirmed.PE_NOT_PREMIUM_CODE,
            f"Private endpoints are only supported for Premium SKU registries; {registry['name']} is "
            f"{registry['sku']['name']}. For more information, please visit https://aka.ms/acr/private-link.",
        )
    limit = acr.private_endpoint_limit(registry["properties"]["creationDate"])
    if len(ctx.children(target, registries.CONNECTIONS)) >= limit:
        raise BadRequest(
            unconfirmed.PE_LIMIT_CODE,
            f"The registry {registry['name']} already has the maximum of {limit} private endpoint connections.",
        )
    return target, registry


def _members(ctx: Context, target: ResourceRef, registry: Doc) -> list[str]:
    return acr.required_members(registries.region_list(ctx, target, registry))


def link_properties(ctx: Context, registry_name: str, member: str) -> Doc:
    """``privateLinkConnectionProperties`` of one member's ip configuration: the ``registry`` group, the member's
    name and the FQDN it serves."""
    return {
        "groupId": GROUP_ID,
        "requiredMemberName": member,
        "fqdns": [acr.member_fqdn(ctx.cloud, registry_name, member)],
    }


def _static_addresses(
    ctx: Context, ref: ResourceRef, statics: list[StaticIp], members: list[str], pool: ipam.Allocation
) -> dict[str, tuple[str, str]]:
    """Static ip configurations must name every member (member -> (config name, address))."""
    given = {s.properties.memberName.lower(): s for s in statics}
    missing = [m for m in members if m.lower() not in given]
    if missing:
        have = ", ".join(
            f"[PrivateIPAddress: {s.properties.privateIPAddress}, GroupId: {GROUP_ID}, MemberName: "
            f"{s.properties.memberName}]"
            for s in statics
        )
        need = "; ".join(f"GroupId: {GROUP_ID}, MemberName: {m}" for m in missing)
        raise BadRequest(
            "PrivateEndpointIpConfigurationMissingMemberNamesRequiredByFps",
            f"Private Endpoint {ref.id} contains static ipconfigurations: {have} and its missing these "
            f"membernames/groupids requested by Private Link service [{need}]. Private Endpoint needs to be "
            "reconfigured with missing memberNames.",
        )
    chosen: dict[str, tuple[str, str]] = {}
    for member in members:
        static = given[member.lower()]
        address = pool.check_static(static.properties.privateIPAddress, f"{ref.id}/ipConfigurations/{static.name}")
        pool = pool.with_taken([address])
        chosen[member] = (static.name, address)
    return chosen


def create(ctx: Context, ref: ResourceRef, existing: Doc | None, body: Doc) -> Doc:
    """PUT: a new endpoint must be in its VNet's region and pass the linked access checks; it takes one address per
    member of the registry (every region), creates its NIC and the registry's connection (Approved when automatic,
    Pending when manual). An existing endpoint keeps its subnet and target."""
    request = parse(EndpointBody, body)
    location = common.region(ctx, request.location, PE_TYPE)
    common.same_location(existing, location, ref)
    props = request.properties
    service, manual = _the_connection(props)
    _authorise_links(ctx, ref, props.subnet.id, service, manual)
    subnet_ref, subnet = referenced(ctx, props.subnet.id, SUBNET_TYPE, ref.id)
    if existing is not None:
        return _update_existing(ctx, ref, existing, request, subnet["id"], service)
    vnet_ref = subnet_ref.parent
    assert vnet_ref is not None
    vnet = ctx.load(vnet_ref)
    assert vnet is not None
    if vnet["location"] != location:
        raise BadRequest(
            "InvalidResourceReference",
            f"Private endpoint {ref.id} must be in the region of its virtual network {vnet['id']} "
            f"({vnet['location']}).",
        )
    if ctx.options.legacy_pe_network_policies and subnet["properties"]["privateEndpointNetworkPolicies"] != "Disabled":
        raise BadRequest(
            "PrivateEndpointCannotBeCreatedInSubnetThatHasNetworkPoliciesEnabled",
            f"Private endpoint {ref.id} cannot be created in a subnet {subnet['id']} since it has private endpoint "
            "network policies enabled.",
        )
    target, registry = _target(ctx, ref, service.properties)
    members = _members(ctx, target, registry)
    pool = nics.allocation(ctx, subnet["id"], subnet)
    if props.ipConfigurations:
        chosen = _static_addresses(ctx, ref, props.ipConfigurations, members, pool)
        method = "Static"
    else:
        addresses = pool.allocate(len(members))
        chosen = {m: (f"privateEndpointIpConfig.{new_guid()}", a) for m, a in zip(members, addresses, strict=True)}
        method = "Dynamic"
    nic_name = props.customNetworkInterfaceName or nics.new_endpoint_nic_name(ref.name)
    nic_ref = ResourceRef(ref.subscription, ref.resource_group, NAMESPACE, (("networkInterfaces", nic_name),))
    if ctx.load(nic_ref) is not None:
        raise BadRequest("InvalidRequestFormat", f"Network interface {nic_ref.id} already exists.")
    configs = [
        nics.ip_configuration(
            nic_ref.id, name, subnet["id"], address, method, index == 0, link_properties(ctx, registry["name"], member)
        )
        for index, (member, (name, address)) in enumerate(chosen.items())
    ]
    ctx.save(nic_ref, nics.nic_document(nic_ref, location, {}, configs, None, ref.id))
    connection_ref = target.child(registries.CONNECTIONS, f"{registry['name']}.{new_hex()}")
    state = PENDING if manual else APPROVED
    description = (service.properties.requestMessage or "") if manual else connections.AUTO_APPROVED
    ctx.save(connection_ref, connections.new_connection(connection_ref, ref.id, state, description))
    return _document(
        ref, location, request.tags or {}, service, manual, subnet["id"], nic_ref.id, props, connection_ref.id, None
    )


def _document(
    ref: ResourceRef,
    location: str,
    tags: dict[str, str],
    service: ServiceConnection,
    manual: bool,
    subnet_id: str,
    nic_id: str,
    props: Properties,
    connection_id: str,
    existing: Doc | None,
) -> Doc:
    link = {
        "name": service.name,
        "id": f"{ref.id}/{'manualPrivateLinkServiceConnections' if manual else 'privateLinkServiceConnections'}/"
        f"{service.name}",
        "etag": etag(),
        "type": f"{PE_TYPE}/{'manualPrivateLinkServiceConnections' if manual else 'privateLinkServiceConnections'}",
        "properties": {
            "provisioningState": "Succeeded",
            "privateLinkServiceId": service.properties.privateLinkServiceId,
            "groupIds": [GROUP_ID],
            **({"requestMessage": service.properties.requestMessage} if service.properties.requestMessage else {}),
        },
    }
    return {
        **common.envelope(ref, PE_TYPE),
        "etag": etag(),
        "location": location,
        "tags": tags,
        "properties": {
            "provisioningState": "Succeeded",
            "resourceGuid": resource_guid(existing),
            "privateLinkServiceConnections": [] if manual else [link],
            "manualPrivateLinkServiceConnections": [link] if manual else [],
            "customNetworkInterfaceName": props.customNetworkInterfaceName or "",
            "subnet": {"id": subnet_id},
            "ipConfigurations": [s.model_dump() for s in props.ipConfigurations or []],
            "applicationSecurityGroups": [a.model_dump() for a in props.applicationSecurityGroups or []],
            "networkInterfaces": [{"id": nic_id}],
        },
        "_acrlink": {"connection": connection_id},
    }


def _update_existing(
    ctx: Context, ref: ResourceRef, existing: Doc, request: EndpointBody, subnet_id: str, service: ServiceConnection
) -> Doc:
    """An endpoint's subnet and target are fixed once created; tags (and the rest) may change."""
    old = existing["properties"]
    links = old["privateLinkServiceConnections"] + old["manualPrivateLinkServiceConnections"]
    same_target = (
        links
        and links[0]["properties"]["privateLinkServiceId"].lower() == service.properties.privateLinkServiceId.lower()
    )
    if old["subnet"]["id"].lower() != subnet_id.lower() or not same_target:
        raise BadRequest(
            unconfirmed.PE_IMMUTABLE_CODE,
            f"The subnet and the private link service of private endpoint {ref.id} cannot be changed; "
            "create a new private endpoint.",
        )
    return {**existing, "etag": etag(), "tags": request.tags or {}}


def connection_of(ctx: Context, doc: Doc) -> tuple[ResourceRef, Doc] | None:
    """The registry side of the endpoint's connection, if it still exists."""
    connection_id = internal(doc).get("connection")
    return ctx.load_id(connection_id) if connection_id else None


def connection_status(ctx: Context, doc: Doc) -> str:
    """The status the registry side shows for the endpoint's connection; ``Disconnected`` once that connection is
    gone."""
    found = connection_of(ctx, doc)
    return found[1]["properties"]["privateLinkServiceConnectionState"]["status"] if found else DISCONNECTED


def nic_of(ctx: Context, doc: Doc) -> tuple[ResourceRef, Doc] | None:
    """The endpoint's NIC and its document, or None when it is gone."""
    return ctx.load_id(doc["properties"]["networkInterfaces"][0]["id"])


def member_addresses(ctx: Context, doc: Doc) -> list[tuple[str, str, str]]:
    """(member, fqdn, address) for each private link member on the endpoint's NIC."""
    found = nic_of(ctx, doc)
    if found is None:
        return []
    result = []
    for config in found[1]["properties"]["ipConfigurations"]:
        link = config["properties"].get("privateLinkConnectionProperties")
        if link:
            result.append((link["requiredMemberName"], link["fqdns"][0], config["properties"]["privateIPAddress"]))
    return result


def render(ctx: Context, _ref: ResourceRef, doc: Doc) -> Doc:
    """The connection state comes from the registry. ``customDnsConfigs`` lists every member's FQDN and
    address whatever the state: the NIC's addresses exist from creation, and the REST examples show them on
    an endpoint still waiting for manual approval."""
    found = connection_of(ctx, doc)
    state = (
        found[1]["properties"]["privateLinkServiceConnectionState"]
        if found
        else {
            "status": DISCONNECTED,
            "description": "The private endpoint connection was deleted by the service owner.",
            "actionsRequired": "None",
        }
    )
    props = dict(doc["properties"])
    for key in ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections"):
        props[key] = [
            {**link, "properties": {**link["properties"], "privateLinkServiceConnectionState": state}}
            for link in props[key]
        ]
    props["customDnsConfigs"] = [
        {"fqdn": fqdn, "ipAddresses": [address]} for _, fqdn, address in member_addresses(ctx, doc)
    ]
    return strip_internal({**doc, "properties": props})


def on_delete(ctx: Context, _ref: ResourceRef, doc: Doc) -> None:
    """Deleting the endpoint removes its NIC (and so its addresses) and the registry's connection (S21).
    Its zone groups, children of the endpoint, are already gone with their records."""
    found = nic_of(ctx, doc)
    if found is not None:
        ctx.tx.delete(found[0].key)
    connection = connection_of(ctx, doc)
    if connection is not None:
        ctx.tx.delete(connection[0].key)


def endpoints_of_registry(ctx: Context, registry_ref: ResourceRef) -> list[tuple[ResourceRef, Doc, Doc]]:
    """(endpoint ref, endpoint doc, connection doc) for every connection of the registry whose endpoint exists."""
    result = []
    for connection in ctx.children(registry_ref, registries.CONNECTIONS):
        endpoint = ctx.load_id(connection["properties"]["privateEndpoint"]["id"])
        if endpoint is not None:
            result.append((endpoint[0], endpoint[1], connection))
    return result


PRIVATE_ENDPOINTS = ResourceType(
    type=PE_TYPE,
    check_name=check_network_name,
    create=create,
    render=render,
    on_delete=on_delete,
    listed_in_subscription=True,
    create_status="Updating",
    delete_rank=15,
)
