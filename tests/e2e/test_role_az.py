"""Azure RBAC with the real az and azure-mgmt-authorization against a running acrlink: a principal without a
role on the group is refused ``az acr create`` with AuthorizationFailed naming it, the action and the scope, and
succeeds once the owner assigns Contributor on the group; ``az role assignment create|list|delete`` and ``az role
definition list`` show and change what ARM holds; the SDK's AuthorizationManagementClient does the same."""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.authorization.models import RoleAssignmentCreateParameters

from acrlink.cli.azure import environment
from acrlink.domain import principals
from acrlink.domain.builtin_roles import by_name
from tests.e2e.conftest import CHINA, Running, credential

pytestmark = pytest.mark.slow

GROUP, OTHER, REGISTRY = "rbac-rg", "rbac-other", "rbacreg1"


def role_guid(name: str) -> str:
    role = by_name(name)
    assert role is not None
    return role.guid


class Shell:
    """az in a config directory of its own, logged in as ``client_id`` (a principal acrlink gave no role)."""

    def __init__(self, net: Running, az: str, home: Path, client_id: str) -> None:
        self.net, self.az, self.client_id = net, az, client_id
        self.object_id = principals.object_id(net.endpoints["tenantId"], client_id)
        home.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            **environment(net.data_dir, net.endpoints),
            "AZURE_CONFIG_DIR": str(home),
            "AZURE_CLIENT_ID": client_id,
        }

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([self.az, *args], env=self.env, capture_output=True, text=True, timeout=300)
        if check and result.returncode != 0:
            raise AssertionError(f"az {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
        return result

    def login(self) -> None:
        self.run(
            "login",
            "--service-principal",
            "-u",
            self.client_id,
            "-p",
            "any-secret",
            "--tenant",
            self.net.endpoints["tenantId"],
            "--allow-no-subscriptions",
            "-o",
            "none",
        )

    def subscriptions(self) -> list[str]:
        return [a["id"] for a in json.loads(self.run("account", "list", "-o", "json").stdout)]


@pytest.fixture(scope="module")
def world(net: Running) -> dict[str, str]:
    net.azs(f"group create -n {GROUP} -l chinanorth2")
    net.azs(f"group create -n {OTHER} -l chinanorth2")
    return {
        "group": net.azs(f"group show -n {GROUP} --query id"),
        "other": net.azs(f"group show -n {OTHER} --query id"),
    }


@pytest.fixture(scope="module")
def second(net: Running, az_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shell]:
    yield Shell(net, az_path, tmp_path_factory.mktemp("second-az"), str(uuid.uuid4()))


def test_no_role_then_contributor_on_the_group(net: Running, world: dict[str, str], second: Shell) -> None:
    second.login()
    assert net.subscription not in second.subscriptions()  # no role anywhere: the subscription is not listed

    # A role on another group makes the subscription visible to az; revoking it leaves no role at all.
    net.azs(
        f"role assignment create --assignee-object-id {second.object_id} --assignee-principal-type "
        f"ServicePrincipal --role Reader --scope {world['other']}"
    )
    second.login()
    assert net.subscription in second.subscriptions()
    net.azs(f"role assignment delete --assignee-object-id {second.object_id} --role Reader --scope {world['other']}")
    assert net.az_json("role", "assignment", "list", "--assignee-object-id", second.object_id, "--all") == []

    refused = second.run(
        "acr", "create", "-n", REGISTRY, "-g", GROUP, "--sku", "Basic", "-l", "chinanorth2", check=False
    )
    assert refused.returncode != 0
    registry_id = f"{world['group']}/providers/Microsoft.ContainerRegistry/registries/{REGISTRY}"
    assert "AuthorizationFailed" in refused.stderr, refused.stderr
    for named in (
        second.client_id,
        second.object_id,
        "'Microsoft.ContainerRegistry/registries/write'",
        f"'{registry_id}'",
    ):
        assert named in refused.stderr, (named, refused.stderr)

    created = net.az_json(
        "role",
        "assignment",
        "create",
        "--assignee-object-id",
        second.object_id,
        "--assignee-principal-type",
        "ServicePrincipal",
        "--role",
        "Contributor",
        "--scope",
        world["group"],
    )
    assert created["scope"] == world["group"] and created["principalId"] == second.object_id
    assert created["roleDefinitionId"].endswith(f"/roleDefinitions/{role_guid('Contributor')}")

    made = json.loads(
        second.run(
            "acr", "create", "-n", REGISTRY, "-g", GROUP, "--sku", "Basic", "-l", "chinanorth2", "-o", "json"
        ).stdout
    )
    assert made["id"] == registry_id

    # Contributor does not grant access: its NotActions exclude Microsoft.Authorization/*/Write.
    denied = second.run(
        "role",
        "assignment",
        "create",
        "--assignee-object-id",
        str(uuid.uuid4()),
        "--assignee-principal-type",
        "ServicePrincipal",
        "--role",
        "AcrPull",
        "--scope",
        registry_id,
        check=False,
    )
    assert denied.returncode != 0 and "AuthorizationFailed" in denied.stderr, denied.stderr
    assert "Microsoft.Authorization/roleAssignments/write" in denied.stderr


def test_assignment_list_create_forms_and_delete(net: Running, world: dict[str, str]) -> None:
    someone = str(uuid.uuid4())
    scope = world["other"]
    by_name_ = net.az_json(
        "role",
        "assignment",
        "create",
        "--assignee-object-id",
        someone,
        "--assignee-principal-type",
        "ServicePrincipal",
        "--role",
        "AcrPull",
        "--scope",
        scope,
        "--description",
        "pull",
    )
    assert by_name_["description"] == "pull"
    by_guid = net.az_json(
        "role",
        "assignment",
        "create",
        "--assignee-object-id",
        someone,
        "--assignee-principal-type",
        "ServicePrincipal",
        "--role",
        role_guid("AcrPush"),
        "--scope",
        scope,
    )
    full_id = f"/subscriptions/{net.subscription}/providers/Microsoft.Authorization/roleDefinitions/" + role_guid(
        "Container Registry Repository Reader"
    )
    condition = (
        "((!(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/content/read'})) OR "
        "(@Request[Microsoft.ContainerRegistry/registries/repositories:name] StringStartsWith 'team/'))"
    )
    by_id = net.az_json(
        "role",
        "assignment",
        "create",
        "--assignee-object-id",
        someone,
        "--assignee-principal-type",
        "ServicePrincipal",
        "--role",
        full_id,
        "--scope",
        scope,
        "--condition",
        condition,
        "--condition-version",
        "2.0",
    )
    assert by_id["condition"] == condition and by_id["conditionVersion"] == "2.0"
    # The same assignment again: ARM answers RoleAssignmentExists and az returns the existing one.
    again = net.az_json(
        "role",
        "assignment",
        "create",
        "--assignee-object-id",
        someone,
        "--assignee-principal-type",
        "ServicePrincipal",
        "--role",
        "AcrPull",
        "--scope",
        scope,
    )
    assert again["id"] == by_name_["id"]

    started = time.monotonic()
    at_scope = net.az_json("role", "assignment", "list", "--scope", scope)
    assert time.monotonic() - started < 60  # the Graph look-up of principal names fails fast, and is swallowed
    names = {a["id"]: a["roleDefinitionName"] for a in at_scope}
    assert names[by_name_["id"]] == "AcrPull" and names[by_guid["id"]] == "AcrPush"
    assert names[by_id["id"]] == "Container Registry Repository Reader"
    mine = net.az_json("role", "assignment", "list", "--assignee-object-id", someone, "--all")
    assert {a["id"] for a in mine} == {by_name_["id"], by_guid["id"], by_id["id"]}
    # (--role with --all fails inside az itself: it resolves the role at no scope.)
    pulls = net.az_json(
        "role", "assignment", "list", "--assignee-object-id", someone, "--scope", scope, "--role", "AcrPull"
    )
    assert [a["id"] for a in pulls] == [by_name_["id"]]
    inherited = net.az_json("role", "assignment", "list", "-g", OTHER, "--include-inherited")
    assert any(
        a["roleDefinitionName"] == "Owner" and a["scope"] == f"/subscriptions/{net.subscription}" for a in inherited
    )
    assert not any(a["roleDefinitionName"] == "Owner" for a in net.az_json("role", "assignment", "list", "-g", OTHER))

    net.azs(f"role assignment delete --ids {by_guid['id']}")
    net.azs(f"role assignment delete --assignee-object-id {someone} --role AcrPull --scope {scope}")
    left = net.az_json("role", "assignment", "list", "--assignee-object-id", someone, "--all")
    assert [a["id"] for a in left] == [by_id["id"]]


def test_role_definition_list(net: Running) -> None:
    pull = net.az_json("role", "definition", "list", "--name", "AcrPull")
    assert [d["roleName"] for d in pull] == ["AcrPull"]
    assert pull[0]["id"] == (
        f"/subscriptions/{net.subscription}/providers/Microsoft.Authorization/roleDefinitions/{role_guid('AcrPull')}"
    )
    assert pull[0]["permissions"][0]["actions"] == ["Microsoft.ContainerRegistry/registries/pull/read"]
    assert net.az_json("role", "definition", "list", "--custom-role-only") == []
    every = {
        d["roleName"]
        for d in net.az_json(
            "role", "definition", "list", "--scope", f"/subscriptions/{net.subscription}/resourceGroups/{GROUP}"
        )
    }
    assert {"Owner", "Contributor", "Reader", "AcrPull", "AcrPush", "AcrDelete", "Network Contributor"} <= every
    shown = net.az_json("role", "definition", "list", "--name", role_guid("Reader"))
    assert [d["roleName"] for d in shown] == ["Reader"]


def test_sdk_authorization_client(net: Running, world: dict[str, str], trust: None) -> None:
    # azure-mgmt-authorization 4 (the newest stable) predates cloud_setting: the China audience is given as the
    # credential scope, which is what cloud_setting=CHINA gives the newer clients.
    client = AuthorizationManagementClient(
        credential(net),
        net.subscription,
        base_url=net.arm,
        cloud_setting=CHINA,
        credential_scopes=["https://management.core.chinacloudapi.cn/.default"],
    )
    reader = next(
        iter(client.role_definitions.list(f"/subscriptions/{net.subscription}", filter="roleName eq 'Reader'"))
    )
    assert reader.role_name == "Reader" and reader.role_type == "BuiltInRole"
    principal, name = str(uuid.uuid4()), str(uuid.uuid4())
    made = client.role_assignments.create(
        world["group"],
        name,
        RoleAssignmentCreateParameters(
            role_definition_id=reader.id, principal_id=principal, principal_type="ServicePrincipal"
        ),
    )
    assert made.name == name and made.scope == world["group"] and made.role_definition_id == reader.id
    assert client.role_assignments.get_by_id(made.id).principal_id == principal
    listed = [
        a.name for a in client.role_assignments.list_for_scope(world["group"], filter=f"principalId eq '{principal}'")
    ]
    assert listed == [name]
    mine: list[Any] = list(client.role_assignments.list_for_subscription(filter=f"principalId eq '{principal}'"))
    assert [a.id for a in mine] == [made.id]
    assert client.role_definitions.get_by_id(reader.id).role_name == "Reader"
    assert client.role_assignments.delete_by_id(made.id).id == made.id
    assert client.role_assignments.delete(world["group"], name) is None  # 204: already gone
