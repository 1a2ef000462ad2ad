"""Linked authorisation for private endpoints (S9, S21): an automatically approved connection needs the
approval action on the registry, a manual one waits Pending for the registry's owner; an endpoint from the
second tenant's subscription is never approved automatically, and works once the owner approves it."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from acrlink.domain import builtin_roles, principals
from acrlink.services import role_assignments
from tests.api.conftest import Arm, AsgiClient, error_code

ARM_AUDIENCE = "https://management.core.chinacloudapi.cn/"
NETOPS = "00000000-0000-0000-0000-00000000e7e7"
"""A client id with Network Contributor on the spoke group and no role on the registry."""
APPROVAL = "Microsoft.ContainerRegistry/registries/privateEndpointConnectionsApproval/action"
CONNECTION_WRITE = "Microsoft.ContainerRegistry/registries/privateEndpointConnections/write"


class Caller:
    """ARM as one principal sees it: a token for ``client_id`` from ``tenant``."""

    def __init__(self, arm: Arm, client_id: str, tenant: str | None = None) -> None:
        self.arm = arm
        self.tenant = tenant or arm.application.tenancy.world.tenant_id
        self.client_id = client_id
        self.object_id = principals.object_id(self.tenant, client_id)
        token, _ = arm.application.identity.issue(client_id, ARM_AUDIENCE, tenant_id=self.tenant)
        self.client = AsgiClient(arm.application.arm.app(), {"Authorization": f"Bearer {token}"})

    def request(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return self.client.request(method, self.arm.url(path), json=body)


def grant(arm: Arm, role: str, scope: str, principal_id: str) -> None:
    """The owner assigns ``role`` at ``scope`` through the ARM face, as ``az role assignment create`` does."""
    definition = builtin_roles.by_name(role)
    assert definition is not None
    subscription = scope.split("/")[2]
    body = {
        "properties": {
            "roleDefinitionId": role_assignments.role_definition_id(subscription, definition.guid),
            "principalId": principal_id,
            "principalType": principals.SERVICE_PRINCIPAL,
        }
    }
    response = arm.request("PUT", f"{scope}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}", body)
    assert response.status_code == 201, response.text


def group_id(sub: str, group: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{group}"


def registry_id(arm: Arm) -> str:
    return f"{group_id(arm.sub, 'hub')}/providers/Microsoft.ContainerRegistry/registries/hubregistry"


def network(sub: str, group: str) -> str:
    return f"{group_id(sub, group)}/providers/Microsoft.Network"


def endpoint_body(arm: Arm, sub: str, group: str, manual: bool) -> dict[str, Any]:
    key = "manualPrivateLinkServiceConnections" if manual else "privateLinkServiceConnections"
    link = {
        "name": "conn",
        "properties": {"privateLinkServiceId": registry_id(arm), "groupIds": ["registry"], "requestMessage": "hi"},
    }
    return {
        "location": "chinanorth2",
        "properties": {"subnet": {"id": f"{network(sub, group)}/virtualNetworks/vnet/subnets/default"}, key: [link]},
    }


def vnet(caller: Caller | Arm, sub: str, group: str) -> None:
    body = {
        "location": "chinanorth2",
        "properties": {
            "addressSpace": {"addressPrefixes": ["10.1.0.0/16"]},
            "subnets": [{"name": "default", "properties": {"addressPrefix": "10.1.0.0/24"}}],
        },
    }
    response = caller.request("PUT", f"{network(sub, group)}/virtualNetworks/vnet", body)
    assert response.status_code in (200, 201), response.text


def connections(arm: Arm) -> list[dict[str, Any]]:
    response = arm.request("GET", f"{registry_id(arm)}/privateEndpointConnections")
    assert response.status_code == 200, response.text
    return list(response.json()["value"])


def approve(caller: Caller | Arm, connection_id: str) -> httpx.Response:
    body = {"properties": {"privateLinkServiceConnectionState": {"status": "Approved", "description": "ok"}}}
    return caller.request("PUT", connection_id, body)


@pytest.fixture
def hub(arm: Arm) -> Arm:
    """A Premium registry in group hub, and a spoke group with a VNet where NETOPS is Network Contributor."""
    arm.group("hub")
    created = arm.request("PUT", registry_id(arm), {"location": "chinanorth2", "sku": {"name": "Premium"}})
    assert created.status_code == 201, created.text
    arm.group("spoke")
    vnet(arm, arm.sub, "spoke")
    tenant = arm.application.tenancy.world.tenant_id
    grant(arm, "Network Contributor", group_id(arm.sub, "spoke"), principals.object_id(tenant, NETOPS))
    return arm


def _nothing_made(arm: Arm, sub: str, group: str) -> None:
    net = network(sub, group)
    assert arm.request("GET", f"{net}/privateEndpoints/pe").status_code == 404
    assert arm.request("GET", f"{net}/networkInterfaces").json()["value"] == []
    subnet = arm.request("GET", f"{net}/virtualNetworks/vnet/subnets/default").json()
    assert subnet["properties"].get("ipConfigurations", []) == []
    assert connections(arm) == []


def test_automatic_request_without_approval_rights_is_refused_and_creates_nothing(hub: Arm) -> None:
    netops = Caller(hub, NETOPS)
    pe = f"{network(hub.sub, 'spoke')}/privateEndpoints/pe"
    response = netops.request("PUT", pe, endpoint_body(hub, hub.sub, "spoke", manual=False))
    assert response.status_code == 403, response.text
    assert response.json()["error"] == {
        "code": "LinkedAuthorizationFailed",
        "message": (
            f"The client '{NETOPS}' with object id '{netops.object_id}' has permission to perform action "
            f"'Microsoft.Network/privateEndpoints/write' on scope '{pe}'; however, it does not have permission to "
            f"perform action '{APPROVAL}' on the linked scope(s) '{registry_id(hub)}' or the linked scope(s) are "
            "invalid."
        ),
    }
    _nothing_made(hub, hub.sub, "spoke")


def test_manual_request_waits_pending_and_only_the_owner_approves(hub: Arm) -> None:
    netops = Caller(hub, NETOPS)
    pe = f"{network(hub.sub, 'spoke')}/privateEndpoints/pe"
    response = netops.request("PUT", pe, endpoint_body(hub, hub.sub, "spoke", manual=True))
    assert response.status_code in (200, 201), response.text
    state = response.json()["properties"]["manualPrivateLinkServiceConnections"][0]["properties"]
    assert state["privateLinkServiceConnectionState"]["status"] == "Pending"
    [connection] = connections(hub)
    assert connection["properties"]["privateLinkServiceConnectionState"]["status"] == "Pending"
    assert connection["properties"]["privateEndpoint"]["id"] == pe

    refused = approve(netops, connection["id"])
    assert refused.status_code == 403
    assert error_code(refused) == "AuthorizationFailed"
    assert f"'{CONNECTION_WRITE}' over scope '{connection['id']}'" in refused.json()["error"]["message"]
    assert connections(hub)[0]["properties"]["privateLinkServiceConnectionState"]["status"] == "Pending"

    approved = approve(hub, connection["id"])
    assert approved.status_code in (200, 201), approved.text
    shown = netops.request("GET", pe).json()["properties"]["manualPrivateLinkServiceConnections"][0]
    assert shown["properties"]["privateLinkServiceConnectionState"]["status"] == "Approved"


def test_automatic_request_is_approved_for_whoever_holds_the_approval_action(hub: Arm) -> None:
    """Contributor on the registry carries the approval action (``*``): the same request is auto-approved."""
    netops = Caller(hub, NETOPS)
    grant(hub, "Contributor", registry_id(hub), netops.object_id)
    pe = f"{network(hub.sub, 'spoke')}/privateEndpoints/pe"
    response = netops.request("PUT", pe, endpoint_body(hub, hub.sub, "spoke", manual=False))
    assert response.status_code in (200, 201), response.text
    [connection] = connections(hub)
    assert connection["properties"]["privateLinkServiceConnectionState"]["status"] == "Approved"


def test_an_endpoint_needs_the_right_to_join_its_subnet(hub: Arm) -> None:
    """Contributor on the endpoint's own group and no role where the VNet is: even a manual request is
    refused, on the subnet's join action, and nothing reaches the registry."""
    netops = Caller(hub, NETOPS)
    hub.group("endpoints")
    pe = f"{network(hub.sub, 'endpoints')}/privateEndpoints/pe"
    grant(hub, "Contributor", group_id(hub.sub, "endpoints"), principals.object_id(netops.tenant, "other-app"))
    other = Caller(hub, "other-app")
    body = endpoint_body(hub, hub.sub, "spoke", manual=True)
    response = other.request("PUT", pe, body)
    assert response.status_code == 403, response.text
    subnet = f"{network(hub.sub, 'spoke')}/virtualNetworks/vnet/subnets/default"
    assert response.json()["error"]["code"] == "LinkedAuthorizationFailed"
    assert (
        "perform action 'Microsoft.Network/virtualNetworks/subnets/join/action' on the linked scope(s) "
        f"'{subnet}'" in response.json()["error"]["message"]
    )
    assert connections(hub) == []


