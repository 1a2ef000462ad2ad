"""ARM's linked access checks: a write that references another resource needs a permission on that one too.

Azure Resource Manager authorises a PUT against the resource written and, for some properties that name another
resource, against that other resource ("the linked scope"): a private endpoint's subnet must be joinable
(``subnets/join/action``) and an automatically approved private link connection needs the approval action on
the private link resource (``{type}/privateEndpointConnectionsApproval/action``, S21). A refusal is 403
``LinkedAuthorizationFailed``, naming what the caller may do and what it may not. A linked scope in another
tenant is refused whatever the roles: the caller's token is not valid there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from acrlink.domain.principals import Principal
from acrlink.errors import Forbidden

CODE = "LinkedAuthorizationFailed"
APPROVAL_ACTION = "privateEndpointConnectionsApproval/action"
"""The action, under the linked resource's type, that lets a private link connection be approved on request."""
SUBNET_JOIN_ACTION = "Microsoft.Network/virtualNetworks/subnets/join/action"


@dataclass(frozen=True)
class Linked:
    """One linked access check: ``action`` at ``scope``, in the tenant that holds ``scope``'s subscription
    (``tenant`` empty when no tenant does: the scope is invalid)."""

    action: str
    scope: str
    tenant: str


def approval_action(resource_type: str) -> str:
    """The approval action of a private link resource type (``Microsoft.ContainerRegistry/registries`` ->
    ``Microsoft.ContainerRegistry/registries/privateEndpointConnectionsApproval/action``)."""
    return f"{resource_type}/{APPROVAL_ACTION}"


def check(
    caller: Principal,
    action: str,
    scope: str,
    linked: Linked,
    may: Callable[[str, str], bool],
) -> None:
    """Refuse ``caller``'s ``action`` at ``scope`` unless ``linked`` is allowed too: its tenant must be the
    caller's and the caller's roles (``may``) must allow its action at its scope."""
    if linked.tenant and caller.tenant_id and linked.tenant.lower() != caller.tenant_id.lower():
        raise Forbidden(
            CODE,
            f"The client has permission to perform action '{action}' on scope '{scope}', however the current "
            f"tenant '{caller.tenant_id}' is not authorized to access linked subscription "
            f"'{_subscription(linked.scope)}'.",
        )
    if may(linked.action, linked.scope):
        return
    raise Forbidden(
        CODE,
        f"The client '{caller.app_id}' with object id '{caller.object_id}' has permission to perform action "
        f"'{action}' on scope '{scope}'; however, it does not have permission to perform action "
        f"'{linked.action}' on the linked scope(s) '{linked.scope}' or the linked scope(s) are invalid.",
    )


def _subscription(scope: str) -> str:
    parts = scope.split("/")
    return parts[2] if len(parts) > 2 and parts[1].lower() == "subscriptions" else scope
