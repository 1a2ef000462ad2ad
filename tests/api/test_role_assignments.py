"""Microsoft.Authorization on the ARM face in-process: role assignments (create, get, list with ARM's filters,
delete) at subscription, group and resource scope, the built-in role definitions, the refusals with Azure's codes
(each changing nothing), and the assignments taking effect at once (inheritance downwards, Contributor cannot
assign, User Access Administrator can)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from acrlink.domain import principals
from acrlink.domain.builtin_roles import by_name
from tests.api.conftest import Arm, AsgiClient, error_code

ARM_AUDIENCE = "https://management.core.chinacloudapi.cn/"
RA = "2022-04-01"
RD = "2022-05-01-preview"
AUTH = "/providers/Microsoft.Authorization"
REPO_CONDITION = (
    "((!(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/content/read'})) OR "
    "(@Request[Microsoft.ContainerRegistry/registries/repositories:name] StringStartsWith 'team/'))"
)


def guid(role: str) -> str:
    found = by_name(role)
    assert found is not None, role
    return found.guid


class Caller:
    """A service principal of the home tenant with its own token (no roles unless a test grants them)."""

    def __init__(self, arm: Arm, client_id: str | None = None) -> None:
        self.arm = arm
        self.client_id = client_id or str(uuid.uuid4())
        identity = arm.application.identity
        self.object_id = principals.object_id(identity.tenant_id, self.client_id)
        token, _ = identity.issue(self.client_id, ARM_AUDIENCE)
        self.client = AsgiClient(arm.application.arm.app(), {"Authorization": f"Bearer {token}"})

    def request(self, method: str, path: str, body: Any = None, api: str | None = None) -> httpx.Response:
        url = self.arm.url(path, api or "auto")
        return self.client.request(method, url, json=body)


def owner_id(arm: Arm) -> str:
    """The default principal's object id (Owner of the subscriptions from the start)."""
    world = arm.application.tenancy.world
    return principals.object_id(arm.application.identity.tenant_id, world.default_client_id)


def sub_scope(arm: Arm) -> str:
    return f"/subscriptions/{arm.sub}"


def group_scope(arm: Arm, group: str = "rg") -> str:
    return f"{sub_scope(arm)}/resourceGroups/{group}"


def registry_scope(arm: Arm, name: str = "myreg", group: str = "rg") -> str:
    return f"{group_scope(arm, group)}/providers/Microsoft.ContainerRegistry/registries/{name}"


def make_registry(arm: Arm, name: str = "myreg", group: str = "rg") -> None:
    arm.group(group)
    response = arm.request(
        "PUT", registry_scope(arm, name, group), {"location": "chinanorth2", "sku": {"name": "Premium"}}
    )
    assert response.status_code in (200, 201), response.text


def role_id(arm: Arm, role: str) -> str:
    return f"/subscriptions/{arm.sub}{AUTH}/roleDefinitions/{guid(role)}"


def body(arm: Arm, principal: str, role: str = "AcrPull", **extra: Any) -> dict[str, Any]:
    properties = {"roleDefinitionId": role_id(arm, role), "principalId": principal, "principalType": "ServicePrincipal"}
    properties.update(extra)
    return {"properties": properties}


def assign(
    arm: Arm,
    scope: str,
    principal: str,
    role: str = "AcrPull",
    name: str | None = None,
    caller: Caller | None = None,
    **extra: Any,
) -> httpx.Response:
    path = f"{scope}{AUTH}/roleAssignments/{name or uuid.uuid4()}"
    payload = body(arm, principal, role, **extra)
    if caller is not None:
        return caller.request("PUT", path, payload, api=RA)
    return arm.request("PUT", path, payload, api=RA)


def listed(arm: Arm, scope: str, filter_: str | None = None) -> list[dict[str, Any]]:
    url = f"{scope}{AUTH}/roleAssignments"
    path = arm.url(url, RA) + (f"&$filter={filter_}" if filter_ else "")
    response = arm.client.get(path)
    assert response.status_code == 200, response.text
    return list(response.json()["value"])


