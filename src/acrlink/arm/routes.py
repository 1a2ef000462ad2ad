"""ARM URL grammar: a path becomes a ``Route`` naming what is addressed.

Matching is case-insensitive; names keep the caller's casing. Resource types come from the catalog,
so a new resource type needs no change here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from acrlink.errors import BadRequest, NotFound
from acrlink.ids import ResourceRef
from acrlink.resources.base import ResourceType
from acrlink.resources.catalog import Catalog


@dataclass(frozen=True)
class Route:
    kind: str
    """One of: tenants, subscriptions, subscription, locations, groups, group, resources, providers, provider,
    provider_action, operation, group_operation, namespace_operations, collection, resource, action,
    namespace_action."""
    subscription: str = ""
    resource_group: str | None = None
    namespace: str = ""
    name: str = ""
    """Group name, provider action, resource action or operation id, by kind."""
    rtype: ResourceType | None = None
    ref: ResourceRef | None = None
    """The resource (kind resource/action) or the parent of a collection of child resources."""
    rest: tuple[str, ...] = field(default_factory=tuple)


def _unknown_path(path: str) -> NotFound:
    return NotFound("InvalidRequestUri", f"The request URI '{path}' is not valid.")


def parse(path: str, catalog: Catalog) -> Route:
    parts = [p for p in path.split("/") if p]
    low = [p.lower() for p in parts]
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
    if head == "providers":
        return _subscription_provider(sub, tail[1:], low_tail[1:], catalog, path)
    if head == "resourcegroups":
        if len(tail) == 1:
            return Route("groups", sub)
        group = tail[1]
        if len(tail) == 2:
            return Route("group", sub, group, name=group)
        if low_tail[2] == "resources" and len(tail) == 3:
            return Route("resources", sub, group)
        if low_tail[2] == "providers" and len(tail) >= 5:
            return _group_resource(sub, group, tail[3:], catalog)
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
