"""Private endpoints: the list, the create wizard (Basics, Resource, Configuration, Review + create: one
``Microsoft.PrivateEndpoint-<stamp>`` deployment built by ``endpoint_template``), and the endpoint blade
(Overview, DNS configuration (S7), Network interface, and Delete with the what-if of who loses access).

The wizard is server-rendered: each step posts the whole form, earlier answers ride along as hidden
fields, and "Next" checks the step's answers before moving on (the name through ARM: an invalid name is
ARM's refusal of the deployment's preflight, a taken one a GET that finds it). Review + create is the
deployment's ``validate``; Create submits it once (a double click lands on the same deployment).
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections import OrderedDict
from dataclasses import dataclass, fields
from typing import Any

from starlette.responses import Response

from acrlink.portal import deploy
from acrlink.portal import endpoint_template as templates
from acrlink.portal.app import Page, RouteSpec
from acrlink.portal.armclient import ArmError
from acrlink.portal.i18n import register
from acrlink.portal.pages.common import ACR_API, DNS_API, NETWORK_API, RESOURCES_API, blade, parse_id, portal_link
from acrlink.portal.pages.common import what_if as views_what_if

register(
    {
        "endpoint.list_title": ("Private endpoints", "专用终结点"),
        "endpoint.create_title": ("Create a private endpoint", "创建专用终结点"),
        "endpoint.step_basics": ("Basics", "基本信息"),
        "endpoint.step_resource": ("Resource", "资源"),
        "endpoint.step_configuration": ("Configuration", "配置"),
        "endpoint.step_review": ("Review + create", "查看 + 创建"),
        "endpoint.steps": ("Create a private endpoint steps", "创建专用终结点步骤"),
        "endpoint.project_details": ("Project details", "项目详细信息"),
        "endpoint.instance_details": ("Instance details", "实例详细信息"),
        "endpoint.next_resource": ("Next: Resource", "下一步: 资源"),
        "endpoint.next_configuration": ("Next: Configuration", "下一步: 配置"),
        "endpoint.next_review": ("Next: Review + create", "下一步: 查看 + 创建"),
        "endpoint.previous": ("Previous", "上一步"),
        "endpoint.connection_method": ("Connection method", "连接方法"),
        "endpoint.method_directory": ("Connect to an Azure resource in my directory", "连接到我的目录中的 Azure 资源"),
        "endpoint.method_id": (
            "Connect to an Azure resource by resource ID or alias",
            "按资源 ID 或别名连接到 Azure 资源",
        ),
        "endpoint.resource_type": ("Resource type", "资源类型"),
        "endpoint.resource": ("Resource", "资源"),
        "endpoint.target_sub_resource": ("Target sub-resource", "目标子资源"),
        "endpoint.sub_registry": ("registry", "注册表"),
        "endpoint.resource_id": ("Resource ID or alias", "资源 ID 或别名"),
        "endpoint.request_message": ("Request message", "请求消息"),
        "endpoint.manual_hint": (
            "The resource's owner must approve the connection before the endpoint can be used.",
            "资源所有者必须批准连接，然后才能使用该终结点。",
        ),
        "endpoint.networking": ("Networking", "联网"),
        "endpoint.virtual_network": ("Virtual network", "虚拟网络"),
        "endpoint.subnet": ("Subnet", "子网"),
        "endpoint.dns_integration": ("Private DNS integration", "专用 DNS 集成"),
        "endpoint.integrate_dns": ("Integrate with private DNS zone", "与专用 DNS 区域集成"),
        "endpoint.dns_zone": ("Private DNS Zone", "专用 DNS 区域"),
        "endpoint.no_registries": ("No container registries in this subscription.", "此订阅中没有容器注册表。"),
        "endpoint.no_vnets": ("No virtual networks in this subscription.", "此订阅中没有虚拟网络。"),
        "endpoint.required": ("This field is required.", "此字段为必填字段。"),
        "endpoint.name_taken": (
            "A private endpoint named '{name}' already exists in resource group '{group}'.",
            "资源组“{group}”中已存在名为“{name}”的专用终结点。",
        ),
        "endpoint.connection_state": ("Connection state", "连接状态"),
        "endpoint.connection": ("Connection name", "连接名称"),
        "endpoint.private_link_resource": ("Private link resource", "专用链接资源"),
        "endpoint.request_message_shown": ("Request/Response", "请求/响应"),
        "endpoint.dns_configuration": ("DNS configuration", "DNS 配置"),
        "endpoint.network_interface": ("Network interface", "网络接口"),
        "endpoint.customer_fqdns": ("Customer Visible FQDNs", "客户可见的 FQDN"),
        "endpoint.fqdn": ("FQDN", "FQDN"),
        "endpoint.ip_addresses": ("IP addresses", "IP 地址"),
        "endpoint.configurations": ("Configuration", "配置"),
        "endpoint.configuration_name": ("Configuration name", "配置名称"),
        "endpoint.zone_group": ("Private DNS zone group", "专用 DNS 区域组"),
        "endpoint.records": ("A records", "A 记录"),
        "endpoint.record_name": ("Record set", "记录集"),
        "endpoint.ttl": ("TTL", "TTL"),
        "endpoint.no_zone_group": (
            "This private endpoint is not integrated with a private DNS zone.",
            "此专用终结点未与专用 DNS 区域集成。",
        ),
        "endpoint.ip_configuration": ("IP configuration", "IP 配置"),
        "endpoint.member_name": ("Member name", "成员名称"),
        "endpoint.private_ip": ("Private IP address", "专用 IP 地址"),
        "endpoint.allocation": ("Allocation", "分配"),
        "endpoint.summary": ("Summary", "摘要"),
        "endpoint.delete_title": ("Delete private endpoint", "删除专用终结点"),
        "endpoint.delete_confirm": (
            "Delete the private endpoint '{name}'? Its network interface, its connection to the resource and "
            "the DNS records its zone group wrote are deleted with it.",
            "是否删除专用终结点“{name}”？其网络接口、与资源的连接以及其区域组写入的 DNS 记录将一并删除。",
        ),
        "endpoint.whatif": ("Who loses or gains access", "哪些主机将失去或获得访问权限"),
        "endpoint.whatif_none": ("No host loses or gains access.", "没有主机失去或获得访问权限。"),
        "endpoint.whatif_failed": ("The what-if could not be computed", "无法计算假设分析结果"),
        "endpoint.host": ("Host", "主机"),
        "endpoint.name_resolved": ("Name", "名称"),
        "endpoint.before": ("Before", "之前"),
        "endpoint.after": ("After", "之后"),
        "endpoint.change": ("Change", "更改"),
    }
)

STEPS = ("basics", "resource", "configuration", "review")
STEP_LABELS = {
    "basics": "endpoint.step_basics",
    "resource": "endpoint.step_resource",
    "configuration": "endpoint.step_configuration",
    "review": "endpoint.step_review",
}
REGISTRY_TYPE = "Microsoft.ContainerRegistry/registries"
SUB_RESOURCE = "registry"
NEW_ZONE = "new"


@dataclass
class Answers:
    """Everything the wizard asks, as the form carries it."""

    subscription: str = ""
    group: str = ""
    name: str = ""
    region: str = ""
    method: str = "directory"
    resource_subscription: str = ""
    resource_type: str = REGISTRY_TYPE
    resource: str = ""
    sub_resource: str = SUB_RESOURCE
    resource_ref: str = ""
    request_message: str = ""
    vnet: str = ""
    subnet: str = ""
    integrate: str = "yes"
    zone: str = ""


STEP_FIELDS = {
    "basics": ("subscription", "group", "name", "region"),
    "resource": (
        "method",
        "resource_subscription",
        "resource_type",
        "resource",
        "sub_resource",
        "resource_ref",
        "request_message",
    ),  # fmt: skip
    "configuration": ("vnet", "subnet", "integrate", "zone"),
    "review": (),
}

_SUBMITTED: OrderedDict[str, asyncio.Future[str | None]] = OrderedDict()
"""Create requests by their form's one-time id: a second click waits for the first and lands on its page."""
MAX_SUBMITTED = 1000


