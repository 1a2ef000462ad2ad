"""Private endpoints requested by someone who cannot approve them, and from the second tenant (S9, S21), with
the real az and skopeo: an automatic request without the approval action fails LinkedAuthorizationFailed, a
manual one waits Pending and carries nothing until the registry's owner approves it, then a VM behind it pulls."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from acrlink.cli import azure
from acrlink.domain import principals

from .conftest import Running, private_registry

pytestmark = [pytest.mark.slow, pytest.mark.az]

REG = "linkedreg"
HUB = "linked-hub"
ZONE = "privatelink.azurecr.cn"
NETOPS = "00000000-0000-0000-0000-0000000e7e70"
"""A client id acrlink has never seen: a service principal with no role until one is assigned."""


def acting(net: Running, host: str, *command: str) -> subprocess.CompletedProcess[str]:
    """A command run as ``host`` (acrlink exec --from HOST -- ...)."""
    return subprocess.run(
        [sys.executable, "-m", "acrlink", "exec", "--from", host, "--", *command],
        capture_output=True,
        text=True,
        env={**os.environ, "ACRLINK_DATA_DIR": str(net.data_dir)},
        timeout=120,
    )


def pull(net: Running, host: str, password: str) -> subprocess.CompletedProcess[str]:
    target = net.data_dir / f"pulled-{host}"
    subprocess.run(["rm", "-rf", str(target)], check=True)
    return acting(
        net,
        host,
        "skopeo",
        "copy",
        "--retry-times",
        "0",
        "--src-creds",
        f"{REG}:{password}",
        f"docker://{REG}.azurecr.cn/hello-world:v1",
        f"dir:{target}",
    )


class Az:
    """The real az with a config dir of its own, logged in as ``client_id`` to the home tenant."""

    def __init__(self, net: Running, directory: Path, client_id: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, **azure.environment(net.data_dir, net.endpoints), "AZURE_CONFIG_DIR": str(directory)}
        self.az = os.environ["ACRLINK_AZ"]
        self.run(
            "login",
            "--service-principal",
            "-u",
            client_id,
            "-p",
            "x",
            "--tenant",
            net.endpoints["tenantId"],
            "--allow-no-subscriptions",
        )

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [self.az, *args, "-o", "tsv"], capture_output=True, text=True, env=self.env, timeout=300
        )
        if check and result.returncode != 0:
            raise AssertionError(f"az {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def s(self, command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run(*shlex.split(command), check=check)


@pytest.fixture(scope="module")
def hub(net: Running) -> tuple[str, str]:
    """The seed's private registry (admin user on, hello-world:v1 inside); its id and admin password."""
    registry_id = private_registry(net, HUB, REG, "hubvnet", admin=True)
    return registry_id, net.azs(f"acr credential show -n {REG} --query passwords[0].value")


def _connection_of(net: Running, endpoint_id: str, subscription: str) -> tuple[str, str]:
    """(id, status) of the registry's connection for ``endpoint_id``."""
    found = net.azs(
        f"acr private-endpoint-connection list -r {REG} --subscription {subscription} "
        f"--query \"[?privateEndpoint.id=='{endpoint_id}'].[id, privateLinkServiceConnectionState.status]\""
    )
    connection_id, status = found.split("\t")
    return connection_id, status


def test_spoke_principal_without_approval_rights_waits_for_the_owner(
    net: Running, hub: tuple[str, str], tmp_path: Path
) -> None:
    registry_id, password = hub
    sub = net.subscription
    tenant = net.endpoints["tenantId"]
    net.azs("group create -n linked-spoke -l chinanorth2")
    spoke_id = net.azs("group show -n linked-spoke --query id")
    netops_oid = principals.object_id(tenant, NETOPS)
    net.azs(
        f"role assignment create --assignee-object-id {netops_oid} --assignee-principal-type ServicePrincipal "
        f'--role "Network Contributor" --scope {spoke_id}'
    )

    netops = Az(net, tmp_path / "netops-az", NETOPS)
    netops.s(f"account set -s {sub}")
    netops.s(
        "network vnet create -g linked-spoke -n spokevnet --address-prefixes 10.5.0.0/16 --subnet-name default "
        "--subnet-prefixes 10.5.0.0/24"
    )
    netops.s(f"network private-dns zone create -g linked-spoke -n {ZONE}")
    netops.s(f"network private-dns link vnet create -g linked-spoke -z {ZONE} -n spoke-link -v spokevnet -e false")

    automatic = netops.s(
        f"network private-endpoint create -g linked-spoke -n spokepe --vnet-name spokevnet "
        f"--subnet default --private-connection-resource-id {registry_id} --group-ids registry "
        "--connection-name spokepe-conn",
        check=False,
    )
    assert automatic.returncode != 0
    assert "LinkedAuthorizationFailed" in automatic.stderr
    assert "Microsoft.ContainerRegistry/registries/privateEndpointConnectionsApproval/action" in automatic.stderr
    assert netops.s("network private-endpoint list -g linked-spoke --query length(@)").stdout.strip() == "0"
    assert netops.s("network nic list -g linked-spoke --query length(@)").stdout.strip() == "0"

    endpoint_id = netops.s(
        f"network private-endpoint create -g linked-spoke -n spokepe --vnet-name spokevnet --subnet default "
        f"--private-connection-resource-id {registry_id} --group-ids registry --connection-name spokepe-conn "
        "--manual-request true --request-message from-netops --query id"
    ).stdout.strip()
    netops.s(
        f"network private-endpoint dns-zone-group create -g linked-spoke --endpoint-name spokepe -n default "
        f"--private-dns-zone {ZONE} --zone-name acr"
    )
    connection_id, status = _connection_of(net, endpoint_id, sub)
    assert status == "Pending"

    # The requester cannot approve its own request: that is the registry's side.
    refused = netops.s(f"network private-endpoint-connection approve --id {connection_id}", check=False)
    assert refused.returncode != 0
    assert "AuthorizationFailed" in refused.stderr

    net.cli("vm", "create", "spokeVM", "-g", "linked-spoke", "--vnet-name", "spokevnet", "--subnet", "default")
    waiting = pull(net, "spokeVM", password)
    assert waiting.returncode != 0, waiting.stdout

    net.azs(f"network private-endpoint-connection approve --id {connection_id} --description ok")
    assert _connection_of(net, endpoint_id, sub)[1] == "Approved"
    pulled = pull(net, "spokeVM", password)
    assert pulled.returncode == 0, pulled.stderr


