"""ARM URL grammar: a path becomes a ``Route`` naming what is addressed.

Matching is case-insensitive; names keep the caller's casing. Resource types come from the catalog,
so a new resource type needs no change here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from acrlink.errors import BadRequest, NotFound
from acrlink.ids import ResourceRef, group_ref
from acrlink.resources.base import ResourceType
from acrlink.resources.catalog import Catalog


@dataclass(frozen=True)
class Route:
    kind: str
    """One of: tenants, subscriptions, subscription, locations, resources, providers, provider,
    provider_action, operation, group_operation, namespace_operations, collection, resource, action,
    namespace_action, the deployment kinds (``DEPLOYMENT_KINDS``) and the authorization kinds
    (``AUTHORIZATION_KINDS``)."""
    subscription: str = ""
    resource_group: str | None = None
    namespace: str = ""
    name: str = ""
    """Provider action, resource action or operation id, by kind."""
    rtype: ResourceType | None = None
    ref: ResourceRef | None = None
    """The resource or group (kind resource/action), the parent of a collection of child resources, or the resource
    or group an authorization kind's scope is (with its type in ``rtype``)."""
    rest: tuple[str, ...] = field(default_factory=tuple)
    scope: str = ""
    """An authorization kind's scope as the caller wrote it: ``/subscriptions/S``, a group's or a resource's id,
    or ``/`` (the tenant root)."""


DEPLOYMENT_KINDS = (
    "deployments",
    "deployment",
    "deployment_action",
    "deployment_operations",
    "deployment_operation",
    "deployment_status",
)
"""``Microsoft.Resources/deployments`` at group scope (``resource_group`` set) or subscription scope (None):
the collection, one deployment, its POST actions (``rest[0]``: validate, whatif, cancel, exporttemplate),
its operations, one operation (``rest[0]``: its id) and the status of its PUT (``rest[0]``)."""

AUTHORIZATION_KINDS = ("role_assignments", "role_assignment", "role_definitions", "role_definition")
"""``Microsoft.Authorization`` extension resources at any scope: ``{scope}/providers/Microsoft.Authorization/
roleAssignments[/{name}]`` and ``.../roleDefinitions[/{guid}]``. Role definitions are also served at the tenant
root (``/providers/Microsoft.Authorization/roleDefinitions[/{guid}]``), where Azure keeps the built-in roles."""

_AUTHORIZATION_TYPES = {
    "roleassignments": ("role_assignments", "role_assignment"),
    "roledefinitions": ("role_definitions", "role_definition"),
}
_SCOPE_KINDS = ("subscription", "resource")

_DEPLOYMENT_ACTIONS = ("validate", "whatif", "cancel", "exporttemplate")

ACRLINK_VIEWS = ("reachability", "networkgraph", "whatif", "garbagecollection")
"""acrlink's own subscription-level views (``Acrlink.Network/{view}``, kind ``acrlink_view``).
``garbageCollection`` (POST) is not a view of the network but the running process's one door for
``acrlink gc``."""


def _unknown_path(path: str) -> NotFound:
    return NotFound("InvalidRequestUri", f"The request URI '{path}' is not valid.")


def parse(path: str, catalog: Catalog) -> Route:
    parts = [p for p in path.split("/") if p]
    low = [p.lower() for p in parts]
    authorization = _authorization(parts, low, catalog, path)
    if authorization is not None:
        return authorization
    if low == ["tenants"]:
        return Route("tenants")
    if len(low) == 3 and low[0] == "providers" and low[2] == "operations":
        return Route("namespace_operations", namespace=_namespace(parts[1], catalog))
    if not low or low[0] != "subscriptions":
        raise _unknown_path(path)
    if len(low) == 1:
        return Route("subscriptions")
    sub = parts[1]
    tail, low_tail = parts[2:], low[2:]
    if not tail:
        return Route("subscription", sub)
    head = low_tail[0]
    if head == "resources" and len(tail) == 1:
        return Route("resources", sub)
    if head == "locations" and len(tail) == 1:
        return Route("locations", sub)
    if head == "operationresults" and len(tail) == 2:
        return Route("group_operation", sub, name=tail[1])
    if head == "deployments":
        return _deployment(sub, None, tail, low_tail, path, operations_only=True)
    if head == "providers" and low_tail[1:3] == ["microsoft.resources", "deployments"]:
        return _deployment(sub, None, tail[2:], low_tail[2:], path)
    if head == "providers":
        return _subscription_provider(sub, tail[1:], low_tail[1:], catalog, path)
    if head == "resourcegroups":
        if len(tail) == 1:
            return Route("collection", sub, namespace=catalog.groups.namespace, rtype=catalog.groups)
        group = tail[1]
        if len(tail) == 2:
            return Route(
                "resource", sub, group, catalog.groups.namespace, rtype=catalog.groups, ref=group_ref(sub, group)
            )
        if low_tail[2] == "resources" and len(tail) == 3:
            return Route("resources", sub, group)
        if low_tail[2] == "deployments":
            return _deployment(sub, group, tail[2:], low_tail[2:], path, operations_only=True)
        if low_tail[2:5] == ["providers", "microsoft.resources", "deployments"]:
            return _deployment(sub, group, tail[4:], low_tail[4:], path)
        if low_tail[2] == "providers" and len(tail) >= 5:
            return _group_resource(sub, group, tail[3:], catalog)
    raise _unknown_path(path)


