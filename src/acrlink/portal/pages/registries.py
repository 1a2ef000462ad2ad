"""Container registries: the list, the create wizard (Basics with the name availability check and SKU,
Networking with the private endpoint pane, Tags, Review + create as one deployment), and the registry blade
(Overview; Settings > Networking with the Public access and Private endpoints tabs, Replications, Access keys;
Services > Repositories, read from the registry's data plane as the internet host).

Every read is an ARM GET (or the registry's own API, for repositories) and every change an ARM request with
the body the real portal sends; the network-changing ones show the ``Acrlink.Network/whatIf`` view's answer
(which hosts lose or gain access) before they are applied.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
from starlette.responses import JSONResponse, Response

from acrlink.portal import deploy
from acrlink.portal.app import Page, RouteSpec
from acrlink.portal.armclient import ArmError
from acrlink.portal.endpoint_template import EndpointPlan, build
from acrlink.portal.i18n import register
from acrlink.portal.pages.common import ACR_API, DNS_API, NETWORK_API, blade, groups, parse_id, portal_link
from acrlink.portal.pages.common import what_if as views_what_if

TYPE = "Microsoft.ContainerRegistry/registries"
NETWORK_VIEWS_API = "2026-01-01"
SKUS = ("Basic", "Standard", "Premium")
ZONE = "privatelink.azurecr.cn"
TABS = ("basics", "networking", "tags", "review")
SECTIONS = ("", "networking", "replications", "accesskeys", "repositories")

register(
    {
        "registry.create_title": ("Create container registry", "创建容器注册表"),
        "registry.tab_basics": ("Basics", "基本信息"),
        "registry.tab_networking": ("Networking", "网络"),
        "registry.tab_tags": ("Tags", "标记"),
        "registry.tab_review": ("Review + create", "查看 + 创建"),
        "registry.project_details": ("Project details", "项目详细信息"),
        "registry.instance_details": ("Instance details", "实例详细信息"),
        "registry.name": ("Registry name", "注册表名称"),
        "registry.sku": ("SKU", "SKU"),
        "registry.sku_Basic": ("Basic", "基本"),
        "registry.sku_Standard": ("Standard", "标准"),
        "registry.sku_Premium": ("Premium", "高级"),
        "registry.login_server": ("Login server", "登录服务器"),
        "registry.name_available": ("The name is available.", "该名称可用。"),
        "registry.connectivity": ("Network connectivity", "网络连接"),
        "registry.public_access": ("Public access", "公共访问"),
        "registry.private_endpoint": ("Private endpoint", "专用终结点"),
        # The real portal's wording is not known; this says what it means (a guess).
        "registry.private_needs_premium": (
            "Private endpoints are only available for registries with the Premium SKU. Choose the Premium SKU "
            "on the Basics tab to connect privately.",
            "专用终结点仅适用于高级 SKU 的注册表。请在“基本信息”选项卡上选择高级 SKU 以进行专用连接。",
        ),
        "registry.endpoints": ("Private endpoints", "专用终结点"),
        "registry.add": ("+ Add", "+ 添加"),
        "registry.pane_title": ("Create private endpoint", "创建专用终结点"),
        "registry.subresource": ("Registry subresource", "注册表子资源"),
        "registry.subresource_registry": ("registry", "注册表"),
        "registry.vnet": ("Virtual network", "虚拟网络"),
        "registry.subnet": ("Subnet", "子网"),
        "registry.integrate_dns": ("Integrate with private DNS zone", "与专用 DNS 区域集成"),
        "registry.dns_zone": ("Private DNS Zone", "专用 DNS 区域"),
        "registry.ok": ("OK", "确定"),
        "registry.remove_endpoint": ("Remove", "删除"),
        "registry.required": ("This field is required.", "此字段为必填字段。"),
        "registry.no_vnets": (
            "There is no virtual network in this subscription; create one first.",
            "此订阅中没有虚拟网络；请先创建一个。",
        ),
        "registry.tag_name": ("Name", "名称"),
        "registry.tag_value": ("Value", "值"),
        "registry.tags_help": (
            "Tags are name/value pairs that categorize resources.",
            "标记是对资源进行分类的名称/值对。",
        ),
        "registry.summary": ("Summary", "摘要"),
        "registry.fix_errors": (
            "Validation failed. Required information is missing or not valid.",
            "验证失败。缺少必需的信息或信息无效。",
        ),
        "registry.previous": ("Previous", "上一步"),
        "registry.next": ("Next", "下一步"),
        "registry.menu": ("Registry menu", "注册表菜单"),
        "registry.networking": ("Networking", "网络"),
        "registry.replications": ("Replications", "复制"),
        "registry.access_keys": ("Access keys", "访问密钥"),
        "registry.services": ("Services", "服务"),
        "registry.repositories": ("Repositories", "存储库"),
        "registry.public_tab": ("Public access", "公共访问"),
        "registry.private_tab": ("Private endpoints", "专用终结点"),
        "registry.allow_public": ("Allow public network access", "允许公用网络访问"),
        "registry.all_networks": ("All networks", "所有网络"),
        "registry.selected_networks": ("Selected networks", "所选网络"),
        "registry.disabled": ("Disabled", "禁用"),
        "registry.firewall": ("Firewall", "防火墙"),
        "registry.firewall_help": (
            "Add IP ranges to allow access from the internet or your on-premises networks.",
            "添加 IP 范围以允许从 Internet 或本地网络进行访问。",
        ),
        "registry.address_range": ("Address range", "地址范围"),
        "registry.client_ip": ("Add your client IP address", "添加客户端 IP 地址"),
        "registry.exceptions": ("Exceptions", "例外"),
        "registry.trusted": (
            "Allow trusted Microsoft services to access this container registry",
            "允许受信任的 Microsoft 服务访问此容器注册表",
        ),
        "registry.whatif_title": ("Review the effect on access", "查看对访问的影响"),
        "registry.whatif_intro": (
            "Computed on a copy of the network before anything changes:",
            "在更改之前基于网络副本计算：",
        ),
        "registry.whatif_none": ("No host loses or gains access.", "没有主机失去或获得访问权限。"),
        "registry.whatif_failed": ("The effect could not be computed", "无法计算影响"),
        "registry.host": ("Host", "主机"),
        "registry.endpoint_name": ("Endpoint", "终结点"),
        "registry.before": ("Before", "之前"),
        "registry.after": ("After", "之后"),
        "registry.loses": ("Loses access", "失去访问权限"),
        "registry.gains": ("Gains access", "获得访问权限"),
        "registry.changes": ("Changes", "更改"),
        "registry.confirm": ("Confirm", "确认"),
        "registry.add_private_endpoint": ("+ Private endpoint", "+ 专用终结点"),
        "registry.approve": ("Approve", "批准"),
        "registry.reject": ("Reject", "拒绝"),
        "registry.remove": ("Remove", "删除"),
        "registry.connection_state": ("Connection state", "连接状态"),
        "registry.description": ("Description", "说明"),
        "registry.select_connection": ("Select a connection first.", "请先选择一个连接。"),
        "registry.data_endpoint": ("Data endpoint", "数据终结点"),
        "registry.home_region": ("(home)", "(主区域)"),
        "registry.add_replication": ("Add a replication", "添加复制"),
        "registry.admin_user": ("Admin user", "管理员用户"),
        "registry.username": ("Username", "用户名"),
        "registry.password": ("password", "密码"),
        "registry.password2": ("password2", "密码2"),
        "registry.admin_help": (
            "Enable the admin user to log in with the registry name as user name and a password.",
            "启用管理员用户以使用注册表名称作为用户名和密码登录。",
        ),
        "registry.repository": ("Repository", "存储库"),
        "registry.tags_count": ("Tags", "标记"),
        "registry.tag": ("Tag", "标记"),
        "registry.digest": ("Digest", "摘要"),
        "registry.media_type": ("Media type", "媒体类型"),
        "registry.created": ("Created", "创建时间"),
        "registry.manifests": ("Manifests", "清单"),
        "registry.data_plane_failed": ("The registry refused the request", "注册表拒绝了该请求"),
        "registry.status": ("Status", "状态"),
        "registry.saved": ("Saved.", "已保存。"),
    }
)


# Reading ------------------------------------------------------------------------------------------------


def registries_path(subscription: str) -> str:
    return f"/subscriptions/{subscription}/providers/{TYPE}"


def registry_id(subscription: str, group: str, name: str) -> str:
    return f"/subscriptions/{subscription}/resourceGroups/{group}/providers/{TYPE}/{name}"


async def listed(page: Page, path: str, api_version: str) -> list[dict[str, Any]]:
    """A subscription's collection; empty when the subscription is not registered for the provider (the
    portal's lists show nothing there rather than an error)."""
    try:
        return await page.arm.list(path, api_version)
    except ArmError as error:
        if error.code == "MissingSubscriptionRegistration":
            return []
        raise


