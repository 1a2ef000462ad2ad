"""Microsoft.ContainerRegistry/registries/scopeMaps: the repository permissions tokens carry.

Every registry has the SystemDefined maps (``domain/scope_maps.SYSTEM_MAPS``), written when the registry is;
they cannot be created, changed or deleted. User maps are validated action by action; their number is limited
per SKU (``domain/acr.SCOPE_MAPS``).
"""

from __future__ import annotations

from acrlink import unconfirmed
from acrlink.clock import iso
from acrlink.domain import acr, scope_maps
from acrlink.errors import BadRequest, ErrorDetail
from acrlink.ids import ResourceRef
from acrlink.resources import common
from acrlink.resources.base import Context, Doc, ResourceType
from acrlink.resources.validation import Body, parse

REGISTRY_TYPE = "Microsoft.ContainerRegistry/registries"
"""The parent type (``resources/registry.py`` imports this module, so it is not imported from there)."""
TYPE = f"{REGISTRY_TYPE}/scopeMaps"
CHILD = "scopeMaps"


class Properties(Body):
    """A scope map PUT's properties: its actions (required) and a description."""

    actions: list[str]
    description: str | None = None


class CreateBody(Body):
    """A scope map PUT: the properties are required."""

    properties: Properties


class UpdateProperties(Body):
    """A scope map PATCH's properties: new actions or description, each when sent."""

    actions: list[str] | None = None
    description: str | None = None


class UpdateBody(Body):
    """A scope map PATCH."""

    properties: UpdateProperties | None = None


def check_name(name: str) -> None:
    """A scope map name follows ACR's token name rule (``domain/scope_maps.name_problem``)."""
    problem = scope_maps.name_problem(name)
    if problem:
        raise BadRequest(unconfirmed.INVALID_TOKEN_NAME_CODE, f"The scope map name '{name}' is invalid. {problem}")


def _refuse_system(ref: ResourceRef, existing: Doc | None) -> None:
    system = existing is not None and existing["properties"].get("type") == scope_maps.SYSTEM_DEFINED
    if system or ref.name.lower() in scope_maps.SYSTEM_MAPS:
        raise BadRequest(unconfirmed.SYSTEM_SCOPE_MAP_CODE, unconfirmed.SYSTEM_SCOPE_MAP_MESSAGE.format(name=ref.name))


def _check_actions(actions: list[str]) -> list[str]:
    """The actions as stored (repository names lower case, as az sends them), or every problem at once."""
    found = scope_maps.problems(actions)
    if not actions:
        raise BadRequest(
            unconfirmed.INVALID_SCOPE_MAP_ACTION_CODE, "A scope map needs at least one action.", "properties.actions"
        )
    if found:
        details = [
            ErrorDetail(
                unconfirmed.INVALID_SCOPE_MAP_ACTION_CODE,
                f"The action '{a}' is invalid: {why}.",
                f"properties.actions[{i}]",
            )
            for i, a, why in found
        ]
        first = details[0]
        raise BadRequest(first.code, first.message, first.target, details=details[1:])
    if len(actions) > acr.ACTIONS_PER_SCOPE_MAP:
        raise BadRequest(
            unconfirmed.INVALID_SCOPE_MAP_ACTION_CODE,
            f"A scope map has at most {acr.ACTIONS_PER_SCOPE_MAP} actions.",
            "properties.actions",
        )
    return list(dict.fromkeys(actions))


def user_map_count(ctx: Context, registry: ResourceRef) -> int:
    """The registry's UserDefined scope maps (what the ScopeMaps usage counts)."""
    return sum(1 for m in ctx.children(registry, CHILD) if m["properties"].get("type") != scope_maps.SYSTEM_DEFINED)


def check_quota(registry: ResourceRef, registry_doc: Doc, what: str, count: int) -> None:
    """Refuse a new scope map or token beyond the SKU's limit."""
    sku = registry_doc["sku"]["name"]
    limit = (acr.SCOPE_MAPS if what == "scope maps" else acr.TOKENS)[sku]
    if count >= limit:
        raise BadRequest(
            unconfirmed.QUOTA_EXCEEDED_CODE,
            unconfirmed.QUOTA_EXCEEDED_MESSAGE.format(registry=registry.name, limit=limit, what=what, sku=sku),
        )


def document(
    ctx: Context,
    ref: ResourceRef,
    actions: list[str],
    description: str | None,
    kind: str,
    created: str,
    existing: Doc | None,
) -> Doc:
    """A scope map as ACR stores it: its actions, type (SystemDefined or UserDefined), creation date and description
    when it has one."""
    props: Doc = {
        "description": description,
        "type": kind,
        "creationDate": created,
        "provisioningState": "Succeeded",
        "actions": actions,
    }
    if description is None:
        del props["description"]
    return {**common.envelope(ref, TYPE), "systemData": common.system_data(ctx, existing), "properties": props}


def create(ctx: Context, ref: ResourceRef, existing: Doc | None, body: Doc) -> Doc:
    """PUT: a user scope map (a new one within the SKU's limit), or all of an existing one replaced."""
    _refuse_system(ref, existing)
    request = parse(CreateBody, body)
    actions = _check_actions(request.properties.actions)
    registry, registry_doc = ctx.parent(ref)
    if existing is None:
        check_quota(registry, registry_doc, "scope maps", user_map_count(ctx, registry))
    created = existing["properties"]["creationDate"] if existing else iso(ctx.now)
    return document(ctx, ref, actions, request.properties.description, scope_maps.USER_DEFINED, created, existing)


def update(ctx: Context, ref: ResourceRef, existing: Doc, body: Doc) -> Doc:
    """PATCH: new actions (the whole list, as az computes it) and/or a new description."""
    _refuse_system(ref, existing)
    request = parse(UpdateBody, body)
    props = dict(existing["properties"])
    if request.properties is not None:
        if request.properties.actions is not None:
            props["actions"] = _check_actions(request.properties.actions)
        if request.properties.description is not None:
            props["description"] = request.properties.description
    return {**existing, "systemData": common.system_data(ctx, existing), "properties": props}


def guard_delete(ctx: Context, ref: ResourceRef, doc: Doc) -> None:
    """SystemDefined maps go only with their registry."""
    if not ctx.cascading and doc["properties"].get("type") == scope_maps.SYSTEM_DEFINED:
        raise BadRequest(unconfirmed.SYSTEM_SCOPE_MAP_CODE, unconfirmed.SYSTEM_SCOPE_MAP_MESSAGE.format(name=ref.name))


def ensure_system_maps(ctx: Context, registry: ResourceRef, registry_doc: Doc, _created: bool) -> None:
    """After a registry is written: its SystemDefined maps exist (created with it, or added to an older one)."""
    have = {m["name"].lower() for m in ctx.children(registry, CHILD)}
    created = registry_doc["properties"]["creationDate"]
    for name, (description, actions) in scope_maps.SYSTEM_MAPS.items():
        if name not in have:
            ref = registry.child(CHILD, name)
            ctx.save(ref, document(ctx, ref, list(actions), description, scope_maps.SYSTEM_DEFINED, created, None))


SCOPE_MAPS_TYPE = ResourceType(
    type=TYPE,
    check_name=check_name,
    create=create,
    update=update,
    guard_delete=guard_delete,
    location="inherited",
    delete_rank=45,
)
