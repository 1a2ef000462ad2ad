"""Azure RBAC's decision, as pure functions: does a principal's set of role assignments let it perform an
action at a scope?

- An **action** is ``Namespace/type[/type...]/verb`` (``Microsoft.ContainerRegistry/registries/write``); a
  role's pattern may hold ``*`` wildcards (``*``, ``*/read``, ``Microsoft.Network/*``,
  ``Microsoft.Authorization/*/Write``). Actions compare case-insensitively, as in Azure.
- A **scope** is a resource id prefix: ``/``, ``/subscriptions/S``, ``/subscriptions/S/resourceGroups/G``
  or a resource id. An assignment at a scope applies there and to everything below (inheritance).
- A role **allows** an action when some permission block lists it in ``actions`` (``dataActions`` for a data
  action) and that same block does not list it in ``notActions`` (``notDataActions``). RBAC is additive:
  one allowing assignment is enough; there are no deny assignments here.
- An assignment's ABAC **condition** (``domain/abac.py``) restricts the data actions it grants; a condition
  never widens anything and does not apply to control-plane actions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

ROLE_DEFINITION_PATH = "/providers/Microsoft.Authorization/roleDefinitions/"


@dataclass(frozen=True)
class Permission:
    """One permission block of a role definition."""

    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    data_actions: tuple[str, ...] = ()
    not_data_actions: tuple[str, ...] = ()

    def allows(self, action: str, data: bool) -> bool:
        """Granted when a pattern of ``actions`` (``dataActions`` for a data action) covers the action and no pattern of
        ``notActions`` (``notDataActions``) does."""
        granted, excluded = (self.data_actions, self.not_data_actions) if data else (self.actions, self.not_actions)
        return any(matches(p, action) for p in granted) and not any(matches(p, action) for p in excluded)


@dataclass(frozen=True)
class RoleDefinition:
    """A role: a GUID and a name, and permission blocks; it allows an action when any one block does."""

    guid: str
    """The role's name in ARM: a GUID, the same in every tenant for a built-in role."""
    name: str
    """``roleName``: ``AcrPull``."""
    description: str
    permissions: tuple[Permission, ...]
    role_type: str = "BuiltInRole"
    abac_repository_role: bool = False
    """One of the roles ACR calls ABAC-enabled (the Repository Reader/Writer/Contributor roles): the only ones whose
    assignments may carry a repository condition."""

    def allows(self, action: str, data: bool = False) -> bool:
        """Whether any permission block of the role grants the action (a data action when ``data``)."""
        return any(p.allows(action, data) for p in self.permissions)

    @property
    def data_actions(self) -> tuple[str, ...]:
        """Every data action pattern the role's blocks grant, in order (what an ABAC condition may narrow)."""
        return tuple(a for p in self.permissions for a in p.data_actions)


@dataclass(frozen=True)
class Assignment:
    """A role assignment as the decision needs it."""

    id: str
    scope: str
    role: str
    """The role definition's GUID, lower case."""
    principal_id: str
    principal_type: str = "ServicePrincipal"
    condition: str | None = None
    condition_version: str | None = None


@dataclass(frozen=True)
class Decision:
    """Whether the principal may perform the action at the scope, and which assignments allow it."""

    allowed: bool
    by: tuple[Assignment, ...] = field(default_factory=tuple)
    """The assignments that allow it (empty when refused)."""


@lru_cache(maxsize=4096)
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.IGNORECASE | re.DOTALL)


def matches(pattern: str, action: str) -> bool:
    """Whether an action pattern (``*`` a wildcard over any characters, case-insensitive) covers the whole action."""
    if "*" not in pattern:
        return pattern.lower() == action.lower()
    return _pattern(pattern).fullmatch(action) is not None


def normalise_scope(scope: str) -> str:
    """A scope's comparable form: lower case, no trailing slash (``/`` stays ``/``)."""
    trimmed = scope.strip().rstrip("/").lower()
    return trimmed or "/"


def within(scope: str, assignment_scope: str) -> bool:
    """Whether ``scope`` is at or below ``assignment_scope`` (both normalised): inheritance runs downwards
    along whole path segments, so ``/subscriptions/s/resourceGroups/rg`` does not cover ``.../rg2``."""
    if assignment_scope == "/":
        return True
    return scope == assignment_scope or scope.startswith(assignment_scope + "/")


def role_guid(role_definition_id: str) -> str:
    """The GUID at the end of a role definition id (``/subscriptions/S/providers/.../roleDefinitions/G``)."""
    return role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower()


def decide(
    assignments: Iterable[Assignment],
    roles: Mapping[str, RoleDefinition],
    action: str,
    scope: str,
    data: bool = False,
) -> Decision:
    """Whether any of a principal's assignments allows a control-plane ``action`` at ``scope`` (or, with
    ``data``, a data action, before its conditions: see ``allowing``). An assignment whose role is unknown
    allows nothing."""
    wanted = normalise_scope(scope)
    by = tuple(
        a
        for a in assignments
        if within(wanted, normalise_scope(a.scope))
        and (role := roles.get(a.role)) is not None
        and role.allows(action, data)
    )
    return Decision(bool(by), by)


def allowing(
    assignments: Iterable[Assignment],
    roles: Mapping[str, RoleDefinition],
    action: str,
    scope: str,
    *,
    data: bool = True,
    request: Mapping[str, str] | None = None,
    resource: Mapping[str, str] | None = None,
) -> Decision:
    """``decide`` with each assignment's ABAC condition applied to a data action: an assignment with a condition
    allows the action only when the condition holds for ``request`` / ``resource`` attributes (such as
    ``Microsoft.ContainerRegistry/registries/repositories:name``). A condition that does not parse, or of
    another version than 2.0, allows nothing (fail closed). Control-plane actions ignore conditions."""
    from acrlink.domain import abac  # abac builds on this module's action matching

    decided = decide(assignments, roles, action, scope, data)
    if not data:
        return decided

    def holds(assignment: Assignment) -> bool:
        if assignment.condition is None or not assignment.condition.strip():
            return True
        try:
            abac.check_version(assignment.condition_version)
            condition = abac.parse(assignment.condition)
        except abac.ConditionError:
            return False
        return condition.evaluate(action, request or {}, resource or {})

    by = tuple(a for a in decided.by if holds(a))
    return Decision(bool(by), by)


def reaches_into(assignments: Iterable[Assignment], scope: str) -> bool:
    """Whether any assignment is at, above or below ``scope``: what makes a subscription visible to a caller
    (``GET /subscriptions`` lists those where it has some role, even on one resource)."""
    wanted = normalise_scope(scope)
    return any(within(wanted, s) or within(s, wanted) for s in (normalise_scope(a.scope) for a in assignments))