async def all_registries(page: Page) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for subscription in page.world.subscriptions:
        found += await listed(page, registries_path(subscription), ACR_API)
    return sorted(found, key=lambda r: r["name"].lower())


async def vnets(page: Page, subscription: str) -> list[dict[str, Any]]:
    path = f"/subscriptions/{subscription}/providers/Microsoft.Network/virtualNetworks"
    return sorted(await listed(page, path, NETWORK_API), key=lambda v: v["name"].lower())


async def zones(page: Page, subscription: str) -> list[dict[str, Any]]:
    path = f"/subscriptions/{subscription}/providers/Microsoft.Network/privateDnsZones"
    return [z for z in await listed(page, path, DNS_API) if z["name"].lower() == ZONE]


async def registry_list(page: Page) -> Response:
    return page.render("registry_list.html", registries=await all_registries(page), link=portal_link)


# The create wizard --------------------------------------------------------------------------------------


@dataclass
class Wizard:
    """The wizard's values (every tab's fields travel in one form) and what the server found wrong."""

    values: dict[str, str]
    tags: list[tuple[str, str]]
    tab: str = "basics"
    errors: dict[str, str] = field(default_factory=dict)
    error: ArmError | None = None
    validated: bool = False
    pane_open: bool = False

    @property
    def premium(self) -> bool:
        return self.values.get("sku") == "Premium"

    @property
    def private(self) -> bool:
        return self.values.get("connectivity") == "private"

    @property
    def endpoint_added(self) -> bool:
        return self.values.get("pe_added") == "1"