def test_endpoint_from_the_second_tenant_is_pending_until_approved(net: Running, hub: tuple[str, str]) -> None:
    registry_id, password = hub
    home = net.endpoints["tenants"][0]
    other = net.endpoints["tenants"][1]
    sub_a, sub_b = home["subscriptions"][0], other["subscriptions"][0]

    # The default principal signs in to the second tenant too, in the same az profile acrlink az uses.
    net.azs(f"login --service-principal -u {net.endpoints['clientId']} -p x --tenant {other['tenantId']}")
    listed = net.azs("account list --query [].[id,tenantId]")
    pairs = {tuple(line.split("\t")) for line in listed.splitlines()}
    assert (sub_a, home["tenantId"]) in pairs and (sub_b, other["tenantId"]) in pairs
    net.azs(f"account set -s {sub_b}")
    assert net.azs("account show --query tenantId") == other["tenantId"]

    # S9: the second tenant's subscription has to register the providers first.
    # (az itself would register a missing provider on the first refused write; the owner does it up front.)
    net.azs("group create -n tenantb -l chinanorth2")
    for namespace in ("Microsoft.Network", "Microsoft.ContainerRegistry"):
        assert net.azs(f"provider show -n {namespace} --query registrationState") == "NotRegistered"
        net.azs(f"provider register -n {namespace} --wait")
        assert net.azs(f"provider show -n {namespace} --query registrationState") == "Registered"

    net.azs(
        "network vnet create -g tenantb -n vnetb --address-prefixes 10.9.0.0/16 --subnet-name default "
        "--subnet-prefixes 10.9.0.0/24"
    )
    net.azs(f"network private-dns zone create -g tenantb -n {ZONE}")
    net.azs(f"network private-dns link vnet create -g tenantb -z {ZONE} -n vnetb-link -v vnetb -e false")

    # Automatic approval cannot cross tenants: the tenant-B token is not valid for the registry's tenant.
    automatic = net.az(
        "network",
        "private-endpoint",
        "create",
        "-g",
        "tenantb",
        "-n",
        "peb",
        "--vnet-name",
        "vnetb",
        "--subnet",
        "default",
        "--private-connection-resource-id",
        registry_id,
        "--group-ids",
        "registry",
        "--connection-name",
        "peb-conn",
        check=False,
    )
    assert automatic.returncode != 0 and "LinkedAuthorizationFailed" in automatic.stderr
    assert other["tenantId"] in automatic.stderr

    endpoint_id = net.azs(
        f"network private-endpoint create -g tenantb -n peb --vnet-name vnetb --subnet default "
        f"--private-connection-resource-id {registry_id} --group-ids registry "
        "--connection-name peb-conn --manual-request true --query id"
    )
    net.azs(
        f"network private-endpoint dns-zone-group create -g tenantb --endpoint-name peb -n default "
        f"--private-dns-zone {ZONE} --zone-name acr"
    )
    state = (
        "network private-endpoint show -g tenantb -n peb "
        "--query manualPrivateLinkServiceConnections[0].privateLinkServiceConnectionState.status"
    )
    assert net.azs(state) == "Pending"
    net.cli(
        "vm", "create", "vmB", "-g", "tenantb", "--vnet-name", "vnetb", "--subnet", "default", "--subscription", sub_b
    )
    assert pull(net, "vmB", password).returncode != 0

    # The registry's owner, back in the first tenant, approves; the VM in tenant B pulls through the endpoint.
    net.azs(f"account set -s {sub_a}")
    assert net.azs("account show --query tenantId") == home["tenantId"]
    connection_id, status = _connection_of(net, endpoint_id, sub_a)
    assert status == "Pending"
    net.azs(f"acr private-endpoint-connection approve -r {REG} -n {connection_id.rsplit('/', 1)[1]}")
    assert net.azs(f"{state} --subscription {sub_b}") == "Approved"
    pulled = pull(net, "vmB", password)
    assert pulled.returncode == 0, pulled.stderr