@pytest.fixture
def tenant_b(hub: Arm) -> tuple[Caller, str]:
    """The default client id logged in to the second tenant (Owner of its subscription), with a VNet there."""
    world = hub.application.tenancy.world
    tenant = world.tenants[1]
    caller = Caller(hub, world.default_client_id, tenant.tenant_id)
    sub = tenant.subscriptions[0]
    assert caller.request("PUT", group_id(sub, "spokeb"), {"location": "chinanorth2"}).status_code == 201
    unregistered = caller.request(
        "PUT",
        f"{network(sub, 'spokeb')}/virtualNetworks/vnet",
        {"location": "chinanorth2", "properties": {"addressSpace": {"addressPrefixes": ["10.2.0.0/16"]}}},
    )
    assert unregistered.status_code == 409
    assert error_code(unregistered) == "MissingSubscriptionRegistration"
    assert caller.request("POST", f"/subscriptions/{sub}/providers/Microsoft.Network/register").status_code == 200
    vnet(caller, sub, "spokeb")
    return caller, sub


def test_cross_tenant_endpoint_needs_the_registry_provider_registered(hub: Arm, tenant_b: tuple[Caller, str]) -> None:
    caller, sub = tenant_b
    response = caller.request(
        "PUT", f"{network(sub, 'spokeb')}/privateEndpoints/pe", endpoint_body(hub, sub, "spokeb", manual=True)
    )
    assert response.status_code == 409, response.text
    assert error_code(response) == "MissingSubscriptionRegistration"
    assert connections(hub) == []