FIELDS = ("subscription", "group", "name", "location", "sku", "connectivity", "stamp", "pe_added", "pe_subscription",
          "pe_group", "pe_name", "pe_subresource", "pe_vnet", "pe_subnet", "pe_dns", "pe_zone")  # fmt: skip
FIELD_TAB = {"subscription": "basics", "group": "basics", "name": "basics", "location": "basics", "sku": "basics",
             "connectivity": "networking", "tags": "tags"}  # fmt: skip


async def wizard_from_form(page: Page) -> Wizard:
    values = {k: (await page.field(k)).strip() for k in FIELDS}
    names, tag_values = await page.fields("tag_name"), await page.fields("tag_value")
    tags = [(n.strip(), v) for n, v in zip(names, tag_values, strict=False) if n.strip() or v]
    tab = await page.field("tab")
    return Wizard(values, tags, tab if tab in TABS else "basics")


def default_wizard(page: Page) -> Wizard:
    first_region = next(iter(page.world.regions), "chinanorth2")
    values = {k: "" for k in FIELDS}
    values.update(
        subscription=page.world.default_subscription,
        location="chinanorth2" if "chinanorth2" in page.world.regions else first_region,
        sku="Standard",
        connectivity="public",
        pe_subscription=page.world.default_subscription,
        pe_subresource="registry",
        pe_dns="yes",
        pe_zone="new",
    )
    group = page.request.query_params.get("group")
    if group:
        values["group"] = group
    return Wizard(values, [])


async def render_wizard(page: Page, wizard: Wizard, status: int = 200) -> Response:
    subscription = wizard.values.get("pe_subscription") or page.world.default_subscription
    found_vnets = await vnets(page, subscription)
    found_zones = await zones(page, subscription)
    values = wizard.values
    if not values.get("pe_vnet") and found_vnets:
        values["pe_vnet"] = found_vnets[0]["id"]
    if not values.get("pe_group"):
        values["pe_group"] = values.get("group", "")
    zone_in_group = [z for z in found_zones if parse_id(z["id"]).get("group", "").lower() == values["pe_group"].lower()]
    if values.get("pe_zone") in ("", "new") and zone_in_group:
        values["pe_zone"] = zone_in_group[0]["id"]
    region_names = page.world.regions
    return page.render(
        "registry_create.html",
        status,
        w=wizard,
        v=values,
        groups=await groups(page),
        vnets=found_vnets,
        zones=found_zones,
        new_zone=not zone_in_group,
        skus=SKUS,
        tabs=TABS,
        region_name=lambda code: region_names.get(code, code),
        vnet_label=lambda vnet: f"{vnet['name']} ({parse_id(vnet['id']).get('group', '')})",
        zone_label=lambda zone: f"{zone['name']} ({parse_id(zone['id']).get('group', '')})",
        login_server=f"{values.get('name', '').lower()}.{page.world.acr_suffix}",
    )


async def create_page(page: Page) -> Response:
    return await render_wizard(page, default_wizard(page))


async def check_name(page: Page, subscription: str, name: str) -> tuple[bool, str, str]:
    """ARM's ``checkNameAvailability``: (available, reason, message)."""
    answer = await page.arm.request(
        "POST",
        f"/subscriptions/{subscription}/providers/Microsoft.ContainerRegistry/checkNameAvailability",
        ACR_API,
        {"name": name, "type": TYPE},
    )
    return bool(answer.get("nameAvailable")), str(answer.get("reason") or ""), str(answer.get("message") or "")


async def check_name_page(page: Page) -> Response:
    """``GET /registries/checkname?name=&subscription=``: the field's availability check, as JSON for the
    page's script (the real portal checks as the user types)."""
    name = page.request.query_params.get("name", "")
    subscription = page.request.query_params.get("subscription") or page.world.default_subscription
    if subscription not in page.world.subscriptions:
        subscription = page.world.default_subscription
    try:
        available, reason, message = await check_name(page, subscription, name)
    except ArmError as error:
        return JSONResponse({"nameAvailable": False, "reason": error.code, "message": error.message})
    if available:
        message = page.t("registry.name_available")
    return JSONResponse({"nameAvailable": available, "reason": reason, "message": message})


def _require(wizard: Wizard, page: Page, *names: str) -> None:
    for name in names:
        if not wizard.values.get(name):
            wizard.errors.setdefault(name, page.t("registry.required"))


async def _check_pane(page: Page, wizard: Wizard) -> None:
    """The endpoint pane's own checks (the portal's required fields); ARM checks the rest on validate."""
    _require(wizard, page, "pe_subscription", "pe_group", "pe_name", "pe_vnet", "pe_subnet")
    subnet = wizard.values.get("pe_subnet", "")
    vnet = wizard.values.get("pe_vnet", "")
    if subnet and vnet and not subnet.lower().startswith(vnet.lower() + "/subnets/"):
        wizard.errors.setdefault("pe_subnet", page.t("registry.required"))


