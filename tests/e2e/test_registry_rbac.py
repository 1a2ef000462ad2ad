"""Azure RBAC on the registry with real clients: a fresh service principal logs in with az (its own config
dir), ``az acr login --expose-token`` gives it a refresh token, and skopeo/podman with that token pull only
once the registry's owner grants it AcrPull through the ARM face; AcrPull cannot push, AcrPush can. Every
client acts from the internet host (``acrlink exec --from internet``); the registry's network is open, so
the roles are the only reason for a refusal.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from acrlink.domain import builtin_roles
from acrlink.domain.principals import object_id
from tests.e2e.conftest import Running, arm_client, required_tool

pytestmark = [pytest.mark.slow, pytest.mark.az]
REG = "rbacreg"
SERVER = f"{REG}.azurecr.cn"
IMAGE = f"docker://{SERVER}/hello-world:v1"
NULL_USER = "00000000-0000-0000-0000-000000000000"
ASSIGNMENTS_API = "2022-04-01"


def acting(net: Running, *command: str) -> subprocess.CompletedProcess[str]:
    """``acrlink exec --from internet -- COMMAND``."""
    return subprocess.run(
        [sys.executable, "-m", "acrlink", "exec", "--from", "internet", "--", *command],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "ACRLINK_DATA_DIR": str(net.data_dir)},
    )


class ServicePrincipal:
    """A client id of its own, logged in to az in its own AZURE_CONFIG_DIR."""

    def __init__(self, net: Running, az: str, directory: Path, client_id: str) -> None:
        self.net, self.az_path = net, az
        self.client_id = client_id
        self.tenant = str(net.endpoints["tenantId"])
        self.object_id = object_id(self.tenant, self.client_id)
        self.config = directory / self.client_id
        self.config.mkdir(parents=True)
        stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S.%f")  # no update check on the internet
        (self.config / "versionCheck.json").write_text(
            json.dumps({"check_time": stamp, "update_time": stamp, "versions": {}})
        )
        login = self.az(
            "login",
            "--service-principal",
            "-u",
            self.client_id,
            "-p",
            "any-secret",
            "--tenant",
            self.tenant,
            "-o",
            "none",
        )
        assert login.returncode == 0, login.stderr

    def az(self, *args: str) -> subprocess.CompletedProcess[str]:
        return acting(self.net, "env", f"AZURE_CONFIG_DIR={self.config}", self.az_path, *args)

    def acr_token(self) -> str:
        """``az acr login -n REG --expose-token``: the registry's refresh token."""
        login = self.az("acr", "login", "-n", REG, "--expose-token", "-o", "json")
        assert login.returncode == 0, login.stderr
        exposed = json.loads(login.stdout)
        assert exposed["loginServer"] == SERVER and exposed["username"] == NULL_USER
        return str(exposed["refreshToken"])


@pytest.fixture(scope="module")
def registry(net: Running) -> str:
    """A public registry holding hello-world:v1; its id."""
    net.azs("group create -n rbacrg -l chinanorth2")
    net.azs("group create -n spokerg -l chinanorth2")
    net.azs(f"acr create -n {REG} -g rbacrg --sku Premium")
    net.azs(f"acr import -n {REG} --source mcr.microsoft.com/hello-world:latest --image hello-world:v1")
    return net.azs(f"acr show -n {REG} --query id")


@pytest.fixture
def principal(net: Running, az_path: str, tmp_path: Path, registry: str) -> Iterator[ServicePrincipal]:
    """A fresh client id whose only role is Network Contributor on another group: it sees the subscription (so
    az logs in and finds the login server by the registry's name), but has nothing on the registry."""
    client_id = str(uuid.uuid4())
    grant(
        net,
        "Network Contributor",
        f"/subscriptions/{net.subscription}/resourceGroups/spokerg",
        object_id(str(net.endpoints["tenantId"]), client_id),
    )
    yield ServicePrincipal(net, az_path, tmp_path, client_id)


def grant(net: Running, role: str, scope: str, principal_id: str) -> None:
    """The owner (the default principal) assigns ``role`` at ``scope`` with a PUT on the ARM face."""
    found = builtin_roles.by_name(role)
    assert found is not None
    body = {
        "properties": {
            "roleDefinitionId": f"/subscriptions/{net.subscription}/providers/Microsoft.Authorization/"
            f"roleDefinitions/{found.guid}",
            "principalId": principal_id,
            "principalType": "ServicePrincipal",
        }
    }
    path = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}"
    with arm_client(net) as client:
        response = client.put(path, params={"api-version": ASSIGNMENTS_API}, json=body)
    assert response.status_code in (200, 201), response.text


def skopeo(net: Running, *args: str) -> subprocess.CompletedProcess[str]:
    return acting(net, required_tool("skopeo"), *args)


def test_a_principal_pulls_only_once_it_has_acrpull(
    net: Running, registry: str, principal: ServicePrincipal, tmp_path: Path
) -> None:
    token = principal.acr_token()
    creds = f"{NULL_USER}:{token}"
    refused = skopeo(net, "inspect", "--creds", creds, IMAGE)
    assert refused.returncode != 0
    assert "authentication required, visit https://aka.ms/acr/authorization" in refused.stderr, refused.stderr

    grant(net, "AcrPull", registry, principal.object_id)
    inspected = skopeo(net, "inspect", "--creds", creds, IMAGE)
    assert inspected.returncode == 0, inspected.stderr
    assert json.loads(inspected.stdout)["Os"] == "linux"
    podman = required_tool("podman")
    pulled = acting(
        net,
        podman,
        "pull",
        "--tls-verify=true",
        "--cert-dir",
        str(tmp_path / "no-certs"),
        "--creds",
        creds,
        f"{SERVER}/hello-world:v1",
    )
    assert pulled.returncode == 0, pulled.stderr
    subprocess.run([podman, "rmi", "-f", f"{SERVER}/hello-world:v1"], capture_output=True)

    pushed = skopeo(net, "copy", "--src-creds", creds, "--dest-creds", creds, IMAGE, f"docker://{SERVER}/mine:v1")
    assert pushed.returncode != 0, "AcrPull cannot push"
    assert "authentication required" in pushed.stderr, pushed.stderr


def test_acrpush_pushes(net: Running, registry: str, principal: ServicePrincipal) -> None:
    grant(net, "AcrPush", registry, principal.object_id)
    creds = f"{NULL_USER}:{principal.acr_token()}"
    pushed = skopeo(net, "copy", "--src-creds", creds, "--dest-creds", creds, IMAGE, f"docker://{SERVER}/pushed:v1")
    assert pushed.returncode == 0, pushed.stderr
    inspected = skopeo(net, "inspect", "--creds", creds, f"docker://{SERVER}/pushed:v1")
    assert inspected.returncode == 0, inspected.stderr


def test_az_sets_the_role_assignment_mode(net: Running, registry: str) -> None:
    """``--role-assignment-mode rbac-abac`` on create and update reaches the resource as ARM spells it."""
    net.azs("acr create -n rbacabacreg -g rbacrg --sku Standard --role-assignment-mode rbac-abac")
    assert net.azs("acr show -n rbacabacreg --query roleAssignmentMode") == "AbacRepositoryPermissions"
    net.azs(f"acr update -n {REG} --role-assignment-mode rbac-abac")
    assert net.azs(f"acr show -n {REG} --query roleAssignmentMode") == "AbacRepositoryPermissions"
    net.azs(f"acr update -n {REG} --role-assignment-mode rbac")
    assert net.azs(f"acr show -n {REG} --query roleAssignmentMode") == "LegacyRegistryPermissions"
