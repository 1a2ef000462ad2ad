"""How a network interface reads: the stored document plus the read-only properties Azure always shows on
one (the REST examples' ``NetworkInterfaceGet``): whether it is its VM's primary NIC, TCP state tracking,
VNet encryption support and the VNet's internal DNS suffix. A VM's NIC also shows the VM's system-assigned
managed identity, read-only, in the shape a VM resource shows it (top-level ``identity``: ``type``,
``principalId``, ``tenantId``): acrlink has no VM resource, so its NIC carries it (an Azure NIC has no such
property; clients ignore it, and a PUT that sends it back changes nothing)."""

from __future__ import annotations

import hashlib

from acrlink import unconfirmed
from acrlink.domain.principals import SYSTEM_ASSIGNED
from acrlink.ids import ResourceRef
from acrlink.resources.base import Context, Doc
from acrlink.resources.network.nic import vm_identity


def internal_domain_name_suffix(ctx: Context, subnet_id: str) -> str:
    """Azure's internal DNS suffix is one per VNet: 26 letters, a cluster label, then the cloud's suffix.
    acrlink derives the letters from the VNet's id so that every NIC of a VNet shows the same one."""
    vnet_id = subnet_id.lower().split("/subnets/")[0]
    digest = hashlib.sha256(vnet_id.encode()).digest()
    letters = "".join(chr(ord("a") + b % 26) for b in digest[:26])
    suffix = unconfirmed.INTERNAL_DNS_SUFFIXES.get(ctx.cloud.cloudapp_suffix, unconfirmed.INTERNAL_DNS_SUFFIX)
    return f"{letters}.{unconfirmed.INTERNAL_DNS_CLUSTER}.{suffix}"


def render(ctx: Context, _ref: ResourceRef, doc: Doc) -> Doc:
    """Stored values win; the defaults are what Azure shows for a NIC that never set them."""
    props = dict(doc["properties"])
    configs = props.get("ipConfigurations") or []
    dns = dict(props.get("dnsSettings") or {"dnsServers": [], "appliedDnsServers": []})
    if configs and "internalDomainNameSuffix" not in dns:
        dns["internalDomainNameSuffix"] = internal_domain_name_suffix(ctx, configs[0]["properties"]["subnet"]["id"])
    props["dnsSettings"] = dns
    props.setdefault("primary", True)
    props.setdefault("disableTcpStateTracking", False)
    props.setdefault("vnetEncryptionSupported", False)
    rendered = {**doc, "properties": props}
    identity = vm_identity(ctx.tx, doc)
    if identity is not None:
        rendered["identity"] = {
            "type": SYSTEM_ASSIGNED,
            "principalId": identity.principal_id,
            "tenantId": identity.tenant_id,
        }
    return rendered