async def _check_basics(page: Page, wizard: Wizard) -> None:
    """Required fields, the name availability check, and the endpoint's SKU rule: what the portal
    refuses before it asks ARM to validate the deployment."""
    values = wizard.values
    _require(wizard, page, "subscription", "group", "name", "location", "sku")
    if values.get("name") and values.get("subscription") in page.world.subscriptions:
        available, reason, message = await check_name(page, values["subscription"], values["name"])
        if not available:
            wizard.errors["name"] = f"{reason}: {message}" if reason else message
    if values.get("sku") not in SKUS:
        wizard.errors["sku"] = page.t("registry.required")
    if wizard.private and not wizard.premium:
        wizard.errors["connectivity"] = page.t("registry.private_needs_premium")


def registry_resource() -> dict[str, Any]:
    """The registry as the portal's template declares it: the ACR PUT body the real portal sends (sku,
    location, tags, properties with publicNetworkAccess, zoneRedundancy and adminUserEnabled false)."""
    return {
        "type": TYPE,
        "apiVersion": ACR_API,
        "name": "[parameters('registryName')]",
        "location": "[parameters('registryLocation')]",
        "sku": {"name": "[parameters('registrySku')]"},
        "tags": "[parameters('tags')]",
        "properties": {
            "adminUserEnabled": False,
            "publicNetworkAccess": "[parameters('publicNetworkAccess')]",
            "zoneRedundancy": "[parameters('zoneRedundancy')]",
            "networkRuleBypassOptions": "AzureServices",
        },
    }


PARAMETERS = {
    "registryName": {"type": "string"},
    "registryLocation": {"type": "string"},
    "registrySku": {"type": "string"},
    "tags": {"type": "object", "defaultValue": {}},
    "publicNetworkAccess": {"type": "string", "defaultValue": "Enabled"},
    "zoneRedundancy": {"type": "string", "defaultValue": "Disabled"},
}


def deployment_name(when: str) -> str:
    # The real portal's name for a registry's deployment is a guess: its other create flows are named
    # <provider kind>-<yyyyMMddHHmmss> (Microsoft.PrivateEndpoint-...), so this one follows the pattern.
    return f"Microsoft.ContainerRegistry-{when}"


async def _endpoint_plan(page: Page, wizard: Wizard, target_id: str) -> tuple[EndpointPlan, dict[str, Any]]:
    values = wizard.values
    subnet = await page.arm.get(values["pe_subnet"], NETWORK_API)
    vnet = await page.arm.get(values["pe_vnet"], NETWORK_API)
    vnet_id = vnet["id"]
    zone_choice = values.get("pe_zone") or "new"
    network = f"/subscriptions/{values['pe_subscription']}/resourceGroups"
    zone_group = values["pe_group"]
    zone_exists = False
    if zone_choice != "new":
        zone_group = parse_id(zone_choice).get("group", zone_group)
        zone_exists = True
    else:  # "(New)" while a zone of that name is already in the group: the portal uses it
        try:
            await page.arm.get(f"{network}/{zone_group}/providers/Microsoft.Network/privateDnsZones/{ZONE}", DNS_API)
            zone_exists = True
        except ArmError as error:
            if error.status != 404:
                raise
    link_exists = False
    if zone_exists:
        zone_path = f"{network}/{zone_group}/providers/Microsoft.Network/privateDnsZones/{ZONE}"
        links = await page.arm.list(f"{zone_path}/virtualNetworkLinks", DNS_API)
        link_exists = any(
            ((link.get("properties") or {}).get("virtualNetwork") or {}).get("id", "").lower() == vnet_id.lower()
            for link in links
        )
    plan = EndpointPlan(
        subscription=values["pe_subscription"],
        group=values["pe_group"],
        name=values["pe_name"],
        location=vnet["location"],
        resource_id=target_id,
        sub_resource=values.get("pe_subresource") or "registry",
        subnet_id=subnet["id"],
        integrate_dns=values.get("pe_dns") != "no",
        zone_name=ZONE,
        zone_group=zone_group,
        zone_exists=zone_exists,
        link_exists=link_exists,
    )
    return plan, subnet


async def deployment_request(page: Page, wizard: Wizard) -> tuple[str, dict[str, Any]]:
    """(deployment name, request): the registry and, for a private endpoint, the endpoint template's
    resources (the endpoint depending on the registry)."""
    values = wizard.values
    when = values.get("stamp") or deploy.stamp()
    values["stamp"] = when
    target = registry_id(values["subscription"], values["group"], values["name"])
    resources: list[dict[str, Any]] = [registry_resource()]
    if wizard.private and wizard.endpoint_added:
        plan, subnet = await _endpoint_plan(page, wizard, target)
        _, endpoint_doc = build(plan, subnet, when)
        for resource in endpoint_doc["resources"]:
            if resource["type"] == "Microsoft.Network/privateEndpoints":
                registry_ref = f"[resourceId('{TYPE}', parameters('registryName'))]"
                resource["dependsOn"] = [*resource.get("dependsOn", []), registry_ref]
            resources.append(resource)
    parameters = {
        "registryName": values["name"],
        "registryLocation": values["location"],
        "registrySku": values["sku"],
        "tags": dict(wizard.tags),
        "publicNetworkAccess": "Disabled" if wizard.private else "Enabled",
        "zoneRedundancy": "Disabled",
    }
    doc = deploy.template(resources, PARAMETERS)
    tags = {"primaryResourceId": target, "marketplaceItemId": "Microsoft.ContainerRegistry"}
    return deployment_name(when), deploy.body(doc, parameters, tags)