def all_assignments(arm: Arm) -> list[dict[str, Any]]:
    return listed(arm, sub_scope(arm))


# CRUD -----------------------------------------------------------------------------------------------------------


def test_create_get_list_delete_at_a_registry(arm: Arm) -> None:
    make_registry(arm)
    scope = registry_scope(arm)
    principal = str(uuid.uuid4())
    name = str(uuid.uuid4())
    created = assign(arm, scope, principal, name=name, description="pull for CI")
    assert created.status_code == 201, created.text
    doc = created.json()
    assert doc["id"] == f"{scope}{AUTH}/roleAssignments/{name}"
    assert doc["name"] == name and doc["type"] == "Microsoft.Authorization/roleAssignments"
    props = doc["properties"]
    assert props["scope"] == scope
    assert props["roleDefinitionId"] == role_id(arm, "AcrPull")
    assert props["principalId"] == principal and props["principalType"] == "ServicePrincipal"
    assert props["description"] == "pull for CI"
    assert props["createdBy"] == owner_id(arm)

    got = arm.request("GET", f"{scope}{AUTH}/roleAssignments/{name}", api=RA)
    assert got.status_code == 200 and got.json() == doc
    assert [a["name"] for a in listed(arm, scope, "atScope()") if a["name"] == name] == [name]

    deleted = arm.request("DELETE", f"{scope}{AUTH}/roleAssignments/{name}", api=RA)
    assert deleted.status_code == 200 and deleted.json()["id"] == doc["id"]
    again = arm.request("DELETE", f"{scope}{AUTH}/roleAssignments/{name}", api=RA)
    assert again.status_code == 204 and again.content == b""
    missing = arm.request("GET", f"{scope}{AUTH}/roleAssignments/{name}", api=RA)
    assert missing.status_code == 404 and error_code(missing) == "RoleAssignmentNotFound"


def test_the_same_put_again_is_200_and_keeps_created_on(arm: Arm) -> None:
    arm.group()
    principal, name = str(uuid.uuid4()), str(uuid.uuid4())
    first = assign(arm, group_scope(arm), principal, name=name)
    second = assign(arm, group_scope(arm), principal, name=name, description="now described")
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["properties"]["createdOn"] == first.json()["properties"]["createdOn"]
    assert second.json()["properties"]["description"] == "now described"


def test_the_role_may_be_named_by_tenant_root_id_and_is_stored_as_the_subscription_sees_it(arm: Arm) -> None:
    arm.group()
    payload = {
        "properties": {
            "roleDefinitionId": f"{AUTH}/roleDefinitions/{guid('Reader')}",
            "principalId": str(uuid.uuid4()),
        }
    }
    response = arm.request("PUT", f"{group_scope(arm)}{AUTH}/roleAssignments/{uuid.uuid4()}", payload, api=RA)
    assert response.status_code == 201, response.text
    assert response.json()["properties"]["roleDefinitionId"] == role_id(arm, "Reader")
    assert response.json()["properties"]["principalType"] == "User"  # the spec's default


def test_get_and_delete_by_id_paths(arm: Arm) -> None:
    """The SDK's get_by_id/delete_by_id put the whole id in the path, as ``--ids`` gives it."""
    arm.group()
    doc = assign(arm, group_scope(arm), str(uuid.uuid4())).json()
    got = arm.client.get(f"{doc['id']}?api-version={RA}&disambiguation_dummy")
    assert got.status_code == 200 and got.json()["id"] == doc["id"]
    assert arm.client.request("DELETE", f"{doc['id']}?api-version={RA}").status_code == 200


# Filters --------------------------------------------------------------------------------------------------------


