"""Issue 12's done-means scenarios on a real cluster: two acrlink processes over PostgreSQL + Azurite behind a
real HAProxy (examples/cluster, ``store="postgres"``), one cluster for the module.

1. ``kill -9`` of a process during 20 concurrent pushes through HAProxy: every retrying client succeeds, every
   blob of every pushed manifest answers with bytes matching its digest.
2. PostgreSQL stopped under the cluster: ARM and the registry answer 503 + Retry-After, a PUT made meanwhile
   is not left half-written, and both processes serve again once it is back.
3. A chunked upload split across the processes, and one resumed on the other process after a kill mid-upload.
"""

from __future__ import annotations

import hashlib
import json
import os
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.cluster_example import cluster, cluster_servers

pytestmark = [pytest.mark.slow, pytest.mark.cluster]

API = "api-version=2023-07-01"
REG = "scenarioreg"
HOST = f"{REG}.azurecr.cn"
REPO = "app"
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CLIENTS = 20
ATTEMPTS = 5
"""How many times a client retries its whole push."""
BACK_WITHIN = 30.0
"""How long the processes get to serve again after PostgreSQL is back (a bound, not a measurement)."""


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _verify(running: cluster.Cluster) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(running.root / "ca.pem"))


def _path(location: str) -> str:
    """An upload Location's path and query, to send to whichever process (or HAProxy) comes next."""
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _with_digest(location: str, digest: str) -> str:
    return _path(location) + ("&" if "?" in location else "?") + f"digest={digest}"


class PushFailed(Exception):
    """A push step answered something other than what the protocol promises on success."""


def _expect(response: httpx.Response, *statuses: int) -> httpx.Response:
    if response.status_code not in statuses:
        raise PushFailed(f"{response.request.method} {response.request.url.path} -> {response.status_code}")
    return response


@dataclass
class Registry:
    """Raw OCI requests to the cluster's registry: through HAProxy or one process's own registry port."""

    running: cluster.Cluster
    token: str

    def base(self, index: int | None) -> str:
        if index is None:
            return str(self.running.endpoints["registry"])
        return str(self.running.node_endpoints(index)["registry"])

    def client(self, index: int | None = None) -> httpx.Client:
        headers = {"Host": HOST, "Authorization": f"Bearer {self.token}"}
        return httpx.Client(base_url=self.base(index), verify=_verify(self.running), headers=headers, timeout=60)

    def get_blob(self, digest: str, index: int | None = None) -> bytes:
        with self.client(index) as client:
            response = client.get(f"/v2/{REPO}/blobs/{digest}")
            assert response.status_code == 200, f"{digest}: {response.status_code} {response.text}"
            return response.content


def _arm(running: cluster.Cluster, index: int | None = None) -> httpx.Client:
    """An ARM client (through HAProxy, or to process ``index`` directly) with a token from the cluster."""
    endpoints = running.endpoints
    verify = _verify(running)
    token = httpx.post(
        f"{endpoints['arm']}/{endpoints['tenantId']}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "client_id": endpoints["clientId"], "client_secret": "s"},
        verify=verify,
    ).json()["access_token"]
    base = endpoints["arm"] if index is None else running.node_endpoints(index)["arm"]
    return httpx.Client(base_url=base, verify=verify, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def _group(running: cluster.Cluster) -> str:
    return f"/subscriptions/{running.endpoints['subscriptionId']}/resourceGroups/scenarios"


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[cluster.Cluster]:
    started = cluster.start(2, "postgres", tmp_path_factory.mktemp("scenarios"))
    yield started
    started.stop()


@pytest.fixture(scope="module")
def registry(running: cluster.Cluster) -> Registry:
    """A Premium registry with the admin user, made through HAProxy's ARM; a push+pull token for ``app``."""
    group = _group(running)
    path = f"{group}/providers/Microsoft.ContainerRegistry/registries/{REG}"
    body = {"location": "chinanorth2", "sku": {"name": "Premium"}, "properties": {"adminUserEnabled": True}}
    with _arm(running) as arm:
        assert arm.put(f"{group}?{API}", json={"location": "chinanorth2"}).status_code in (200, 201)
        assert arm.put(f"{path}?{API}", json=body).status_code in (200, 201)
        password = arm.post(f"{path}/listCredentials?{API}").json()["passwords"][0]["value"]
    with httpx.Client(base_url=running.endpoints["registry"], verify=_verify(running), headers={"Host": HOST}) as c:
        token = c.get(
            "/oauth2/token", params={"service": HOST, "scope": f"repository:{REPO}:pull,push"}, auth=(REG, password)
        )
    assert token.status_code == 200, token.text
    return Registry(running, token.json()["access_token"])


@dataclass(frozen=True)
class Image:
    tag: str
    config: bytes
    layer: bytes

    @property
    def manifest(self) -> bytes:
        return json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": MANIFEST_TYPE,
                "config": {
                    "mediaType": "application/vnd.oci.image.config.v1+json",
                    "digest": _sha(self.config),
                    "size": len(self.config),
                },
                "layers": [
                    {
                        "mediaType": "application/vnd.oci.image.layer.v1.tar",
                        "digest": _sha(self.layer),
                        "size": len(self.layer),
                    }
                ],
            }
        ).encode()


