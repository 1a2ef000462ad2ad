"""``acrlink gc`` on a running process (issue 12): skopeo pushes two images through the proxy, deletes one
by digest through the registry API, and a collection with no grace period removes exactly that image's
blobs; the other still pulls."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Running, arm_client, required_tool, start, stop

pytestmark = pytest.mark.slow
NAME = "gcreg"
SERVER = f"{NAME}.azurecr.cn"
API = "api-version=2023-07-01"
LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
"""Compressed already: skopeo pushes the layout's bytes as they are (it would compress a plain tar)."""


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _layout(root: Path, tag: str, config: bytes, layer: bytes) -> dict[str, str]:
    """An OCI image layout holding one image (its own bytes: nothing shared with the MCR sample); the digests."""
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": _sha(config),
                "size": len(config),
            },
            "layers": [
                {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": _sha(layer), "size": len(layer)}
            ],
        }
    ).encode()
    for data in (config, layer, manifest):
        (blobs / _sha(data).split(":")[1]).write_bytes(data)
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    descriptor = {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": _sha(manifest),
        "size": len(manifest),
        "annotations": {"org.opencontainers.image.ref.name": tag},
    }
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [descriptor]}))
    return {"config": _sha(config), "layer": _sha(layer), "manifest": _sha(manifest)}


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    started = start(tmp_path / "acrlink")
    yield started
    stop(started)


def _registry(running: Running) -> str:
    """A Premium registry with the admin user; its password."""
    with arm_client(running) as arm:
        group = f"/subscriptions/{running.subscription}/resourceGroups/gcrg"
        assert arm.put(f"{group}?{API}", json={"location": "chinanorth2"}).status_code in (200, 201)
        path = f"{group}/providers/Microsoft.ContainerRegistry/registries/{NAME}"
        body = {"location": "chinanorth2", "sku": {"name": "Premium"}, "properties": {"adminUserEnabled": True}}
        assert arm.put(f"{path}?{API}", json=body).status_code in (200, 201)
        return str(arm.post(f"{path}/listCredentials?{API}").json()["passwords"][0]["value"])


def _blob_status(running: Running, password: str, digest: str) -> tuple[int, str]:
    """GET the blob on the registry port (the public path), with a pull token; status and error code."""
    verify = ssl.create_default_context(cafile=running.endpoints["ca"])
    with httpx.Client(base_url=running.endpoints["registry"], verify=verify, headers={"Host": SERVER}) as client:
        token = client.get(
            "/oauth2/token", params={"service": SERVER, "scope": "repository:app:pull"}, auth=(NAME, password)
        ).json()["access_token"]
        answer = client.get(f"/v2/app/blobs/{digest}", headers={"Authorization": f"Bearer {token}"})
    code = answer.json()["errors"][0]["code"] if answer.status_code != 200 else ""
    return answer.status_code, code


def test_acrlink_gc_removes_the_deleted_images_blobs(running: Running, tmp_path: Path) -> None:
    skopeo = required_tool("skopeo")
    password = _registry(running)
    env = {
        **os.environ,
        "HTTPS_PROXY": running.endpoints["proxy"],
        "NO_PROXY": "127.0.0.1,localhost",
        "SSL_CERT_FILE": running.endpoints["caBundle"],
    }
    creds = f"{NAME}:{password}"

    def skopeo_run(*args: str) -> None:
        done = subprocess.run([skopeo, *args], capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, f"skopeo {' '.join(args)}:\n{done.stderr}"

    kept = _layout(tmp_path / "kept", "v1", b'{"architecture": "amd64", "kept": true}', gzip.compress(os.urandom(4096)))
    gone = _layout(tmp_path / "gone", "v2", b'{"architecture": "amd64", "gone": true}', gzip.compress(os.urandom(4096)))
    skopeo_run("copy", f"oci:{tmp_path / 'kept'}:v1", f"docker://{SERVER}/app:v1", "--dest-creds", creds)
    digestfile = tmp_path / "gone.digest"
    skopeo_run(
        "copy", "--digestfile", str(digestfile), f"oci:{tmp_path / 'gone'}:v2", f"docker://{SERVER}/app:v2",
        "--dest-creds", creds,
    )  # fmt: skip
    assert digestfile.read_text().strip() == gone["manifest"]
    skopeo_run("delete", "--creds", creds, f"docker://{SERVER}/app@{gone['manifest']}")

    dry = running.cli("gc", "--grace-seconds", "0", "--dry-run").stdout
    assert f"would remove {gone['layer']}" in dry and f"would remove {gone['config']}" in dry, dry
    assert _blob_status(running, password, gone["layer"]) == (200, ""), "a dry run removes nothing"
    report = running.cli("gc", "--grace-seconds", "0").stdout
    removed = {line.split()[1] for line in report.splitlines() if line.startswith("removed ")}
    assert removed == {gone["layer"], gone["config"]}, report
    assert "2 blob(s) removed" in report and "2 blob link(s)" in report, report
    for digest in (gone["layer"], gone["config"]):
        assert _blob_status(running, password, digest) == (404, "BLOB_UNKNOWN")
        assert not (running.data_dir / "blobs" / "sha256" / digest[7:9] / digest[7:]).exists()
    for digest in (kept["layer"], kept["config"]):
        assert _blob_status(running, password, digest) == (200, "")
    skopeo_run("copy", "--src-creds", creds, f"docker://{SERVER}/app:v1", f"oci:{tmp_path / 'pulled'}:v1")
    again = running.cli("gc").stdout
    assert "0 blob(s) removed" in again, again


def test_acrlink_gc_needs_a_running_process(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "acrlink", "gc", "--data-dir", str(tmp_path)], capture_output=True, text=True
    )
    assert result.returncode == 1 and "not running" in result.stderr, result.stderr
    negative = subprocess.run(
        [sys.executable, "-m", "acrlink", "gc", "--data-dir", str(tmp_path), "--grace-seconds", "-1"],
        capture_output=True,
        text=True,
    )
    assert negative.returncode == 2 and "grace-seconds" in negative.stderr, negative.stderr


def test_acrlink_up_collects_on_its_own(tmp_path: Path) -> None:
    running = start(tmp_path / "acrlink", env={"ACRLINK_GC_INTERVAL_SECONDS": "0.2", "ACRLINK_GC_GRACE_SECONDS": "0"})
    try:
        password = _registry(running)
        verify = ssl.create_default_context(cafile=running.endpoints["ca"])
        orphan = os.urandom(1024)
        with httpx.Client(base_url=running.endpoints["registry"], verify=verify, headers={"Host": SERVER}) as client:
            token = client.get(
                "/oauth2/token", params={"service": SERVER, "scope": "repository:app:pull,push"}, auth=(NAME, password)
            ).json()["access_token"]
            pushed = client.post(
                "/v2/app/blobs/uploads/",
                params={"digest": _sha(orphan)},
                content=orphan,
                headers={"Authorization": f"Bearer {token}"},
            )
        assert pushed.status_code == 201, pushed.text
        path = running.data_dir / "blobs" / "sha256" / _sha(orphan)[7:9] / _sha(orphan)[7:]
        deadline = time.monotonic() + 60  # a bound on waiting, not a speed requirement
        # Waiting on the registry's answer, not the file: a cluster's blobs are in Azure Blob Storage.
        while _blob_status(running, password, _sha(orphan))[0] == 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _blob_status(running, password, _sha(orphan)) == (404, "BLOB_UNKNOWN")
        assert not path.exists(), "the periodic collection removed the orphan blob"
    finally:
        stop(running)
