"""The ARM resource service: every catalogued resource type, resource groups included.

Each public method is one store transaction. The resource type's functions decide; this module
checks the scope (subscription, group, provider, parent), runs them and persists the result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from acrlink import unconfirmed
from acrlink.clock import now as clock_now
from acrlink.domain import preconditions
from acrlink.domain.cloud import CloudProfile
from acrlink.domain.preconditions import UNCONDITIONAL, Preconditions
from acrlink.domain.principals import Principal
from acrlink.errors import AcrlinkError, MethodNotAllowed, NotFound
from acrlink.ids import ResourceRef, group_ref, parse_group_id, parse_resource_id
from acrlink.resources import groups, passthrough
from acrlink.resources.base import Context, Doc, Options, ResourceType
from acrlink.resources.catalog import Catalog
from acrlink.services import role_assignments
from acrlink.services.authorization import Authorization
from acrlink.services.imports import ArmContent
from acrlink.services.tenancy import Tenancy
from acrlink.store.base import WORLD, Record, Store, Transaction

_NOT_LISTED = frozenset({groups.TYPE.lower(), "microsoft.resources/deployments"})
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


@dataclass(frozen=True)
class ResourceFilter:
    """What ``GET .../resources?$filter=`` asks (``arm/filters.py`` reads it): documents whose members equal
    ``fields`` (any casing), in the group ``group`` names when it is set."""

    fields: Mapping[str, str] = field(default_factory=dict)
    group: str | None = None


Docs = list[Doc]
"""A list of documents (``ResourceService.list`` shadows the builtin inside the class)."""

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
            content=ArmContent(),
        )

    # Resources ---------------------------------------------------------------------------------------

    def _scope(self, tx: Transaction, rtype: ResourceType, ref: ResourceRef) -> ResourceRef:
        """Check subscription, group and parent; return the ref with the canonical subscription and the stored
        casing of its names. A group's scope is its subscription alone."""
        subscription = self.tenancy.canonical_subscription(ref.subscription)
        self.tenancy.require_registered(tx, subscription, rtype.namespace)
        if ref.is_group:
            stored = groups.find(tx, subscription, ref.resource_group)
            return group_ref(subscription, stored["name"] if stored else ref.resource_group)
        group = groups.require(tx, subscription, ref.resource_group)
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
        rtype: ResourceType | None,
        ref: ResourceRef | None,
    ) -> str:
        """The stored id of an extension resource's scope (a subscription, or the group or resource ``ref`` names),
        or the 404 a GET of that scope answers (ARM looks the scope up before the extension's provider sees the
        request)."""
        subscription = self.tenancy.canonical_subscription(subscription)
        if rtype is not None and ref is not None:
            _ctx, _ref, doc = self._existing(tx, rtype, ref, READER)
            return str(doc["id"])
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
        conditions: Preconditions = UNCONDITIONAL,
    ) -> tuple[Doc, bool]:
        """PUT: create or replace; True when created."""
        rtype.check_name(ref.name)
        with self._writing() as tx:
            ref = self._scope(tx, rtype, ref)
            ctx = self._context(tx, principal)
            existing = ctx.load(ref)
            preconditions.check(conditions, ref.name, existing, rtype.label)
            doc = rtype.create(ctx, ref, existing, body)
            if not rtype.served_by_arm:
                doc = passthrough.keep_on_put(doc, body, rtype.consumed_properties)
            if existing is not None and unconfirmed.NO_OP_PUT_KEEPS_ETAG and same_content(existing, doc):
                doc = existing
            ctx.save(ref, doc)
            if rtype.after_write is not None:
                rtype.after_write(ctx, ref, doc, existing is None)
                doc = ctx.load(ref) or doc
            return passthrough.public(rtype.render(ctx, ref, doc)), existing is None

    def patch(
        self,
        rtype: ResourceType,
        ref: ResourceRef,
        body: Any,
        principal: Principal,
        conditions: Preconditions = UNCONDITIONAL,
    ) -> Doc:
        """PATCH: change an existing resource."""
        if rtype.update is None:
            raise MethodNotAllowed("MethodNotAllowed", "The requested resource does not support http method 'PATCH'.")
        with self._writing() as tx:
            ctx, ref, existing = self._existing(tx, rtype, ref, principal)
            preconditions.check_match(conditions, ref.name, existing)
            doc = rtype.update(ctx, ref, existing, body)
            if not rtype.served_by_arm:
                doc = passthrough.keep_on_patch(doc, existing, body, rtype.consumed_properties)
            ctx.save(ref, doc)
            if rtype.after_write is not None:
                rtype.after_write(ctx, ref, doc, False)
                doc = ctx.load(ref) or doc
            return passthrough.public(rtype.render(ctx, ref, doc))

    def get(self, rtype: ResourceType, ref: ResourceRef) -> Doc:
        """GET: the rendered resource, or the type's not-found error."""
        with self.store.transaction() as tx:
            if rtype.lingering is not None and tx.get(ref.key) is None:
                gone = rtype.lingering(self._context(tx, READER), ref)
                if gone is not None:
                    return passthrough.public(gone)
            ctx, ref, doc = self._existing(tx, rtype, ref, READER)
            return passthrough.public(rtype.render(ctx, ref, doc))

    def delete(
        self, rtype: ResourceType, ref: ResourceRef, principal: Principal, conditions: Preconditions = UNCONDITIONAL
    ) -> bool:
        """Delete a resource and its children (a group: everything in it, S26); False when there was nothing to
        delete (ARM's own types answer their not-found error instead)."""
        with self._writing() as tx:
            ref = self._scope(tx, rtype, ref)
            record = tx.get(ref.key)
            preconditions.check_match(conditions, ref.name, record.body if record else None)
            if record is None:
                if rtype.served_by_arm:
                    raise self._not_found(rtype, ref)
                return False
            self._cascade_delete(self._context(tx, principal), record)
            return True

    def _cascade_delete(self, ctx: Context, record: Record) -> None:
        """The type's guard, the children, the type's delete rule, the resource. All or nothing."""
        ref = _ref_of(record)
        rtype = self.catalog.type_of(ref) if ref else None
        if ref is not None and rtype is not None:
            rtype.guard_delete(ctx, ref, record.body)
        for child in self._children(ctx.tx, ref, record):
            if ctx.tx.get(child.key) is not None:
                self._cascade_delete(replace(ctx, cascading=True), child)
        if ref is not None and rtype is not None:
            rtype.on_delete(ctx, ref, record.body)
        ctx.tx.delete(record.key)
        role_assignments.remove_under(ctx.tx, record.body["id"])
        if ref is not None and rtype is not None:
            rtype.after_delete(ctx, ref, record.body)

    def _children(self, tx: Transaction, ref: ResourceRef | None, record: Record) -> list[Record]:
        """What a delete removes first, dependents before what they use (by rank): a group's top-level
        resources, or a resource's children (newest first within a rank)."""
        if ref is not None and ref.is_group:
            found = [
                r
                for r in tx.query(subscription=ref.subscription, resource_group=ref.resource_group)
                if r.parent == "" and r.key != record.key
            ]
        else:
            found = list(reversed(tx.query(parent=record.key)))
        found.sort(key=lambda r: self.catalog.delete_ranks.get(r.type, 50))
        return found

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
                groups.require(tx, subscription, resource_group)
                records = tx.query(type=rtype.type, subscription=subscription, resource_group=resource_group)
            else:
                records = tx.query(type=rtype.type, subscription=subscription)
            ctx = self._context(tx, READER)
            return [self._render(ctx, r) for r in records]

    def _type_of(self, ref: ResourceRef) -> ResourceType:
        rtype = self.catalog.type_of(ref)
        assert rtype is not None
        return rtype

    def _render(self, ctx: Context, record: Record) -> Doc:
        ref = _ref_of(record)
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

    def generic_list(self, subscription: str, resource_group: str | None, wanted: ResourceFilter | None = None) -> Docs:
        """``GET /subscriptions/{s}/resources``: tracked resources (those with a location), filtered; a
        ``resourceGroup`` filter lists that group (nothing when the path names another group)."""
        subscription = self.tenancy.canonical_subscription(subscription)
        wanted = wanted or ResourceFilter()
        filters, group = wanted.fields, wanted.group
        if group is not None:
            if resource_group is not None and resource_group.lower() != group.lower():
                return []
            resource_group = group
        with self.store.transaction() as tx:
            if resource_group is not None:
                groups.require(tx, subscription, resource_group)
            records = tx.query(subscription=subscription, resource_group=resource_group)
        items: Docs = []
        for record in records:
            body = record.body
            if record.type in _NOT_LISTED or "location" not in body:
                continue
            if any(str(body.get(k, "")).lower() != v.lower() for k, v in filters.items()):
                continue
            item: Doc = {
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


def _ref_of(record: Record) -> ResourceRef | None:
    """The ref of a stored resource or group (None for a record of neither shape)."""
    resource_id = str(record.body["id"])
    return parse_resource_id(resource_id) or parse_group_id(resource_id)
