"""Azure RBAC on every ARM request: a principal gets what its role assignments allow, at their scope and
below, and a token of one tenant cannot address another tenant's subscription."""

from __future__ import annotations

import httpx

from acrlink.domain import builtin_roles, principals
from acrlink.services import role_assignments
from acrlink.store.base import WORLD
from tests.api.conftest import Arm, AsgiClient, error_code

AUDIENCE = "https://management.core.chinacloudapi.cn/"
STRANGER = "11111111-2222-3333-4444-555555555555"


def client_for(arm: Arm, app_id: str, tenant_id: str | None = None) -> AsgiClient:
    token, _ = arm.application.identity.issue(app_id, AUDIENCE, tenant_id=tenant_id)
    return AsgiClient(arm.application.arm.app(), {"Authorization": f"Bearer {token}"})


def grant(arm: Arm, scope: str, app_id: str, role: str, tenant_id: str | None = None) -> None:
    """An assignment written as the ARM API would, then the change signal."""
    world = arm.application.tenancy.world
    oid = principals.object_id(tenant_id or world.tenant_id, app_id)
    subscription = scope.split("/")[2]
    name = role_assignments.bootstrap_name(scope, oid, role)
    doc = role_assignments.document(
        scope, name, role_assignments.role_definition_id(subscription, role), oid, "ServicePrincipal", oid, "now"
    )
    with arm.application.store.transaction() as tx:
        role_assignments.save(tx, doc)
        tx.changed(WORLD)


def registry_body() -> dict[str, object]:
    return {"location": "chinanorth2", "sku": {"name": "Premium"}}


def put_registry(arm: Arm, client: AsgiClient, name: str, group: str = "rg") -> httpx.Response:
    return client.request("PUT", arm.url(arm.registry_path(name, group)), json=registry_body())


def test_a_principal_without_roles_is_refused_naming_client_action_and_scope(arm: Arm) -> None:
    arm.group("rg")
    response = put_registry(arm, client_for(arm, STRANGER), "norole1")
    assert response.status_code == 403
    oid = principals.object_id(arm.application.tenancy.world.tenant_id, STRANGER)
    scope = arm.sub_id(arm.registry_path("norole1"))
    assert response.json()["error"] == {
        "code": "AuthorizationFailed",
        "message": f"The client '{STRANGER}' with object id '{oid}' does not have authorization to perform action "
        f"'Microsoft.ContainerRegistry/registries/write' over scope '{scope}' or the scope is invalid. If access "
        "was recently granted, please refresh your credentials.",
    }
    assert arm.request("GET", arm.registry_path("norole1")).status_code == 404, "nothing was created"


def test_a_role_on_the_group_is_inherited_by_what_is_in_it_and_not_by_other_groups(arm: Arm) -> None:
    arm.group("rg")
    arm.group("other")
    grant(arm, arm.sub_id("/subscriptions/{sub}/resourceGroups/rg"), STRANGER, builtin_roles.OWNER)
    stranger = client_for(arm, STRANGER)
    assert put_registry(arm, stranger, "inherit1").status_code in (200, 201)
    assert put_registry(arm, stranger, "inherit2", "other").status_code == 403


def test_the_subscription_list_shows_only_subscriptions_with_a_role(arm: Arm) -> None:
    arm.group("rg")
    stranger = client_for(arm, STRANGER)
    assert stranger.get("/subscriptions?api-version=2022-12-01").json()["value"] == []
    assert error_code(stranger.get(arm.url("/subscriptions/{sub}", "2022-12-01"))) == "AuthorizationFailed"
    grant(arm, arm.sub_id(arm.registry_path("somewhere")), STRANGER, builtin_roles.OWNER)
    listed = stranger.get("/subscriptions?api-version=2022-12-01").json()["value"]
    assert [s["subscriptionId"] for s in listed] == [arm.sub]


def test_a_list_is_filtered_to_what_the_caller_may_read(arm: Arm) -> None:
    arm.group("rg")
    for name in ("listed1", "listed2"):
        assert arm.request("PUT", arm.registry_path(name), registry_body()).status_code in (200, 201)
    grant(arm, arm.sub_id(arm.registry_path("listed2")), STRANGER, builtin_roles.OWNER)
    stranger = client_for(arm, STRANGER)
    path = "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries"
    names = [r["name"] for r in stranger.get(arm.url(path)).json()["value"]]
    assert names == ["listed2"]
    groups = stranger.get(arm.url("/subscriptions/{sub}/resourcegroups")).json()["value"]
    assert groups == [], "a role on a registry does not make its group readable"


def test_a_token_of_the_second_tenant_cannot_address_the_first_tenants_subscription(arm: Arm) -> None:
    world = arm.application.tenancy.world
    second = world.tenants[1].tenant_id
    other = client_for(arm, world.default_client_id, tenant_id=second)
    response = other.get(arm.url("/subscriptions/{sub}/resourcegroups"))
    assert response.status_code == 401
    assert error_code(response) == "InvalidAuthenticationTokenTenant"
    assert f"'https://arm.test/{world.tenant_id}'" in response.json()["error"]["message"]
    own = world.tenants[1].subscriptions[0]
    assert other.get(f"/subscriptions/{own}/resourcegroups?api-version=2022-09-01").status_code == 200
    listed = other.get("/subscriptions?api-version=2022-12-01").json()["value"]
    assert [(s["subscriptionId"], s["tenantId"]) for s in listed] == [(own, second)]


def test_the_second_tenant_starts_with_its_providers_unregistered(arm: Arm) -> None:
    world = arm.application.tenancy.world
    other = client_for(arm, world.default_client_id, tenant_id=world.tenants[1].tenant_id)
    sub = world.tenants[1].subscriptions[0]
    answer = other.get(f"/subscriptions/{sub}/providers/Microsoft.ContainerRegistry?api-version=2021-04-01")
    assert answer.json()["registrationState"] == "NotRegistered"
