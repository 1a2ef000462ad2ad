"""What permission an ARM request needs: the action Azure RBAC checks and the scope it checks it at.

One rule per route kind, in ARM's own action names: ``{type}/read|write|delete`` for a resource (PATCH is a
write), ``{type}/{action}/action`` for a POST action (``/read`` for a GET one), ``{namespace}/register/action``
for provider registration, ``Microsoft.Resources/deployments/...`` for deployments,
``Microsoft.Authorization/roleAssignments/read|write|delete`` and ``.../roleDefinitions/read`` at the scope (a list)
or at the assignment's own id (one assignment), as ARM names it in the refusal. Kinds answered for any
authenticated caller (tenants, operation polls, the operations catalogue) need none; subscription reads and
lists are decided by visibility, not by an action (``Visibility``).
"""

from __future__ import annotations

from dataclasses import dataclass

from acrlink.arm.routes import AUTHORIZATION_KINDS, Route
from acrlink.resources.groups import PERMISSION_TYPE as GROUP_TYPE

DEPLOYMENTS = "Microsoft.Resources/deployments"
AUTHORIZATION = "Microsoft.Authorization"
_AUTHORIZATION_TYPES = {
    "role_assignments": "roleAssignments",
    "role_assignment": "roleAssignments",
    "role_definitions": "roleDefinitions",
    "role_definition": "roleDefinitions",
}
_VERB = {"GET": "read", "HEAD": "read", "PUT": "write", "PATCH": "write", "DELETE": "delete"}
_DEPLOYMENT_ACTIONS = {
    "validate": "validate",
    "whatif": "whatIf",
    "cancel": "cancel",
    "exporttemplate": "exportTemplate",
}

_ACTION_NAMES = {
    "listusages": "listUsages",
    "privatelinkresources": "privateLinkResources",
    "listcredentials": "listCredentials",
    "regeneratecredential": "regenerateCredential",
    "importimage": "importImage",
    "generatecredentials": "generateCredentials",
    "checknameavailability": "checkNameAvailability",
    "listevents": "listEvents",
    "getcallbackconfig": "getCallbackConfig",
    "listbuildsourceuploadurl": "listBuildSourceUploadUrl",
    "schedulerun": "scheduleRun",
    "listlogsasurl": "listLogSasUrl",
    "listqueuestatus": "listQueueStatus",
}
"""Action segments in the casing Azure names them in messages (routes match them in any casing)."""

NO_PERMISSION = frozenset({"tenants", "operation", "group_operation", "namespace_operations"})
"""Kinds any authenticated caller of a hosted tenant may ask (a poll's id is its own secret)."""
VISIBILITY = frozenset({"subscriptions", "subscription", "locations", "providers", "provider"})
"""Kinds answered to a caller with any role in the subscription (or, for the list, filtered by it)."""
FILTERED_LISTS = frozenset({"resources", "collection"})
"""Lists a caller without read at the list's scope still gets, filtered to what it may read."""


@dataclass(frozen=True)
class Needed:
    action: str
    scope: str


def subscription_scope(route: Route) -> str:
    return f"/subscriptions/{route.subscription}"


def group_scope(route: Route) -> str:
    return f"{subscription_scope(route)}/resourceGroups/{route.resource_group}"


def list_scope(route: Route) -> str:
    """The scope a list is read at: the parent resource, else the group, else the subscription."""
    if route.ref is not None:
        return route.ref.id
    return group_scope(route) if route.resource_group else subscription_scope(route)


def needed(route: Route, method: str) -> Needed | None:
    """The permission a request needs, or None for kinds decided otherwise (``NO_PERMISSION``, ``VISIBILITY``)."""
    kind = route.kind
    if kind in NO_PERMISSION or kind in VISIBILITY:
        return None
    verb = _VERB.get(method, "read")
    if kind in AUTHORIZATION_KINDS:
        return _authorization(route, verb)
    if kind == "provider_action":
        return Needed(f"{route.namespace}/{route.name}/action", subscription_scope(route))
    if kind == "resources":
        return Needed(
            f"{GROUP_TYPE}/resources/read"
            if route.resource_group
            else "Microsoft.Resources/subscriptions/resources/read",
            list_scope(route),
        )
    if kind == "collection":
        assert route.rtype is not None
        return Needed(f"{route.rtype.actions_type}/read", list_scope(route))
    if kind == "resource":
        assert route.rtype is not None and route.ref is not None
        return Needed(f"{route.rtype.actions_type}/{verb}", route.ref.id)
    if kind == "action":
        assert route.rtype is not None and route.ref is not None
        suffix = "read" if route.rtype.actions[route.name].method == "GET" else "action"
        return Needed(f"{route.rtype.type}/{_ACTION_NAMES.get(route.name, route.name)}/{suffix}", route.ref.id)
    if kind == "namespace_action":
        return Needed(
            f"{route.namespace}/{_ACTION_NAMES.get(route.name.lower(), route.name)}/action", subscription_scope(route)
        )
    if kind == "acrlink_view":
        if route.name == "garbagecollection":
            return Needed(f"{route.namespace}/garbageCollection/action", subscription_scope(route))
        return Needed(f"{route.namespace}/{route.name}/read", subscription_scope(route))
    return _deployment(route, verb)


def _authorization(route: Route, verb: str) -> Needed | None:
    """A role assignment or definition: the list's scope, or the item's own id. The built-in roles at the tenant
    root are readable by every caller (``unconfirmed.TENANT_ROLE_DEFINITIONS_NEED_NO_ROLE``)."""
    if route.scope == "/":
        return None
    type_name = _AUTHORIZATION_TYPES[route.kind]
    scope = route.scope.rstrip("/")
    if route.name:
        scope = f"{scope}/providers/{AUTHORIZATION}/{type_name}/{route.name}"
    return Needed(f"{AUTHORIZATION}/{type_name}/{verb}", scope)


def _deployment(route: Route, verb: str) -> Needed | None:
    base = group_scope(route) if route.resource_group else subscription_scope(route)
    if route.kind == "deployments":
        return Needed(f"{DEPLOYMENTS}/read", base)
    scope = f"{base}/providers/{DEPLOYMENTS}/{route.name}"
    if route.kind == "deployment":
        return Needed(f"{DEPLOYMENTS}/{verb}", scope)
    if route.kind == "deployment_action":
        return Needed(f"{DEPLOYMENTS}/{_DEPLOYMENT_ACTIONS[route.rest[0]]}/action", scope)
    if route.kind in ("deployment_operations", "deployment_operation"):
        return Needed(f"{DEPLOYMENTS}/operations/read", scope)
    if route.kind == "deployment_status":
        return Needed(f"{DEPLOYMENTS}/operationstatuses/read", scope)
    return None
