"""Microsoft.ContainerRegistry/registries/webhooks: HTTP callbacks on pushes and deletes.

A webhook belongs to one of the registry's regions (its home region or a replica's). Its service URI and
custom headers are write-only: kept apart from the document (``resources/webhook_events.py``), answered only
by ``getCallbackConfig``.
"""

from __future__ import annotations

from typing import Annotated, Any

from acrlink import unconfirmed
from acrlink.domain import acr
from acrlink.domain.naming import registry_name_problem
from acrlink.domain.webhooks import ACTIONS, check_scope, check_service_uri
from acrlink.errors import BadRequest
from acrlink.ids import ResourceRef
from acrlink.resources import common, webhook_events
from acrlink.resources.base import Action, Context, Doc, ResourceType
from acrlink.resources.registry import TYPE as REGISTRY_TYPE
from acrlink.resources.registry import region_list
from acrlink.resources.validation import Body, one_of, parse

TYPE = f"{REGISTRY_TYPE}/webhooks"
WEBHOOKS = "webhooks"

Status = Annotated[str, one_of("enabled", "disabled")]
WebhookAction = Annotated[str, one_of(*ACTIONS)]


class CreateProperties(Body):
    """A webhook's request: the service URI and actions are required; status (enabled by default), scope and custom
    headers."""

    serviceUri: str  # noqa: N815 - wire name
    customHeaders: dict[str, str] | None = None  # noqa: N815
    status: Status = "enabled"
    scope: str | None = None
    actions: list[WebhookAction]


class CreateBody(Body):
    """A webhook PUT: the properties are required."""

    location: object = None
    tags: dict[str, str] | None = None
    properties: CreateProperties


class UpdateProperties(Body):
    """A webhook PATCH's properties: each setting when sent."""

    serviceUri: str | None = None  # noqa: N815
    customHeaders: dict[str, str] | None = None  # noqa: N815
    status: Status | None = None
    scope: str | None = None
    actions: list[WebhookAction] | None = None


class UpdateBody(Body):
    """A webhook PATCH: tags and properties."""

    tags: dict[str, str] | None = None
    properties: UpdateProperties | None = None


def check_webhook_name(name: str) -> None:
    """Alphanumeric, 5 to 50 characters: the registry name rule."""
    if registry_name_problem(name):
        raise BadRequest(
            unconfirmed.INVALID_WEBHOOK_NAME_CODE,
            f"The webhook name '{name}' is invalid: it must be 5-50 alphanumeric characters.",
            target="name",
        )


def _invalid(message: str, target: str) -> BadRequest:
    return BadRequest(unconfirmed.WEBHOOK_INVALID_CODE, message, target=target)


def _check(uri: str | None, actions: list[str] | None, scope: str | None) -> None:
    if uri is not None:
        problem = check_service_uri(uri)
        if problem:
            raise _invalid(problem, "properties.serviceUri")
    if actions is not None and not actions:
        raise _invalid("At least one webhook action is required.", "properties.actions")
    if scope is not None:
        problem = check_scope(scope)
        if problem:
            raise _invalid(problem, "properties.scope")


def create(ctx: Context, ref: ResourceRef, existing: Doc | None, body: Doc) -> Doc:
    """A webhook in one of the registry's regions, within the SKU's webhook limit."""
    request = parse(CreateBody, body)
    parent, registry = ctx.parent(ref)
    location = common.region(ctx, request.location, TYPE)
    common.same_location(existing, location, ref)
    regions = region_list(ctx, parent, registry)
    if location not in regions:
        raise _invalid(
            f"The webhook location '{location}' is not a region of the registry ({', '.join(regions)}).", "location"
        )
    props = request.properties
    _check(props.serviceUri, props.actions, props.scope)
    sku = registry["sku"]["name"]
    if existing is None:
        limit = acr.WEBHOOKS.get(sku, 0)
        if len(ctx.children(parent, WEBHOOKS)) >= limit:
            raise BadRequest(
                unconfirmed.WEBHOOK_LIMIT_CODE,
                f"The registry '{parent.name}' already has the maximum number of webhooks ({limit}) its SKU "
                f"{sku} allows.",
            )
    webhook_events.save_config(ctx.tx, ref.key, props.serviceUri, props.customHeaders or {})
    return {
        **common.envelope(ref, TYPE),
        "location": location,
        "tags": request.tags or {},
        "systemData": common.system_data(ctx, existing),
        "properties": {
            "status": props.status,
            "scope": props.scope or "",
            "actions": list(dict.fromkeys(props.actions)),
            "provisioningState": "Succeeded",
        },
    }


def update(ctx: Context, ref: ResourceRef, existing: Doc, body: Doc) -> Doc:
    """PATCH: only what the body names changes (az sends only the flags given)."""
    request = parse(UpdateBody, body)
    doc = {**existing, "systemData": common.system_data(ctx, existing)}
    if request.tags is not None:
        doc["tags"] = request.tags
    props = request.properties
    if props is None:
        return doc
    _check(props.serviceUri, props.actions, props.scope)
    changed = dict(existing["properties"])
    if props.status is not None:
        changed["status"] = props.status
    if props.scope is not None:
        changed["scope"] = props.scope
    if props.actions is not None:
        changed["actions"] = list(dict.fromkeys(props.actions))
    if props.serviceUri is not None or props.customHeaders is not None:
        current = webhook_events.config(ctx.tx, ref.key)
        webhook_events.save_config(
            ctx.tx,
            ref.key,
            props.serviceUri if props.serviceUri is not None else current["serviceUri"],
            props.customHeaders if props.customHeaders is not None else current["customHeaders"],
        )
    doc["properties"] = changed
    return doc


def on_delete(ctx: Context, ref: ResourceRef, _doc: Doc) -> None:
    """A deleted webhook takes its configuration, queued deliveries and recorded events with it."""
    webhook_events.forget(ctx.tx, ref.key)


# Actions --------------------------------------------------------------------------------------------


def ping(ctx: Context, ref: ResourceRef, _doc: Doc, _body: Any, _rest: tuple[str, ...]) -> tuple[int, Any]:
    """Queue a ping event to the service URI; its id."""
    return 200, {"id": webhook_events.ping(ctx.tx, ref.key)}


def list_events(ctx: Context, ref: ResourceRef, _doc: Doc, _body: Any, _rest: tuple[str, ...]) -> tuple[int, Any]:
    """Every finished delivery, newest first, with the request sent and the response (or failure) seen."""
    shown = [{k: v for k, v in e.items() if k != "attempts"} for e in webhook_events.events(ctx.tx, ref.key)]
    return 200, {"value": shown}


def get_callback_config(
    ctx: Context, ref: ResourceRef, _doc: Doc, _body: Any, _rest: tuple[str, ...]
) -> tuple[int, Any]:
    """``getCallbackConfig``: the service URI and custom headers, which no GET of the webhook shows."""
    found = webhook_events.config(ctx.tx, ref.key)
    return 200, {"serviceUri": found["serviceUri"], "customHeaders": found["customHeaders"]}


WEBHOOKS_TYPE = ResourceType(
    type=TYPE,
    check_name=check_webhook_name,
    create=create,
    update=update,
    on_delete=on_delete,
    location="regional",
    delete_rank=40,
    consumed_properties=frozenset({"serviceUri", "customHeaders"}),
    actions={
        "ping": Action("POST", ping),
        "listevents": Action("POST", list_events),
        "getcallbackconfig": Action("POST", get_callback_config),
    },
)