def _zone_name(page: Page) -> str:
    return f"privatelink.{page.world.acr_suffix}"


def _endpoint_path(subscription: str, group: str, name: str) -> str:
    return f"/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.Network/privateEndpoints/{name}"


async def _answers(page: Page) -> Answers:
    found = Answers()
    for item in fields(Answers):
        setattr(found, item.name, (await page.field(item.name, getattr(found, item.name))).strip())
    return found


async def _listed(page: Page, path: str, api_version: str) -> list[dict[str, Any]]:
    """A subscription's collection; empty when the subscription has not registered the provider (the
    portal lists nothing there, as Azure's does)."""
    try:
        return await page.arm.list(path, api_version)
    except ArmError as error:
        if error.code == "MissingSubscriptionRegistration":
            return []
        raise


# The list --------------------------------------------------------------------------------------------------


def _connection(endpoint: dict[str, Any]) -> dict[str, Any]:
    props = endpoint.get("properties") or {}
    links = props.get("privateLinkServiceConnections") or []
    links = links + (props.get("manualPrivateLinkServiceConnections") or [])
    return links[0] if links else {}


def _state(endpoint: dict[str, Any]) -> str:
    state = (_connection(endpoint).get("properties") or {}).get("privateLinkServiceConnectionState") or {}
    return str(state.get("status") or "")


