"""A real ``acrlink up`` on free ports, and the real clients pointed at it.

``ACRLINK_E2E_WORLD`` picks what ``start()`` (and so every fixture's world) is:
- ``single`` (the default): one ``acrlink up`` process on SQLite and files in the given data directory;
- ``cluster``: ``examples/cluster`` in that directory: 2 processes over PostgreSQL and Azurite behind HAProxy,
  the clients going through HAProxy (the directory's ``endpoints.json`` is the cluster's). One PostgreSQL and
  one Azurite serve every cluster of a test process, each cluster in a database and a container of its own.
  Tests about one process (``single_process``) are deselected (see ``pytest_collection_modifyitems``).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import ssl
import subprocess
import sys
import tempfile
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

from tests.cluster_example import cluster, cluster_servers

WORLD = os.environ.get("ACRLINK_E2E_WORLD", "single")
"""``single`` or ``cluster``: what ``start()`` starts (see the module's docstring)."""
if WORLD not in ("single", "cluster"):
    raise pytest.UsageError(f"ACRLINK_E2E_WORLD must be single or cluster, not {WORLD!r}")
CLUSTER_PROCESSES = 2


@dataclass
class Running:
    data_dir: Path
    endpoints: dict[str, Any]
    cluster: cluster.Cluster | None = None
    """The cluster when ``ACRLINK_E2E_WORLD=cluster``: ``data_dir`` is its root."""

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
        """Run ``acrlink ARGS`` as a user would, for this data dir (a cluster: ``down`` stops the cluster)."""
        env = {**os.environ, "ACRLINK_DATA_DIR": str(self.data_dir)}
        if self.cluster is not None:
            if args == ("down",):
                self.cluster.stop()
                return subprocess.CompletedProcess(["acrlink", "down"], 0, "acrlink cluster stopped\n", "")
            env["AZURE_STORAGE_CONNECTION_STRING"] = self.cluster.connection_string
        result = subprocess.run(
            [sys.executable, "-m", "acrlink", *args],
            capture_output=True,
            text=True,
            env=env,
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
    dir's CA (one trust bundle for all). ``ACRLINK_E2E_WORLD=cluster``: a cluster in ``data_dir``, each of
    its processes given ``extra`` and ``env``."""
    if WORLD == "cluster":
        return start_cluster(data_dir, *extra, ca_from=ca_from, env=env)
    return start_process(data_dir, *extra, ca_from=ca_from, env=env)


def start_process(
    data_dir: Path, *extra: str, ca_from: Path | None = None, env: dict[str, str] | None = None
) -> Running:
    """One ``acrlink up`` process in ``data_dir``, whatever the world: for tests that build a multi-process
    world of their own (``test_scale_out.py``)."""
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


_SERVERS: list[cluster_servers.SharedServers] = []
"""This test process's shared PostgreSQL and Azurite, once a cluster needs them (stopped at session end)."""


def shared_servers() -> cluster_servers.SharedServers:
    """The test process's PostgreSQL and Azurite, started on first use."""
    if not _SERVERS:
        base = cluster.free_base(0)
        root = Path(tempfile.mkdtemp(prefix="acrlink-e2e-servers-"))
        _SERVERS.append(cluster_servers.SharedServers.start(root, base, base + 1))
    return _SERVERS[0]


_CLUSTERS: list[cluster.Cluster] = []
"""Every cluster this test process started: one a failed fixture or test left running is stopped at the end."""


def stop_shared_servers() -> None:
    """Stop the clusters left running, then the shared servers, by their PIDs (``pytest_sessionfinish``)."""
    while _CLUSTERS:
        _CLUSTERS.pop().stop()
    while _SERVERS:
        servers = _SERVERS.pop()
        servers.stop()
        shutil.rmtree(servers.root, ignore_errors=True)


def start_cluster(
    data_dir: Path, *extra: str, ca_from: Path | None = None, env: dict[str, str] | None = None
) -> Running:
    """``examples/cluster`` in ``data_dir`` (its root) on the shared servers; ``extra``, ``env`` and
    ``ca_from`` as ``start()`` takes them."""
    if ca_from is not None and (ca_from / "cluster.json").exists():
        ca_from = ca_from / "node0"  # a cluster's CA lives in its first process's data directory
    started = cluster.start(
        CLUSTER_PROCESSES, "postgres", data_dir, extra=extra, env=env, ca_from=ca_from, servers=shared_servers()
    )
    _CLUSTERS.append(started)
    return Running(started.root, started.endpoints, started)


def stored_blobs(running: Running) -> Iterator[tuple[str, bytes]]:
    """(hex digest it is stored under, bytes) of every committed blob: the data dir's files, or a cluster's
    Azure Blob Storage container."""
    if running.cluster is None:
        for path in (running.data_dir / "blobs" / "sha256").glob("*/*"):
            yield path.name, path.read_bytes()
        return
    from azure.storage.blob import BlobServiceClient

    name = running.cluster.blob_store_url.removeprefix("azure-blob://")
    with BlobServiceClient.from_connection_string(running.cluster.connection_string) as service:
        container = service.get_container_client(name)
        for item in container.list_blobs(name_starts_with="blobs/sha256/"):
            yield item.name.rsplit("/", 1)[-1], container.download_blob(item.name).readall()


def pytest_sessionfinish(session: pytest.Session) -> None:
    stop_shared_servers()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In the cluster world, tests about one process (``single_process``) are deselected."""
    if WORLD != "cluster":
        return
    kept = [item for item in items if item.get_closest_marker("single_process") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


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
