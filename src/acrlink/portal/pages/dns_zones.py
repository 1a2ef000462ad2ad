"""Private DNS zones: the list, create, and the zone blade: Overview (record sets and links counted),
Record sets (every set with its type, TTL and values; create or edit an A record by hand, S13; delete a
set), Virtual network links (with auto-registration; add one, remove one). Deleting a record set or
removing a link first shows the what-if (``Acrlink.Network/whatIf``): which hosts lose or gain access to
which registry names, before the user confirms."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from acrlink.portal.app import Page, RouteSpec
from acrlink.portal.armclient import ArmError
from acrlink.portal.i18n import register
from acrlink.portal.pages.common import DNS_API, blade, group_path, groups, parse_id, portal_link
from acrlink.portal.pages.common import what_if as views_what_if
from acrlink.portal.pages.networks import field_of, in_every_subscription, vnet_label, vnets

ZONE_TYPE = "Microsoft.Network/privateDnsZones"
RECORD_KEYS = {
    "A": "aRecords",
    "AAAA": "aaaaRecords",
    "CNAME": "cnameRecord",
    "MX": "mxRecords",
    "PTR": "ptrRecords",
    "SOA": "soaRecord",
    "SRV": "srvRecords",
    "TXT": "txtRecords",
}

register(
    {
        "dns.create_title": ("Create Private DNS zone", "创建专用 DNS 区域"),
        "dns.zone_name": ("Name", "名称"),
        "dns.record_sets": ("Record sets", "记录集"),
        "dns.links": ("Virtual network links", "虚拟网络链接"),
        "dns.record_set_count": ("Number of record sets", "记录集数"),
        "dns.link_count": ("Number of virtual network links", "虚拟网络链接数"),
        "dns.registration_link_count": (
            "Number of virtual network links with auto-registration",
            "启用自动注册的虚拟网络链接数",
        ),
        "dns.add_record_set": ("+ Record set", "+ 记录集"),
        "dns.add_record_title": ("Add record set", "添加记录集"),
        "dns.edit_record_title": ("Edit record set", "编辑记录集"),
        "dns.record_name": ("Name", "名称"),
        "dns.record_type": ("Type", "类型"),
        "dns.ttl": ("TTL", "TTL"),
        "dns.ttl_unit": ("TTL unit", "TTL 单位"),
        "dns.seconds": ("Seconds", "秒"),
        "dns.ip_addresses": ("IP address", "IP 地址"),
        "dns.ip_hint": ("One address per line.", "每行一个地址。"),
        "dns.value": ("Value", "值"),
        "dns.auto_registered": ("Auto registered", "自动注册"),
        "dns.ok": ("OK", "确定"),
        "dns.edit": ("Edit", "编辑"),
        "dns.delete": ("Delete", "删除"),
        "dns.add_link": ("+ Add", "+ 添加"),
        "dns.add_link_title": ("Add virtual network link", "添加虚拟网络链接"),
        "dns.link_name": ("Link name", "链接名称"),
        "dns.vnet": ("Virtual network", "虚拟网络"),
        "dns.auto_registration": ("Enable auto registration", "启用自动注册"),
        "dns.auto_registration_column": ("Auto-registration", "自动注册"),
        "dns.link_status": ("Link status", "链接状态"),
        "dns.remove": ("Remove", "删除"),
        "dns.confirm_delete_record": ("Delete record set", "删除记录集"),
        "dns.confirm_remove_link": ("Remove virtual network link", "删除虚拟网络链接"),
        "dns.whatif_title": ("What changes for the hosts", "对主机的影响"),
        "dns.whatif_none": (
            "No host gains or loses access to any registry endpoint.",
            "没有主机因此获得或失去对任何注册表终结点的访问。",
        ),
        "dns.whatif_failed": ("The what-if could not be computed", "无法计算假设分析"),
        "dns.host": ("Host", "主机"),
        "dns.endpoint": ("Endpoint", "终结点"),
        "dns.before": ("Before", "之前"),
        "dns.after": ("After", "之后"),
        "dns.change": ("Change", "更改"),
        "dns.confirm": ("Yes, delete", "是,删除"),
        "dns.confirm_question": ("Are you sure you want to delete '{name}'?", "确定要删除“{name}”吗?"),
    }
)


def zone_of(resource_id: str) -> str:
    """The zone's id of a record set's or link's id."""
    head, _, rest = resource_id.partition("/privateDnsZones/")
    return f"{head}/privateDnsZones/{rest.split('/')[0]}"


async def zones(page: Page) -> list[dict[str, Any]]:
    found = await in_every_subscription(page, ZONE_TYPE, DNS_API)
    return sorted(found, key=lambda z: (z["name"].lower(), z["id"].lower()))