def _image(tag: str, layer_size: int = 256 << 10) -> Image:
    config = json.dumps({"architecture": "amd64", "os": "linux", "tag": tag, "nonce": os.urandom(8).hex()}).encode()
    return Image(tag, config, os.urandom(layer_size))


def _push_blob_chunked(client: httpx.Client, data: bytes, chunks: int, patched: threading.Event | None) -> None:
    location = _expect(client.post(f"/v2/{REPO}/blobs/uploads/"), 202).headers["location"]
    step = -(-len(data) // chunks)
    for start in range(0, len(data), step):
        piece = data[start : start + step]
        headers = {"Content-Range": f"{start}-{start + len(piece) - 1}", "Content-Type": "application/octet-stream"}
        location = _expect(client.patch(_path(location), content=piece, headers=headers), 202).headers["location"]
        if patched is not None:
            patched.set()
        time.sleep(0.02)  # keeps the pushes in flight long enough for the kill to land among them
    _expect(client.put(_with_digest(location, _sha(data))), 201)


def _push(registry: Registry, image: Image, patched: threading.Event | None = None) -> None:
    """One whole push through HAProxy: the layer in chunks, the config in one POST, then the manifest."""
    with registry.client() as client:
        _push_blob_chunked(client, image.layer, 4, patched)
        _expect(
            client.post(f"/v2/{REPO}/blobs/uploads/", params={"digest": _sha(image.config)}, content=image.config), 201
        )
        headers = {"Content-Type": MANIFEST_TYPE}
        _expect(client.put(f"/v2/{REPO}/manifests/{image.tag}", content=image.manifest, headers=headers), 201)


def _push_retrying(registry: Registry, image: Image, patched: threading.Event) -> tuple[int, list[str]]:
    """The whole push again on any failure, up to ``ATTEMPTS`` times: (attempts used, the failures seen)."""
    failures: list[str] = []
    for attempt in range(1, ATTEMPTS + 1):
        try:
            _push(registry, image, patched)
            return attempt, failures
        except (httpx.HTTPError, PushFailed) as failure:
            failures.append(f"{type(failure).__name__}: {failure}")
    return 0, failures


def _check_image(registry: Registry, image: Image, index: int | None = None) -> None:
    """The tag's manifest is the one pushed, and every blob it references answers with bytes of its digest."""
    with registry.client(index) as client:
        response = client.get(f"/v2/{REPO}/manifests/{image.tag}", headers={"Accept": MANIFEST_TYPE})
        assert response.status_code == 200, f"{image.tag}: {response.status_code}"
        manifest = response.json()
    for descriptor in [manifest["config"], *manifest["layers"]]:
        data = registry.get_blob(descriptor["digest"], index)
        assert _sha(data) == descriptor["digest"], f"{descriptor['digest']} answers bytes of another digest"
        assert len(data) == descriptor["size"]


def _every_stored_blob_matches(running: cluster.Cluster) -> int:
    """Read every content object in the cluster's Azurite container (``blobs/<algorithm>/<hex>``, the
    ``AzureBlobStore`` layout) with azure-storage-blob: each holds bytes of its own digest. How many there are."""
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient.from_connection_string(running.connection_string)
    container = service.get_container_client(cluster.BLOB_CONTAINER)
    count = 0
    for item in container.list_blobs(name_starts_with="blobs/"):
        algorithm, encoded = item.name.split("/")[1:]
        data = container.download_blob(item.name).readall()
        assert algorithm == "sha256" and hashlib.sha256(data).hexdigest() == encoded, f"{item.name} is corrupt"
        count += 1
    return count


# 1. a kill during concurrent pushes ---------------------------------------------------------------


def test_a_kill_during_twenty_concurrent_pushes_costs_no_retrying_client(
    running: cluster.Cluster, registry: Registry
) -> None:
    images = [_image(f"c{n}") for n in range(CLIENTS)]
    started = [threading.Event() for _ in images]
    try:
        with ThreadPoolExecutor(CLIENTS) as pool:
            pairs = zip(images, started, strict=True)
            futures = [pool.submit(_push_retrying, registry, image, event) for image, event in pairs]
            for event in started[: CLIENTS // 2]:  # once half the clients have a PATCH through, process 0 dies
                assert event.wait(120), "a client never got a PATCH through"
            running.kill(0)
            results = [future.result() for future in futures]
        failed = {image.tag: failures for image, (used, failures) in zip(images, results, strict=True) if not used}
        assert not failed, f"clients that never succeeded: {failed}"
        retried = {image.tag: failures for image, (_, failures) in zip(images, results, strict=True) if failures}
        print(f"clients that retried after the kill: {retried}")  # shown with -s or on failure
        for image in images:
            _check_image(registry, image)
        assert _every_stored_blob_matches(running) >= 2 * CLIENTS
    finally:
        running.restart(0)  # whatever failed: the module's later tests need both processes
        running.wait_for(0, "UP")
        running.write_endpoints()
    for image in images:
        _check_image(registry, image, 0)  # and the restarted process serves every one of them


# 2. a PostgreSQL restart ------------------------------------------------------------------------------


def _pg_ctl(running: cluster.Cluster, *args: str) -> None:
    data = Path(running.postgres_data)
    command = [str(cluster_servers.postgres_bin() / "pg_ctl"), *args, "-w", "-D", str(data / "data")]
    run = subprocess.run(cluster_servers._as_postgres(command), capture_output=True, text=True, check=False)  # noqa: S603
    assert run.returncode == 0, f"pg_ctl {args}: {run.stdout}{run.stderr}"


def _stop_postgres(running: cluster.Cluster) -> None:
    _pg_ctl(running, "stop", "-m", "fast")  # -w: returns once the postmaster has gone
    assert not (Path(running.postgres_data) / "data" / "postmaster.pid").exists()


def _start_postgres(running: cluster.Cluster) -> None:
    """Start the cluster's PostgreSQL again on its port and record its new PID (``stop`` ends it by PID)."""
    data = Path(running.postgres_data)
    options = f"-p {running.layout.postgres} -k {data} -c listen_addresses=127.0.0.1"
    _pg_ctl(running, "start", "-l", str(data / "postgres.log"), "-o", options)
    running.postgres = int((data / "data" / "postmaster.pid").read_text().split()[0])
    running.save()


def _retry_after(response: httpx.Response) -> None:
    assert response.status_code == 503, f"{response.request.method} {response.request.url}: {response.status_code}"
    assert int(response.headers["retry-after"]) > 0


def test_a_postgres_restart_answers_503_meanwhile_and_leaves_no_half_written_resource(
    running: cluster.Cluster, registry: Registry
) -> None:
    before = _image("before-outage")
    _push(registry, before)
    during = _image("during-outage")
    with registry.client() as client:  # its blobs are in before the outage: only the manifest PUT meets it
        for blob in (during.config, during.layer):
            _expect(client.post(f"/v2/{REPO}/blobs/uploads/", params={"digest": _sha(blob)}, content=blob), 201)
    group = f"{_group(running)}?{API}"
    outage_group = f"{_group(running)}-outage?{API}"
    with _arm(running) as arm:
        _stop_postgres(running)
        try:
            answered = arm.get(group)
            _retry_after(answered)
            assert answered.json()["error"]["code"] == "ServiceUnavailable"
            _retry_after(arm.put(outage_group, json={"location": "chinanorth2"}))
            with registry.client() as client:
                headers = {"Content-Type": MANIFEST_TYPE}
                _retry_after(client.put(f"/v2/{REPO}/manifests/{during.tag}", content=during.manifest, headers=headers))
                _retry_after(client.get(f"/v2/{REPO}/manifests/{before.tag}", headers={"Accept": MANIFEST_TYPE}))
        finally:
            _start_postgres(running)
    deadline = time.monotonic() + BACK_WITHIN
    for index in range(running.n):
        with _arm(running, index) as direct:
            while (status := direct.get(group).status_code) != 200 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert status == 200, f"process {index} does not serve again after PostgreSQL is back: {status}"
    with _arm(running) as arm:
        assert arm.get(outage_group).status_code == 404, "the group PUT during the outage was not written"
    with registry.client() as client:
        gone = client.get(f"/v2/{REPO}/manifests/{during.tag}", headers={"Accept": MANIFEST_TYPE})
        assert gone.status_code == 404, "the manifest PUT during the outage was not written"
    _check_image(registry, before)


# 3. chunked uploads across processes ------------------------------------------------------------------


def _chunk(client: httpx.Client, location: str, data: bytes, start: int) -> str:
    headers = {"Content-Range": f"{start}-{start + len(data) - 1}", "Content-Type": "application/octet-stream"}
    response = client.patch(_path(location), content=data, headers=headers)
    assert response.status_code == 202, f"{response.status_code} {response.text}"
    assert response.headers["range"] == f"0-{start + len(data) - 1}"
    return str(response.headers["location"])


def test_a_chunked_upload_split_across_the_processes(registry: Registry) -> None:
    data = os.urandom(3 << 20)
    third = len(data) // 3
    with registry.client(0) as first:
        location = first.post(f"/v2/{REPO}/blobs/uploads/").headers["location"]
        location = _chunk(first, location, data[:third], 0)
    with registry.client(1) as second:
        location = _chunk(second, location, data[third : 2 * third], third)
        tail = data[2 * third :]
        headers = {"Content-Range": f"{2 * third}-{len(data) - 1}", "Content-Type": "application/octet-stream"}
        put = second.put(_with_digest(location, _sha(data)), content=tail, headers=headers)
        assert put.status_code == 201, put.text
    for index in (0, 1):
        assert registry.get_blob(_sha(data), index) == data


def test_an_upload_resumes_on_the_other_process_after_a_kill(running: cluster.Cluster, registry: Registry) -> None:
    data = os.urandom(2 << 20)
    half = len(data) // 2
    with registry.client(0) as first:
        location = first.post(f"/v2/{REPO}/blobs/uploads/").headers["location"]
        location = _chunk(first, location, data[:half], 0)
    running.kill(0)
    try:
        with registry.client(1) as second:
            status = second.get(_path(location))
            assert status.status_code == 204, status.text
            last = int(status.headers["range"].split("-")[1])
            assert last == half - 1, "the other process sees every byte the killed one took"
            location = _chunk(second, status.headers.get("location", location), data[last + 1 :], last + 1)
            put = second.put(_with_digest(location, _sha(data)))
            assert put.status_code == 201, put.text
        assert registry.get_blob(_sha(data), 1) == data
    finally:
        running.restart(0)
        running.wait_for(0, "UP")
        running.write_endpoints()
    assert registry.get_blob(_sha(data), 0) == data


def test_the_module_left_every_process_serving(running: cluster.Cluster) -> None:
    for index in range(running.n):
        with _arm(running, index) as direct:
            response: Any = direct.get(f"{_group(running)}?{API}")
            assert response.status_code == 200
