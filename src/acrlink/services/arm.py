"""The ARM resource service: resource groups and every catalogued resource type.

Each public method is one store transaction. The resource type's functions decide; this module
checks the scope (subscription, group, provider, parent), runs them and persists the result.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

from acrlink import unconfirmed
from acrlink.clock import now as clock_now
from acrlink.domain.cloud import CloudProfile
from acrlink.domain.naming import check_group_name
from acrlink.domain.principals import Principal
from acrlink.errors import (
    AcrlinkError,
    BadRequest,
    Conflict,
    MethodNotAllowed,
    NotFound,
    PreconditionFailed,
)
from acrlink.ids import ResourceRef, group_id, parse_resource_id
from acrlink.resources import passthrough
from acrlink.resources.base import Context, Doc, Options, ResourceType
from acrlink.resources.catalog import Catalog
from acrlink.resources.validation import Body, parse
from acrlink.services import role_assignments
from acrlink.services.authorization import Authorization
from acrlink.services.tenancy import Tenancy
from acrlink.store.base import WORLD, Record, Store, Transaction

GROUP_TYPE = "Microsoft.Resources/resourceGroups"
_NOT_LISTED = frozenset({GROUP_TYPE.lower(), "microsoft.resources/deployments"})
"""Records with a location that ``GET .../resources`` does not list: groups, and subscription deployments."""

VOLATILE = frozenset({"etag", "systemData", "timestamp", "lastUpdatedTime"})
"""Members a provider rewrites on every PUT whatever was asked: a PUT that changes nothing else changes
nothing (``same_content``)."""


def same_content(before: Any, after: Any) -> bool:
    """Whether two stored documents differ only in ``VOLATILE`` members, at any depth."""
    if isinstance(before, dict) and isinstance(after, dict):
        keys = (before.keys() | after.keys()) - VOLATILE
        return all(same_content(before.get(k), after.get(k)) for k in keys)
    if isinstance(before, list) and isinstance(after, list):
        return len(before) == len(after) and all(same_content(a, b) for a, b in zip(before, after, strict=True))
    return bool(before == after)


class GroupBody(Body):
    location: Any = None
    tags: dict[str, str] | None = None
    managedBy: str | None = None  # noqa: N815


class GroupPatch(Body):
    tags: dict[str, str] | None = None
    managedBy: str | None = None  # noqa: N815


READER = Principal("", "")
"""The caller of a read: renders need a context, not an identity (the ARM face has authorised the read)."""


class ResourceService:
    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        cloud: CloudProfile,
        tenancy: Tenancy,
        clock: Callable[[], datetime] = clock_now,
        options: Options | None = None,
        authorization: Authorization | None = None,
    ) -> None:
        self.authorization = authorization
        self.store = store
        self.catalog = catalog
        self.cloud = cloud
        self.tenancy = tenancy
        self._clock = clock
        self._options = options or Options()

    @contextmanager
    def _writing(self) -> Iterator[Transaction]:
        """A write transaction; it marks ``WORLD``, so caches derived from the resources move when it commits."""
        with self.store.transaction() as tx:
            yield tx
            tx.changed(WORLD)

    def _context(self, tx: Transaction, caller: Principal) -> Context:
        authorization = self.authorization

        def may(action: str, scope: str) -> bool:
            return authorization is None or authorization.allows(caller.object_id, action, scope)

        def tenant_of(subscription: str) -> str:
            try:
                return self.tenancy.world.tenant_of(self.tenancy.canonical_subscription(subscription)).tenant_id
            except NotFound:
                return ""

        return Context(
            tx,
            self.cloud,
            caller.app_id,
            self._clock(),
            self.tenancy.world.default_subscription,
            self._options,
            caller=caller,
            may=may,
            tenant_of=tenant_of,
        )

    # Resource groups ---------------------------------------------------------------------------------

    def put_group(self, subscription: str, name: str, body: Any) -> tuple[Doc, bool]:
        subscription = self.tenancy.canonical_subscription(subscription)
        check_group_name(name)
        request = parse(GroupBody, body)
        location = self._group_location(request.location)
        with self._writing() as tx:
            existing = self._group_record(tx, subscription, name)
            if existing and existing.body["location"] != location:
                raise Conflict(
                    "InvalidResourceGroupLocation",
                    f"Invalid resource group location '{location}'. The Resource group already exists in "
                    f"location '{existing.body['location']}'.",
                )
            doc = {
                "id": group_id(subscription, existing.body["name"] if existing else name),
                "name": existing.body["name"] if existing else name,
                "type": GROUP_TYPE,
                "location": location,
                "tags": request.tags or {},
                "properties": {"provisioningState": "Succeeded"},
            }
            if request.managedBy:
                doc["managedBy"] = request.managedBy
            tx.put(Record(doc["id"].lower(), GROUP_TYPE, subscription, name, "", doc))
        return doc, existing is None

    def _group_location(self, location: Any) -> str:
        if not location:
            raise BadRequest("LocationRequired", "The location property is required for this definition.")
        region = self.cloud.normalize_region(location) if isinstance(location, str) else None
        if region is None:
            available = ",".join(self.cloud.regions)
            raise BadRequest(
                "LocationNotAvailableForResourceGroup",
                f"The provided location '{location}' is not available for resource group. List of "
                f"available regions is '{available}'.",
            )
        return region

    def _group_record(self, tx: Transaction, subscription: str, name: str) -> Record | None:
        return tx.get(group_id(subscription, name).lower())

    def _require_group(self, tx: Transaction, subscription: str, name: str) -> Doc:
        record = self._group_record(tx, subscription, name)
        if record is None:
            raise NotFound("ResourceGroupNotFound", f"Resource group '{name}' could not be found.")
        return record.body

    def get_group(self, subscription: str, name: str) -> Doc:
        subscription = self.tenancy.canonical_subscription(subscription)
        with self.store.transaction() as tx:
            return self._require_group(tx, subscription, name)

    def patch_group(self, subscription: str, name: str, body: Any) -> Doc:
        subscription = self.tenancy.canonical_subscription(subscription)
        request = parse(GroupPatch, body)
        with self._writing() as tx:
            doc = dict(self._require_group(tx, subscription, name))
            if request.tags is not None:
                doc["tags"] = request.tags
            if request.managedBy is not None:
                doc["managedBy"] = request.managedBy
            tx.put(Record(doc["id"].lower(), GROUP_TYPE, subscription, doc["name"], "", doc))
            return doc

    def list_groups(self, subscription: str) -> list[Doc]:
        subscription = self.tenancy.canonical_subscription(subscription)
        with self.store.transaction() as tx:
            return [r.body for r in tx.query(type=GROUP_TYPE, subscription=subscription)]

    def delete_group(self, subscription: str, name: str, principal: Principal) -> None:
        """Delete the group and everything in it: dependents before what they use, children before
        parents (S26). All or nothing."""
        subscription = self.tenancy.canonical_subscription(subscription)
        with self._writing() as tx:
            group = self._require_group(tx, subscription, name)
            ctx = self._context(tx, principal)
            tops = [
                r
                for r in tx.query(subscription=subscription, resource_group=name)
                if r.parent == "" and r.type != GROUP_TYPE.lower()
            ]
            tops.sort(key=lambda r: self.catalog.delete_ranks.get(r.type, 50))
            for record in tops:
                if tx.get(record.key) is not None:
                    self._cascade_delete(replace(ctx, cascading=True), record)
            tx.delete(group["id"].lower())
            role_assignments.remove_under(tx, group["id"])

    # Resources ---------------------------------------------------------------------------------------

    def _scope(self, tx: Transaction, rtype: ResourceType, ref: ResourceRef) -> ResourceRef:
        """Check subscription, group and parent; return the ref with the canonical subscription."""
        subscription = self.tenancy.canonical_subscription(ref.subscription)
        self.tenancy.require_registered(tx, subscription, rtype.namespace)
        group = self._require_group(tx, subscription, ref.resource_group)
        ref = self._stored_casing(tx, ResourceRef(subscription, group["name"], rtype.namespace, ref.segments))
        parent = ref.parent
        if parent is not None and tx.get(parent.key) is None:
            raise NotFound(
                "ParentResourceNotFound",
                f"Failed to perform 'read' on resource(s) of type '{'/'.join(ref.type.split('/')[1:])}', "
                f"because the parent resource '{parent.id}' could not be found.",
            )
        return ref

    def scope_id(
        self,
        tx: Transaction,
        subscription: str,
        resource_group: str | None,
        rtype: ResourceType | None,
        ref: ResourceRef | None,
    ) -> str:
        """The stored id of an extension resource's scope (a subscription, a group or a resource), or the 404 a
        GET of that scope answers (ARM looks the scope up before the extension's provider sees the request)."""
        subscription = self.tenancy.canonical_subscription(subscription)
        if rtype is not None and ref is not None:
            _ctx, _ref, doc = self._existing(tx, rtype, ref, READER)
            return str(doc["id"])
        if resource_group is not None:
            return str(self._require_group(tx, subscription, resource_group)["id"])
        return f"/subscriptions/{subscription}"

    def _stored_casing(self, tx: Transaction, ref: ResourceRef) -> ResourceRef:
        """Names are case-insensitive identities: a stored resource keeps the casing it was created with."""
        segments: list[tuple[str, str]] = []
        for type_name, name in ref.segments:
            prefix = ResourceRef(ref.subscription, ref.resource_group, ref.namespace, (*segments, (type_name, name)))
            record = tx.get(prefix.key)
            segments.append((type_name, record.body["name"] if record else name))
        return ResourceRef(ref.subscription, ref.resource_group, ref.namespace, tuple(segments))

    def _existing(
        self, tx: Transaction, rtype: ResourceType, ref: ResourceRef, principal: Principal
    ) -> tuple[Context, ResourceRef, Doc]:
        """The scope-checked ref and the stored document, or the type's not-found error."""
        ref = self._scope(tx, rtype, ref)
        ctx = self._context(tx, principal)
        doc = ctx.load(ref)
        if doc is None:
            raise self._not_found(rtype, ref)
        return ctx, ref, doc

    def _not_found(self, rtype: ResourceType, ref: ResourceRef) -> AcrlinkError:
        if rtype.not_found is not None:
            return rtype.not_found(ref)
        path = "/".join([ref.namespace, *(f"{t}/{n}" for t, n in ref.segments)])
        return NotFound(
            "ResourceNotFound",
            f"The Resource '{path}' under resource group '{ref.resource_group}' was not found. For more "
            "details please go to https://aka.ms/ARMResourceNotFoundFix",
        )

    def put(
        self,
        rtype: ResourceType,
        ref: ResourceRef,
        body: Any,
        principal: Principal,
        if_none_match: str | None = None,
        if_match: str | None = None,
    ) -> tuple[Doc, bool]:
        rtype.check_name(ref.name)
        with self._writing() as tx:
            ref = self._scope(tx, rtype, ref)
            ctx = self._context(tx, principal)
            existing = ctx.load(ref)
            check_preconditions(ref, existing, if_match, if_none_match, rtype.label)
            doc = passthrough.keep_on_put(rtype.create(ctx, ref, existing, body), body, rtype.consumed_properties)
            if existing is not None and unconfirmed.NO_OP_PUT_KEEPS_ETAG and same_content(existing, doc):
                doc = existing
            ctx.save(ref, doc)
            if rtype.after_write is not None:
                rtype.after_write(ctx, ref, doc, existing is None)
                doc = ctx.load(ref) or doc
            return passthrough.public(rtype.render(ctx, ref, doc)), existing is None

    def patch(
        self, rtype: ResourceType, ref: ResourceRef, body: Any, principal: Principal, if_match: str | None = None
    ) -> Doc:
        if rtype.update is None:
            raise MethodNotAllowed("MethodNotAllowed", "The requested resource does not support http method 'PATCH'.")
        with self._writing() as tx:
            ctx, ref, existing = self._existing(tx, rtype, ref, principal)
            check_preconditions(ref, existing, if_match, None)
            doc = passthrough.keep_on_patch(
                rtype.update(ctx, ref, existing, body), existing, body, rtype.consumed_properties
            )
            ctx.save(ref, doc)
            if rtype.after_write is not None:
                rtype.after_write(ctx, ref, doc, False)
                doc = ctx.load(ref) or doc
            return passthrough.public(rtype.render(ctx, ref, doc))

    def get(self, rtype: ResourceType, ref: ResourceRef) -> Doc:
        with self.store.transaction() as tx:
            if rtype.lingering is not None and tx.get(ref.key) is None:
                gone = rtype.lingering(self._context(tx, READER), ref)
                if gone is not None:
                    return passthrough.public(gone)
            ctx, ref, doc = self._existing(tx, rtype, ref, READER)
            return passthrough.public(rtype.render(ctx, ref, doc))

    def delete(self, rtype: ResourceType, ref: ResourceRef, principal: Principal, if_match: str | None = None) -> bool:
        """Delete a resource and its children; False when there was nothing to delete."""
        with self._writing() as tx:
            ref = self._scope(tx, rtype, ref)
            record = tx.get(ref.key)
            check_preconditions(ref, record.body if record else None, if_match, None)
            if record is None:
                return False
            self._cascade_delete(self._context(tx, principal), record)
            return True

    def _cascade_delete(self, ctx: Context, record: Record) -> None:
        """The type's guard, the children (by rank, newest first), the type's delete rule, the resource."""
        ref = parse_resource_id(record.body["id"])
        rtype = self.catalog.find(ref.namespace, ref.type.split("/")[1:]) if ref else None
        if ref is not None and rtype is not None:
            rtype.guard_delete(ctx, ref, record.body)
        children = list(reversed(ctx.tx.query(parent=record.key)))
        children.sort(key=lambda r: self.catalog.delete_ranks.get(r.type, 50))
        for child in children:
            if ctx.tx.get(child.key) is not None:
                self._cascade_delete(replace(ctx, cascading=True), child)
        if ref is not None and rtype is not None:
            rtype.on_delete(ctx, ref, record.body)
        ctx.tx.delete(record.key)
        role_assignments.remove_under(ctx.tx, record.body["id"])
        if ref is not None and rtype is not None:
            rtype.after_delete(ctx, ref, record.body)

    def list(
        self,
        rtype: ResourceType,
        subscription: str,
        resource_group: str | None,
        parent: ResourceRef | None = None,
    ) -> list[Doc]:
        """A collection: children of ``parent``, or top-level resources of a group or subscription."""
        with self.store.transaction() as tx:
            subscription = self.tenancy.canonical_subscription(subscription)
            self.tenancy.require_registered(tx, subscription, rtype.namespace)
            if parent is not None:
                parent = self._scope(tx, self._type_of(parent), parent)
                types = rtype.lists or (rtype.type,)
                records = [r for t in types for r in tx.query(type=t, parent=parent.key)]
            elif resource_group is not None:
                self._require_group(tx, subscription, resource_group)
                records = tx.query(type=rtype.type, subscription=subscription, resource_group=resource_group)
            else:
                records = tx.query(type=rtype.type, subscription=subscription)
            ctx = self._context(tx, READER)
            return [self._render(ctx, r) for r in records]

    def _type_of(self, ref: ResourceRef) -> ResourceType:
        rtype = self.catalog.find(ref.namespace, ref.type.split("/")[1:])
        assert rtype is not None
        return rtype

    def _render(self, ctx: Context, record: Record) -> Doc:
        ref = parse_resource_id(record.body["id"])
        assert ref is not None
        return passthrough.public(self._type_of(ref).render(ctx, ref, record.body))

    def action(
        self,
        rtype: ResourceType,
        ref: ResourceRef,
        name: str,
        body: Any,
        rest: tuple[str, ...],
        principal: Principal,
    ) -> tuple[int, Any]:
        action = rtype.actions[name.lower()]
        with self._writing() as tx:
            ctx, ref, doc = self._existing(tx, rtype, ref, principal)
            return action.handler(ctx, ref, doc, body, rest)

    def namespace_action(
        self, subscription: str, namespace: str, name: str, body: Any, principal: Principal
    ) -> tuple[int, Any]:
        handler = self.catalog.namespace_actions[(namespace.lower(), name.lower())]
        subscription = self.tenancy.canonical_subscription(subscription)
        with self.store.transaction() as tx:
            self.tenancy.require_registered(tx, subscription, namespace)
            return handler(self._context(tx, principal), subscription, body)

    def generic_list(self, subscription: str, resource_group: str | None, filters: dict[str, str]) -> list[Doc]:
        """``GET /subscriptions/{s}/resources``: tracked resources (those with a location), filtered; a
        ``resourceGroup`` filter lists that group (nothing when the path names another group)."""
        subscription = self.tenancy.canonical_subscription(subscription)
        filters = dict(filters)
        group = filters.pop(GROUP_FILTER, None)
        if group is not None:
            if resource_group is not None and resource_group.lower() != group.lower():
                return []
            resource_group = group
        with self.store.transaction() as tx:
            if resource_group is not None:
                self._require_group(tx, subscription, resource_group)
            records = tx.query(subscription=subscription, resource_group=resource_group)
        items = []
        for record in records:
            body = record.body
            if record.type in _NOT_LISTED or "location" not in body:
                continue
            if any(str(body.get(k, "")).lower() != v.lower() for k, v in filters.items()):
                continue
            item = {
                k: body[k]
                for k in ("id", "name", "type", "location", "sku", "kind", "identity", "tags", "managedBy")
                if k in body
            }
            items.append(item)
        return items

    def stored_location(self, ref: ResourceRef) -> str | None:
        """The location of a resource's top-level ancestor, if it is stored (what ARM names in routing errors)."""
        top = ResourceRef(ref.subscription, ref.resource_group, ref.namespace, ref.segments[:1])
        with self.store.transaction() as tx:
            record = tx.get(top.key)
        location = record.body.get("location") if record else None
        return location if isinstance(location, str) else None

    # Long-running operation records ------------------------------------------------------------------

    def record_operation(self, operation_id: str, status: dict[str, Any]) -> None:
        with self.store.transaction() as tx:
            tx.kv_put(f"operation:{operation_id}", status)

    def operation(self, operation_id: str) -> dict[str, Any] | None:
        with self.store.transaction() as tx:
            found: dict[str, Any] | None = tx.kv_get(f"operation:{operation_id}")
            return found


def check_preconditions(
    ref: ResourceRef, existing: Doc | None, if_match: str | None, if_none_match: str | None, label: str = ""
) -> None:
    """``If-None-Match: *`` refuses an existing resource; ``If-Match`` needs the current etag (or any
    existing resource for ``*``)."""
    if if_none_match == "*" and existing is not None:
        what = f"{label} {ref.name}" if label else f"resource '{ref.name}'"
        raise PreconditionFailed("PreconditionFailed", f"The {what} exists already and hence cannot be created again.")
    if if_match is None:
        return
    current = (existing or {}).get("etag")
    if existing is None or (if_match != "*" and _bare_etag(if_match) != _bare_etag(str(current))):
        raise PreconditionFailed(
            "PreconditionFailed",
            f"The condition '{if_match}' in the If-Match header does not match the resource '{ref.name}'.",
        )


def _bare_etag(value: str) -> str:
    """``W/"x"``, ``"x"`` and ``x`` name the same etag (clients quote it, Network marks it weak)."""
    return value.strip().removeprefix("W/").strip('"')


_FILTER_CLAUSE = re.compile(r"^\s*(resourceType|name|resourceGroup|location)\s+eq\s+'([^']*)'\s*$", re.I)
_FILTER_KEYS = {"resourcetype": "type", "name": "name", "location": "location", "resourcegroup": "resourceGroup"}
GROUP_FILTER = "resourceGroup"
"""The key ``parse_filter`` gives ``resourceGroup eq 'G'`` (``az resource list -g G`` sends it): it names the
group to list, it is no field of the listed documents."""


def parse_filter(expression: str | None) -> dict[str, str]:
    """``resourceType eq 'X' and name eq 'Y'`` -> {"type": "X", "name": "Y"} (``resourceGroup eq 'G'`` ->
    {GROUP_FILTER: "G"}); anything else is refused."""
    if not expression:
        return {}
    filters: dict[str, str] = {}
    for clause in re.split(r"\s+and\s+", expression, flags=re.I):
        match = _FILTER_CLAUSE.match(clause)
        if not match or match.group(1).lower() not in _FILTER_KEYS:
            raise BadRequest(
                "InvalidFilterInQueryString", f"Invalid $filter '{expression}' specified in the query string."
            )
        filters[_FILTER_KEYS[match.group(1).lower()]] = match.group(2)
    return filters