async def endpoint_list(page: Page) -> Response:
    listed: list[dict[str, Any]] = []
    for subscription in page.world.subscriptions:
        path = f"/subscriptions/{subscription}/providers/Microsoft.Network/privateEndpoints"
        for endpoint in await _listed(page, path, NETWORK_API):
            subnet_id = ((endpoint.get("properties") or {}).get("subnet") or {}).get("id", "")
            parts = subnet_id.split("/")
            listed.append(
                {
                    "doc": endpoint,
                    "group": parse_id(endpoint["id"]).get("group", ""),
                    "subnet": f"{parts[-3]}/{parts[-1]}" if len(parts) > 3 else subnet_id,
                    "subnet_id": subnet_id,
                    "state": _state(endpoint),
                }
            )
    listed.sort(key=lambda e: (e["group"].lower(), e["doc"]["name"].lower()))
    return page.render("endpoint_list.html", endpoints=listed, link=portal_link)


# The wizard ------------------------------------------------------------------------------------------------


async def wizard_page(page: Page) -> Response:
    """``/privateendpoints/create[?resource=<id>]``: Basics, with the target preselected for step 2 (the
    registry blade's "+ Private endpoint")."""
    answers = Answers(subscription=page.world.default_subscription)
    resource = page.request.query_params.get("resource", "")
    if resource:
        try:
            registry = await page.arm.get(resource, ACR_API)
        except ArmError:
            registry = None
        if registry is not None:
            parsed = parse_id(registry["id"])
            answers.resource = registry["id"]
            answers.resource_subscription = parsed["subscription"]
            answers.subscription = parsed["subscription"]
            answers.group = parsed.get("group", "")
            answers.region = registry.get("location", "")
    return await _render(page, answers, "basics")


async def wizard_post(page: Page) -> Response:
    answers = await _answers(page)
    go = await page.field("go", "basics")
    current = await page.field("step", "basics")
    if go == "create":
        return await _create(page, answers, await page.field("request"))
    if go not in STEPS:
        go = "basics"
    if current not in STEPS:
        current = "basics"
    if STEPS.index(go) > STEPS.index(current):
        # Moving on checks every step up to the one asked for; the first with an error is shown.
        for step in STEPS[: STEPS.index(go)]:
            errors = await _check(page, answers, step)
            if errors:
                return await _render(page, answers, step, errors=errors, status=400)
    return await _render(page, answers, go)


async def _check(page: Page, answers: Answers, step: str) -> dict[str, str]:
    """The step's errors, by field; ARM's message where ARM is the judge."""
    required = page.t("endpoint.required")
    errors: dict[str, str] = {}
    if step == "basics":
        if answers.subscription not in page.world.subscriptions:
            errors["subscription"] = required
        for key in ("group", "name", "region"):
            if not getattr(answers, key):
                errors[key] = required
        if not errors:
            refused = await _name_refusal(page, answers)
            if refused:
                errors["name"] = refused
    elif step == "resource":
        if answers.method == "directory":
            if not answers.resource:
                errors["resource"] = required
        elif not answers.resource_ref:
            errors["resource_ref"] = required
    elif step == "configuration":
        for key in ("vnet", "subnet"):
            if not getattr(answers, key):
                errors[key] = required
    return errors


