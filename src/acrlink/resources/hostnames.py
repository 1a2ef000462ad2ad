"""Host names: the network positions a client can act as (``acrlink hosts``, the proxy's user name).

A VM is a NIC tagged ``acrlink-vm: NAME`` and an on-premises host is an ``onPremisesHosts`` resource; both
add a host named NAME to the one namespace the proxy, the DNS views and ``acrlink exec --from`` share. Two
rules keep that namespace honest (compared case-insensitively, as host names are everywhere):
- the built-in hosts (``internet``, ``azure-trusted-service``) cannot be claimed: a NIC tagged
  ``acrlink-vm=internet`` would otherwise turn every unproxied client into a VM inside that VNet and let it
  reach closed registries over the private path;
- a name belongs to one host: a second VM or on-premises host with a name already in use is refused, so
  no request can silently act as a different machine than the one its owner created.
These are acrlink's own rules (Azure has no such tags), so their codes are acrlink's, in Azure's style.
"""

from __future__ import annotations

from acrlink.domain.netgraph import BUILT_IN_HOSTS
from acrlink.errors import BadRequest, Conflict
from acrlink.resources.base import Context
from acrlink.resources.network.common import NIC_TYPE

RESERVED_CODE = "ReservedHostName"
IN_USE_CODE = "HostNameInUse"
ONPREM_TYPE = "Acrlink.Network/onPremisesHosts"
"""On-premises hosts (``resources/onprem.py``)."""
VM_TAG = "acrlink-vm"
"""A NIC tagged ``acrlink-vm: NAME`` is the network interface of VM ``NAME`` (``acrlink vm create``)."""


def host_owners(ctx: Context) -> dict[str, str]:
    """Every host name in use (lower case) -> the id of the resource that makes that host."""
    owners: dict[str, str] = {}
    for record in ctx.tx.query(type=NIC_TYPE):
        name = (record.body.get("tags") or {}).get(VM_TAG)
        if name:
            owners.setdefault(str(name).lower(), record.body["id"])
    for record in ctx.tx.query(type=ONPREM_TYPE):
        owners.setdefault(record.body["name"].lower(), record.body["id"])
    return owners


def check_host_name(ctx: Context, name: str, owner_id: str, target: str) -> None:
    """Refuse a host name that is built in (400 ``ReservedHostName``) or already names another
    resource's host (409 ``HostNameInUse``); ``owner_id`` may keep the name it already has."""
    if name.lower() in BUILT_IN_HOSTS:
        raise BadRequest(
            RESERVED_CODE,
            f"The host name '{name}' is reserved for acrlink's built-in host; choose another name.",
            target=target,
        )
    owner = host_owners(ctx).get(name.lower())
    if owner is not None and owner.lower() != owner_id.lower():
        raise Conflict(
            IN_USE_CODE,
            f"The host name '{name}' is already used by {owner}; host names are unique across acrlink.",
            target=target,
        )
