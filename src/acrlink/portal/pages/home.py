"""Home, All resources, Resource groups (list, create, the group blade, delete with the type-the-name
confirmation), Subscriptions with their resource providers (register / unregister, S9), and the language
switch."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from acrlink.portal.app import Page, RouteSpec
from acrlink.portal.armclient import ArmError
from acrlink.portal.i18n import register
from acrlink.portal.pages.common import (
    BLADES,
    RESOURCES_API,
    blade,
    group_path,
    groups,
    parse_id,
    portal_link,
    resources,
    split_blade_path,
)
from acrlink.portal.session import choose_language

register(
    {
        "home.title": ("Azure services", "Azure 服务"),
        "home.recent": ("Resources", "资源"),
        "groups.create_title": ("Create a resource group", "创建资源组"),
        "groups.delete": ("Delete resource group", "删除资源组"),
        "groups.delete_confirm": (
            "Enter resource group name to confirm deletion",
            "输入资源组名称以确认删除",
        ),
        "groups.delete_warning": (
            "Deleting this resource group deletes every resource in it. This cannot be undone.",
            "删除此资源组会删除其中的所有资源。此操作无法撤消。",
        ),
        "groups.name_mismatch": ("The name does not match the resource group's name.", "名称与资源组名称不匹配。"),
        "groups.resources": ("Resources", "资源"),
        "groups.deployments": ("Deployments", "部署"),
        "subscriptions.providers": ("Resource providers", "资源提供程序"),
        "subscriptions.register": ("Register", "注册"),
        "subscriptions.unregister": ("Unregister", "取消注册"),
        "subscriptions.namespace": ("Provider", "提供程序"),
        "subscriptions.state": ("Status", "状态"),
        "subscriptions.id": ("Subscription ID", "订阅 ID"),
        "deployments.name": ("Deployment name", "部署名称"),
        "deployments.state": ("Status", "状态"),
        "deployments.timestamp": ("Last modified", "上次修改时间"),
    }
)


async def home(page: Page) -> Response:
    found = await resources(page)
    return page.render("home.html", resources=found, link=portal_link)


async def all_resources(page: Page) -> Response:
    return page.render("resources.html", resources=await resources(page), link=portal_link)


async def resource_groups(page: Page) -> Response:
    return page.render("groups.html", groups=await groups(page), link=portal_link)


async def create_group_form(page: Page, errors: dict[str, str] | None = None, error: ArmError | None = None,
                            values: dict[str, str] | None = None, status: int = 200) -> Response:  # fmt: skip
    return page.render("group_create.html", status, errors=errors or {}, error=error, values=values or {})


async def create_group_page(page: Page) -> Response:
    return await create_group_form(page)


async def create_group(page: Page) -> Response:
    values = {k: await page.field(k) for k in ("subscription", "name", "location")}
    subscription = values["subscription"] or page.world.default_subscription
    try:
        await page.arm.request(
            "PUT", group_path(subscription, values["name"]), RESOURCES_API, {"location": values["location"]}
        )
    except ArmError as error:
        field = "location" if "location" in error.code.lower() else "name"
        return await create_group_form(page, {field: error.message}, error, values, 400)
    return page.redirect(portal_link(group_path(subscription, values["name"])))


@blade("Microsoft.Resources/resourceGroups")
async def group_blade(page: Page, resource_id: str, section: str) -> Response:
    parsed = parse_id(resource_id)
    group = await page.arm.get(resource_id, RESOURCES_API)
    inside = await page.arm.list(f"{resource_id}/resources", RESOURCES_API)
    deployments = await page.arm.list(f"{resource_id}/providers/Microsoft.Resources/deployments/", RESOURCES_API)
    return page.render(
        "group.html",
        group=group,
        resource_id=resource_id,
        subscription=parsed["subscription"],
        resources=inside,
        deployments=deployments,
        link=portal_link,
        errors={},
        section=section,
    )


async def delete_group(page: Page) -> Response:
    resource_id = await page.field("id")
    confirm = await page.field("confirm")
    parsed = parse_id(resource_id)
    if confirm != parsed.get("name"):
        group = await page.arm.get(resource_id, RESOURCES_API)
        inside = await page.arm.list(f"{resource_id}/resources", RESOURCES_API)
        errors = {"confirm": page.t("groups.name_mismatch")}
        return page.render(
            "group.html",
            400,
            group=group,
            resource_id=resource_id,
            subscription=parsed["subscription"],
            resources=inside,
            deployments=[],
            link=portal_link,
            errors=errors,
            section="delete",
        )
    await page.arm.request("DELETE", resource_id, RESOURCES_API)
    return page.redirect("/resourcegroups")


async def subscriptions(page: Page) -> Response:
    listed: list[dict[str, Any]] = []
    for subscription in page.world.subscriptions:
        doc = await page.arm.get(f"/subscriptions/{subscription}", RESOURCES_API)
        providers = await page.arm.list(f"/subscriptions/{subscription}/providers", RESOURCES_API)
        listed.append({**doc, "providers": providers})
    return page.render("subscriptions.html", subscriptions=listed)


async def provider_action(page: Page) -> Response:
    subscription = await page.field("subscription")
    namespace = await page.field("namespace")
    action = "register" if await page.field("action") == "register" else "unregister"
    await page.arm.request("POST", f"/subscriptions/{subscription}/providers/{namespace}/{action}", RESOURCES_API)
    return page.redirect("/subscriptions")


async def resource_blade(page: Page) -> Response:
    """``/resource/{id}[/section]``: the blade of whatever the id names."""
    resource_id, rtype, section = split_blade_path(page.request.path_params["rest"])
    handler = BLADES.get(rtype)
    if handler is None:
        shown = resource_id or page.request.url.path
        raise ArmError(404, "ResourceNotFound", f"The portal has no blade for '{shown}'.", [])
    response: Response = await handler(page, resource_id, section)
    return response


async def language(page: Page) -> Response:
    """The header's language switch: the session's choice from now on; back to the same page."""
    choose_language(page.session, await page.field("language"))
    back = await page.field("back", "/")
    return page.redirect(back if back.startswith("/") and not back.startswith("//") else "/")


ROUTES: list[RouteSpec] = [
    ("/", home, ("GET",)),
    ("/resources", all_resources, ("GET",)),
    ("/resourcegroups", resource_groups, ("GET",)),
    ("/resourcegroups/create", create_group_page, ("GET",)),
    ("/resourcegroups/create", create_group, ("POST",)),
    ("/resourcegroups/delete", delete_group, ("POST",)),
    ("/subscriptions", subscriptions, ("GET",)),
    ("/subscriptions/providers", provider_action, ("POST",)),
    ("/resource/{rest:path}", resource_blade, ("GET",)),
    ("/language", language, ("POST",)),
]