async def _name_refusal(page: Page, answers: Answers) -> str | None:
    """ARM's word on the name: taken (the endpoint exists in the group) or invalid (the preflight of a
    deployment holding just the endpoint refuses its name)."""
    path = _endpoint_path(answers.subscription, answers.group, answers.name)
    try:
        await page.arm.get(path, NETWORK_API)
    except ArmError as error:
        if error.status != 404:
            return error.message
    else:
        return page.t("endpoint.name_taken").format(name=answers.name, group=answers.group)
    probe = {
        "type": "Microsoft.Network/privateEndpoints",
        "apiVersion": NETWORK_API,
        "name": answers.name,
        "location": answers.region,
        "properties": {"subnet": {"id": f"{path}/subnets/probe"}, "privateLinkServiceConnections": []},
    }
    refused = await deploy.validate(
        page, answers.subscription, answers.group, templates.deployment_name(), deploy.body(deploy.template([probe]))
    )
    if refused is not None:
        code, message = deploy.first_error(refused)
        if "name" in code.lower():
            return message
    return None


async def _subscriptions(page: Page) -> list[tuple[str, str]]:
    found = []
    for subscription in page.world.subscriptions:
        try:
            doc = await page.arm.get(f"/subscriptions/{subscription}", RESOURCES_API)
            found.append((subscription, str(doc.get("displayName") or subscription)))
        except ArmError:
            found.append((subscription, subscription))
    return found


async def _step_values(page: Page, answers: Answers, step: str) -> dict[str, Any]:
    """What the step's controls offer (read through ARM), defaults filled into ``answers``."""
    values: dict[str, Any] = {}
    if step == "basics":
        values["subscriptions"] = await _subscriptions(page)
        subscription = answers.subscription or page.world.default_subscription
        answers.subscription = subscription
        groups = await page.arm.list(f"/subscriptions/{subscription}/resourcegroups", RESOURCES_API)
        values["groups"] = sorted((g["name"] for g in groups), key=str.lower)
        if not answers.region:
            chosen = next((g for g in groups if g["name"].lower() == answers.group.lower()), None)
            answers.region = (chosen or {}).get("location") or ""
    elif step == "resource":
        values["subscriptions"] = await _subscriptions(page)
        subscription = answers.resource_subscription or answers.subscription or page.world.default_subscription
        answers.resource_subscription = subscription
        registries = await _listed(page, f"/subscriptions/{subscription}/providers/{REGISTRY_TYPE}", ACR_API)
        values["registries"] = sorted(registries, key=lambda r: r["name"].lower())
        if not answers.resource and values["registries"]:
            answers.resource = values["registries"][0]["id"]
    elif step == "configuration":
        vnets = await _listed(
            page, f"/subscriptions/{answers.subscription}/providers/Microsoft.Network/virtualNetworks", NETWORK_API
        )
        vnets.sort(key=lambda v: (v["name"].lower(), v["id"].lower()))
        values["vnets"] = vnets
        chosen = next((v for v in vnets if v["id"].lower() == answers.vnet.lower()), None)
        if chosen is None:
            same_region = [v for v in vnets if v.get("location") == answers.region]
            same_group = [v for v in same_region if parse_id(v["id"]).get("group", "").lower() == answers.group.lower()]
            chosen = (same_group or same_region or vnets or [None])[0]
            answers.vnet = chosen["id"] if chosen else ""
        subnets = (chosen or {}).get("properties", {}).get("subnets") or []
        values["subnets"] = subnets
        if not any(s["id"].lower() == answers.subnet.lower() for s in subnets):
            answers.subnet = subnets[0]["id"] if subnets else ""
        values["zones"] = await _zone_options(page, answers)
        if not any(value == answers.zone for value, _ in values["zones"]):
            answers.zone = values["zones"][0][0]
    return values


async def _zones(page: Page, subscription: str) -> list[dict[str, Any]]:
    path = f"/subscriptions/{subscription}/providers/Microsoft.Network/privateDnsZones"
    return [z for z in await _listed(page, path, DNS_API) if z["name"].lower() == _zone_name(page).lower()]


async def _zone_options(page: Page, answers: Answers) -> list[tuple[str, str]]:
    """The zone choices: the group's own ``privatelink`` zone (or "(New) ..." when it has none), then the
    same zone in the subscription's other groups."""
    zones = await _zones(page, answers.subscription)
    own = [z for z in zones if parse_id(z["id"]).get("group", "").lower() == answers.group.lower()]
    others = [z for z in zones if z not in own]
    options = [(z["id"], z["name"]) for z in own] or [(NEW_ZONE, f"{page.t('common.new')} {_zone_name(page)}")]
    options += [(z["id"], f"{z['name']} ({parse_id(z['id']).get('group', '')})") for z in others]
    return options