def _first_error_tab(wizard: Wizard) -> str:
    for name in wizard.errors:
        tab = FIELD_TAB.get(name, "networking" if name.startswith("pe_") else "review")
        return tab
    return "review"


def _place_arm_error(wizard: Wizard, error: ArmError) -> None:
    """ARM's refusal next to the field it is about (by its code, and the name it quotes), and on the review
    tab."""
    code, message = deploy.first_error(error)
    text = f"{code}: {message}"
    values = wizard.values
    if code == "AlreadyInUse":
        wizard.errors["name"] = text
    elif code == "InvalidResourceName" and values.get("pe_name") and values["pe_name"] in message:
        wizard.errors["pe_name"] = text
    elif code == "InvalidResourceName":
        wizard.errors["name"] = text
    elif code == "SkuNotSupported" and "private" in message.lower():
        wizard.errors["connectivity"] = text
    elif "location" in code.lower():
        wizard.errors["location"] = text
    wizard.error = error


async def create_post(page: Page) -> Response:
    wizard = await wizard_from_form(page)
    action = await page.field("action")
    if action == "add_endpoint":
        wizard.tab, wizard.pane_open = "networking", True
        if not wizard.premium:
            wizard.errors["connectivity"] = page.t("registry.private_needs_premium")
            wizard.pane_open = False
        elif not wizard.values.get("pe_name") and wizard.values.get("name"):
            wizard.values["pe_name"] = f"{wizard.values['name']}-pe"
        return await render_wizard(page, wizard)
    if action == "endpoint_ok":
        wizard.tab = "networking"
        await _check_pane(page, wizard)
        wizard.pane_open = bool(wizard.errors)
        wizard.values["pe_added"] = "" if wizard.errors else "1"
        return await render_wizard(page, wizard, 400 if wizard.errors else 200)
    if action in ("endpoint_cancel", "remove_endpoint"):
        wizard.tab = "networking"
        if action == "remove_endpoint":
            wizard.values["pe_added"] = ""
        return await render_wizard(page, wizard)
    if action.startswith("tab:"):
        wizard.tab = action[4:] if action[4:] in TABS else "basics"
        if wizard.tab != "review":
            return await render_wizard(page, wizard)
    # Review + create, or Create: the portal's checks, then the deployment's validate.
    await _check_basics(page, wizard)
    if wizard.private and wizard.endpoint_added:
        await _check_pane(page, wizard)
    if wizard.errors:
        wizard.tab = _first_error_tab(wizard)
        wizard.error = None
        return await render_wizard(page, wizard, 400)
    name, request = await deployment_request(page, wizard)
    subscription, group = wizard.values["subscription"], wizard.values["group"]
    if action == "create":
        try:
            return page.redirect(await deploy.submit(page, subscription, group, name, request))
        except ArmError as error:
            _place_arm_error(wizard, error)
            wizard.tab = "review"
            return await render_wizard(page, wizard, 400)
    refused = await deploy.validate(page, subscription, group, name, request)
    wizard.tab = "review"
    if refused is not None:
        _place_arm_error(wizard, refused)
        return await render_wizard(page, wizard, 400)
    wizard.validated = True
    return await render_wizard(page, wizard)


# The registry blade -------------------------------------------------------------------------------------


def _data_endpoint(registry: dict[str, Any], region: str, suffix: str) -> str:
    for host in (registry.get("properties") or {}).get("dataEndpointHostNames") or []:
        if f".{region}.data." in host:
            return str(host)
    return f"{registry['name'].lower()}.{region}.data.{suffix}"


async def _blade_values(page: Page, resource_id: str) -> dict[str, Any]:
    registry = await page.arm.get(resource_id, ACR_API)
    return {
        "r": registry,
        "resource_id": resource_id,
        "group": parse_id(resource_id).get("group", ""),
        "props": registry.get("properties") or {},
        "link": portal_link,
        "base": portal_link(resource_id),
    }


@blade(TYPE)
async def registry_blade(page: Page, resource_id: str, section: str) -> Response:
    section = section.lower()
    if section not in SECTIONS:
        raise ArmError(404, "ResourceNotFound", f"The registry blade has no section '{section}'.", [])
    values = await _blade_values(page, resource_id)
    if section == "networking":
        return await _networking(page, values)
    if section == "replications":
        return await _replications(page, values)
    if section == "accesskeys":
        return await _access_keys(page, values)
    if section == "repositories":
        return await _repositories(page, values)
    return page.render("registry_overview.html", section="", **values)


