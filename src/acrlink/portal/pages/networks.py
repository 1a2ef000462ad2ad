"""Virtual networks: the list, create (name, region, address space, a first subnet: one VNet PUT, as the
portal's create sends it), and the VNet blade: Overview (address space, DNS servers), Subnets (address
range and the private endpoint network policy of S10, editable with a subnet PUT; add a subnet) and
Peerings (list, add, delete). Every read is an ARM GET and every change an ARM request; ARM's refusal is
shown next to the field it is about and nothing is created."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from acrlink.portal.app import Page, RouteSpec
from acrlink.portal.armclient import ArmError
from acrlink.portal.i18n import register
from acrlink.portal.pages.common import NETWORK_API, blade, group_path, groups, parse_id, portal_link

VNET_TYPE = "Microsoft.Network/virtualNetworks"
POLICIES = ("Disabled", "Enabled")

register(
    {
        "network.create_title": ("Create virtual network", "创建虚拟网络"),
        "network.name": ("Virtual network name", "虚拟网络名称"),
        "network.address_space": ("Address space", "地址空间"),
        "network.ip_addresses": ("IP addresses", "IP 地址"),
        "network.dns_servers": ("DNS servers", "DNS 服务器"),
        "network.azure_dns": ("Azure provided DNS service", "Azure 提供的 DNS 服务"),
        "network.subnets": ("Subnets", "子网"),
        "network.peerings": ("Peerings", "对等互连"),
        "network.subnet": ("Subnet", "子网"),
        "network.subnet_name": ("Subnet name", "子网名称"),
        "network.address_range": ("Subnet address range", "子网地址范围"),
        "network.ipv4": ("IPv4", "IPv4"),
        "network.pe_policy": ("Private endpoint network policy", "专用终结点网络策略"),
        "network.policy.Disabled": ("Disabled", "已禁用"),
        "network.policy.Enabled": ("Enabled", "已启用"),
        "network.add_subnet": ("+ Subnet", "+ 子网"),
        "network.add_subnet_title": ("Add a subnet", "添加子网"),
        "network.add": ("Add", "添加"),
        "network.private_endpoints": ("Private endpoints", "专用终结点"),
        "network.add_peering": ("+ Add", "+ 添加"),
        "network.add_peering_title": ("Add peering", "添加对等互连"),
        "network.this_vnet": ("This virtual network", "此虚拟网络"),
        "network.remote_vnet_section": ("Remote virtual network", "远程虚拟网络"),
        "network.peering_link_name": ("Peering link name", "对等互连链接名称"),
        "network.remote_link_name": ("Remote peering link name", "远程对等互连链接名称"),
        "network.remote_vnet": ("Virtual network", "虚拟网络"),
        "network.peering_state": ("Peering state", "对等互连状态"),
        "network.remote_space": ("Remote address space", "远程地址空间"),
        "network.delete_peering": ("Delete", "删除"),
        "network.connected_devices": ("Connected devices", "连接的设备"),
        "network.saved": ("Saved.", "已保存。"),
        "network.first_subnet": ("Subnet", "子网"),
    }
)


def vnet_label(vnet: dict[str, Any]) -> str:
    """What the Azure portal shows for a VNet in a list: ``myvnet (myrg)``."""
    return f"{vnet['name']} ({parse_id(vnet['id']).get('group', '')})"


async def vnets(page: Page) -> list[dict[str, Any]]:
    """Every VNet of every subscription, as ARM lists them (with their subnets and peerings)."""
    found = await in_every_subscription(page, VNET_TYPE, NETWORK_API)
    return sorted(found, key=lambda v: (v["name"].lower(), v["id"].lower()))


async def in_every_subscription(page: Page, resource_type: str, api_version: str) -> list[dict[str, Any]]:
    """A type's resources in every subscription; a subscription not registered for the namespace has none
    (the portal's lists leave it out, as Azure's do)."""
    found: list[dict[str, Any]] = []
    for subscription in page.world.subscriptions:
        try:
            found += await page.arm.list(f"/subscriptions/{subscription}/providers/{resource_type}", api_version)
        except ArmError as error:
            if error.code != "MissingSubscriptionRegistration":
                raise
    return found


def field_of(error: ArmError, fields: dict[str, tuple[str, ...]], default: str) -> str:
    """Which form field ARM's refusal is about: the first field whose words appear in its code."""
    code = error.code.lower()
    for name, words in fields.items():
        if any(word in code for word in words):
            return name
    return default


