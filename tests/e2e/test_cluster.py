"""examples/cluster for real: acrlink processes behind a real HAProxy (TCP mode, send-proxy-v2), driven by curl,
dig, httpx and az through HAProxy's ports.

One process behind HAProxy: every face answers through it and the request logs name the client HAProxy saw
(curl binds 127.0.0.5 for that), never an emulated origin. Two processes: both serve, a process killed with
SIGKILL costs no request (HAProxy retries on the other), comes back on its ports, and ``stop`` ends every PID."""

from __future__ import annotations

import os
import re
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cluster_example import cluster, cluster_servers

from .conftest import required_tool

pytestmark = [pytest.mark.slow, pytest.mark.cluster]

CLIENT = "127.0.0.5"
"""A loopback address the test's clients bind: what the processes must log, though HAProxy connects from
127.0.0.2."""


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory) -> Iterator[cluster.Cluster]:
    running = cluster.start(1, "sqlite", tmp_path_factory.mktemp("cluster-one"))
    yield running
    running.stop()


def _curl(running: cluster.Cluster, *args: str, source: str = CLIENT) -> subprocess.CompletedProcess[str]:
    """curl from ``source``, trusting the cluster's CA; ``-w`` prints the status last."""
    command = [required_tool("curl"), "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--interface", source]
    command += ["--cacert", str(running.root / "ca.pem"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def _log(running: cluster.Cluster, index: int) -> str:
    return (running.data_dir(index) / "acrlink.log").read_text()


def _front(running: cluster.Cluster, face: str) -> int:
    return running.layout.front[face]


def test_arm_through_haproxy_logs_the_client(single: cluster.Cluster) -> None:
    url = f"https://127.0.0.1:{_front(single, 'arm')}/metadata/endpoints?api-version=2019-05-01"
    assert _curl(single, url).stdout == "200"
    assert re.search(r"ARM GET /metadata/endpoints 200 \S+ from 127\.0\.0\.5\n", _log(single, 0))


def test_the_registry_through_haproxy_logs_the_client(single: cluster.Cluster) -> None:
    route = f"mcr.microsoft.com:443:127.0.0.1:{_front(single, 'registry')}"
    assert _curl(single, "--connect-to", route, "https://mcr.microsoft.com/v2/").stdout == "401"
    assert "mcr.microsoft.com GET /v2/ -> 401 from 127.0.0.5\n" in _log(single, 0)


def test_the_proxy_through_haproxy_keeps_the_emulated_origin(single: cluster.Cluster) -> None:
    proxy = f"http://127.0.0.1:{_front(single, 'proxy')}"
    before = _log(single, 0).count("mcr.microsoft.com GET /v2/ -> 401 from 203.0.113.50")
    assert _curl(single, "--proxy", proxy, "https://mcr.microsoft.com/v2/").stdout == "401"
    after = _log(single, 0)
    assert after.count("mcr.microsoft.com GET /v2/ -> 401 from 203.0.113.50") == before + 1, (
        "through the proxy the registry sees the internet host's address, whatever the balancer's header said"
    )
    refused = _curl(single, "--proxy", proxy, "https://nosuchregistry1.azurecr.cn/v2/")
    assert refused.returncode != 0 and "502" in refused.stderr
    assert "proxy refused 127.0.0.5: Could not resolve host: nosuchregistry1.azurecr.cn" in _log(single, 0)


def test_the_portal_and_the_blob_face_through_haproxy(single: cluster.Cluster) -> None:
    assert _curl(single, f"https://127.0.0.1:{_front(single, 'portal')}/").stdout == "200"
    direct = single.node_endpoints(0)["blob"]
    through = _curl(single, f"https://127.0.0.1:{_front(single, 'blob')}/acrtasksacrlink/c/b").stdout
    assert through == _curl(single, f"{direct}/acrtasksacrlink/c/b", source="127.0.0.1").stdout
    assert through.startswith("4")


def test_dns_over_tcp_through_haproxy(single: cluster.Cluster) -> None:
    dig = required_tool("dig")
    ask = [dig, "@127.0.0.1", "+tcp", "+noall", "+answer", "+authority", "+time=5", "+tries=1", "azurecr.cn", "SOA"]
    through = subprocess.run([*ask, "-p", str(_front(single, "dns"))], capture_output=True, text=True, timeout=30)
    direct = subprocess.run([*ask, "-p", str(single.endpoints["dns"]["port"])], capture_output=True, text=True)
    assert through.returncode == 0 and through.stdout.strip()
    assert through.stdout == direct.stdout
    assert single.endpoints["dnsTcp"] == {"host": "127.0.0.1", "port": _front(single, "dns")}


def test_az_through_haproxy(single: cluster.Cluster, az_path: str) -> None:
    env = {**os.environ, "ACRLINK_DATA_DIR": str(single.root), "ACRLINK_AZ": az_path}
    command = [sys.executable, "-m", "acrlink", "az", "group", "create", "-n", "viahaproxy", "-l", "chinanorth2"]
    created = subprocess.run([*command, "-o", "tsv", "--query", "name"], capture_output=True, text=True, env=env)
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "viahaproxy"
    assert re.search(
        r"ARM PUT /subscriptions/[^/]+/resourcegroups/viahaproxy 201 \S+ from 127\.0\.0\.1\n", _log(single, 0)
    )


def test_a_process_refuses_the_balancer_address_without_a_header(single: cluster.Cluster) -> None:
    direct = f"{single.node_endpoints(0)['arm']}/metadata/endpoints?api-version=2019-05-01"
    assert _curl(single, direct, source="127.0.0.2").stdout == "000"
    assert _curl(single, direct, source="127.0.0.1").stdout == "200"
    assert "arm refused a connection from its load balancer 127.0.0.2" in _log(single, 0)


def _arm(running: cluster.Cluster, base_url: str, source: str) -> httpx.Client:
    """An ARM client from ``source`` with a token from the cluster's token endpoint."""
    endpoints = running.endpoints
    verify = ssl.create_default_context(cafile=str(running.root / "ca.pem"))
    transport = httpx.HTTPTransport(local_address=source, verify=verify)
    token = httpx.post(
        f"{endpoints['arm']}/{endpoints['tenantId']}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "client_id": endpoints["clientId"], "client_secret": "s"},
        verify=verify,
    ).json()["access_token"]
    return httpx.Client(base_url=base_url, transport=transport, headers={"Authorization": f"Bearer {token}"})


def _metadata_through(running: cluster.Cluster, source: str, times: int) -> list[str]:
    url = f"https://127.0.0.1:{_front(running, 'arm')}/metadata/endpoints?api-version=2019-05-01"
    return [_curl(running, url, source=source).stdout for _ in range(times)]


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_two_processes_share_the_world_and_survive_a_kill(store: str, tmp_path: Path) -> None:
    running = cluster.start(2, store, tmp_path)
    pids = [*running.pids, running.haproxy, running.postgres, running.azurite]
    try:
        endpoints = running.endpoints
        assert endpoints["arm"] == f"https://127.0.0.1:{_front(running, 'arm')}"
        assert endpoints["pid"] == running.haproxy
        assert [p["pid"] for p in endpoints["cluster"]["processes"]] == running.pids
        assert _metadata_through(running, "127.0.0.6", 6) == ["200"] * 6
        assert all("from 127.0.0.6" in _log(running, i) for i in range(2)), "leastconn spreads the requests"

        group = f"/subscriptions/{endpoints['subscriptionId']}/resourcegroups/shared?api-version=2024-11-01"
        with _arm(running, endpoints["arm"], "127.0.0.7") as through:
            assert through.put(group, json={"location": "chinanorth2"}).status_code == 201
        for index in range(2):
            with _arm(running, running.node_endpoints(index)["arm"], "127.0.0.1") as direct:
                assert direct.get(group).status_code == 200, f"process {index} reads the shared store"

        running.kill(0)
        assert _metadata_through(running, "127.0.0.8", 6) == ["200"] * 6, "HAProxy retries on the live process"
        running.wait_for(0, "DOWN")
        running.restart(0)
        running.wait_for(0, "UP")
        assert _metadata_through(running, "127.0.0.9", 6) == ["200"] * 6
        assert "from 127.0.0.9" in _log(running, 0), "the restarted process serves again"
    finally:
        running.stop()
    assert not any(cluster_servers.alive(pid) for pid in pids if pid)
    assert not (tmp_path / "endpoints.json").exists()


def test_the_shared_servers_start_and_stop(tmp_path: Path) -> None:
    """The PostgreSQL cluster and Azurite that ``--store postgres`` runs, used by their own clients."""
    import psycopg
    from azure.storage.blob import BlobServiceClient

    base = cluster.free_base(0)
    postgres = cluster_servers.start_postgres(tmp_path, base + 6)
    try:
        azurite = cluster_servers.start_azurite(tmp_path, base + 7)
        try:
            with psycopg.connect(postgres.url) as connection:
                assert connection.execute("select current_database()").fetchone() == ("acrlink",)
            service = BlobServiceClient.from_connection_string(azurite.connection_string)
            container = service.create_container("probe")
            container.upload_blob("b", b"bytes")
            assert container.download_blob("b").readall() == b"bytes"
        finally:
            cluster_servers.stop_pid(azurite.pid)
    finally:
        cluster_servers.stop_postgres(postgres.data, postgres.pid)
    assert not cluster_servers.alive(postgres.pid) and not cluster_servers.alive(azurite.pid)
    assert not postgres.data.exists()
