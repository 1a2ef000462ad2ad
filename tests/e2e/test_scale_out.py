"""Several acrlink processes on one store and one blob store serve one world (issue 12).

Two ``acrlink up --detach`` processes, started at the same moment on a new store, each with a data dir of
its own, driven by the real clients: az logged in against one process and the other, skopeo through either
process's proxy, dig against the other process's DNS view. The backends come from the ``backends``
fixture (SQLite + files, the embedded case across processes; PostgreSQL + Azurite are further params).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import subprocess
import tarfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.servers.azurite import Azurite
from tests.servers.postgres import PostgresServer

from .conftest import Running, required_tool, start_process, stop

pytestmark = [pytest.mark.slow, pytest.mark.az]

RG = "scale-rg"
REG = "scaleoutreg"
SERVER = f"{REG}.azurecr.cn"
ZONE = "privatelink.azurecr.cn"
SEEN_WITHIN = 1.0
"""The issue's bound: a write on one process answers on every other one within a second."""


@dataclass(frozen=True)
class Backends:
    """What every process of the cluster is started with: ``--store``, ``--blob-store`` and the environment
    they need (a connection string, a password)."""

    store: str
    blob_store: str
    env: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module", params=["sqlite-files", pytest.param("postgres-azurite", marks=pytest.mark.cluster)])
def backends(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backends]:
    """SQLite + files, or a fresh database on the session's PostgreSQL + a fresh container on its Azurite."""
    if request.param == "sqlite-files":
        shared = tmp_path_factory.mktemp("shared")
        yield Backends(f"sqlite://{shared / 'acrlink.db'}", f"file://{shared / 'blobs'}")
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    blobs: Azurite = request.getfixturevalue("azurite")
    if not server.running:
        server.start()
    url = server.create_database()
    container = f"s-{uuid.uuid4().hex}"
    # the processes get it through Backends.env; the CLI runs of Running.cli (hosts, down) from os.environ
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AZURE_STORAGE_CONNECTION_STRING", blobs.connection_string)
        yield Backends(url, f"azure-blob://{container}", {"AZURE_STORAGE_CONNECTION_STRING": blobs.connection_string})
    server.drop_database_later(url)


@dataclass(frozen=True)
class Cluster:
    one: Running
    two: Running


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, backends: Backends, az_path: str) -> Iterator[Cluster]:
    os.environ["ACRLINK_AZ"] = az_path
    options = ("--store", backends.store, "--blob-store", backends.blob_store)
    dirs = [tmp_path_factory.mktemp(name) for name in ("one", "two")]
    with ThreadPoolExecutor(2) as pool:  # both at once: they must agree on the keys and the world they make
        futures = [pool.submit(start_process, d, *options, env=backends.env) for d in dirs]
    started = [f.result() for f in futures if f.exception() is None]
    try:
        if len(started) < len(futures):  # one did not start: stop the other, then say why
            next(f.result() for f in futures if f.exception() is not None)
        yield Cluster(*started)
    finally:
        for running in started:
            stop(running)


@pytest.fixture(scope="module")
def registry(cluster: Cluster) -> str:
    """A Premium registry with the admin user, made through process one's ARM; its admin password."""
    one = cluster.one
    one.azs(f"group create -n {RG} -l chinanorth2")
    one.azs(f"acr create -n {REG} -g {RG} --sku Premium --admin-enabled true")
    return one.azs(f"acr credential show -n {REG} --query passwords[0].value")


def client_env(running: Running) -> dict[str, str]:
    """skopeo as the internet host through ``running``'s proxy, trusting its CA bundle."""
    bundle = running.endpoints["caBundle"]
    return {
        **os.environ,
        "HTTPS_PROXY": running.endpoints["proxy"],
        "NO_PROXY": "127.0.0.1,localhost",
        "SSL_CERT_FILE": bundle,
    }


def skopeo(running: Running, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [required_tool("skopeo"), *args], capture_output=True, text=True, env=client_env(running), timeout=120
    )
    assert result.returncode == 0, f"skopeo {' '.join(args)} failed:\n{result.stderr}"
    return result


def _blob(root: Path, data: bytes) -> str:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    path = root / "blobs" / "sha256" / digest.split(":")[1]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return digest


