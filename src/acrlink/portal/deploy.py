"""Create flows are template deployments, as in Azure: "Review + create" validates a resource-group deployment
(the deployment's ``validate``), then "Create" submits it (its PUT) and the browser goes to the deployment's
page, which shows it in progress, complete, or failed with ARM's details.

Names follow the real portal's: ``<Kind>-<yyyyMMddHHmmss>`` (``Microsoft.PrivateEndpoint-20261201123456``),
the stamp in the browser's time as the portal's is (the server's clock here), and nested deployments named
``PrivateDns-<stamp>`` and so on (``stamp``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from acrlink.portal.app import Page
from acrlink.portal.armclient import ArmError
from acrlink.portal.i18n import register
from acrlink.portal.pages.common import RESOURCES_API

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"

register(
    {
        "deploy.in_progress": ("Deployment is in progress", "部署正在进行"),
        "deploy.complete": ("Your deployment is complete", "你的部署已完成"),
        "deploy.failed": ("Your deployment failed", "你的部署失败"),
        "deploy.canceled": ("Your deployment was canceled", "你的部署已取消"),
        "deploy.name": ("Deployment name", "部署名称"),
        "deploy.start": ("Start time", "开始时间"),
        "deploy.correlation": ("Correlation ID", "相关 ID"),
        "deploy.operations": ("Deployment details", "部署详细信息"),
        "deploy.operation_details": ("Operation details", "操作详细信息"),
        "deploy.resource": ("Resource", "资源"),
        "deploy.status": ("Status", "状态"),
        "deploy.go_to_resource": ("Go to resource", "转到资源"),
        "deploy.validation_passed": ("Validation passed", "验证通过"),
        "deploy.validation_failed": ("Validation failed", "验证失败"),
    }
)


def stamp(moment: datetime | None = None) -> str:
    """``yyyyMMddHHmmss``: the suffix of a portal deployment's name."""
    return (moment or datetime.now(UTC)).strftime("%Y%m%d%H%M%S")


def template(resources: list[dict[str, Any]], parameters: dict[str, Any] | None = None,
             outputs: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    """A deployment template of ``resources`` (a classic template, as the portal's are)."""
    doc: dict[str, Any] = {"$schema": SCHEMA, "contentVersion": "1.0.0.0", "parameters": parameters or {},
                           "resources": resources}  # fmt: skip
    if outputs:
        doc["outputs"] = outputs
    return doc


def nested(name: str, resources: list[dict[str, Any]], group: str | None = None,
           depends_on: list[str] | None = None) -> dict[str, Any]:  # fmt: skip
    """A nested deployment resource (inner scope, Incremental) deploying ``resources``, in ``group`` when
    given (the portal deploys a zone group into the endpoint's group and a zone into its own)."""
    resource: dict[str, Any] = {
        "type": "Microsoft.Resources/deployments",
        "apiVersion": "2022-09-01",
        "name": name,
        "dependsOn": depends_on or [],
        "properties": {
            "mode": "Incremental",
            "expressionEvaluationOptions": {"scope": "inner"},
            "template": template(resources),
        },
    }
    if group:
        resource["resourceGroup"] = group
    return resource


def body(
    doc: dict[str, Any], parameters: dict[str, Any] | None = None, tags: dict[str, str] | None = None
) -> dict[str, Any]:
    """The deployment request: Incremental, parameters as ``{name: {value}}``."""
    request: dict[str, Any] = {
        "properties": {
            "mode": "Incremental",
            "template": doc,
            "parameters": {k: {"value": v} for k, v in (parameters or {}).items()},
            "debugSetting": {"detailLevel": "None"},
        }
    }
    if tags:
        request["tags"] = tags
    return request


def deployment_path(subscription: str, group: str, name: str) -> str:
    return f"/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.Resources/deployments/{name}"


async def validate(page: Page, subscription: str, group: str, name: str, request: dict[str, Any]) -> ArmError | None:
    """The deployment's ``validate``: None when it passes, else ARM's refusal (what the page shows)."""
    try:
        await page.arm.request("POST", f"{deployment_path(subscription, group, name)}/validate", RESOURCES_API, request)
    except ArmError as error:
        return error
    return None


async def submit(page: Page, subscription: str, group: str, name: str, request: dict[str, Any]) -> str:
    """Validate, then submit the deployment; the path of its page. ARM's refusal of either is raised."""
    refused = await validate(page, subscription, group, name, request)
    if refused is not None:
        raise refused
    await page.arm.request("PUT", deployment_path(subscription, group, name), RESOURCES_API, request)
    return f"/resource{deployment_path(subscription, group, name)}"


def first_error(error: ArmError) -> tuple[str, str]:
    """The innermost (code, message) of a refusal: what a form shows next to its field."""
    code, message = error.code, error.message
    details = error.details
    while details:
        inner = details[0]
        code, message = str(inner.get("code", code)), str(inner.get("message", message))
        details = list(inner.get("details") or [])
    return code, message
