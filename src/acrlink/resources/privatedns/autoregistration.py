"""Auto-registration: a VM in a VNet linked to a zone with ``registrationEnabled`` gets an A record with
its name and private address (``isAutoRegistered: true``, TTL 10), kept while the VM and the link exist."""

from __future__ import annotations

from acrlink.ids import ResourceRef, parse_resource_id
from acrlink.resources.base import Context, Doc
from acrlink.resources.network.common import NIC_TYPE
from acrlink.resources.network.nic import vm_name
from acrlink.resources.privatedns import recordset
from acrlink.resources.privatedns.link import TYPE as LINK_TYPE

TTL = 10


def _vm_address(nic: Doc) -> tuple[str, str] | None:
    """(VNet id, primary private address) of a VM's NIC."""
    configs = nic["properties"]["ipConfigurations"]
    if not configs:
        return None
    primary = next((c for c in configs if c["properties"].get("primary")), configs[0])
    subnet = parse_resource_id(primary["properties"]["subnet"]["id"])
    if subnet is None or subnet.parent is None:
        return None
    return subnet.parent.key, primary["properties"]["privateIPAddress"]


def _registration_zones(ctx: Context, vnet_key: str) -> list[ResourceRef]:
    zones = []
    for record in ctx.tx.query(type=LINK_TYPE):
        props = record.body["properties"]
        if props["registrationEnabled"] and props["virtualNetwork"]["id"].lower() == vnet_key:
            link = parse_resource_id(record.body["id"])
            if link is not None and link.parent is not None:
                zones.append(link.parent)
    return zones


def _remove(ctx: Context, zone: ResourceRef, name: str) -> None:
    record = ctx.load(zone.child("A", name))
    if record is not None and record["properties"].get("isAutoRegistered"):
        ctx.tx.delete(zone.child("A", name).key)


def nic_written(ctx: Context, _ref: ResourceRef, nic: Doc, _created: bool) -> None:
    """A VM's NIC (re)registers in every registration zone linked to its VNet."""
    name, where = vm_name(nic), _vm_address(nic)
    if name is None or where is None:
        return
    for zone in _registration_zones(ctx, where[0]):
        recordset.upsert(ctx, zone, "A", name.lower(), TTL, [{"ipv4Address": where[1]}], {}, auto_registered=True)


def nic_deleted(ctx: Context, _ref: ResourceRef, nic: Doc) -> None:
    """A deleted VM's NIC takes its auto-registered records out of every registration zone linked to its VNet."""
    name, where = vm_name(nic), _vm_address(nic)
    if name is None or where is None:
        return
    for zone in _registration_zones(ctx, where[0]):
        _remove(ctx, zone, name.lower())


def _vms_in(ctx: Context, vnet_key: str) -> list[tuple[str, str]]:
    found = []
    for record in ctx.tx.query(type=NIC_TYPE):
        name, where = vm_name(record.body), _vm_address(record.body)
        if name is not None and where is not None and where[0] == vnet_key:
            found.append((name.lower(), where[1]))
    return found


def link_written(ctx: Context, ref: ResourceRef, link: Doc, _created: bool) -> None:
    """Turning registration on registers the VNet's VMs; turning it off removes their records."""
    zone = ref.parent
    assert zone is not None
    vnet_key = link["properties"]["virtualNetwork"]["id"].lower()
    for name, address in _vms_in(ctx, vnet_key):
        if link["properties"]["registrationEnabled"]:
            recordset.upsert(ctx, zone, "A", name, TTL, [{"ipv4Address": address}], {}, auto_registered=True)
        else:
            _remove(ctx, zone, name)


def link_deleted(ctx: Context, ref: ResourceRef, link: Doc) -> None:
    """A deleted link takes the records it auto-registered for its VNet's VMs out of its zone (nothing when the zone
    is already gone)."""
    zone = ref.parent
    assert zone is not None
    if ctx.load(zone) is None:
        return
    for name, _ in _vms_in(ctx, link["properties"]["virtualNetwork"]["id"].lower()):
        _remove(ctx, zone, name)
