"""Azure RBAC's management API (``Microsoft.Authorization``): the one writer of role assignments, and the
built-in role definitions as ARM answers them.

- A **role assignment** is created at an existing scope (a subscription, a group, a resource: ARM answers the
  scope's own 404 otherwise) under a GUID name, for a principal (a GUID object id) and a role definition that
  exists. One principal holds one role once at one scope (``RoleAssignmentExists``); a name, once used, keeps
  its principal, role and scope (``RoleAssignmentUpdateNotPermitted``). A condition is ABAC text (``domain/abac``)
  of version 2.0 that ACR supports. Every refusal happens before anything is written.
- **Lists** follow the filter's documented meaning: none or ``principalId eq`` / ``assignedTo()``: assignments
  at, above and below the scope; ``atScope()``: at and above it.
- **Role definitions** are the built-in roles, the same at every scope; inside a subscription their ids are the
  subscription's (``/subscriptions/S/providers/Microsoft.Authorization/roleDefinitions/G``), at the tenant root
  they are ``/providers/...``.

Each write commits, then bumps the change feed, so ``Authorization`` decides with the new assignment at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from acrlink import unconfirmed
from acrlink.clock import iso
from acrlink.clock import now as clock_now
from acrlink.domain import abac, rbac
from acrlink.domain.builtin_roles import BY_GUID
from acrlink.domain.principals import Principal
from acrlink.errors import BadRequest, Conflict, NotFound
from acrlink.ids import ResourceRef
from acrlink.resources.base import ResourceType
from acrlink.resources.validation import Body, one_of, parse
from acrlink.services import role_assignments
from acrlink.services.arm import ResourceService
from acrlink.store.base import WORLD, Transaction

DEFINITION_TYPE = "Microsoft.Authorization/roleDefinitions"
PRINCIPAL_TYPES = ("User", "Group", "ServicePrincipal", "ForeignGroup", "Device")
DEFAULT_PRINCIPAL_TYPE = "User"
"""What the 2022-04-01 spec says a principal type left out is."""

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_ROLE_ID = re.compile(
    r"^(?:/subscriptions/(?P<sub>[^/]+))?/providers/Microsoft\.Authorization/roleDefinitions/(?P<guid>[^/]+)/?$",
    re.IGNORECASE,
)


def is_guid(value: str) -> bool:
    return _GUID.match(value) is not None


class AssignmentProperties(Body):
    roleDefinitionId: str  # noqa: N815
    principalId: str  # noqa: N815
    principalType: Annotated[str, one_of(*PRINCIPAL_TYPES)] | None = None  # noqa: N815
    description: str | None = None
    condition: str | None = None
    conditionVersion: str | None = None  # noqa: N815
    delegatedManagedIdentityResourceId: str | None = None  # noqa: N815


class AssignmentBody(Body):
    properties: AssignmentProperties


@dataclass(frozen=True)
class AssignmentFilter:
    """What a ``$filter`` on role assignments asks: only at and above the scope (``at_scope``), and only one
    principal's (``principal``)."""

    at_scope: bool = False
    principal: str | None = None

    def admits(self, scope: str, assignment_scope: str, principal_id: str) -> bool:
        wanted, held = rbac.normalise_scope(scope), rbac.normalise_scope(assignment_scope)
        in_line = rbac.within(wanted, held) or (not self.at_scope and rbac.within(held, wanted))
        return in_line and (self.principal is None or principal_id.lower() == self.principal.lower())


@dataclass(frozen=True)
class DefinitionFilter:
    """What a ``$filter`` on role definitions asks: roles of exactly these names and of these types (any casing);
    every role here is assignable at every scope, so ``atScopeAndBelow()`` asks nothing."""

    names: tuple[str, ...] = ()
    types: tuple[str, ...] = ()

    def admits(self, role: rbac.RoleDefinition) -> bool:
        """Whether the role has every name and every type asked (an empty filter admits every role)."""
        return all(role.name == name for name in self.names) and all(
            role.role_type.lower() == kind.lower() for kind in self.types
        )


def definition_id(scope: str, guid: str) -> str:
    """A role definition's id seen from ``scope``: the subscription's inside one, the tenant root's at ``/``."""
    parts = [p for p in scope.split("/") if p]
    prefix = f"/subscriptions/{parts[1]}" if len(parts) >= 2 and parts[0].lower() == "subscriptions" else ""
    return f"{prefix}{rbac.ROLE_DEFINITION_PATH}{guid}"