async def _render(page: Page, answers: Answers, step: str, errors: dict[str, str] | None = None,
                  status: int = 200, **extra: Any) -> Response:  # fmt: skip
    values = await _step_values(page, answers, step)
    if step == "review" and "validation" not in extra:
        extra.update(await _review(page, answers))
    hidden = [(f.name, getattr(answers, f.name)) for f in fields(Answers) if f.name not in STEP_FIELDS[step]]
    everything = [(f.name, getattr(answers, f.name)) for f in fields(Answers)]
    return page.render(
        "endpoint_create.html",
        status,
        step=step,
        step_label=STEP_LABELS[step],
        steps=[(s, STEP_LABELS[s]) for s in STEPS],
        answers=answers,
        hidden=hidden,
        everything=everything,
        errors=errors or {},
        regions=page.world.regions,
        registry_type=REGISTRY_TYPE,
        sub_resource=SUB_RESOURCE,
        **values,
        **extra,
    )


async def _plan(page: Page, answers: Answers) -> tuple[templates.EndpointPlan, dict[str, Any]]:
    """The template's plan from the answers, and the subnet's current document; ArmError when ARM refuses
    to read what the answers name."""
    subnet = await page.arm.get(answers.subnet, NETWORK_API)
    integrate = answers.integrate == "yes"
    zone_exists = link_exists = False
    zone_group = answers.group
    if integrate and answers.zone and answers.zone != NEW_ZONE:
        zone = await page.arm.get(answers.zone, DNS_API)
        zone_group = parse_id(zone["id"]).get("group", answers.group)
        zone_exists = True
        links = await page.arm.list(f"{zone['id']}/virtualNetworkLinks", DNS_API)
        vnet_id = answers.subnet.split("/subnets/")[0].lower()
        link_exists = any(
            ((link.get("properties") or {}).get("virtualNetwork") or {}).get("id", "").lower() == vnet_id
            for link in links
        )
    manual = answers.method != "directory"
    plan = templates.EndpointPlan(
        subscription=answers.subscription,
        group=answers.group,
        name=answers.name,
        location=answers.region,
        resource_id=answers.resource_ref if manual else answers.resource,
        sub_resource=answers.sub_resource or SUB_RESOURCE,
        subnet_id=subnet["id"],
        integrate_dns=integrate,
        zone_name=_zone_name(page),
        zone_group=zone_group,
        zone_exists=zone_exists,
        link_exists=link_exists,
        manual=manual,
        request_message=answers.request_message,
    )
    return plan, subnet


def _request(plan: templates.EndpointPlan, subnet: dict[str, Any], when: str) -> tuple[str, dict[str, Any]]:
    name, doc = templates.build(plan, subnet, when)
    tags = {"primaryResourceId": templates.endpoint_id(plan), "marketplaceItemId": ""}
    return name, deploy.body(doc, tags=tags)


def _error_lines(error: ArmError) -> list[tuple[str, str]]:
    """ARM's error and every detail under it, outermost first."""
    lines = [(error.code, error.message)]
    pending = list(error.details)
    while pending:
        detail = pending.pop(0)
        lines.append((str(detail.get("code", "")), str(detail.get("message", ""))))
        pending[0:0] = list(detail.get("details") or [])
    return lines


async def _review(page: Page, answers: Answers) -> dict[str, Any]:
    """Review + create: the summary and the deployment's validate (passed, or ARM's errors)."""
    summary: dict[str, Any] = {}
    error: ArmError | None = None
    try:
        plan, subnet = await _plan(page, answers)
        when = deploy.stamp()
        name, request = _request(plan, subnet, when)
        summary = {"plan": plan, "deployment": name, "stamp": when, "zone_id": templates.zone_id(plan)}
        error = await deploy.validate(page, plan.subscription, plan.group, name, request)
    except ArmError as refused:
        error = refused
    return {
        "summary": summary,
        "validation": error is None,
        "validation_error": error,
        "validation_lines": _error_lines(error) if error else [],
        "request_id": secrets.token_urlsafe(16),
    }


