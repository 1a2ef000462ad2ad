"""The registry over Azure Blob Storage (a real Azurite) with its local read cache (``DATA_DIR/blob-cache``):
a pull fills it and later pulls and ranges are served from it, identical; a collection on this process empties
it; a blob another process collected is not served from it (every pull asks Azure whether the blob is there);
``ACRLINK_BLOB_CACHE_BYTES`` bounds it, 0 turns it off."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from acrlink.app import Application, build
from acrlink.domain.oci import parse_digest
from acrlink.settings import Settings
from acrlink.store.azure_blobs import AzureBlobStore
from tests.api.conftest import Arm, make_azurite_arm, seed_entra_key
from tests.api.registry_client import RegistryClient, create_registry

NAME = "cachereg"
MiB = 1 << 20


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _copy(application: Application, digest: str) -> Path:
    return application.settings.data_dir / "blob-cache" / digest.replace(":", "-")


def _client(arm: Arm, application: Application | None = None) -> RegistryClient:
    if application is None:
        password = create_registry(arm, NAME)
    else:
        password = arm.request("POST", arm.registry_path(NAME) + "/listCredentials").json()["passwords"][0]["value"]
    client = RegistryClient(application or arm.application, f"{NAME}.azurecr.cn")
    client.login(NAME, password, "repository:app:pull,push,delete")
    return client


def _store(application: Application) -> AzureBlobStore:
    blobs = application.registry.face.content.blobs
    assert isinstance(blobs, AzureBlobStore)
    return blobs


@pytest.fixture
def second(azurite_arm: Arm) -> Iterator[Application]:
    """Another process over the same store and blob store, with a data directory (and read cache) of its own."""
    settings = azurite_arm.application.settings
    other = settings.data_dir.parent / "second"
    seed_entra_key(other)
    application = build(Settings(data_dir=other, store_url=settings.store, blob_store_url=settings.blob_store_url))
    yield application
    application.store.close()


def test_a_pull_fills_the_cache_and_later_pulls_and_ranges_come_from_it(azurite_arm: Arm) -> None:
    client = _client(azurite_arm)
    layer = os.urandom(3 * MiB + 11)
    digest = client.push_blob("app", layer)
    assert not _copy(azurite_arm.application, digest).exists(), "a push fills nothing"
    assert client.request("GET", f"/v2/app/blobs/{digest}").content == layer
    assert _copy(azurite_arm.application, digest).read_bytes() == layer
    opened = _store(azurite_arm.application).open_range(parse_digest(digest), 0, 0)
    assert opened.file is not None, "served from the copy"
    opened.close()
    assert client.request("GET", f"/v2/app/blobs/{digest}").content == layer
    ranged = client.request("GET", f"/v2/app/blobs/{digest}", headers={"Range": f"bytes={MiB}-{2 * MiB + 2}"})
    assert ranged.status_code == 206 and ranged.content == layer[MiB : 2 * MiB + 3]
    head = client.request("HEAD", f"/v2/app/blobs/{digest}")
    assert head.status_code == 200 and head.headers["content-length"] == str(len(layer))


def test_a_collection_here_empties_the_cache(azurite_arm: Arm) -> None:
    client = _client(azurite_arm)
    layer = b"an orphan layer, pulled once"
    digest = client.push_blob("app", layer)
    assert client.request("GET", f"/v2/app/blobs/{digest}").content == layer
    assert _copy(azurite_arm.application, digest).exists()
    report = azurite_arm.application.collector.collect(grace_seconds=0)
    assert digest in report.blobs
    assert not _copy(azurite_arm.application, digest).exists()
    assert client.request("GET", f"/v2/app/blobs/{digest}").status_code == 404


def test_a_blob_another_process_collected_is_not_served_from_the_cache(azurite_arm: Arm, second: Application) -> None:
    client = _client(azurite_arm)
    layer = b"cached here, collected there"
    digest = client.push_blob("app", layer)
    assert client.request("GET", f"/v2/app/blobs/{digest}").content == layer
    assert digest in second.collector.collect(grace_seconds=0).blobs
    assert _copy(azurite_arm.application, digest).exists(), "this process's copy is still on its disk"
    gone = client.request("GET", f"/v2/app/blobs/{digest}")
    assert gone.status_code == 404 and gone.json()["errors"][0]["code"] == "BLOB_UNKNOWN"
    assert client.push_blob("app", layer) == digest, "pushed again"
    assert client.request("GET", f"/v2/app/blobs/{digest}").content == layer


@pytest.fixture
def uncached_arm(tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Arm]:
    monkeypatch.setenv("ACRLINK_BLOB_CACHE_BYTES", "0")
    yield from make_azurite_arm(tmp_path, request)


def test_a_bound_of_zero_turns_the_cache_off(uncached_arm: Arm, tmp_path: Path) -> None:
    assert _store(uncached_arm.application).cache is None
    client = _client(uncached_arm)
    digest = client.push_blob("app", b"never cached")
    assert client.request("GET", f"/v2/app/blobs/{digest}").content == b"never cached"
    assert not (tmp_path / "blob-cache").exists()


def test_the_bound_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACRLINK_BLOB_CACHE_BYTES", raising=False)
    assert Settings(data_dir=tmp_path).blob_cache_bytes == 2 << 30, "2 GiB by default"
    monkeypatch.setenv("ACRLINK_BLOB_CACHE_BYTES", str(5 * MiB))
    assert Settings(data_dir=tmp_path).blob_cache_bytes == 5 * MiB
    for bad in ("2GiB", "-1", "1.5"):
        monkeypatch.setenv("ACRLINK_BLOB_CACHE_BYTES", bad)
        with pytest.raises(ValueError, match="ACRLINK_BLOB_CACHE_BYTES"):
            Settings(data_dir=tmp_path)
