"""What the pages share: api-versions the portal sends, ids, and reading a few collections."""

from __future__ import annotations

from typing import Any

from acrlink.portal.app import Page
from acrlink.portal.armclient import ArmError

RESOURCES_API = "2025-04-01"
ACR_API = "2025-11-01"
NETWORK_API = "2024-05-01"
DNS_API = "2024-06-01"


def group_path(subscription: str, group: str) -> str:
    return f"/subscriptions/{subscription}/resourceGroups/{group}"


def parse_id(resource_id: str) -> dict[str, str]:
    """``subscription``, ``group``, ``name`` (the last segment) of a resource id."""
    parts = resource_id.strip("/").split("/")
    found = {"subscription": parts[1] if len(parts) > 1 else "", "name": parts[-1] if parts else ""}
    lowered = [p.lower() for p in parts]
    if "resourcegroups" in lowered:
        found["group"] = parts[lowered.index("resourcegroups") + 1]
    return found


def portal_link(resource_id: str) -> str:
    """The portal path of a resource's blade (``/resource`` + its id, as the Azure portal's ``#@/resource``)."""
    return f"/resource{resource_id}"


async def groups(page: Page) -> list[dict[str, Any]]:
    """Every resource group in every subscription (subscription id in ``_subscription``)."""
    found: list[dict[str, Any]] = []
    for subscription in page.world.subscriptions:
        for group in await page.arm.list(f"/subscriptions/{subscription}/resourcegroups", RESOURCES_API):
            found.append({**group, "_subscription": subscription})
    return found


async def resources(page: Page, resource_type: str | None = None) -> list[dict[str, Any]]:
    """Every tracked resource in every subscription, optionally of one type."""
    params = {"$filter": f"resourceType eq '{resource_type}'"} if resource_type else None
    found: list[dict[str, Any]] = []
    for subscription in page.world.subscriptions:
        found += await page.arm.list(f"/subscriptions/{subscription}/resources", RESOURCES_API, params)
    return found


BladeHandler = Any
BLADES: dict[str, BladeHandler] = {}
"""Lower-case resource type -> the async function ``(page, resource_id, section)`` rendering its blade."""


def blade(resource_type: str) -> Any:
    """Register a blade for a resource type (``Microsoft.Resources/resourceGroups`` for groups)."""

    def register(handler: BladeHandler) -> BladeHandler:
        BLADES[resource_type.lower()] = handler
        return handler

    return register


def split_blade_path(path: str) -> tuple[str, str, str]:
    """``/subscriptions/.../providers/NS/type/name[/child/name][/section]`` -> (resource id, lower-case type,
    section). A group's path is ``/subscriptions/S/resourceGroups/G[/section]``."""
    parts = [p for p in path.split("/") if p]
    lowered = [p.lower() for p in parts]
    if len(parts) < 4 or lowered[0] != "subscriptions" or lowered[2] != "resourcegroups":
        return "", "", ""
    if len(parts) < 6 or lowered[4] != "providers":
        section = "/".join(parts[4:]) if len(parts) > 4 else ""
        return "/" + "/".join(parts[:4]), "microsoft.resources/resourcegroups", section
    namespace, rest = parts[5], parts[6:]
    pairs = len(rest) // 2
    types = [rest[2 * i] for i in range(pairs)]
    resource_id = "/" + "/".join(parts[: 6 + 2 * pairs])
    section = rest[2 * pairs] if len(rest) % 2 else ""
    return resource_id, f"{namespace}/{'/'.join(types)}".lower(), section


VIEWS_API = "2026-01-01"


async def what_if(
    page: Page, subscription: str, requests: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], ArmError | None]:
    """The ``Acrlink.Network/whatIf`` view for ``requests`` (rehearsed on a scratch copy of the world): each
    host and name whose access changes, or why it could not be worked out."""
    try:
        answer = await page.arm.request(
            "POST", f"/subscriptions/{subscription}/providers/Acrlink.Network/whatIf", VIEWS_API, {"requests": requests}
        )
    except ArmError as error:
        return [], error
    if (answer or {}).get("status") != "Succeeded":
        failed = (answer or {}).get("error") or {}
        return [], ArmError(400, str(failed.get("code", "Failed")), str(failed.get("message", "")), [])
    return list(((answer or {}).get("properties") or {}).get("reachability") or []), None
