"""Placeholder (replaced by the full table)."""

from __future__ import annotations

from acrlink.domain.rbac import Permission, RoleDefinition

OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
BUILTIN_ROLES: tuple[RoleDefinition, ...] = (
    RoleDefinition(OWNER, "Owner", "Grants full access to manage all resources.", (Permission(actions=("*",)),)),
)
BY_GUID = {r.guid: r for r in BUILTIN_ROLES}
