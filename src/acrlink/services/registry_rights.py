"""What an Entra ID principal may do on one registry's data plane, computed from its role assignments now.

ACR turns role assignments into the actions of a registry access token when it issues the token, not when the
principal exchanges its Entra token for a refresh token: a role granted after ``az acr login`` counts from the
next access token on. The registry's ``roleAssignmentMode`` picks the rules (``builtin_roles.token_actions``):

- ``LegacyRegistryPermissions``: the old roles' control-plane actions at the registry's scope (or above it:
  its group, its subscription) decide, the same for every repository (AcrPull pulls; Owner does everything);
- ``AbacRepositoryPermissions``: only the Repository roles' data actions count, each assignment's condition
  evaluated for the repository asked about (``@Resource`` and ``@Request`` both carry its name); the catalog
  needs ``registries/catalog/read`` (Container Registry Repository Catalog Lister).

Rights are cached per (principal, registry, mode) for one version of the store's change signal, and within
that per repository, so a token request repeats no decision until something is written.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from acrlink.domain import rbac
from acrlink.domain.abac import ACR_REPOSITORY_NAME
from acrlink.domain.builtin_roles import token_actions
from acrlink.services.authorization import Authorization

REGISTRY_WIDE = "catalog"
"""The one token action that belongs to the registry rather than to a repository (``registry:catalog:*``)."""
MAX_ENTRIES = 4096
"""Principals x registries cached per version; the cache empties when it reaches this many."""


class PrincipalRights:
    """One principal's rights on one registry, for one version of its role assignments."""

    def __init__(
        self,
        assignments: tuple[rbac.Assignment, ...],
        roles: Mapping[str, rbac.RoleDefinition],
        registry_id: str,
        mode: str,
    ) -> None:
        scope = rbac.normalise_scope(registry_id)
        self._assignments = tuple(a for a in assignments if rbac.within(scope, rbac.normalise_scope(a.scope)))
        self._roles = roles
        self._registry_id = registry_id
        self._mode = mode
        self._repositories: dict[str, frozenset[str]] = {}
        self._registry: frozenset[str] | None = None

    def _actions(self, attributes: Mapping[str, str]) -> frozenset[str]:
        if not self._assignments:
            return frozenset()

        def allows(action: str, data: bool) -> bool:
            decision = rbac.allowing(
                self._assignments,
                self._roles,
                action,
                self._registry_id,
                data=data,
                request=attributes,
                resource=attributes,
            )
            return decision.allowed

        return token_actions(allows, self._mode)

    def repository(self, name: str) -> frozenset[str]:
        """The repository token actions (``pull``, ``push``, ``delete``, ``metadata_read``, ``metadata_write``)
        the principal holds on repository ``name``."""
        found = self._repositories.get(name)
        if found is None:
            found = self._actions({ACR_REPOSITORY_NAME: name}) - {REGISTRY_WIDE}
            if len(self._repositories) < MAX_ENTRIES:
                self._repositories[name] = found
        return found

    def granting(self, token_action: str) -> tuple[rbac.Assignment, ...]:
        """The assignments each of which alone, before its condition, gives ``token_action`` on the registry
        (``token_actions`` with the same rules as ``repository``): an unconditional one gives it on every
        repository, one with a condition on those its condition allows. What ``acrlink check`` names."""
        found = []
        for assignment in self._assignments:

            def allows(action: str, data: bool, one: rbac.Assignment = assignment) -> bool:
                return rbac.decide((one,), self._roles, action, self._registry_id, data).allowed

            if token_action in token_actions(allows, self._mode):
                found.append(assignment)
        return tuple(found)

    def role_name(self, assignment: rbac.Assignment) -> str:
        """The name of the assignment's role (its GUID when the role is not known)."""
        role = self._roles.get(assignment.role)
        return role.name if role is not None else assignment.role

    def catalog(self) -> bool:
        """Whether the principal may list the registry's repositories (a right no repository condition narrows)."""
        if self._registry is None:
            self._registry = self._actions({})
        return REGISTRY_WIDE in self._registry


class RegistryRights:
    """``PrincipalRights`` on demand, cached by (object id, registry id, mode) and the change signal's version."""

    def __init__(self, authorization: Authorization) -> None:
        self._authorization = authorization
        self._lock = threading.Lock()
        self._version = -1
        self._cache: dict[tuple[str, str, str], PrincipalRights] = {}

    @property
    def version(self) -> int:
        """The change signal's version the rights belong to (what caches built on them key by)."""
        return self._authorization.version

    def of(self, object_id: str, registry_id: str, mode: str) -> PrincipalRights:
        """The principal's rights on the registry as its role assignments stand now."""
        version = self._authorization.version
        key = (object_id.lower(), registry_id.lower(), mode)
        with self._lock:
            if version != self._version:
                self._cache = {}
                self._version = version
            found = self._cache.get(key)
        if found is None:
            found = PrincipalRights(
                self._authorization.assignments_of(object_id), self._authorization.roles, registry_id, mode
            )
            with self._lock:
                if version == self._version:
                    if len(self._cache) >= MAX_ENTRIES:
                        self._cache = {}
                    self._cache[key] = found
        return found