def test_cross_tenant_automatic_request_is_refused(hub: Arm, tenant_b: tuple[Caller, str]) -> None:
    caller, sub = tenant_b
    caller.request("POST", f"/subscriptions/{sub}/providers/Microsoft.ContainerRegistry/register")
    pe = f"{network(sub, 'spokeb')}/privateEndpoints/pe"
    response = caller.request("PUT", pe, endpoint_body(hub, sub, "spokeb", manual=False))
    assert response.status_code == 403, response.text
    assert response.json()["error"] == {
        "code": "LinkedAuthorizationFailed",
        "message": (
            f"The client has permission to perform action 'Microsoft.Network/privateEndpoints/write' on scope "
            f"'{pe}', however the current tenant '{caller.tenant}' is not authorized to access linked subscription "
            f"'{hub.sub}'."
        ),
    }
    _nothing_made_b(hub, caller, sub)


def _nothing_made_b(hub: Arm, caller: Caller, sub: str) -> None:
    net = network(sub, "spokeb")
    assert caller.request("GET", f"{net}/privateEndpoints/pe").status_code == 404
    assert caller.request("GET", f"{net}/networkInterfaces").json()["value"] == []
    assert connections(hub) == []


def test_cross_tenant_manual_request_is_pending_until_the_registry_owner_approves(
    hub: Arm, tenant_b: tuple[Caller, str]
) -> None:
    caller, sub = tenant_b
    caller.request("POST", f"/subscriptions/{sub}/providers/Microsoft.ContainerRegistry/register")
    pe = f"{network(sub, 'spokeb')}/privateEndpoints/pe"
    response = caller.request("PUT", pe, endpoint_body(hub, sub, "spokeb", manual=True))
    assert response.status_code in (200, 201), response.text
    [connection] = connections(hub)
    assert connection["properties"]["privateLinkServiceConnectionState"]["status"] == "Pending"
    assert connection["properties"]["privateEndpoint"]["id"] == pe

    # The tenant-B token cannot touch the registry's side: its tenant does not hold the subscription.
    refused = approve(caller, connection["id"])
    assert refused.status_code == 401
    assert error_code(refused) == "InvalidAuthenticationTokenTenant"

    assert approve(hub, connection["id"]).status_code in (200, 201)
    shown = caller.request("GET", pe).json()["properties"]["manualPrivateLinkServiceConnections"][0]
    assert shown["properties"]["privateLinkServiceConnectionState"]["status"] == "Approved"
    addresses = caller.request("GET", pe).json()["properties"]["customDnsConfigs"]
    assert {c["fqdn"] for c in addresses} == {"hubregistry.azurecr.cn", "hubregistry.chinanorth2.data.azurecr.cn"}

    # Deleting the endpoint in tenant B removes the registry's connection in tenant A.
    assert caller.request("DELETE", pe).status_code in (200, 202, 204)
    assert connections(hub) == []