def test_filters_at_above_and_below(arm: Arm) -> None:
    make_registry(arm)
    arm.group("other")
    someone = str(uuid.uuid4())
    at_group = assign(arm, group_scope(arm), someone, "Reader").json()["id"]
    at_registry = assign(arm, registry_scope(arm), someone, "AcrPull").json()["id"]
    at_other = assign(arm, group_scope(arm, "other"), someone, "Reader").json()["id"]
    owner = owner_id(arm)

    def ids(scope: str, filter_: str | None = None) -> set[str]:
        return {a["id"] for a in listed(arm, scope, filter_)}

    unfiltered = ids(group_scope(arm))
    owners = {a["id"] for a in listed(arm, sub_scope(arm), "atScope()") if a["properties"]["principalId"] == owner}
    assert {at_group, at_registry} <= unfiltered and at_other not in unfiltered  # at and below
    assert owners and owners <= unfiltered  # and above: the subscription's Owner
    at_scope = ids(group_scope(arm), "atScope()")
    assert at_group in at_scope and at_registry not in at_scope  # at and above only
    assert ids(registry_scope(arm), "atScope()") >= {at_group, at_registry}
    mine = ids(sub_scope(arm), f"principalId eq '{someone}'")
    assert mine == {at_group, at_registry, at_other}
    assert ids(sub_scope(arm), f"assignedTo('{someone}')") == mine
    assert ids(group_scope(arm), f"atScope() and assignedTo('{someone}')") == {at_group}
    assert ids(sub_scope(arm), f"principalId eq '{owner}'") == owners
    for_subscription = arm.client.get(f"/subscriptions/{arm.sub}{AUTH}/roleAssignments?api-version={RA}")
    assert {at_group, at_registry, at_other} <= {a["id"] for a in for_subscription.json()["value"]}


def test_unsupported_filter_is_refused(arm: Arm) -> None:
    response = arm.client.get(
        f"/subscriptions/{arm.sub}{AUTH}/roleAssignments?api-version={RA}&$filter=atScope() and principalId eq 'x'"
    )
    assert response.status_code == 400 and error_code(response) == "InvalidFilter"


# Role definitions -----------------------------------------------------------------------------------------------


def test_role_definitions_list_get_and_filter(arm: Arm) -> None:
    listed_all = arm.client.get(f"/subscriptions/{arm.sub}{AUTH}/roleDefinitions?api-version={RD}").json()["value"]
    names = {d["properties"]["roleName"] for d in listed_all}
    assert {"Owner", "Contributor", "Reader", "AcrPull", "AcrPush", "User Access Administrator"} <= names
    pull = arm.client.get(
        f"/subscriptions/{arm.sub}{AUTH}/roleDefinitions?api-version={RD}&$filter=roleName eq 'AcrPull'"
    ).json()["value"]
    assert len(pull) == 1
    doc = pull[0]
    assert doc["id"] == role_id(arm, "AcrPull") and doc["name"] == guid("AcrPull")
    assert doc["type"] == "Microsoft.Authorization/roleDefinitions"
    props = doc["properties"]
    assert props["type"] == "BuiltInRole" and props["assignableScopes"] == ["/"]
    assert props["permissions"] == [
        {
            "actions": ["Microsoft.ContainerRegistry/registries/pull/read"],
            "notActions": [],
            "dataActions": [],
            "notDataActions": [],
        }
    ]
    custom = arm.client.get(
        f"/subscriptions/{arm.sub}{AUTH}/roleDefinitions?api-version={RD}&$filter=type eq 'CustomRole'"
    ).json()["value"]
    assert custom == []
    at_group = arm.client.get(f"/subscriptions/{arm.sub}/resourceGroups/missing{AUTH}/roleDefinitions?api-version={RD}")
    assert at_group.status_code == 404 and error_code(at_group) == "ResourceGroupNotFound"
    one = arm.client.get(f"/subscriptions/{arm.sub}{AUTH}/roleDefinitions/{guid('Owner')}?api-version={RA}")
    assert one.status_code == 200 and one.json()["properties"]["roleName"] == "Owner"
    tenant = arm.client.get(f"{AUTH}/roleDefinitions/{guid('Owner')}?api-version={RA}")
    assert tenant.status_code == 200 and tenant.json()["id"] == f"{AUTH}/roleDefinitions/{guid('Owner')}"
    unknown = arm.client.get(f"/subscriptions/{arm.sub}{AUTH}/roleDefinitions/{uuid.uuid4()}?api-version={RA}")
    assert unknown.status_code == 404 and error_code(unknown) == "RoleDefinitionDoesNotExist"