def values_of(record_set: dict[str, Any]) -> list[str]:
    """A record set's values as the portal's grid shows them."""
    props = record_set.get("properties", {})
    kind = record_set["type"].split("/")[-1].upper()
    if kind == "A":
        return [r["ipv4Address"] for r in props.get("aRecords") or []]
    if kind == "AAAA":
        return [r["ipv6Address"] for r in props.get("aaaaRecords") or []]
    if kind == "CNAME":
        return [(props.get("cnameRecord") or {}).get("cname", "")]
    if kind == "MX":
        return [f"{r['preference']} {r['exchange']}" for r in props.get("mxRecords") or []]
    if kind == "PTR":
        return [r["ptrdname"] for r in props.get("ptrRecords") or []]
    if kind == "SRV":
        return [f"{r['priority']} {r['weight']} {r['port']} {r['target']}" for r in props.get("srvRecords") or []]
    if kind == "TXT":
        return [" ".join(r.get("value") or []) for r in props.get("txtRecords") or []]
    if kind == "SOA":
        soa = props.get("soaRecord") or {}
        return [f"Email: {soa.get('email')}", f"Host: {soa.get('host')}", f"Serial: {soa.get('serialNumber')}"]
    return []


# The list and create ---------------------------------------------------------------------------------


async def list_page(page: Page) -> Response:
    return page.render("dns_list.html", zones=await zones(page), link=portal_link, group_of=parse_id)


async def create_form(
    page: Page,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: ArmError | None = None,
    status: int = 200,
) -> Response:
    return page.render(
        "dns_create.html", status, values=values or {}, errors=errors or {}, error=error, groups=await groups(page)
    )


async def create_page(page: Page) -> Response:
    return await create_form(page)


async def create(page: Page) -> Response:
    values = {k: (await page.field(k)).strip() for k in ("subscription", "group", "name")}
    subscription = values["subscription"] or page.world.default_subscription
    zone_id = f"{group_path(subscription, values['group'])}/providers/{ZONE_TYPE}/{values['name']}"
    try:
        await page.arm.request("PUT", zone_id, DNS_API, {"location": "global", "tags": {}})
    except ArmError as error:
        field = "group" if "resourcegroup" in error.code.lower() else "name"
        return await create_form(page, values, {field: error.message}, error, 400)
    return page.redirect(portal_link(zone_id))


# The zone blade ----------------------------------------------------------------------------------------


async def render_zone(
    page: Page,
    zone_id: str,
    section: str,
    status: int = 200,
    errors: dict[str, str] | None = None,
    error: ArmError | None = None,
    values: dict[str, Any] | None = None,
    editing: dict[str, Any] | None = None,
) -> Response:
    zone = await page.arm.get(zone_id, DNS_API)
    section = section.lower() if section.lower() in ("recordsets", "virtualnetworklinks") else ""
    record_sets: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    networks: list[dict[str, Any]] = []
    if section == "recordsets":
        record_sets = await page.arm.list(f"{zone_id}/ALL", DNS_API)
    if section == "virtualnetworklinks":
        links = await page.arm.list(f"{zone_id}/virtualNetworkLinks", DNS_API)
        networks = await vnets(page)
    return page.render(
        "dns_zone.html",
        status,
        zone=zone,
        zone_id=zone_id,
        section=section,
        parsed=parse_id(zone_id),
        record_sets=record_sets,
        links=links,
        networks=networks,
        vnet_label=vnet_label,
        values_of=values_of,
        errors=errors or {},
        error=error,
        values=values or {},
        editing=editing,
        link=portal_link,
    )


@blade(ZONE_TYPE)
async def zone_blade(page: Page, resource_id: str, section: str) -> Response:
    return await render_zone(page, resource_id, section)


@blade(f"{ZONE_TYPE}/A")
async def a_record_blade(page: Page, resource_id: str, section: str) -> Response:
    """An A record set's own blade: its edit pane, on the record sets list."""
    record_set = await page.arm.get(resource_id, DNS_API)
    values = {
        "name": record_set["name"],
        "ttl": str(record_set["properties"].get("ttl", 3600)),
        "addresses": "\n".join(values_of(record_set)),
    }
    return await render_zone(page, zone_of(resource_id), "recordsets", values=values, editing=record_set)


def addresses_of(text: str) -> list[str]:
    return [a.strip() for a in text.replace(",", "\n").splitlines() if a.strip()]