def _authorization(parts: list[str], low: list[str], catalog: Catalog, path: str) -> Route | None:
    """An authorization kind when the path holds ``providers/Microsoft.Authorization/{roleAssignments|
    roleDefinitions}``; what comes before it must be a subscription, a group or a catalogued resource (or
    nothing, for role definitions)."""
    at = next(
        (
            i
            for i in range(len(low) - 2)
            if low[i] == "providers" and low[i + 1] == "microsoft.authorization" and low[i + 2] in _AUTHORIZATION_TYPES
        ),
        None,
    )
    if at is None:
        return None
    tail = parts[at + 3 :]
    if len(tail) > 1:
        raise _unknown_path(path)
    collection, item = _AUTHORIZATION_TYPES[low[at + 2]]
    kind = item if tail else collection
    name = tail[0] if tail else ""
    if at == 0:
        if collection != "role_definitions":
            raise _unknown_path(path)
        return Route(kind, namespace="Microsoft.Authorization", name=name, scope="/")
    scope = "/" + "/".join(parts[:at])
    scoped = parse(scope, catalog)
    if scoped.kind not in _SCOPE_KINDS:
        raise _unknown_path(path)
    return Route(
        kind,
        scoped.subscription,
        scoped.resource_group,
        "Microsoft.Authorization",
        name=name,
        rtype=scoped.rtype,
        ref=scoped.ref,
        scope=scope,
    )


def _deployment(
    sub: str, group: str | None, tail: list[str], low: list[str], path: str, operations_only: bool = False
) -> Route:
    """``deployments[/{name}[/{action} | /operations[/{id}] | /operationStatuses/{id}]]``, ``tail[0]`` being
    ``deployments``. Without ``providers/Microsoft.Resources`` (as az addresses operations) only the operations
    paths exist."""
    namespace = "Microsoft.Resources"
    if len(tail) == 1 and not operations_only:
        return Route("deployments", sub, group, namespace)
    name = tail[1]
    if len(tail) == 2 and not operations_only:
        return Route("deployment", sub, group, namespace, name=name)
    if len(tail) == 3 and low[2] == "operations":
        return Route("deployment_operations", sub, group, namespace, name=name)
    if len(tail) == 4 and low[2] == "operations":
        return Route("deployment_operation", sub, group, namespace, name=name, rest=(tail[3],))
    if operations_only:
        raise _unknown_path(path)
    if len(tail) == 3 and low[2] in _DEPLOYMENT_ACTIONS:
        return Route("deployment_action", sub, group, namespace, name=name, rest=(low[2],))
    if len(tail) == 4 and low[2] == "operationstatuses":
        return Route("deployment_status", sub, group, namespace, name=name, rest=(tail[3],))
    raise _unknown_path(path)


def _namespace(given: str, catalog: Catalog) -> str:
    canonical = catalog.namespace(given)
    if canonical is None:
        raise BadRequest("InvalidResourceNamespace", f"The resource namespace '{given}' is invalid.")
    return canonical


def _subscription_provider(sub: str, tail: list[str], low: list[str], catalog: Catalog, path: str) -> Route:
    if not tail:
        return Route("providers", sub)
    if len(tail) == 1:
        return Route("provider", sub, namespace=tail[0])
    if len(tail) == 2 and low[1] in ("register", "unregister"):
        return Route("provider_action", sub, namespace=tail[0], name=low[1])
    namespace = _namespace(tail[0], catalog)
    if len(tail) == 2 and namespace == "Acrlink.Network" and low[1] in ACRLINK_VIEWS:
        return Route("acrlink_view", sub, namespace=namespace, name=low[1])
    if len(tail) == 5 and low[1] == "locations" and low[3] in ("operationstatuses", "operationresults", "operations"):
        return Route("operation", sub, namespace=namespace, name=tail[4], rest=(low[3],))
    if len(tail) == 2:
        rtype = catalog.find(namespace, [tail[1]])
        if rtype is not None:
            return Route("collection", sub, None, namespace, rtype=rtype)
        if (namespace.lower(), low[1]) in catalog.namespace_actions:
            return Route("namespace_action", sub, namespace=namespace, name=tail[1])
        raise _invalid_type(namespace, tail[1])
    raise _unknown_path(path)


def _invalid_type(namespace: str, type_path: str) -> BadRequest:
    return BadRequest(
        "InvalidResourceType",
        f"The resource type '{type_path}' could not be found in the namespace '{namespace}'.",
    )


def _group_resource(sub: str, group: str, tail: list[str], catalog: Catalog) -> Route:
    """``{ns}/{type}/{name}[/{type}/{name}...]`` plus an optional collection or action segment."""
    namespace = _namespace(tail[0], catalog)
    segments = tail[1:]
    pairs: list[tuple[str, str]] = []
    rtype: ResourceType | None = None
    index = 0
    while index < len(segments):
        candidate = catalog.find(namespace, [t for t, _ in pairs] + [segments[index]])
        if candidate is None:
            break
        rtype = candidate
        type_name = candidate.type.split("/")[len(pairs) + 1]
        if index + 1 == len(segments):
            parent = ResourceRef(sub, group, namespace, tuple(pairs)) if pairs else None
            return Route("collection", sub, group, namespace, rtype=candidate, ref=parent)
        pairs.append((type_name, segments[index + 1]))
        index += 2
    if rtype is None or not pairs:
        raise _invalid_type(namespace, "/".join(segments[:1]))
    ref = ResourceRef(sub, group, namespace, tuple(pairs))
    if index == len(segments):
        return Route("resource", sub, group, namespace, rtype=rtype, ref=ref)
    action = segments[index].lower()
    if action in rtype.actions:
        return Route(
            "action",
            sub,
            group,
            namespace,
            name=action,
            rtype=rtype,
            ref=ref,
            rest=tuple(segments[index + 1 :]),
        )
    raise _invalid_type(namespace, "/".join([*rtype.type.split("/")[1:], segments[index]]))