async def _create(page: Page, answers: Answers, request_id: str) -> Response:
    """Create: submit the one deployment (validate, then PUT) and go to its page. A repeated request id
    (a double click) waits for the first and goes to the same page."""
    earlier = _SUBMITTED.get(request_id) if request_id else None
    if earlier is not None:
        landed = await asyncio.shield(earlier)
        if landed:
            return page.redirect(landed)
    future: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
    if request_id:
        _SUBMITTED[request_id] = future
        while len(_SUBMITTED) > MAX_SUBMITTED:
            _SUBMITTED.popitem(last=False)
    try:
        for step in STEPS[:-1]:
            errors = await _check(page, answers, step)
            if errors:
                future.set_result(None)
                return await _render(page, answers, step, errors=errors, status=400)
        plan, subnet = await _plan(page, answers)
        when = await page.field("stamp")
        name, request = _request(plan, subnet, when if re.fullmatch(r"\d{14}", when) else deploy.stamp())
        landed = await deploy.submit(page, plan.subscription, plan.group, name, request)
    except ArmError as error:
        if not future.done():
            future.set_result(None)
        _SUBMITTED.pop(request_id, None)
        extra = {
            "validation": False,
            "validation_error": error,
            "validation_lines": _error_lines(error),
            "summary": {},
            "request_id": secrets.token_urlsafe(16),
        }
        return await _render(page, answers, "review", status=400, **extra)
    future.set_result(landed)
    return page.redirect(landed)


# The blade -------------------------------------------------------------------------------------------------


@blade("Microsoft.Network/privateEndpoints")
async def endpoint_blade(page: Page, resource_id: str, section: str) -> Response:
    endpoint = await page.arm.get(resource_id, NETWORK_API)
    resource_id = endpoint["id"]
    props = endpoint.get("properties") or {}
    connection = _connection(endpoint)
    subnet_id = (props.get("subnet") or {}).get("id", "")
    nic_id = ((props.get("networkInterfaces") or [{}])[0]).get("id", "")
    values: dict[str, Any] = {
        "endpoint": endpoint,
        "resource_id": resource_id,
        "parsed": parse_id(resource_id),
        "connection": connection,
        "connection_props": connection.get("properties") or {},
        "state": (connection.get("properties") or {}).get("privateLinkServiceConnectionState") or {},
        "subnet_id": subnet_id,
        "vnet_id": subnet_id.split("/subnets/")[0] if subnet_id else "",
        "nic_id": nic_id,
        "link": portal_link,
        "base": portal_link(resource_id),
        "section": section.lower(),
    }
    section = section.lower()
    if section == "dnsconfig":
        groups = await page.arm.list(f"{resource_id}/privateDnsZoneGroups", NETWORK_API)
        values["zone_groups"] = groups
        values["custom_dns"] = props.get("customDnsConfigs") or []
    elif section == "networkinterface":
        values["nic"] = await page.arm.get(nic_id, NETWORK_API) if nic_id else None
    elif section == "delete":
        values.update(await _delete_whatif(page, resource_id))
    elif section:
        raise ArmError(404, "ResourceNotFound", f"The private endpoint blade has no section '{section}'.", [])
    return page.render("endpoint_blade.html", **values)


async def _delete_whatif(page: Page, resource_id: str) -> dict[str, Any]:
    """The what-if of deleting the endpoint: each host and name whose view changes."""
    subscription = parse_id(resource_id)["subscription"]
    request = {"requests": [{"method": "DELETE", "path": resource_id, "apiVersion": NETWORK_API, "body": None}]}
    rows, error = await views_what_if(page, subscription, request["requests"])
    if error is not None:
        return {"whatif_error": error, "changes": []}
    changes = [r for r in rows if (r.get("before") or {}) != (r.get("after") or {})]
    return {"whatif_error": None, "changes": changes}


async def delete_endpoint(page: Page) -> Response:
    resource_id = await page.field("id")
    if "/providers/microsoft.network/privateendpoints/" not in resource_id.lower():
        raise ArmError(404, "ResourceNotFound", f"'{resource_id}' is not a private endpoint.", [])
    await page.arm.request("DELETE", resource_id, NETWORK_API)
    return page.redirect("/privateendpoints")


ROUTES: list[RouteSpec] = [
    ("/privateendpoints", endpoint_list, ("GET",)),
    ("/privateendpoints/create", wizard_page, ("GET",)),
    ("/privateendpoints/create", wizard_post, ("POST",)),
    ("/privateendpoints/delete", delete_endpoint, ("POST",)),
]