# The list and create ---------------------------------------------------------------------------------


async def list_page(page: Page) -> Response:
    return page.render("network_list.html", vnets=await vnets(page), link=portal_link, group_of=parse_id)


async def create_form(
    page: Page,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: ArmError | None = None,
    status: int = 200,
) -> Response:
    defaults = {
        "address_space": "10.0.0.0/16",
        "subnet_name": "default",
        "subnet_prefix": "10.0.0.0/24",
        "location": next(iter(page.world.regions), ""),
    }
    return page.render(
        "network_create.html",
        status,
        values={**defaults, **(values or {})},
        errors=errors or {},
        error=error,
        groups=await groups(page),
    )


async def create_page(page: Page) -> Response:
    return await create_form(page)


async def create(page: Page) -> Response:
    names = ("subscription", "group", "name", "location", "address_space", "subnet_name", "subnet_prefix")
    values = {k: (await page.field(k)).strip() for k in names}
    subscription = values["subscription"] or page.world.default_subscription
    vnet_id = f"{group_path(subscription, values['group'])}/providers/{VNET_TYPE}/{values['name']}"
    space = [p.strip() for p in values["address_space"].replace(",", " ").split() if p.strip()]
    subnets = []
    if values["subnet_name"] or values["subnet_prefix"]:
        subnets.append({"name": values["subnet_name"], "properties": {"addressPrefix": values["subnet_prefix"]}})
    body = {
        "location": values["location"],
        "tags": {},
        "properties": {"addressSpace": {"addressPrefixes": space}, "subnets": subnets},
    }
    try:
        await page.arm.request("PUT", vnet_id, NETWORK_API, body)
    except ArmError as error:
        fields = {
            "subnet_prefix": ("subnet",),
            "address_space": ("address", "prefix", "cidr", "overlap"),
            "location": ("location",),
            "group": ("resourcegroup",),
        }
        return await create_form(page, values, {field_of(error, fields, "name"): error.message}, error, 400)
    return page.redirect(portal_link(vnet_id))


# The VNet blade ----------------------------------------------------------------------------------------