def definition_doc(role: rbac.RoleDefinition, scope: str) -> dict[str, Any]:
    """A role definition as ARM answers it (2022-04-01)."""
    return {
        "id": definition_id(scope, role.guid),
        "name": role.guid,
        "type": DEFINITION_TYPE,
        "properties": {
            "roleName": role.name,
            "type": role.role_type,
            "description": role.description,
            "assignableScopes": ["/"],
            "permissions": [
                {
                    "actions": list(p.actions),
                    "notActions": list(p.not_actions),
                    "dataActions": list(p.data_actions),
                    "notDataActions": list(p.not_data_actions),
                }
                for p in role.permissions
            ],
            "createdOn": unconfirmed.BUILTIN_ROLE_CREATED_ON,
            "updatedOn": unconfirmed.BUILTIN_ROLE_CREATED_ON,
            "createdBy": None,
            "updatedBy": None,
        },
    }


def role_definition_missing(guid: str, status_404: bool = True) -> BadRequest | NotFound:
    message = f"The specified role definition with ID '{guid}' does not exist."
    if status_404 or unconfirmed.ROLE_DEFINITION_MISSING_ON_PUT_STATUS == 404:
        return NotFound("RoleDefinitionDoesNotExist", message)
    return BadRequest("RoleDefinitionDoesNotExist", message)


def _invalid_condition() -> BadRequest:
    return BadRequest(unconfirmed.INVALID_CONDITION_CODE, unconfirmed.INVALID_CONDITION_MESSAGE)


@dataclass(frozen=True)
class Scope:
    """Where an extension resource hangs, as the ARM face parsed it: a subscription, or the group or resource
    ``ref`` names (of type ``rtype``)."""

    subscription: str
    rtype: ResourceType | None = None
    ref: ResourceRef | None = None


