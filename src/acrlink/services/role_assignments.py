"""Where role assignments live and how they are read: one key/value entry per assignment
(``roleAssignment/{lower-case id}``), its value the ARM document.

A role assignment is an extension resource: ``{scope}/providers/Microsoft.Authorization/roleAssignments/{name}``
at any scope (a subscription, a group, a resource). Keeping them out of the resource table keeps them out of
group listings, as in Azure, where they are not resources of the group; deleting a group or a resource removes
the assignments at and below it in the same transaction (``remove_under``), as ARM removes a scope's extension
resources with it (``unconfirmed.ROLE_ASSIGNMENTS_GO_WITH_THEIR_SCOPE``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from acrlink import unconfirmed
from acrlink.domain import rbac
from acrlink.store.base import Transaction

KEY_PREFIX = "roleAssignment/"
TYPE = "Microsoft.Authorization/roleAssignments"
PROVIDER_PATH = "/providers/Microsoft.Authorization/roleAssignments/"


def assignment_id(scope: str, name: str) -> str:
    return f"{scope.rstrip('/')}{PROVIDER_PATH}{name}"


def key(resource_id: str) -> str:
    return KEY_PREFIX + resource_id.lower()


def role_definition_id(subscription: str, guid: str) -> str:
    """How ARM names a built-in role seen from a subscription (what ``roleDefinitionId`` holds)."""
    return f"/subscriptions/{subscription}{rbac.ROLE_DEFINITION_PATH}{guid}"


def document(
    scope: str,
    name: str,
    role_definition: str,
    principal_id: str,
    principal_type: str,
    created_by: str,
    now: str,
    description: str | None = None,
    condition: str | None = None,
    condition_version: str | None = None,
) -> dict[str, Any]:
    """A role assignment as ARM answers it (api-version 2022-04-01)."""
    return {
        "id": assignment_id(scope, name),
        "name": name,
        "type": TYPE,
        "properties": {
            "roleDefinitionId": role_definition,
            "principalId": principal_id,
            "principalType": principal_type,
            "scope": scope,
            "condition": condition,
            "conditionVersion": condition_version,
            "description": description,
            "createdOn": now,
            "updatedOn": now,
            "createdBy": created_by,
            "updatedBy": created_by,
            "delegatedManagedIdentityResourceId": None,
        },
    }


def save(tx: Transaction, doc: dict[str, Any]) -> None:
    tx.kv_put(key(doc["id"]), doc)


def remove(tx: Transaction, resource_id: str) -> bool:
    return tx.kv_delete(key(resource_id))


def remove_under(tx: Transaction, scope: str) -> int:
    """Delete every assignment at or below ``scope`` (a group's or a resource's id); how many went."""
    if not unconfirmed.ROLE_ASSIGNMENTS_GO_WITH_THEIR_SCOPE:
        return 0
    doomed = [k for k, _doc in tx.kv_items(KEY_PREFIX + scope.rstrip("/").lower() + "/")]
    for doomed_key in doomed:
        tx.kv_delete(doomed_key)
    return len(doomed)


def stored(tx: Transaction) -> Iterator[dict[str, Any]]:
    for _key, doc in tx.kv_items(KEY_PREFIX):
        yield doc


def as_assignment(doc: dict[str, Any]) -> rbac.Assignment:
    props = doc["properties"]
    return rbac.Assignment(
        id=doc["id"],
        scope=props["scope"],
        role=rbac.role_guid(props["roleDefinitionId"]),
        principal_id=str(props["principalId"]).lower(),
        principal_type=props.get("principalType") or "ServicePrincipal",
        condition=props.get("condition"),
        condition_version=props.get("conditionVersion"),
    )


def bootstrap_name(scope: str, principal_id: str, role: str) -> str:
    """A stable name for an assignment acrlink makes itself (the default principal's Owner role)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"acrlink-assignment:{scope.lower()}:{principal_id}:{role}"))