async def _internet_ip(page: Page, subscription: str) -> str:
    """The internet host's address (the client IP the portal adds), from the networkGraph view."""
    try:
        graph = await page.arm.get(
            f"/subscriptions/{subscription}/providers/Acrlink.Network/networkGraph", NETWORK_VIEWS_API
        )
    except ArmError:
        return ""
    for host in graph.get("hosts") or []:
        if host.get("kind") == "internet" and host.get("ip"):
            return str(host["ip"])
    return ""


def _access_choice(props: dict[str, Any]) -> str:
    if props.get("publicNetworkAccess") == "Disabled":
        return "disabled"
    rules = props.get("networkRuleSet") or {}
    return "selected" if rules.get("defaultAction") == "Deny" else "all"


async def _networking(page: Page, values: dict[str, Any], form: dict[str, Any] | None = None,
                      error: ArmError | None = None, status: int = 200) -> Response:  # fmt: skip
    props = values["props"]
    rules = [r.get("value", "") for r in (props.get("networkRuleSet") or {}).get("ipRules") or []]
    shown = form or {
        "access": _access_choice(props),
        "ranges": rules,
        "trusted": props.get("networkRuleBypassOptions", "AzureServices") == "AzureServices",
        "client_ip": False,
    }
    connections = props.get("privateEndpointConnections") or []
    tab = page.request.query_params.get("tab") or ("private" if (form or {}).get("tab") == "private" else "public")
    subscription = parse_id(values["resource_id"])["subscription"]
    return page.render(
        "registry_networking.html",
        status,
        section="networking",
        f=shown,
        connections=connections,
        tab=tab,
        client_ip=await _internet_ip(page, subscription),
        error=error,
        create_endpoint=f"/privateendpoints/create?resource={quote(values['resource_id'], safe='')}",
        **values,
    )


async def _public_access_form(page: Page) -> dict[str, Any]:
    access = await page.field("access")
    ranges = [r.strip() for r in await page.fields("range") if r.strip()]
    return {
        "access": access if access in ("all", "selected", "disabled") else "all",
        "ranges": ranges,
        "trusted": await page.field("trusted") == "on",
        "client_ip": await page.field("client_ip") == "on",
    }


def public_access_patch(form: dict[str, Any], client_ip: str) -> dict[str, Any]:
    """The registry PATCH the portal's Save sends: publicNetworkAccess, the network rule set and the
    trusted-services bypass."""
    ranges = list(form["ranges"])
    if form["client_ip"] and client_ip and client_ip not in ranges:
        ranges.append(client_ip)
    default_action = "Allow" if form["access"] == "all" else "Deny"
    ip_rules = [] if form["access"] == "all" else [{"action": "Allow", "value": r} for r in ranges]
    return {
        "properties": {
            "publicNetworkAccess": "Disabled" if form["access"] == "disabled" else "Enabled",
            "networkRuleSet": {"defaultAction": default_action, "ipRules": ip_rules},
            "networkRuleBypassOptions": "AzureServices" if form["trusted"] else "None",
        }
    }


@dataclass
class Effect:
    host: str
    name: str
    before: str
    after: str
    summary: str
    change: str
    """``loses``, ``gains`` or ``changes``."""


async def what_if(page: Page, subscription: str, requests: list[dict[str, Any]]) -> tuple[list[Effect], str | None]:
    """The what-if view's changes for ``requests`` as the confirmation shows them, or why it failed."""
    found, error = await views_what_if(page, subscription, requests)
    if error is not None:
        return [], f"{error.code}: {error.message}"
    effects = []
    for item in found:
        before, after = item.get("before") or {}, item.get("after") or {}
        was, now = before.get("verdict") == "reachable", after.get("verdict") == "reachable"
        change = "loses" if was and not now else "gains" if now and not was else "changes"
        effects.append(Effect(str(item.get("host", "")), str(item.get("name", "")), _reach(before), _reach(after),
                              str(item.get("summary") or ""), change))  # fmt: skip
    return effects, None


def _reach(side: dict[str, Any]) -> str:
    parts = [str(side.get("verdict") or "")]
    if side.get("address"):
        parts.append(f"{side['address']} ({side.get('path') or '-'})")
    return ", ".join(p for p in parts if p)


def _confirm(page: Page, values: dict[str, Any], action_url: str, hidden: list[tuple[str, str]], heading: str,
             effects: list[Effect], failure: str | None) -> Response:  # fmt: skip
    return page.render("registry_confirm.html", section="networking", action_url=action_url, hidden=hidden,
                       heading=heading, effects=effects, failure=failure, **values)  # fmt: skip