class AccessAdmin:
    def __init__(
        self,
        resources: ResourceService,
        roles: Mapping[str, rbac.RoleDefinition] = BY_GUID,
        clock: Callable[[], datetime] = clock_now,
    ) -> None:
        self._resources = resources
        self._store = resources.store
        self.roles = roles
        self._clock = clock

    def _scope_id(self, tx: Transaction, scope: Scope) -> str:
        return self._resources.scope_id(tx, scope.subscription, scope.rtype, scope.ref)

    # Role assignments --------------------------------------------------------------------------------------

    def create(self, scope: Scope, name: str, body: Any, caller: Principal) -> tuple[dict[str, Any], bool]:
        """PUT: a new assignment (True) or the same one again with its description or condition changed."""
        if not is_guid(name):
            raise BadRequest(
                "InvalidRoleAssignmentId",
                f"The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID.",
            )
        props = parse(AssignmentBody, body).properties
        if not is_guid(props.principalId):
            raise BadRequest(
                "InvalidPrincipalId",
                f"The Principal ID '{props.principalId}' is not valid. Principal ID must be a GUID.",
            )
        guid = self._role_guid(props.roleDefinitionId)
        condition, version = self._condition(props.condition, props.conditionVersion, self.roles[guid])
        with self._store.transaction() as tx:
            scope_id = self._scope_id(tx, scope)
            assignment_id = role_assignments.assignment_id(scope_id, name)
            existing = tx.kv_get(role_assignments.key(assignment_id))
            role_id = role_assignments.role_definition_id(scope_id.split("/")[2], guid)
            self._check_unique(tx, assignment_id, name, scope_id, props.principalId, guid)
            now = iso(self._clock())
            doc = role_assignments.document(
                scope_id,
                name,
                role_id,
                props.principalId,
                props.principalType or DEFAULT_PRINCIPAL_TYPE,
                caller.object_id,
                now,
                description=props.description,
                condition=condition,
                condition_version=version,
            )
            if existing is not None:
                doc["properties"]["createdOn"] = existing["properties"]["createdOn"]
                doc["properties"]["createdBy"] = existing["properties"]["createdBy"]
            role_assignments.save(tx, doc)
            tx.changed(WORLD)
        return doc, existing is None

    def _role_guid(self, role_definition_id: str) -> str:
        match = _ROLE_ID.match(role_definition_id.strip())
        if match is None or not is_guid(match.group("guid")):
            raise BadRequest(
                unconfirmed.INVALID_ROLE_DEFINITION_ID_CODE,
                unconfirmed.INVALID_ROLE_DEFINITION_ID_MESSAGE.format(value=role_definition_id),
            )
        guid = match.group("guid").lower()
        if guid not in self.roles:
            raise role_definition_missing(guid, status_404=False)
        return guid

    def _condition(
        self, condition: str | None, version: str | None, role: rbac.RoleDefinition
    ) -> tuple[str | None, str | None]:
        """The condition and its version as stored, or the invalid-condition refusal."""
        if condition is None or not condition.strip():
            if version is not None and version.strip():
                raise _invalid_condition()
            return None, None
        version = version or unconfirmed.DEFAULT_CONDITION_VERSION
        try:
            abac.check_version(version)
            abac.validate_for_acr(abac.parse(condition))
        except abac.ConditionError:
            raise _invalid_condition() from None
        if unconfirmed.CONDITIONS_ONLY_ON_ABAC_ROLES and not role.abac_repository_role:
            raise _invalid_condition()
        return condition, version

    def _check_unique(
        self, tx: Transaction, assignment_id: str, name: str, scope_id: str, principal_id: str, guid: str
    ) -> None:
        """A name keeps its principal, role and scope; a principal holds a role at a scope once."""
        for doc in role_assignments.stored(tx):
            held = role_assignments.as_assignment(doc)
            same_triple = (
                held.principal_id == principal_id.lower()
                and held.role == guid
                and rbac.normalise_scope(held.scope) == rbac.normalise_scope(scope_id)
            )
            if doc["name"].lower() == name.lower():
                if doc["id"].lower() != assignment_id.lower() or not same_triple:
                    raise Conflict(
                        "RoleAssignmentUpdateNotPermitted",
                        "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
                    )
            elif same_triple:
                raise Conflict("RoleAssignmentExists", "The role assignment already exists.")

    def get(self, scope: Scope, name: str) -> dict[str, Any]:
        with self._store.transaction() as tx:
            doc = tx.kv_get(role_assignments.key(role_assignments.assignment_id(self._scope_id(tx, scope), name)))
        if doc is None:
            raise NotFound(
                unconfirmed.ROLE_ASSIGNMENT_NOT_FOUND_CODE,
                unconfirmed.ROLE_ASSIGNMENT_NOT_FOUND_MESSAGE.format(name=name),
            )
        return dict(doc)

    def delete(self, scope: Scope, name: str) -> dict[str, Any] | None:
        """The deleted assignment, or None when there was none (ARM's 204)."""
        with self._store.transaction() as tx:
            assignment_id = role_assignments.assignment_id(self._scope_id(tx, scope), name)
            doc = tx.kv_get(role_assignments.key(assignment_id))
            if doc is not None:
                role_assignments.remove(tx, assignment_id)
                tx.changed(WORLD)
        return None if doc is None else dict(doc)

    def list_at(self, scope: Scope, wanted: AssignmentFilter) -> list[dict[str, Any]]:
        """The assignments the filter admits, relative to the scope."""
        with self._store.transaction() as tx:
            scope_id = self._scope_id(tx, scope)
            docs = list(role_assignments.stored(tx))
        return [
            d for d in docs if wanted.admits(scope_id, d["properties"]["scope"], str(d["properties"]["principalId"]))
        ]

    # Role definitions --------------------------------------------------------------------------------------

    def _definition_scope(self, scope: Scope | None) -> str:
        if scope is None:
            return "/"
        with self._store.transaction() as tx:
            return self._scope_id(tx, scope)

    def definitions(self, scope: Scope | None, wanted: DefinitionFilter) -> list[dict[str, Any]]:
        """The built-in roles the filter admits, seen from ``scope`` (None: the tenant root)."""
        scope_id = self._definition_scope(scope)
        return [definition_doc(role, scope_id) for role in self._roles() if wanted.admits(role)]

    def definition(self, scope: Scope | None, guid: str) -> dict[str, Any]:
        scope_id = self._definition_scope(scope)
        role = self.roles.get(guid.lower())
        if role is None:
            raise role_definition_missing(guid)
        return definition_doc(role, scope_id)

    def _roles(self) -> Iterator[rbac.RoleDefinition]:
        seen: set[str] = set()
        for role in self.roles.values():
            if role.guid not in seen:
                seen.add(role.guid)
                yield role
