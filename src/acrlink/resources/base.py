"""How a resource type is declared, and the context its rules run in.

A ``ResourceType`` is data plus a few functions: it validates a request body and produces the stored
document, renders derived read-only properties, and applies side effects on delete. The ARM adapter
derives routes from the catalog; the services run these functions inside one store transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from acrlink.domain.cloud import CloudProfile
from acrlink.domain.imports import ImportRequest
from acrlink.domain.principals import Principal
from acrlink.errors import AcrlinkError
from acrlink.ids import ARM_NAMESPACE, ResourceRef, parse_resource_id
from acrlink.store.base import Record, Transaction

Doc = dict[str, Any]


@dataclass(frozen=True)
class Options:
    """Behaviours that differ between Azure's past and present; the user picks."""

    legacy_pe_network_policies: bool = False
    """Refuse private endpoints in subnets whose private endpoint network policies are enabled, as
    Azure did before 2023 (S10). Current Azure allows them."""


def _anything(_action: str, _scope: str) -> bool:
    return True


def _no_tenant(_subscription: str) -> str:
    return ""


class RegistryContent(Protocol):
    """Registry content as resource rules reach it, inside the request's transaction: the content service's
    rules apply (``services/imports.py`` gives it; resource rules never write content themselves)."""

    def import_image(self, tx: Transaction, registry: str, request: ImportRequest, image: str, now: datetime) -> None:
        """``importImage`` into the registry whose content key is ``registry``."""

    def drop_registry(self, tx: Transaction, registry: str) -> None:
        """Everything the registry's repositories hold goes (its resource is being deleted)."""


class _NoContent:
    """For contexts without registry content (none is built so today): any use is a wiring mistake."""

    def import_image(self, tx: Transaction, registry: str, request: ImportRequest, image: str, now: datetime) -> None:
        raise RuntimeError("this context has no registry content service")

    def drop_registry(self, tx: Transaction, registry: str) -> None:
        raise RuntimeError("this context has no registry content service")


@dataclass(frozen=True)
class Context:
    """What a rule may use: the open transaction, the cloud, the caller and the time."""

    tx: Transaction
    cloud: CloudProfile
    principal: str
    now: datetime
    default_subscription: str
    options: Options = field(default_factory=Options)
    cascading: bool = False
    """True while deleting a resource because its parent (or group) is being deleted."""
    caller: Principal | None = None
    """Who asked (None for work acrlink does on its own)."""
    may: Callable[[str, str], bool] = _anything
    """(action, scope) -> whether the caller's roles allow it: for linked authorisation, where a write on one
    resource needs a permission on another (an automatically approved private endpoint)."""
    tenant_of: Callable[[str], str] = _no_tenant
    """A subscription id (any casing) -> the id of the tenant that holds it, "" for one no tenant holds: a
    linked scope in another tenant than the caller's is refused whatever the roles."""
    content: RegistryContent = field(default_factory=_NoContent)
    """Registry content (``importImage``, a deleted registry's content), through the content service."""

    def load(self, ref: ResourceRef) -> Doc | None:
        """The stored document of a resource in this transaction, or None."""
        record = self.tx.get(ref.key)
        return record.body if record else None

    def parent(self, ref: ResourceRef) -> tuple[ResourceRef, Doc]:
        """A child resource's parent and its stored document (the service has checked it exists)."""
        parent = ref.parent
        assert parent is not None, f"{ref.id} has no parent"
        doc = self.load(parent)
        assert doc is not None, "the service checks the parent exists"
        return parent, doc

    def load_id(self, resource_id: str) -> tuple[ResourceRef, Doc] | None:
        """The resource a full id names, or None (malformed id or nothing there)."""
        ref = parse_resource_id(resource_id)
        if ref is None:
            return None
        doc = self.load(ref)
        return (ref, doc) if doc is not None else None

    def save(self, ref: ResourceRef, body: Doc) -> None:
        """Store a resource in this transaction, indexed by its type, scope and parent (a top-level resource has
        none)."""
        parent = ref.parent
        self.tx.put(
            Record(
                key=ref.key,
                type=ref.type,
                subscription=ref.subscription,
                resource_group=ref.resource_group,
                parent=parent.key if parent else "",
                body=body,
            )
        )

    def children(self, ref: ResourceRef, type_name: str) -> list[Doc]:
        """Stored children of one type, in creation order."""
        full_type = f"{ref.type}/{type_name}"
        return [r.body for r in self.tx.query(type=full_type, parent=ref.key)]


Create = Callable[[Context, ResourceRef, Doc | None, Doc], Doc]
"""PUT: (context, ref, existing stored doc or None, request body) -> new stored doc."""
Update = Callable[[Context, ResourceRef, Doc, Doc], Doc]
"""PATCH: (context, ref, existing stored doc, request body) -> new stored doc."""
Render = Callable[[Context, ResourceRef, Doc], Doc]
"""Stored doc -> the ARM response body (derived read-only properties filled in)."""
OnDelete = Callable[[Context, ResourceRef, Doc], None]
AfterWrite = Callable[[Context, ResourceRef, Doc, bool], None]
"""(context, ref, saved doc, created) -> None: side effects on other resources after a PUT/PATCH."""
ActionHandler = Callable[[Context, ResourceRef, Doc, Any, tuple[str, ...]], tuple[int, Any]]
"""(context, ref, stored doc, parsed JSON body or None, path segments after the action name)
-> (status, response body)."""
CollectionActionHandler = Callable[[Context, str, Any], tuple[int, Any]]
"""(context, subscription, body) -> (status, response body), for subscription-level actions."""


