"""A real ``acrlink up --blob-store azure-blob://CONTAINER`` on a real Azurite, over TLS: pushed blobs land in
the container, pulls stream them through the HTTPS server's blocking-chunks path, the first whole pull leaves
a verified copy in ``DATA_DIR/blob-cache`` (kept before the server stops reading at the byte count), and
later pulls and ranges are served from it."""

from __future__ import annotations

import hashlib
import os
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from azure.storage.blob import BlobServiceClient

from tests.servers.azurite import Container

from .conftest import Running, arm_client, start, stop

pytestmark = [
    pytest.mark.slow,
    pytest.mark.single_process(reason="one process on a container of its own, and its own data dir's read cache"),
]
API = "api-version=2023-07-01"
NAME = "azureblobs"
MiB = 1 << 20


@pytest.fixture
def running(tmp_path: Path, azurite_container: Container) -> Iterator[Running]:
    env = {"AZURE_STORAGE_CONNECTION_STRING": azurite_container.connection_string}
    running = start(tmp_path / "acrlink", "--blob-store", f"azure-blob://{azurite_container.name}", env=env)
    try:
        yield running
    finally:
        stop(running)


def _client(running: Running) -> httpx.Client:
    verify = ssl.create_default_context(cafile=running.endpoints["ca"])
    with arm_client(running, verify) as arm:
        group = f"/subscriptions/{running.subscription}/resourceGroups/blobs"
        assert arm.put(f"{group}?{API}", json={"location": "chinanorth2"}).status_code in (200, 201)
        path = f"{group}/providers/Microsoft.ContainerRegistry/registries/{NAME}"
        body = {"location": "chinanorth2", "sku": {"name": "Premium"}, "properties": {"adminUserEnabled": True}}
        assert arm.put(f"{path}?{API}", json=body).status_code in (200, 201)
        password = arm.post(f"{path}/listCredentials?{API}").json()["passwords"][0]["value"]
    host = f"{NAME}.azurecr.cn"
    base = running.endpoints["registry"]
    with httpx.Client(base_url=base, verify=verify, headers={"Host": host}) as client:
        answer = client.get(
            "/oauth2/token", params={"service": host, "scope": "repository:app:pull,push"}, auth=(NAME, password)
        )
        assert answer.status_code == 200, answer.text
    headers = {"Host": host, "Authorization": f"Bearer {answer.json()['access_token']}"}
    return httpx.Client(base_url=base, verify=verify, headers=headers, timeout=60)


def test_pulls_stream_from_the_container_then_come_from_the_read_cache(
    running: Running, azurite_container: Container
) -> None:
    layer = os.urandom(5 * MiB + 3)
    digest = "sha256:" + hashlib.sha256(layer).hexdigest()
    copy = running.data_dir / "blob-cache" / digest.replace(":", "-")
    with _client(running) as client:
        location = client.post("/v2/app/blobs/uploads/").headers["location"]
        patched = client.patch(location, content=layer[: 3 * MiB])
        assert patched.status_code == 202, patched.text
        done = client.put(patched.headers["location"] + f"&digest={digest}", content=layer[3 * MiB :])
        assert done.status_code == 201, done.text
        service = BlobServiceClient.from_connection_string(azurite_container.connection_string)
        stored = service.get_blob_client(azurite_container.name, f"blobs/sha256/{digest.removeprefix('sha256:')}")
        assert stored.download_blob().readall() == layer, "the bytes are in the container"
        assert not copy.exists()
        first = client.get(f"/v2/app/blobs/{digest}")
        assert first.status_code == 200 and first.content == layer
        # The next request on the kept-alive connection comes after the first one's source was closed.
        ranged = client.get(f"/v2/app/blobs/{digest}", headers={"Range": "bytes=1048570-4194310"})
        assert ranged.status_code == 206 and ranged.content == layer[1048570:4194311]
        assert copy.read_bytes() == layer, "the first whole pull left a verified copy"
        again = client.get(f"/v2/app/blobs/{digest}")
        assert again.status_code == 200 and again.content == layer