async def render_vnet(
    page: Page,
    resource_id: str,
    section: str,
    status: int = 200,
    errors: dict[str, str] | None = None,
    error: ArmError | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    vnet = await page.arm.get(resource_id, NETWORK_API)
    section = section.lower() if section.lower() in ("subnets", "peerings") else ""
    others: list[dict[str, Any]] = []
    if section == "peerings":
        others = [v for v in await vnets(page) if v["id"].lower() != vnet["id"].lower()]
    return page.render(
        "network_vnet.html",
        status,
        vnet=vnet,
        resource_id=resource_id,
        section=section,
        parsed=parse_id(resource_id),
        others=others,
        vnet_label=vnet_label,
        errors=errors or {},
        error=error,
        values=values or {},
        link=portal_link,
        policies=POLICIES,
    )


@blade(VNET_TYPE)
async def vnet_blade(page: Page, resource_id: str, section: str) -> Response:
    return await render_vnet(page, resource_id, section)


def subnet_body(subnet: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The subnet PUT the portal sends on Save: the subnet's writable properties as they are, changed."""
    props = subnet.get("properties", {})
    keep = (
        "addressPrefix",
        "addressPrefixes",
        "delegations",
        "serviceEndpoints",
        "privateEndpointNetworkPolicies",
        "privateLinkServiceNetworkPolicies",
        "networkSecurityGroup",
        "routeTable",
        "defaultOutboundAccess",
    )
    return {"name": subnet.get("name"), "properties": {**{k: props[k] for k in keep if k in props}, **changes}}


@blade(f"{VNET_TYPE}/subnets")
async def subnet_blade(
    page: Page,
    resource_id: str,
    section: str,
    status: int = 200,
    errors: dict[str, str] | None = None,
    error: ArmError | None = None,
    saved: bool = False,
) -> Response:
    subnet = await page.arm.get(resource_id, NETWORK_API)
    vnet_id = resource_id.rsplit("/subnets/", 1)[0]
    return page.render(
        "network_subnet.html",
        status,
        subnet=subnet,
        vnet_id=vnet_id,
        vnet_name=parse_id(vnet_id)["name"],
        link=portal_link,
        policies=POLICIES,
        errors=errors or {},
        error=error,
        saved=saved or page.request.query_params.get("saved") == "1",
    )


async def save_subnet(page: Page) -> Response:
    """Save on the subnet's pane: a subnet PUT with the private endpoint network policy (S10)."""
    subnet_id = await page.field("id")
    policy = await page.field("privateEndpointNetworkPolicies")
    subnet = await page.arm.get(subnet_id, NETWORK_API)
    try:
        await page.arm.request(
            "PUT", subnet_id, NETWORK_API, subnet_body(subnet, privateEndpointNetworkPolicies=policy)
        )
    except ArmError as error:
        errors = {"privateEndpointNetworkPolicies": error.message}
        return await subnet_blade(page, subnet_id, "", 400, errors, error)
    return page.redirect(portal_link(subnet_id) + "?saved=1")


async def add_subnet(page: Page) -> Response:
    vnet_id = await page.field("vnet")
    values = {k: (await page.field(k)).strip() for k in ("name", "prefix", "policy")}
    body = {
        "name": values["name"],
        "properties": {
            "addressPrefix": values["prefix"],
            "privateEndpointNetworkPolicies": values["policy"] or "Disabled",
        },
    }
    try:
        await page.arm.request("PUT", f"{vnet_id}/subnets/{values['name']}", NETWORK_API, body)
    except ArmError as error:
        fields = {"subnet_prefix": ("range", "prefix", "overlap", "address", "small", "cidr")}
        field = "subnet_" + ("prefix" if field_of(error, fields, "name") == "subnet_prefix" else "name")
        return await render_vnet(page, vnet_id, "subnets", 400, {field: error.message}, error, values)
    return page.redirect(portal_link(vnet_id) + "/subnets")


async def add_peering(page: Page) -> Response:
    """Add peering as the portal does it: this VNet's peering to the remote one and, when a remote link
    name is given, the remote VNet's peering back (so both are Connected)."""
    vnet_id = await page.field("vnet")
    values = {k: (await page.field(k)).strip() for k in ("name", "remote", "remote_name")}
    try:
        if not values["remote"]:
            raise ArmError(400, "InvalidResourceReference", page.t("network.remote_vnet") + "?", [])
        body = {
            "properties": {
                "remoteVirtualNetwork": {"id": values["remote"]},
                "allowVirtualNetworkAccess": True,
                "allowForwardedTraffic": False,
                "allowGatewayTransit": False,
                "useRemoteGateways": False,
            }
        }
        await page.arm.request("PUT", f"{vnet_id}/virtualNetworkPeerings/{values['name']}", NETWORK_API, body)
    except ArmError as error:
        field = "peering_name" if "name" in error.code.lower() else "remote"
        return await render_vnet(page, vnet_id, "peerings", 400, {field: error.message}, error, values)
    if values["remote_name"]:
        back = {
            "properties": {
                "remoteVirtualNetwork": {"id": vnet_id},
                "allowVirtualNetworkAccess": True,
                "allowForwardedTraffic": False,
                "allowGatewayTransit": False,
                "useRemoteGateways": False,
            }
        }
        try:
            path = f"{values['remote']}/virtualNetworkPeerings/{values['remote_name']}"
            await page.arm.request("PUT", path, NETWORK_API, back)
        except ArmError as error:
            return await render_vnet(page, vnet_id, "peerings", 400, {"remote_name": error.message}, error, values)
    return page.redirect(portal_link(vnet_id) + "/peerings")


async def delete_peering(page: Page) -> Response:
    peering_id = await page.field("id")
    vnet_id = peering_id.split("/virtualNetworkPeerings/")[0]
    await page.arm.request("DELETE", peering_id, NETWORK_API)
    return page.redirect(portal_link(vnet_id) + "/peerings")


ROUTES: list[RouteSpec] = [
    ("/virtualnetworks", list_page, ("GET",)),
    ("/virtualnetworks/create", create_page, ("GET",)),
    ("/virtualnetworks/create", create, ("POST",)),
    ("/virtualnetworks/subnet", save_subnet, ("POST",)),
    ("/virtualnetworks/subnets/add", add_subnet, ("POST",)),
    ("/virtualnetworks/peerings/add", add_peering, ("POST",)),
    ("/virtualnetworks/peerings/delete", delete_peering, ("POST",)),
]
