"""Authorisation decisions for every face: may this principal perform this action at this scope?

The assignments are read from the store once per version of the change signal and indexed by principal; a
decision is cached per (principal, action, scope) for that version, so a request that repeats a question
costs a dictionary look-up, and any committed write (a new role assignment among them) invalidates it all.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from acrlink.domain import rbac
from acrlink.domain.builtin_roles import BY_GUID
from acrlink.domain.principals import Principal
from acrlink.errors import Forbidden
from acrlink.services import role_assignments
from acrlink.services.changes import ChangeSignal
from acrlink.store.base import WORLD, Store


class Authorization:
    def __init__(self, store: Store, changes: ChangeSignal, roles: Mapping[str, rbac.RoleDefinition] = BY_GUID) -> None:
        self._store = store
        self._changes = changes
        self.roles = roles
        self._lock = threading.Lock()
        self._version = -1
        self._by_principal: dict[str, tuple[rbac.Assignment, ...]] = {}
        self._decisions: dict[tuple[str, str, str, bool], bool] = {}

    def _fresh(self) -> None:
        version = self._changes.version(WORLD)
        if version == self._version:
            return
        with self._lock:
            if version == self._version:
                return
            index: dict[str, list[rbac.Assignment]] = {}
            with self._store.transaction() as tx:
                for doc in role_assignments.stored(tx):
                    assignment = role_assignments.as_assignment(doc)
                    index.setdefault(assignment.principal_id, []).append(assignment)
            self._by_principal = {k: tuple(v) for k, v in index.items()}
            self._decisions = {}
            self._version = version

    @property
    def version(self) -> int:
        """The change signal's ``WORLD`` version the cached assignments and decisions belong to (caches built on
        them key by it)."""
        self._fresh()
        return self._version

    def assignments_of(self, object_id: str) -> tuple[rbac.Assignment, ...]:
        self._fresh()
        return self._by_principal.get(object_id.lower(), ())

    def allows(self, object_id: str, action: str, scope: str, data: bool = False) -> bool:
        """Whether the principal's roles allow ``action`` at ``scope`` (a data action's conditions aside)."""
        self._fresh()
        cache_key = (object_id.lower(), action.lower(), scope.lower(), data)
        decision = self._decisions.get(cache_key)
        if decision is None:
            decision = rbac.decide(self.assignments_of(object_id), self.roles, action, scope, data).allowed
            self._decisions[cache_key] = decision
        return decision

    def sees(self, object_id: str, scope: str) -> bool:
        """Whether the principal has any role at, above or below ``scope``."""
        return rbac.reaches_into(self.assignments_of(object_id), scope)

    def require(self, principal: Principal, action: str, scope: str) -> None:
        """Refuse with ARM's 403 ``AuthorizationFailed`` unless the principal may perform ``action`` at ``scope``."""
        if not self.allows(principal.object_id, action, scope):
            raise authorization_failed(principal, action, scope)


def authorization_failed(principal: Principal, action: str, scope: str) -> Forbidden:
    """ARM's refusal, naming the client, the action and the scope."""
    return Forbidden(
        "AuthorizationFailed",
        f"The client '{principal.app_id}' with object id '{principal.object_id}' does not have authorization to "
        f"perform action '{action}' over scope '{scope}' or the scope is invalid. If access was recently granted, "
        "please refresh your credentials.",
    )