def _unchanged(_ctx: Context, _ref: ResourceRef, doc: Doc) -> Doc:
    return doc


def _nothing(_ctx: Context, _ref: ResourceRef, _doc: Doc) -> None:
    return None


@dataclass(frozen=True)
class Action:
    """A POST (or GET) action on a resource (``listCredentials``, ``scheduleRun``): the method it takes, and the
    handler that answers it inside the write transaction."""

    method: str
    handler: ActionHandler


@dataclass(frozen=True)
class ResourceType:
    """One ARM resource type, declared once: its name rule and the functions that build, render and delete its
    documents, plus what ARM routes, lists and answers differently for it. The ARM face derives its routes from
    these; the service runs the functions."""

    type: str
    """Full type, e.g. ``Microsoft.ContainerRegistry/registries/replications``."""
    check_name: Callable[[str], None]
    create: Create
    update: Update | None = None
    render: Render = _unchanged
    guard_delete: OnDelete = _nothing
    """Runs before the children are deleted: refuse here what must be undone first."""
    on_delete: OnDelete = _nothing
    """Runs after the children are deleted, just before the resource itself: side effects."""
    after_delete: OnDelete = _nothing
    """Runs once the resource is gone: side effects that must see the world without it."""
    after_write: AfterWrite | None = None
    """Runs once a PUT or PATCH is saved: side effects on other resources (all in one transaction)."""
    actions: Mapping[str, Action] = field(default_factory=dict)
    listed_in_subscription: bool = False
    """Whether ``/subscriptions/{s}/providers/{ns}/{type}`` lists it across groups."""
    delete_rank: int = 50
    """Among resources of one group, lower ranks are deleted first (dependents before what they use)."""
    location: str = "regional"
    """``regional`` (a region of the cloud, required), ``global`` or ``inherited`` (child resources)."""
    lingering: Callable[[Context, ResourceRef], Doc | None] | None = None
    """For a type Azure deletes asynchronously: the document a GET shows for a while after its DELETE
    (``provisioningState: Deleting``), or None once it is gone."""
    not_found: Callable[[ResourceRef], AcrlinkError] | None = None
    """The error a GET of a missing resource gets; ARM's ``ResourceNotFound`` when None."""
    absent_delete_warning: str = ""
    """An ``x-ms-warning`` header for a DELETE of nothing (``{name}`` is the name asked for)."""
    lists: tuple[str, ...] = ()
    """For a collection-only pseudo type (private DNS ``ALL``): the full types its GET lists."""
    label: str = ""
    """How Azure names the kind in messages ("Zone", "Record set"); empty for the generic wording."""
    create_status: str = "Creating"
    """``provisioningState`` shown while an asynchronous create is under way."""
    shape: Callable[[Doc, str], Doc] | None = None
    """(rendered doc, api-version) -> the doc as that api-version shows it, for types whose answers differ
    between api-versions; None when every version answers alike."""
    list_view: Callable[[list[Doc], Sequence[tuple[str, str]]], list[Doc]] | None = None
    """(listed docs, the ``$filter``'s (property, value) clauses) -> the docs in the order and selection the type
    lists them; with it, ``$top`` ends the list (no ``nextLink``), as the runs list az pages through needs. None:
    the generic list."""
    filter_fields: Mapping[str, str] = field(default_factory=dict)
    """With ``list_view``: the ``$filter`` fields the list accepts (lower case) -> the property each compares."""
    synchronous: bool = False
    """PUT and PATCH answer 200/201 with the resource even when ARM answers asynchronously (runs: az takes 200
    only; ARM creates groups synchronously)."""
    consumed_properties: frozenset[str] = frozenset()
    """Request properties the type turns into something else (a VNet's inline ``subnets`` become child
    resources): never kept as sent (see ``passthrough.py``)."""
    permission_type: str = ""
    """The type Azure RBAC's actions name (``{permission_type}/read``), when it is not ``type`` (a group is
    checked as ``Microsoft.Resources/subscriptions/resourceGroups``)."""

    @property
    def namespace(self) -> str:
        """The provider namespace, as declared (``Microsoft.Network``)."""
        return self.type.split("/", 1)[0]

    @property
    def served_by_arm(self) -> bool:
        """Whether ARM answers for the type itself (``Microsoft.Resources``: resource groups) instead of passing
        the request to a resource provider. Then HEAD checks existence (204/404), a DELETE of nothing is the
        type's not-found error and is polled at the subscription's ``operationresults``, If-Match and
        If-None-Match are not read, and request properties the type does not model are dropped, not kept."""
        return self.namespace.lower() == ARM_NAMESPACE.lower()

    @property
    def actions_type(self) -> str:
        """The type in the names of the RBAC actions on this type (``permission_type``, else ``type``)."""
        return self.permission_type or self.type

    @property
    def path(self) -> tuple[str, ...]:
        """The type segments after the namespace, lower case."""
        return tuple(t.lower() for t in self.type.split("/")[1:])
