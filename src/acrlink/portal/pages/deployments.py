"""The deployment page the create flows land on: in progress (it refreshes itself), complete (with a link to
the resource), or failed with ARM's error and each operation's status; and the operation details."""

from __future__ import annotations

from starlette.responses import Response

from acrlink.portal.app import Page, RouteSpec
from acrlink.portal.pages.common import RESOURCES_API, blade, portal_link


@blade("Microsoft.Resources/deployments")
async def deployment_blade(page: Page, resource_id: str, section: str) -> Response:
    doc = await page.arm.get(resource_id, RESOURCES_API)
    group_id = resource_id.split("/providers/")[0]
    operations = await page.arm.list(f"{group_id}/deployments/{doc['name']}/operations", RESOURCES_API)
    state = doc["properties"].get("provisioningState")
    primary = (doc.get("tags") or {}).get("primaryResourceId")
    outputs = [r["id"] for r in doc["properties"].get("outputResources") or []]
    return page.render(
        "deployment.html",
        doc=doc,
        state=state,
        running=state in ("Accepted", "Running"),
        operations=operations,
        primary=primary or (outputs[0] if outputs else None),
        link=portal_link,
        show_operations=section == "operations" or state == "Failed",
    )


ROUTES: list[RouteSpec] = []
