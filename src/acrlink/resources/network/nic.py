"""Microsoft.Network/networkInterfaces: standalone NICs (VM hosts) and the NICs private endpoints own.

A NIC holds ip configurations, each with an address in a subnet. Private endpoint NICs carry one ip
configuration per private link member, with ``privateLinkConnectionProperties``; only their endpoint
may change or delete them.
"""

from __future__ import annotations

from typing import Annotated, Any

from acrlink import unconfirmed
from acrlink.domain import ipam, principals
from acrlink.domain.naming import check_network_name
from acrlink.domain.principals import ManagedIdentity
from acrlink.errors import BadRequest
from acrlink.ids import ResourceRef, new_guid, parse_resource_id
from acrlink.resources import common, hostnames
from acrlink.resources.base import Context, Doc, ResourceType
from acrlink.resources.hostnames import VM_TAG
from acrlink.resources.network import subnet as subnets
from acrlink.resources.network.common import (
    NIC_TYPE,
    SUBNET_TYPE,
    SubResource,
    etag,
    referenced,
    resource_guid,
    subnet_uses,
)
from acrlink.resources.tenants import tenant_of_subscription
from acrlink.resources.validation import Body, one_of, parse
from acrlink.store.base import Transaction

AllocationMethod = Annotated[str, one_of("Dynamic", "Static")]

DNS_FORWARDER_TAG = "acrlink-dns-forwarder"
"""``true`` on a VM's NIC: the VM runs a DNS server forwarding to 168.63.129.16 (S16)."""


def vm_name(nic: Doc) -> str | None:
    """The VM a NIC belongs to, if it is a VM's NIC."""
    name = (nic.get("tags") or {}).get(VM_TAG)
    return str(name) if name else None


def vm_identity(tx: Transaction, nic: Doc) -> ManagedIdentity | None:
    """The system-assigned identity of the VM a NIC belongs to, derived from the NIC's ``resourceGuid`` and
    its subscription's tenant; None for a NIC that is no VM's."""
    ref = parse_resource_id(nic["id"]) if vm_name(nic) else None
    tenant = tenant_of_subscription(tx, ref.subscription) if ref is not None else None
    return principals.managed_identity(tenant, nic["properties"]["resourceGuid"]) if tenant else None


class IpConfigurationProperties(Body):
    """An ip configuration's request: its subnet is required; with an address it is ``Static`` unless it says
    otherwise, else ``Dynamic`` (the address it already has in that subnet, or the lowest free one)."""

    subnet: SubResource
    privateIPAllocationMethod: AllocationMethod | None = None  # noqa: N815
    privateIPAddress: str | None = None  # noqa: N815
    primary: bool | None = None


class IpConfiguration(Body):
    """One named ip configuration of a NIC."""

    name: str
    properties: IpConfigurationProperties


class Properties(Body):
    """A NIC's request properties: at least its ip configurations."""

    ipConfigurations: list[IpConfiguration]  # noqa: N815
    enableAcceleratedNetworking: bool | None = None  # noqa: N815
    enableIPForwarding: bool | None = None  # noqa: N815


class NicBody(Body):
    """A NIC PUT: a region and the properties are required."""

    location: Any = None
    tags: dict[str, str] | None = None
    properties: Properties


def allocation(ctx: Context, subnet_id: str, subnet_doc: Doc, exclude_nic: str | None = None) -> ipam.Allocation:
    """The subnet's address pool with every address in use marked taken."""
    taken = [u.address for u in subnet_uses(ctx, subnet_id, exclude_nic)]
    return ipam.Allocation(subnet_doc["name"], subnets.prefix_of(subnet_doc), frozenset()).with_taken(taken)


def ip_configuration(
    nic_id: str, name: str, subnet_id: str, address: str, method: str, primary: bool, link: Doc | None = None
) -> Doc:
    """One ip configuration in Azure's shape; ``link`` is a private endpoint member's
    ``privateLinkConnectionProperties``."""
    props: Doc = {
        "provisioningState": "Succeeded",
        "privateIPAddress": address,
        "privateIPAllocationMethod": method,
        "privateIPAddressVersion": "IPv4",
        "primary": primary,
        "subnet": {"id": subnet_id},
    }
    if link is not None:
        props["privateLinkConnectionProperties"] = link
    return {
        "name": name,
        "id": f"{nic_id}/ipConfigurations/{name}",
        "etag": etag(),
        "type": f"{NIC_TYPE}/ipConfigurations",
        "properties": props,
    }