async def networking_post(page: Page) -> Response:
    resource_id = await page.field("id")
    values = await _blade_values(page, resource_id)
    form = await _public_access_form(page)
    action = await page.field("action")
    subscription = parse_id(resource_id)["subscription"]
    client_ip = await _internet_ip(page, subscription)
    patch = public_access_patch(form, client_ip)
    if action == "apply":
        try:
            await page.arm.request("PATCH", resource_id, ACR_API, patch)
        except ArmError as error:
            return await _networking(page, values, form, error, 400)
        return page.redirect(f"{portal_link(resource_id)}/networking?saved=1")
    request = {"method": "PATCH", "path": resource_id, "apiVersion": ACR_API, "body": patch}
    effects, failure = await what_if(page, subscription, [request])
    hidden = [
        ("id", resource_id),
        ("action", "apply"),
        ("access", form["access"]),
        ("trusted", "on" if form["trusted"] else ""),
        ("client_ip", "on" if form["client_ip"] else ""),
    ]
    hidden += [("range", r) for r in form["ranges"]]  # fmt: skip
    choice = {"all": "registry.all_networks", "selected": "registry.selected_networks", "disabled": "registry.disabled"}
    heading = f"{page.t('registry.allow_public')}: {page.t(choice[form['access']])}"
    return _confirm(page, values, "/registries/networking", hidden, heading, effects, failure)


def _connection_path(resource_id: str, name: str) -> str:
    return f"{resource_id}/privateEndpointConnections/{name}"


async def connections_post(page: Page) -> Response:
    resource_id = await page.field("id")
    values = await _blade_values(page, resource_id)
    action = await page.field("action")
    chosen = await page.fields("connection")
    description = await page.field("description")
    existing = {c["name"]: c for c in values["props"].get("privateEndpointConnections") or []}
    chosen = [c for c in chosen if c in existing]
    if action not in ("approve", "reject", "remove") or not chosen:
        error = ArmError(400, "NoSelection", page.t("registry.select_connection"), [])
        return await _networking(page, values, {**_default_form(values), "tab": "private"}, error, 400)
    subscription = parse_id(resource_id)["subscription"]
    requests = []
    for name in chosen:
        path = _connection_path(resource_id, name)
        if action == "remove":
            requests.append({"method": "DELETE", "path": path, "apiVersion": ACR_API, "body": None})
            continue
        status = "Approved" if action == "approve" else "Rejected"
        body = {
            "properties": {
                "privateEndpoint": (existing[name].get("properties") or {}).get("privateEndpoint"),
                "privateLinkServiceConnectionState": {"status": status, "description": description},
            }
        }
        requests.append({"method": "PUT", "path": path, "apiVersion": ACR_API, "body": body})
    if action != "approve" and await page.field("confirmed") != "1":
        effects, failure = await what_if(page, subscription, requests)
        hidden = [("id", resource_id), ("action", action), ("description", description), ("confirmed", "1")]
        hidden += [("connection", c) for c in chosen]
        heading = page.t(f"registry.{action}")
        return _confirm(page, values, "/registries/connections", hidden, heading, effects, failure)
    try:
        for request in requests:
            await page.arm.request(request["method"], request["path"], ACR_API, request["body"])
    except ArmError as error:
        return await _networking(page, values, {**_default_form(values), "tab": "private"}, error, 400)
    return page.redirect(f"{portal_link(resource_id)}/networking?tab=private")


def _default_form(values: dict[str, Any]) -> dict[str, Any]:
    props = values["props"]
    return {
        "access": _access_choice(props),
        "ranges": [r.get("value", "") for r in (props.get("networkRuleSet") or {}).get("ipRules") or []],
        "trusted": props.get("networkRuleBypassOptions", "AzureServices") == "AzureServices",
        "client_ip": False,
    }


async def _replications(page: Page, values: dict[str, Any], error: ArmError | None = None,
                        status: int = 200) -> Response:  # fmt: skip
    found = await page.arm.list(f"{values['resource_id']}/replications", ACR_API)
    home = values["r"]["location"]
    if not any(r["location"] == home for r in found):  # the home region is a replica even when not listed
        found.append({"location": home, "properties": {"provisioningState": values["props"].get("provisioningState")}})
    rows = sorted(found, key=lambda r: (r["location"] != home, r["location"]))
    endpoint = {r["location"]: _data_endpoint(values["r"], r["location"], page.world.acr_suffix) for r in rows}
    taken = {r["location"] for r in rows} | {home}
    return page.render("registry_replications.html", status, section="replications", replications=rows,
                       home=home, data_endpoint=endpoint, error=error,
                       free=[(c, d) for c, d in page.world.regions.items() if c not in taken], **values)  # fmt: skip


async def replications_post(page: Page) -> Response:
    resource_id = await page.field("id")
    values = await _blade_values(page, resource_id)
    region = await page.field("location")
    action = await page.field("action")
    path = f"{resource_id}/replications/{region}"
    try:
        if action == "delete":
            await page.arm.request("DELETE", path, ACR_API)
        else:
            await page.arm.request("PUT", path, ACR_API, {"location": region, "properties": {}})
    except ArmError as error:
        return await _replications(page, values, error, 400)
    return page.redirect(f"{portal_link(resource_id)}/replications")