def oci_layout(root: Path, tag: str) -> str:
    """An OCI image layout holding one image of fresh random bytes (so only a push can put it in the
    registry); the layer's digest."""
    payload = io.BytesIO()
    with tarfile.open(fileobj=payload, mode="w") as tar:
        data = os.urandom(1 << 20)
        info = tarfile.TarInfo("random.bin")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    diff_id = "sha256:" + hashlib.sha256(payload.getvalue()).hexdigest()
    layer = gzip.compress(payload.getvalue(), mtime=0)
    config = {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [diff_id]}}
    config_bytes = json.dumps(config).encode()
    layer_digest = _blob(root, layer)
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": _blob(root, config_bytes),
            "size": len(config_bytes),
        },
        "layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest, "size": len(layer)}
        ],
    }
    manifest_bytes = json.dumps(manifest).encode()
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": _blob(root, manifest_bytes),
                "size": len(manifest_bytes),
                "annotations": {"org.opencontainers.image.ref.name": tag},
            }
        ],
    }
    (root / "index.json").write_text(json.dumps(index))
    (root / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    return layer_digest


def test_the_processes_share_one_world_and_one_ca(cluster: Cluster, backends: Backends) -> None:
    one, two = cluster.one.endpoints, cluster.two.endpoints
    assert Path(one["ca"]).read_bytes() == Path(two["ca"]).read_bytes(), "one CA, written into both data dirs"
    assert Path(one["ca"]).parent != Path(two["ca"]).parent
    assert (one["tenantId"], one["subscriptions"]) == (two["tenantId"], two["subscriptions"])
    assert one["store"] == two["store"] == backends.store and one["blobStore"] == backends.blob_store
    assert one["arm"] != two["arm"] and one["proxy"] != two["proxy"]


def test_a_registry_made_through_one_is_served_by_the_other(cluster: Cluster, registry: str, tmp_path: Path) -> None:
    two = cluster.two
    assert two.azs(f"acr show -n {REG} --query loginServer") == SERVER, "process two's ARM has it"
    layout = tmp_path / "layout"
    oci_layout(layout, "v1")
    skopeo(two, "copy", f"oci:{layout}:v1", f"docker://{SERVER}/fromtwo:v1", "--dest-creds", f"{REG}:{registry}")
    tags = cluster.one.az_json("acr", "repository", "show-tags", "-n", REG, "--repository", "fromtwo")
    assert tags == ["v1"], "pushed through process two, listed through process one"


def test_an_image_pushed_through_one_is_pulled_through_the_other(
    cluster: Cluster, registry: str, tmp_path: Path
) -> None:
    creds = f"{REG}:{registry}"
    layout = tmp_path / "layout"
    layer = oci_layout(layout, "v1")
    skopeo(cluster.one, "copy", f"oci:{layout}:v1", f"docker://{SERVER}/app:v1", "--dest-creds", creds)
    pulled = tmp_path / "pulled"
    skopeo(cluster.two, "copy", "--src-creds", creds, f"docker://{SERVER}/app:v1", f"oci:{pulled}:v1")
    hexdigest = layer.split(":")[1]
    assert (pulled / "blobs" / "sha256" / hexdigest).read_bytes() == (
        layout / "blobs" / "sha256" / hexdigest
    ).read_bytes()
    raw_one = skopeo(cluster.one, "inspect", "--raw", "--creds", creds, f"docker://{SERVER}/app:v1").stdout
    raw_two = skopeo(cluster.two, "inspect", "--raw", "--creds", creds, f"docker://{SERVER}/app:v1").stdout
    assert raw_one == raw_two


def dig(running: Running, host: str, name: str) -> list[tuple[str, str]]:
    """Real dig against ``host``'s DNS port on ``running``: the answer's (type, value) pairs."""
    port = json.loads((running.data_dir / "dns-views.json").read_text())[host.lower()]
    out = subprocess.run(
        [required_tool("dig"), "@127.0.0.1", "-p", str(port), name, "+noall", "+answer", "+time=1", "+tries=1"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [(f[3], f[4].rstrip(".")) for f in (line.split() for line in out.splitlines()) if len(f) >= 5]


def _views(running: Running) -> dict[str, int]:
    path = running.data_dir / "dns-views.json"
    return {k.lower(): v for k, v in json.loads(path.read_text()).items()} if path.exists() else {}


@pytest.fixture(scope="module")
def vnet(cluster: Cluster, registry: str) -> str:
    """A VNet with the registry's private zone linked to it, made through process one; its name."""
    one = cluster.one
    one.azs(
        f"network vnet create -g {RG} -n vnet1 --address-prefixes 10.0.0.0/16 --subnet-name default "
        "--subnet-prefixes 10.0.0.0/24"
    )
    one.azs(f"network private-dns zone create -g {RG} -n {ZONE}")
    one.azs(f"network private-dns link vnet create -g {RG} -z {ZONE} -n link1 -v vnet1 -e false")
    return "vnet1"


def test_a_private_endpoint_made_on_one_answers_in_the_other_dns_view_within_a_second(
    cluster: Cluster, vnet: str
) -> None:
    one, two = cluster.one, cluster.two
    one.cli("vm", "create", "scaleVM", "-g", RG, "--vnet-name", vnet, "--subnet", "default")
    deadline = time.monotonic() + 10
    while "scalevm" not in _views(two) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "scalevm" in _views(two), "process two opened no DNS view for the VM made on process one"
    assert not [v for t, v in dig(two, "scaleVM", SERVER) if t == "A" and v.startswith("10.")], "no endpoint yet"

    registry_id = one.azs(f"acr show -n {REG} --query id")
    one.azs(
        f"network private-endpoint create -g {RG} -n pe1 --vnet-name vnet1 --subnet default "
        f"--private-connection-resource-id {registry_id} --group-ids registry --connection-name pe1-conn"
    )
    address = one.azs(
        f"network private-endpoint show -g {RG} -n pe1 "
        f"--query \"customDnsConfigs[?fqdn=='{SERVER}'].ipAddresses[0] | [0]\""
    )
    assert address.startswith("10.0.0.")
    one.azs(
        f"network private-endpoint dns-zone-group create -g {RG} --endpoint-name pe1 -n default "
        f"--private-dns-zone {ZONE} --zone-name acr"
    )
    written = time.monotonic()
    answer: list[tuple[str, str]] = []
    while time.monotonic() - written < SEEN_WITHIN:
        answer = dig(two, "scaleVM", SERVER)
        if ("A", address) in answer:
            break
        time.sleep(0.02)
    assert answer == [("CNAME", f"{REG}.{ZONE}"), ("A", address)], f"not answered within 1 s: {answer}"


def test_the_cli_of_either_process_reads_the_shared_store(cluster: Cluster, vnet: str) -> None:
    """``acrlink hosts`` goes through the composition root to the store the process names (not acrlink.db)."""
    cluster.one.cli("vm", "create", "cliVM", "-g", RG, "--vnet-name", vnet, "--subnet", "default")
    rows = json.loads(cluster.two.cli("hosts", "--json").stdout)
    assert "cliVM" in [row["name"] for row in rows]
    assert not (cluster.two.data_dir / "acrlink.db").exists(), "the data dir holds no store of its own"