async def save_record_set(page: Page) -> Response:
    """OK on the record set pane: the A record set's PUT (a new one with ``If-None-Match`` semantics left
    to ARM; an edit replaces the set's records and TTL, keeping its metadata)."""
    zone_id = await page.field("zone")
    editing = await page.field("editing") == "1"
    values = {k: (await page.field(k)).strip() for k in ("name", "ttl", "addresses")}
    name = values["name"] or "@"
    record_id = f"{zone_id}/A/{name}"
    metadata: dict[str, str] = {}
    try:
        ttl = int(values["ttl"] or "3600")
    except ValueError:
        error = ArmError(400, "BadRequest", f"The TTL {values['ttl']} is not a number.", [])
        return await render_zone(page, zone_id, "recordsets", 400, {"ttl": error.message}, error, values)
    if editing:
        current = await page.arm.get(record_id, DNS_API)
        metadata = current["properties"].get("metadata") or {}
    body = {
        "properties": {
            "ttl": ttl,
            "metadata": metadata,
            "aRecords": [{"ipv4Address": a} for a in addresses_of(values["addresses"])],
        }
    }
    try:
        await page.arm.request("PUT", record_id, DNS_API, body)
    except ArmError as error:
        target = ""
        if error.details:
            target = str(error.details[0].get("target") or "")
        text = f"{error.code} {error.message} {target}".lower()
        if "ttl" in text:
            field = "ttl"
        elif "arecords" in text or "address" in text or "ipv4" in text:
            field = "addresses"
        else:
            field = "name"
        return await render_zone(
            page, zone_id, "recordsets", 400, {field: error.message}, error, values, {"name": name} if editing else None
        )
    return page.redirect(portal_link(zone_id) + "/recordsets")


async def confirm_delete(page: Page, resource_id: str, back: str, title_key: str, action: str) -> Response:
    subscription = parse_id(resource_id)["subscription"] or page.world.default_subscription
    changes, error = await views_what_if(
        page, subscription, [{"method": "DELETE", "path": resource_id, "apiVersion": DNS_API, "body": None}]
    )
    name = resource_id.rstrip("/").split("/")[-1]
    return page.render(
        "dns_confirm.html",
        resource_id=resource_id,
        name=name,
        back=back,
        title_key=title_key,
        action=action,
        changes=changes,
        whatif_error=error,
    )


async def delete_record_set(page: Page) -> Response:
    record_id = await page.field("id")
    zone_id = zone_of(record_id)
    if await page.field("confirmed") != "1":
        back = portal_link(zone_id) + "/recordsets"
        return await confirm_delete(
            page, record_id, back, "dns.confirm_delete_record", "/privatednszones/recordsets/delete"
        )
    await page.arm.request("DELETE", record_id, DNS_API)
    return page.redirect(portal_link(zone_id) + "/recordsets")


async def add_link(page: Page) -> Response:
    zone_id = await page.field("zone")
    values = {k: (await page.field(k)).strip() for k in ("name", "vnet", "registration")}
    body = {
        "location": "global",
        "properties": {"virtualNetwork": {"id": values["vnet"]}, "registrationEnabled": values["registration"] == "on"},
    }
    try:
        await page.arm.request("PUT", f"{zone_id}/virtualNetworkLinks/{values['name']}", DNS_API, body)
    except ArmError as error:
        text = f"{error.code} {error.message}".lower()
        fields = {"registration": ("registration",)}
        field = field_of(error, fields, "vnet" if ("virtual network" in text or "zone" in text) else "name")
        if "name" in error.code.lower():
            field = "name"
        return await render_zone(page, zone_id, "virtualnetworklinks", 400, {field: error.message}, error, values)
    return page.redirect(portal_link(zone_id) + "/virtualnetworklinks")


async def remove_link(page: Page) -> Response:
    link_id = await page.field("id")
    zone_id = zone_of(link_id)
    if await page.field("confirmed") != "1":
        back = portal_link(zone_id) + "/virtualnetworklinks"
        return await confirm_delete(page, link_id, back, "dns.confirm_remove_link", "/privatednszones/links/delete")
    await page.arm.request("DELETE", link_id, DNS_API)
    return page.redirect(portal_link(zone_id) + "/virtualnetworklinks")


ROUTES: list[RouteSpec] = [
    ("/privatednszones", list_page, ("GET",)),
    ("/privatednszones/create", create_page, ("GET",)),
    ("/privatednszones/create", create, ("POST",)),
    ("/privatednszones/recordsets/save", save_record_set, ("POST",)),
    ("/privatednszones/recordsets/delete", delete_record_set, ("POST",)),
    ("/privatednszones/links/add", add_link, ("POST",)),
    ("/privatednszones/links/delete", remove_link, ("POST",)),
]