async def _access_keys(page: Page, values: dict[str, Any], error: ArmError | None = None,
                       status: int = 200) -> Response:  # fmt: skip
    credentials = None
    if values["props"].get("adminUserEnabled"):
        credentials = await page.arm.request("POST", f"{values['resource_id']}/listCredentials", ACR_API)
    return page.render("registry_keys.html", status, section="accesskeys", credentials=credentials, error=error,
                       **values)  # fmt: skip


async def admin_post(page: Page) -> Response:
    resource_id = await page.field("id")
    enabled = await page.field("admin") == "on"
    try:
        await page.arm.request("PATCH", resource_id, ACR_API, {"properties": {"adminUserEnabled": enabled}})
    except ArmError as error:
        return await _access_keys(page, await _blade_values(page, resource_id), error, 400)
    return page.redirect(f"{portal_link(resource_id)}/accesskeys")


# Repositories: the registry's data plane, as the internet host -----------------------------------------


class DataPlaneError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status, self.code, self.message = status, code, message


def _ssl_context(page: Page) -> ssl.SSLContext | bool:
    ca = getattr(page.arm, "ca", None)
    return ca if isinstance(ca, ssl.SSLContext) else True


def _refusal(answer: httpx.Response) -> DataPlaneError:
    try:
        errors = answer.json().get("errors") or []
    except (ValueError, AttributeError):
        errors = []
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    return DataPlaneError(answer.status_code, str(first.get("code", answer.status_code)),
                          str(first.get("message", answer.text[:300])))  # fmt: skip


class DataPlane:
    """The registry face at ``world.registry_url``, addressed by the login server's name (the Host header
    picks the registry); a direct connection is the internet host, so the registry's firewall applies."""

    def __init__(self, page: Page, login_server: str) -> None:
        self.page, self.login_server = page, login_server
        self.http = httpx.AsyncClient(base_url=page.world.registry_url, verify=_ssl_context(page), timeout=30,
                                      headers={"Host": login_server})  # fmt: skip
        self.refresh: str | None = None

    async def close(self) -> None:
        await self.http.aclose()

    async def _post(self, path: str, form: dict[str, str]) -> dict[str, Any]:
        answer = await self.http.post(path, data=form)
        if answer.status_code >= 400:
            raise _refusal(answer)
        result: dict[str, Any] = answer.json()
        return result

    async def token(self, scope: str) -> str:
        """An ACR access token for ``scope``: the portal's Entra ID token exchanged for a refresh token."""
        if self.refresh is None:
            exchanged = await self._post("/oauth2/exchange", {
                "grant_type": "access_token", "service": self.login_server,
                "tenant": self.page.world.tenant_id, "access_token": await self.page.arm.token()})  # fmt: skip
            self.refresh = str(exchanged["refresh_token"])
        issued = await self._post("/oauth2/token", {"grant_type": "refresh_token", "service": self.login_server,
                                                    "scope": scope, "refresh_token": self.refresh})  # fmt: skip
        return str(issued["access_token"])

    async def get(self, path: str, scope: str) -> dict[str, Any]:
        token = await self.token(scope)
        answer = await self.http.get(path, headers={"Authorization": f"Bearer {token}"})
        if answer.status_code >= 400:
            raise _refusal(answer)
        result: dict[str, Any] = answer.json()
        return result


async def _repositories(page: Page, values: dict[str, Any]) -> Response:
    login_server = values["props"].get("loginServer") or f"{values['r']['name'].lower()}.{page.world.acr_suffix}"
    chosen = page.request.query_params.get("repository", "")
    plane = DataPlane(page, login_server)
    repositories: list[dict[str, Any]] = []
    tags: list[dict[str, Any]] = []
    manifests: list[dict[str, Any]] = []
    failure: DataPlaneError | None = None
    try:
        catalog = await plane.get("/acr/v1/_catalog", "registry:catalog:*")
        for name in catalog.get("repositories") or []:
            found = await plane.get(f"/acr/v1/{name}/_tags", f"repository:{name}:metadata_read")
            repositories.append({"name": name, "tags": found.get("tags") or []})
        if chosen:
            scope = f"repository:{chosen}:metadata_read"
            tags = (await plane.get(f"/acr/v1/{chosen}/_tags", scope)).get("tags") or []
            manifests = (await plane.get(f"/acr/v1/{chosen}/_manifests", scope)).get("manifests") or []
    except DataPlaneError as error:
        failure = error
    except httpx.HTTPError as error:
        failure = DataPlaneError(502, "ConnectionFailed", str(error) or type(error).__name__)
    finally:
        await plane.close()
    return page.render("registry_repositories.html", section="repositories", repositories=repositories,
                       chosen=chosen, tags=tags, manifests=manifests, failure=failure, quote=quote,
                       **values)  # fmt: skip


ROUTES: list[RouteSpec] = [
    ("/registries", registry_list, ("GET",)),
    ("/registries/create", create_page, ("GET",)),
    ("/registries/create", create_post, ("POST",)),
    ("/registries/checkname", check_name_page, ("GET",)),
    ("/registries/networking", networking_post, ("POST",)),
    ("/registries/connections", connections_post, ("POST",)),
    ("/registries/replications", replications_post, ("POST",)),
    ("/registries/adminuser", admin_post, ("POST",)),
]
