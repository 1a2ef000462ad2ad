"""Principals and managed identities with the real az and azure-identity: ``acrlink principal create``,
``--as``, a VM's identity through ``az login --identity`` and ``ManagedIdentityCredential``, and
``az ad sp create-for-rbac`` against the Graph face."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jwt
import pytest

from acrlink.cli import azure

from .conftest import Running

pytestmark = [pytest.mark.slow, pytest.mark.az]

ARM_SCOPE = "https://management.core.chinacloudapi.cn/.default"
MI_SNIPPET = (
    "import jwt\n"
    "from azure.identity import ManagedIdentityCredential\n"
    f"token = ManagedIdentityCredential().get_token('{ARM_SCOPE}').token\n"
    "print(jwt.decode(token, options={'verify_signature': False})['oid'])\n"
)


def oid(token: str) -> str:
    return str(jwt.decode(token, options={"verify_signature": False})["oid"])


def own_az(net: Running, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real az in a config dir of its own, pointed at acrlink but logged in as nobody yet."""
    env = {**os.environ, **azure.environment(net.data_dir, net.endpoints), "AZURE_CONFIG_DIR": str(tmp_path / "az")}
    return subprocess.run([os.environ["ACRLINK_AZ"], *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture(scope="module")
def created(net: Running) -> dict[str, Any]:
    answer = net.cli("principal", "create", "ci-bot")
    principal: dict[str, Any] = json.loads(answer.stdout)
    return principal


def test_principal_create_prints_one_object_and_refuses_a_second(net: Running, created: dict[str, Any]) -> None:
    assert set(created) == {"name", "clientId", "clientSecret", "objectId", "tenantId"}
    assert created["name"] == "ci-bot" and created["tenantId"] == net.endpoints["tenantId"]
    again = net.cli("principal", "create", "ci-bot", check=False)
    assert again.returncode == 1 and "already exists" in again.stderr and again.stdout == ""
    shown = net.az_json("ad", "sp", "show", "--id", created["clientId"])
    assert shown["id"] == created["objectId"] and shown["displayName"] == "ci-bot"


def test_az_logs_in_with_its_secret_and_not_with_another(net: Running, created: dict[str, Any], tmp_path: Path) -> None:
    login = [
        "login",
        "--service-principal",
        "-u",
        created["clientId"],
        "--tenant",
        created["tenantId"],
        "--allow-no-subscriptions",
        "-o",
        "none",
    ]
    secret = created["clientSecret"]
    other = secret[:-1] + ("y" if secret.endswith("x") else "x")  # one character off (a secret may end in x)
    wrong = own_az(net, tmp_path, *login, "-p", other)
    assert wrong.returncode != 0 and "AADSTS7000215" in wrong.stderr
    good = own_az(net, tmp_path, *login, "-p", created["clientSecret"])
    assert good.returncode == 0, good.stderr
    token = json.loads(own_az(net, tmp_path, "account", "get-access-token", "-o", "json").stdout)["accessToken"]
    assert oid(token) == created["objectId"]


def test_exec_and_env_as_a_principal(net: Running, created: dict[str, Any]) -> None:
    account = json.loads(net.cli("exec", "--as", "ci-bot", "--", "az", "account", "show", "-o", "json").stdout)
    assert account["user"] == {"name": created["clientId"], "type": "servicePrincipal"}
    exports = net.cli("env", "--as", "ci-bot").stdout
    shell = subprocess.run(
        [
            "bash",
            "-c",
            'eval "$1" && "$ACRLINK_AZ" account show --query user.name -o tsv && echo "$AZURE_CLIENT_ID"',
            "_",
            exports,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "ACRLINK_DATA_DIR": str(net.data_dir)},
        timeout=120,
    )
    assert shell.returncode == 0, shell.stderr
    assert shell.stdout.split() == [created["clientId"], created["clientId"]]
    # The default principal's az is untouched.
    assert net.azs("account show --query user.name") == net.endpoints["clientId"]
    missing = net.cli("exec", "--as", "nobody", "--", "true", check=False)
    assert missing.returncode == 2 and "no principal called" in missing.stderr


def test_a_vm_has_a_managed_identity(net: Running) -> None:
    net.azs("group create -n mi -l chinanorth2")
    net.azs(
        "network vnet create -g mi -n mivnet --address-prefixes 10.5.0.0/16 --subnet-name default "
        "--subnet-prefixes 10.5.0.0/24"
    )
    net.cli("vm", "create", "mivm", "-g", "mi", "--vnet-name", "mivnet", "--subnet", "default")
    hosts = {h["name"]: h for h in json.loads(net.cli("hosts", "--json").stdout)}
    identity = hosts["mivm"]
    assert identity["principalId"] and identity["tenantId"] == net.endpoints["tenantId"]
    assert hosts["internet"]["principalId"] is None
    assert identity["principalId"] in net.cli("hosts").stdout
    # The NIC's record shows it (top-level ``identity``, which az's NIC model does not keep: ask ARM raw).
    nic_id = (
        f"/subscriptions/{net.subscription}/resourceGroups/mi/providers/Microsoft.Network/networkInterfaces/mivmVMNic"
    )
    nic = net.az_json("rest", "--method", "get", "--url", f"{net.arm}{nic_id}?api-version=2023-11-01")
    assert nic["identity"] == {
        "type": "SystemAssigned",
        "principalId": identity["principalId"],
        "tenantId": identity["tenantId"],
    }

    net.cli("exec", "--from", "mivm", "--", "az", "login", "--identity", "--allow-no-subscriptions", "-o", "none")
    got = json.loads(net.cli("exec", "--from", "mivm", "--", "az", "account", "get-access-token", "-o", "json").stdout)
    assert oid(got["accessToken"]) == identity["principalId"]
    # The identity login stays with the VM: the default principal's az is still itself.
    assert net.azs("account show --query user.name") == net.endpoints["clientId"]

    sdk = net.cli("exec", "--from", "mivm", "--", sys.executable, "-c", MI_SNIPPET)
    assert sdk.stdout.strip() == identity["principalId"]
    # The internet has no managed identity: nothing points its clients at an identity endpoint.
    outside = net.cli("exec", "--", "env").stdout
    assert "IDENTITY_ENDPOINT=" not in outside and "IDENTITY_HEADER=" not in outside


def test_az_ad_sp_create_for_rbac(net: Running) -> None:
    made = net.az_json("ad", "sp", "create-for-rbac", "--name", "rbac-app")
    assert made["displayName"] == "rbac-app" and made["tenant"] == net.endpoints["tenantId"]
    listed = net.az_json("ad", "sp", "list", "--display-name", "rbac-app")
    assert [s["appId"] for s in listed] == [made["appId"]]
    again = net.az_json("ad", "sp", "create-for-rbac", "--name", "rbac-app")
    assert again["appId"] == made["appId"] and again["password"] != made["password"]