def test_unknown_api_version_is_refused(arm: Arm) -> None:
    response = arm.client.get(f"/subscriptions/{arm.sub}{AUTH}/roleAssignments?api-version=2099-01-01")
    assert response.status_code == 400 and error_code(response) == "NoRegisteredProviderFound"


# Refusals that change nothing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("unknown role guid", 400, "RoleDefinitionDoesNotExist"),
        ("malformed role id", 400, "InvalidRoleDefinitionId"),
        ("principal not a guid", 400, "InvalidPrincipalId"),
        ("bad principal type", 400, "InvalidRequestContent"),
        ("name not a guid", 400, "InvalidRoleAssignmentId"),
        ("missing group", 404, "ResourceGroupNotFound"),
        ("missing registry", 404, "ResourceNotFound"),
        ("missing subscription", 404, "SubscriptionNotFound"),
        ("malformed condition", 400, "InvalidRoleAssignmentCondition"),
        ("condition on a non-ABAC role", 400, "InvalidRoleAssignmentCondition"),
        ("condition version 1.0", 400, "InvalidRoleAssignmentCondition"),
        ("version without condition", 400, "InvalidRoleAssignmentCondition"),
        ("no properties", 400, "InvalidRequestContent"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(arm: Arm, case: str, status: int, code: str) -> None:
    make_registry(arm)
    before = all_assignments(arm)
    principal = str(uuid.uuid4())
    scope = group_scope(arm)
    name = str(uuid.uuid4())
    payload = body(arm, principal)
    props = payload["properties"]
    if case == "unknown role guid":
        props["roleDefinitionId"] = f"/subscriptions/{arm.sub}{AUTH}/roleDefinitions/{uuid.uuid4()}"
    elif case == "malformed role id":
        props["roleDefinitionId"] = "AcrPull"
    elif case == "principal not a guid":
        props["principalId"] = "not-a-guid"
    elif case == "bad principal type":
        props["principalType"] = "Robot"
    elif case == "name not a guid":
        name = "my-assignment"
    elif case == "missing group":
        scope = group_scope(arm, "nope")
    elif case == "missing registry":
        scope = registry_scope(arm, "nosuchreg")
    elif case == "missing subscription":
        scope = f"/subscriptions/{uuid.uuid4()}"
    elif case == "malformed condition":
        props.update(
            roleDefinitionId=role_id(arm, "Container Registry Repository Reader"),
            condition="@Request[Microsoft.ContainerRegistry/registries/repositories:name] StringStartsWith",
            conditionVersion="2.0",
        )
    elif case == "condition on a non-ABAC role":
        props.update(condition=REPO_CONDITION, conditionVersion="2.0")
    elif case == "condition version 1.0":
        props.update(
            roleDefinitionId=role_id(arm, "Container Registry Repository Reader"),
            condition=REPO_CONDITION,
            conditionVersion="1.0",
        )
    elif case == "version without condition":
        props.update(conditionVersion="2.0")
    elif case == "no properties":
        payload = {"principalId": principal}
    response = arm.request("PUT", f"{scope}{AUTH}/roleAssignments/{name}", payload, api=RA)
    assert (response.status_code, error_code(response)) == (status, code), response.text
    assert all_assignments(arm) == before


def test_a_valid_abac_condition_is_stored(arm: Arm) -> None:
    make_registry(arm)
    response = assign(
        arm,
        registry_scope(arm),
        str(uuid.uuid4()),
        "Container Registry Repository Reader",
        condition=REPO_CONDITION,
        conditionVersion="2.0",
    )
    assert response.status_code == 201, response.text
    assert response.json()["properties"]["condition"] == REPO_CONDITION
    assert response.json()["properties"]["conditionVersion"] == "2.0"


def test_duplicates_and_changed_names_conflict_and_change_nothing(arm: Arm) -> None:
    arm.group()
    arm.group("other")
    principal, name = str(uuid.uuid4()), str(uuid.uuid4())
    assert assign(arm, group_scope(arm), principal, name=name).status_code == 201
    before = all_assignments(arm)
    duplicate = assign(arm, group_scope(arm), principal)
    assert duplicate.status_code == 409 and duplicate.json()["error"] == {
        "code": "RoleAssignmentExists",
        "message": "The role assignment already exists.",
    }
    for changed in (
        assign(arm, group_scope(arm), str(uuid.uuid4()), name=name),
        assign(arm, group_scope(arm), principal, "AcrPush", name=name),
        assign(arm, group_scope(arm, "other"), principal, name=name),
    ):
        assert changed.status_code == 409 and error_code(changed) == "RoleAssignmentUpdateNotPermitted", changed.text
    assert all_assignments(arm) == before


# Enforcement ----------------------------------------------------------------------------------------------------


def test_a_group_assignment_lets_its_principal_read_registries_in_the_group_only(arm: Arm) -> None:
    make_registry(arm, "inreg", "rg")
    make_registry(arm, "outreg", "other")
    reader = Caller(arm)
    assert reader.request("GET", registry_scope(arm, "inreg", "rg")).status_code == 403
    assert assign(arm, group_scope(arm, "rg"), reader.object_id, "Reader").status_code == 201
    assert reader.request("GET", registry_scope(arm, "inreg", "rg")).status_code == 200
    refused = reader.request("GET", registry_scope(arm, "outreg", "other"))
    assert refused.status_code == 403 and error_code(refused) == "AuthorizationFailed"
    write = reader.request(
        "PUT", registry_scope(arm, "new1reg", "rg"), {"location": "chinanorth2", "sku": {"name": "Basic"}}
    )
    assert write.status_code == 403 and error_code(write) == "AuthorizationFailed"


def test_contributor_cannot_assign_and_user_access_administrator_can(arm: Arm) -> None:
    arm.group()
    contributor, admin = Caller(arm), Caller(arm)
    assert assign(arm, group_scope(arm), contributor.object_id, "Contributor").status_code == 201
    assert assign(arm, group_scope(arm), admin.object_id, "User Access Administrator").status_code == 201
    before = all_assignments(arm)
    target = str(uuid.uuid4())
    name = str(uuid.uuid4())
    refused = assign(arm, group_scope(arm), target, name=name, caller=contributor)
    assert refused.status_code == 403 and error_code(refused) == "AuthorizationFailed"
    message = refused.json()["error"]["message"]
    assert contributor.client_id in message and contributor.object_id in message
    assert "'Microsoft.Authorization/roleAssignments/write'" in message
    assert f"'{group_scope(arm)}{AUTH}/roleAssignments/{name}'" in message
    assert all_assignments(arm) == before
    # Contributor reads assignments (*/read) but cannot delete one.
    assert contributor.request("GET", f"{group_scope(arm)}{AUTH}/roleAssignments", api=RA).status_code == 200
    own = [a for a in before if a["properties"]["principalId"] == admin.object_id][0]
    assert contributor.client.request("DELETE", f"{own['id']}?api-version={RA}").status_code == 403
    granted = assign(arm, group_scope(arm), target, caller=admin)
    assert granted.status_code == 201, granted.text
    assert granted.json()["properties"]["createdBy"] == admin.object_id
    assert admin.client.request("DELETE", f"{granted.json()['id']}?api-version={RA}").status_code == 200


def test_deleting_a_group_or_registry_removes_the_assignments_below_it(arm: Arm) -> None:
    make_registry(arm)
    arm.group("other")
    someone = str(uuid.uuid4())
    assign(arm, registry_scope(arm), someone)
    kept = assign(arm, group_scope(arm, "other"), someone).json()["id"]
    assign(arm, group_scope(arm), someone, "Reader")
    assert arm.request("DELETE", registry_scope(arm)).status_code in (200, 202)
    assert {a["properties"]["scope"] for a in listed(arm, sub_scope(arm), f"principalId eq '{someone}'")} == {
        group_scope(arm),
        group_scope(arm, "other"),
    }
    deleted = arm.request("DELETE", group_scope(arm))
    assert deleted.status_code in (200, 202), deleted.text
    assert [a["id"] for a in listed(arm, sub_scope(arm), f"principalId eq '{someone}'")] == [kept]