def nic_document(
    ref: ResourceRef,
    location: str,
    tags: dict[str, str],
    configs: list[Doc],
    existing: Doc | None,
    endpoint_id: str | None = None,
) -> Doc:
    """A NIC as Network stores it: Azure's defaults for everything a NIC request does not set, the given ip
    configurations, and for a private endpoint's NIC the endpoint that owns it."""
    props: Doc = {
        "provisioningState": "Succeeded",
        "resourceGuid": resource_guid(existing),
        "ipConfigurations": configs,
        "dnsSettings": {"dnsServers": [], "appliedDnsServers": []},
        "enableAcceleratedNetworking": False,
        "enableIPForwarding": False,
        "hostedWorkloads": [],
        "tapConfigurations": [],
        "macAddress": "",
        "nicType": "Standard",
    }
    if endpoint_id is not None:
        props["privateEndpoint"] = {"id": endpoint_id}
    return {**common.envelope(ref, NIC_TYPE), "etag": etag(), "location": location, "tags": tags, "properties": props}


def _refuse_if_endpoint_owned(existing: Doc | None, ref: ResourceRef) -> None:
    endpoint = ((existing or {}).get("properties", {}).get("privateEndpoint") or {}).get("id")
    if endpoint:
        raise BadRequest(
            unconfirmed.PE_NIC_DELETE_CODE,
            f"Network interface {ref.id} is owned by private endpoint {endpoint}; change or delete the private "
            "endpoint instead.",
        )


def create(ctx: Context, ref: ResourceRef, existing: Doc | None, body: Doc) -> Doc:
    """A standalone NIC: every ip configuration in a subnet of one VNet in the NIC's region; dynamic
    addresses take the lowest free ones, static ones are checked."""
    _refuse_if_endpoint_owned(existing, ref)
    request = parse(NicBody, body)
    location = common.region(ctx, request.location, NIC_TYPE)
    common.same_location(existing, location, ref)
    if not request.properties.ipConfigurations:
        raise BadRequest("InvalidRequestFormat", f"Network interface {ref.name} needs an ip configuration.")
    configs: list[Doc] = []
    pools: dict[str, ipam.Allocation] = {}
    kept = {c["name"].lower(): c for c in (existing or {}).get("properties", {}).get("ipConfigurations", [])}
    for index, config in enumerate(request.properties.ipConfigurations):
        subnet_ref, subnet_doc = referenced(ctx, config.properties.subnet.id, SUBNET_TYPE, ref.id)
        vnet = ctx.load(subnet_ref.parent) if subnet_ref.parent else None
        if vnet is None or vnet["location"] != location:
            raise BadRequest(
                "InvalidResourceReference",
                f"Subnet {subnet_ref.id} of network interface {ref.id} must be in a virtual network in {location}.",
            )
        pool = pools.get(subnet_ref.key) or allocation(ctx, subnet_doc["id"], subnet_doc, exclude_nic=ref.key)
        method = config.properties.privateIPAllocationMethod or (
            "Static" if config.properties.privateIPAddress else "Dynamic"
        )
        previous = kept.get(config.name.lower())
        if method == "Static":
            address = pool.check_static(config.properties.privateIPAddress, f"{ref.id}/ipConfigurations/{config.name}")
        elif previous and previous["properties"]["subnet"]["id"].lower() == subnet_ref.key:
            address = previous["properties"]["privateIPAddress"]
        else:
            address = pool.allocate(1)[0]
        pools[subnet_ref.key] = pool.with_taken([address])
        primary = config.properties.primary if config.properties.primary is not None else index == 0
        configs.append(ip_configuration(ref.id, config.name, subnet_doc["id"], address, method, primary))
    tags = request.tags or {}
    _check_vm_name(ctx, ref, tags)
    return nic_document(ref, location, tags, configs, existing)


def _check_vm_name(ctx: Context, ref: ResourceRef, tags: dict[str, str]) -> None:
    """A VM's NIC names a host: not a built-in one, not one another resource already names."""
    name = tags.get(VM_TAG)
    if name:
        hostnames.check_host_name(ctx, name, ref.id, f"tags.{VM_TAG}")


def update(ctx: Context, ref: ResourceRef, existing: Doc, body: Doc) -> Doc:
    """PATCH changes tags only."""
    tags = body.get("tags") if isinstance(body, dict) else None
    if tags is not None and not (isinstance(tags, dict) and all(isinstance(v, str) for v in tags.values())):
        raise BadRequest("InvalidRequestContent", "Tags must be an object of strings.", target="tags")
    if tags is not None:
        _check_vm_name(ctx, ref, tags)
    return {**existing, "etag": etag(), "tags": tags if tags is not None else existing["tags"]}


def refuse_endpoint_nic_delete(ctx: Context, ref: ResourceRef, doc: Doc) -> None:
    """Users cannot delete a private endpoint's NIC (its group going away can)."""
    if not ctx.cascading:
        _refuse_if_endpoint_owned(doc, ref)


def new_endpoint_nic_name(endpoint_name: str) -> str:
    """``{endpoint}.nic.{guid}``, the name Azure gives a private endpoint's NIC."""
    return f"{endpoint_name}.nic.{new_guid()}"


NETWORK_INTERFACES = ResourceType(
    type=NIC_TYPE,
    check_name=check_network_name,
    create=create,
    update=update,
    guard_delete=refuse_endpoint_nic_delete,
    listed_in_subscription=True,
    create_status="Updating",
    delete_rank=20,
)
