"""A real ``acrlink up`` on free ports, and the real clients pointed at it."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import ssl
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from azure.core import AzureClouds
from azure.identity import ClientSecretCredential
from azure.mgmt.containerregistry import ContainerRegistryManagementClient
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.privatedns import PrivateDnsManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient


@dataclass
class Running:
    data_dir: Path
    endpoints: dict[str, Any]

    @property
    def arm(self) -> str:
        return str(self.endpoints["arm"])

    @property
    def subscription(self) -> str:
        return str(self.endpoints["subscriptionId"])

    @property
    def second_subscription(self) -> str:
        return str(self.endpoints["subscriptions"][1])

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``acrlink ARGS`` as a user would, for this data dir."""
        result = subprocess.run(
            [sys.executable, "-m", "acrlink", *args],
            capture_output=True,
            text=True,
            env={**os.environ, "ACRLINK_DATA_DIR": str(self.data_dir)},
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"acrlink {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        return result

    def az(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.cli("az", *args, check=check)

    def azs(self, command: str, check: bool = True) -> str:
        """``az`` with a command line written as one string; its tsv output."""
        return self.az(*shlex.split(command), "-o", "tsv", check=check).stdout.strip()

    def az_json(self, *args: str) -> Any:
        return json.loads(self.az(*args, "-o", "json").stdout)


def required_tool(name: str) -> str:
    """The path of a system command the test drives; a clear failure (not a skip) when it is missing."""
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} is required for these tests: apt-get install {name} (see scripts/test.sh)")
    return found


def start(data_dir: Path, *extra: str, ca_from: Path | None = None, env: dict[str, str] | None = None) -> Running:
    """Start acrlink on free ports, ``env`` added to its environment; with ``ca_from``, reuse that data
    dir's CA (one trust bundle for all)."""
    if ca_from is not None:
        for name in ("ca.pem", "ca.key"):
            shutil.copy2(ca_from / name, data_dir / name)
    subprocess.run(
        [sys.executable, "-m", "acrlink", "up", "--detach", *extra],
        check=True,
        env={**os.environ, **(env or {}), "ACRLINK_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
    )
    return Running(data_dir, json.loads((data_dir / "endpoints.json").read_text()))


def arm_client(running: Running, verify: ssl.SSLContext | None = None) -> httpx.Client:
    """A raw ARM client holding a token from acrlink's token endpoint (client credentials)."""
    verify = verify or ssl.create_default_context(cafile=running.endpoints["ca"])
    token = httpx.post(
        f"{running.arm}/{running.endpoints['tenantId']}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "client_id": running.endpoints["clientId"], "client_secret": "s"},
        verify=verify,
    ).json()["access_token"]
    return httpx.Client(base_url=running.arm, verify=verify, headers={"Authorization": f"Bearer {token}"})


def stop(running: Running) -> None:
    running.cli("down")


def private_registry(
    net: Running,
    group: str,
    registry: str,
    vnet: str,
    prefix: str = "10.0.0.0/16",
    subnet: str = "10.0.0.0/24",
    admin: bool = False,
    endpoint: str = "pe",
) -> str:
    """The seed's world: a Premium registry holding hello-world:v1, a VNet, the private zone linked to it,
    and an endpoint whose zone group writes the records. Returns the registry id."""
    net.azs(f"group create -n {group} -l chinanorth2")
    net.azs(f"acr create -n {registry} -g {group} --sku Premium" + (" --admin-enabled true" if admin else ""))
    net.azs(f"acr import -n {registry} --source mcr.microsoft.com/hello-world:latest --image hello-world:v1")
    net.azs(
        f"network vnet create -g {group} -n {vnet} --address-prefixes {prefix} --subnet-name default "
        f"--subnet-prefixes {subnet}"
    )
    net.azs(f"network private-dns zone create -g {group} -n privatelink.azurecr.cn")
    net.azs(
        f"network private-dns link vnet create -g {group} -z privatelink.azurecr.cn -n {vnet}-link -v {vnet} -e false"
    )
    registry_id = net.azs(f"acr show -n {registry} --query id")
    net.azs(
        f"network private-endpoint create -g {group} -n {endpoint} --vnet-name {vnet} --subnet default "
        f"--private-connection-resource-id {registry_id} --group-ids registry --connection-name {endpoint}-conn"
    )
    net.azs(
        f"network private-endpoint dns-zone-group create -g {group} --endpoint-name {endpoint} -n default "
        "--private-dns-zone privatelink.azurecr.cn --zone-name acr"
    )
    return registry_id


@pytest.fixture(scope="session")
def acrlink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    running = start(tmp_path_factory.mktemp("acrlink"))
    yield running
    stop(running)


@pytest.fixture(scope="session")
def acrlink_async(tmp_path_factory: pytest.TempPathFactory, acrlink: Running) -> Iterator[Running]:
    """A second process that answers writes like real ARM (201/202 + polling)."""
    running = start(tmp_path_factory.mktemp("acrlink-async"), "--arm-async", ca_from=acrlink.data_dir)
    yield running
    stop(running)


@pytest.fixture
def fresh_acrlink(tmp_path: Path, acrlink: Running) -> Iterator[Running]:
    """A process of its own, for tests that need a subscription in its initial state."""
    running = start(tmp_path, ca_from=acrlink.data_dir)
    yield running
    stop(running)


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory, acrlink: Running, az_path: str) -> Iterator[Running]:
    """A process of the module's own for a network scenario (black holes answer after 1 s), with az."""
    os.environ["ACRLINK_AZ"] = az_path
    running = start(tmp_path_factory.mktemp("net"), "--blackhole-seconds", "1", ca_from=acrlink.data_dir)
    yield running
    stop(running)


@pytest.fixture(scope="session")
def trust(acrlink: Running) -> Iterator[None]:
    """The SDKs trust acrlink's CA the way a user's shell would (REQUESTS_CA_BUNDLE)."""
    saved = {k: os.environ.get(k) for k in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")}
    bundle = acrlink.endpoints["caBundle"]
    os.environ["REQUESTS_CA_BUNDLE"] = os.environ["SSL_CERT_FILE"] = bundle
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def credential(running: Running) -> ClientSecretCredential:
    return ClientSecretCredential(
        running.endpoints["tenantId"],
        running.endpoints["clientId"],
        "any-secret",
        authority=running.arm,
        disable_instance_discovery=True,
    )


@dataclass
class Sdk:
    resources: ResourceManagementClient
    acr: ContainerRegistryManagementClient
    network: NetworkManagementClient
    dns: PrivateDnsManagementClient
    running: Running


CHINA = AzureClouds.AZURE_CHINA_CLOUD
"""What a China user passes the management clients: without it they ask tokens for the public cloud's
ARM audience, which ARM in China refuses (InvalidAuthenticationTokenAudience)."""


def sdk_for(running: Running, subscription: str | None = None, **options: Any) -> Sdk:
    cred = credential(running)
    sub = subscription or running.subscription
    kw: dict[str, Any] = {"base_url": running.arm, "cloud_setting": CHINA, **options}
    return Sdk(
        ResourceManagementClient(cred, sub, **kw),
        ContainerRegistryManagementClient(cred, sub, **kw),
        NetworkManagementClient(cred, sub, **kw),
        PrivateDnsManagementClient(cred, sub, **kw),
        running,
    )


@pytest.fixture(scope="session")
def sdk(acrlink: Running, trust: None) -> Sdk:
    return sdk_for(acrlink)


@pytest.fixture(scope="session")
def az_path() -> str:
    found = os.environ.get("ACRLINK_AZ") or shutil.which("az")
    if not found:
        pytest.fail(
            "The Azure CLI is required: run the README's test command (it installs az into .venv-az) or set ACRLINK_AZ."
        )
    return found
