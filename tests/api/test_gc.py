"""Garbage collection in-process (issue 12): through the ARM view ``acrlink gc`` calls, over the registry face,
on both blob backends (files, and Azure Blob Storage on a real Azurite); and the interleavings with a push on
another process (a second application over the same store and blob store), played deterministically."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from acrlink.app import Application, build
from acrlink.domain import gc as gc_rule
from acrlink.domain.oci import parse_digest
from acrlink.settings import Settings
from tests.api.conftest import Arm, error_code, make_arm, make_azurite_arm
from tests.api.registry_client import RegistryClient, create_registry

GC = "/subscriptions/{sub}/providers/Acrlink.Network/garbageCollection"
REG, OTHER = "gcreg", "gcother"


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _login(arm: Arm, name: str, application: Application | None = None) -> RegistryClient:
    password = create_registry(arm, name) if application is None else _password(arm, name)
    client = RegistryClient(application or arm.application, f"{name}.azurecr.cn")
    client.login(name, password, "repository:app:pull,push,delete", "repository:web:pull,push,delete")
    return client


def _password(arm: Arm, name: str) -> str:
    credentials = arm.request("POST", arm.registry_path(name) + "/listCredentials").json()
    return str(credentials["passwords"][0]["value"])


def _image(client: RegistryClient, repo: str, config: bytes, *layers: bytes) -> dict[str, Any]:
    return {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": client.push_blob(repo, config),
            "size": len(config),
        },
        "layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": client.push_blob(repo, x), "size": len(x)}
            for x in layers
        ],
    }


def _collect(arm: Arm, **body: Any) -> dict[str, Any]:
    response = arm.request("POST", GC, body)
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def _stored(application: Application) -> set[str]:
    return {str(b.digest) for b in application.registry.face.content.blobs.stored()}


def _blob(client: RegistryClient, repo: str, digest: str) -> tuple[int, bytes | str]:
    response = client.request("GET", f"/v2/{repo}/blobs/{digest}")
    return response.status_code, response.content if response.status_code == 200 else error_code_of(response)


def error_code_of(response: Any) -> str:
    return str(response.json()["errors"][0]["code"])


@pytest.fixture(params=["files", "azurite"])
def arm(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Arm]:
    if request.param == "files":
        yield from make_arm(tmp_path)
    else:
        yield from make_azurite_arm(tmp_path, request)


def test_gc_removes_exactly_the_unreferenced_blobs_and_their_links(arm: Arm) -> None:
    reg = _login(arm, REG)
    other = _login(arm, OTHER)
    shared, kept_layer, gone_layer, orphan, elsewhere = (b"shared layer", b"kept layer", b"gone layer", b"orphan", b"y")
    v1 = _image(reg, "app", b'{"v": 1}', kept_layer, shared)
    v2 = _image(reg, "app", b'{"v": 2}', gone_layer, shared)
    assert reg.push_manifest("app", "v1", v1).status_code == 201
    pushed = reg.push_manifest("app", "v2", v2)
    assert pushed.status_code == 201
    reg.push_blob("app", orphan)
    reg.push_blob("app", elsewhere)  # only linked here; another registry's manifest references it
    web = _image(other, "web", b'{"web": true}', elsewhere)
    assert other.push_manifest("web", "latest", web).status_code == 201
    deleted = reg.request("DELETE", f"/v2/app/manifests/{pushed.headers['Docker-Content-Digest']}")
    assert deleted.status_code == 202, deleted.text
    before = _stored(arm.application)

    assert _collect(arm)["blobsRemoved"] == 0, "the default grace period keeps what was just pushed"
    dry = _collect(arm, graceSeconds=0, dryRun=True)
    assert _stored(arm.application) == before, "a dry run removes nothing"
    report = _collect(arm, graceSeconds=0)

    garbage = {_sha(b'{"v": 2}'), _sha(gone_layer), _sha(orphan)}
    assert set(report["blobs"]) == garbage and report["blobsRemoved"] == 3
    assert report["bytesFreed"] == len(b'{"v": 2}') + len(gone_layer) + len(orphan)
    assert report["linksRemoved"] == 4, "the three blobs' links, and the link to the blob another registry keeps"
    assert {k: v for k, v in dry.items() if k != "dryRun"} == {k: v for k, v in report.items() if k != "dryRun"}
    assert dry["dryRun"] is True and report["dryRun"] is False
    assert _stored(arm.application) == before - garbage, "the referenced ones (and MCR's sample) stay"
    for digest in garbage:
        assert _blob(reg, "app", digest) == (404, "BLOB_UNKNOWN")
        assert arm.application.registry.face.content.blobs.size(parse_digest(digest)) is None
    for data in (shared, kept_layer, b'{"v": 1}'):
        assert _blob(reg, "app", _sha(data)) == (200, data)
    assert _blob(reg, "app", _sha(elsewhere)) == (404, "BLOB_UNKNOWN"), "its link in this registry went"
    assert _blob(other, "web", _sha(elsewhere)) == (200, elsewhere), "its bytes stayed for the other registry"
    assert reg.request("GET", "/v2/app/manifests/v1").status_code == 200
    assert _collect(arm, graceSeconds=0)["blobsRemoved"] == 0, "a second collection finds nothing"
    refused = reg.push_manifest("app", "v2", v2)
    assert refused.status_code == 404 and error_code_of(refused) == "MANIFEST_BLOB_UNKNOWN", "push the blobs again"


def test_gc_sweeps_abandoned_upload_sessions(arm: Arm) -> None:
    reg = _login(arm, REG)
    opened = reg.request("POST", "/v2/app/blobs/uploads/")
    fresh = reg.request("POST", "/v2/app/blobs/uploads/")
    assert opened.status_code == fresh.status_code == 202
    upload_id = opened.headers["Docker-Upload-UUID"]
    store = arm.application.store
    with store.transaction() as tx:
        assert tx.content.update_upload(upload_id, {}, {"touched": 0})  # abandoned in 1970
    assert _collect(arm, dryRun=True)["uploadsRemoved"] == 1
    assert _collect(arm)["uploadsRemoved"] == 1
    assert reg.request("GET", opened.headers["Location"]).status_code == 404
    assert reg.request("GET", fresh.headers["Location"]).status_code == 204, "a live session stays"


@pytest.mark.parametrize(
    "body", [{"graceSeconds": -1}, {"graceSeconds": "0"}, {"graceSeconds": True}, {"dryRun": "yes"}, [1]]
)
def test_bad_requests_are_refused_and_remove_nothing(arm: Arm, body: Any) -> None:
    reg = _login(arm, REG)
    reg.push_blob("app", b"orphan")
    before = _stored(arm.application)
    response = arm.request("POST", GC, raw=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and error_code(response) == "InvalidRequestContent", response.text
    assert _stored(arm.application) == before


def test_only_post_and_only_for_principals_allowed_to(arm: Arm) -> None:
    assert arm.request("GET", GC).status_code == 405
    token, _ = arm.application.identity.issue(
        "00000000-0000-0000-0000-00000000beef", "https://management.core.chinacloudapi.cn/"
    )
    response = arm.request("POST", GC, {}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403 and error_code(response) == "AuthorizationFailed", response.text
    assert "Acrlink.Network/garbageCollection/action" in response.json()["error"]["message"]


# Interleavings with a push on another process -----------------------------------------------------------


@pytest.fixture
def second(arm: Arm) -> Iterator[Application]:
    """Another process over the same data directory (store and blob store)."""
    settings = arm.application.settings
    application = build(Settings(data_dir=settings.data_dir, blob_store_url=settings.blob_store_url))
    yield application
    application.store.close()


def test_a_blob_committed_after_gc_listed_it_is_not_deleted(arm: Arm, second: Application) -> None:
    reg = _login(arm, REG)
    pusher = _login(arm, REG, second)
    layer = b"a layer pushed again on the other process"
    digest = reg.push_blob("app", layer)
    blobs = arm.application.registry.face.content.blobs
    real_delete = blobs.delete_if_unchanged
    pushed: list[str] = []

    def delete_after_a_push(found: Any, version: str) -> bool:
        if str(found) == digest and not pushed:
            pushed.append(pusher.push_blob("web", layer))  # commits (touches) the same digest, then links it
        return real_delete(found, version)

    blobs.delete_if_unchanged = delete_after_a_push  # type: ignore[method-assign]
    report = arm.application.collector.collect(grace_seconds=0)
    assert pushed == [digest], "the push ran between the listing and the delete"
    assert digest not in report.blobs and arm.application.registry.face.content.blobs.size(parse_digest(digest))
    assert _blob(pusher, "web", digest) == (200, layer)
    image = {**_image(pusher, "web", b"{}"), "layers": [{"mediaType": "x", "digest": digest, "size": len(layer)}]}
    assert pusher.push_manifest("web", "v1", image).status_code == 201


def test_a_link_a_manifest_push_holds_is_not_removed(
    arm: Arm, second: Application, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg = _login(arm, REG)
    pusher = _login(arm, REG, second)
    layer = b"pushed long ago, referenced only now"
    image = _image(reg, "app", b'{"late": true}', layer)
    real_is_stale = gc_rule.is_stale
    pushed: list[int] = []

    def is_stale(link: gc_rule.Link, refs: gc_rule.References, before: float) -> bool:
        if not pushed:  # after the collector read manifests and links, before it removes any
            pushed.append(pusher.push_manifest("app", "v1", image).status_code)
        return real_is_stale(link, refs, before)

    monkeypatch.setattr(gc_rule, "is_stale", is_stale)
    report = arm.application.collector.collect(grace_seconds=0)
    assert pushed == [201]
    assert report.blobs == () and report.links_removed == 0, "the push held its links; nothing it needs went"
    for data in (layer, b'{"late": true}'):
        assert _blob(reg, "app", _sha(data)) == (200, data)
    assert reg.request("GET", "/v2/app/manifests/v1").status_code == 200
    monkeypatch.setattr(gc_rule, "is_stale", real_is_stale)
    assert arm.application.collector.collect(grace_seconds=0).blobs == (), "now the manifest references them"


def test_the_periodic_run_outlives_failed_collections() -> None:
    """``periodically`` keeps collecting after the store was unavailable or a collection failed."""
    from acrlink.services import gc as gc_service
    from acrlink.store.base import StoreUnavailable

    outcomes: list[BaseException | None] = [StoreUnavailable("down"), RuntimeError("bug"), None]
    calls: list[int] = []

    class Flaky:
        def collect(self) -> gc_service.Report:
            calls.append(1)
            outcome = outcomes.pop(0) if outcomes else None
            if outcome is not None:
                raise outcome
            return gc_service.Report(1, 10, 1, 0, 0.0, blobs=("sha256:" + "a" * 64,))

    async def run() -> None:
        task = asyncio.create_task(gc_service.periodically(Flaky(), 0.001))  # type: ignore[arg-type]
        while len(calls) < 4:
            await asyncio.sleep(0.001)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(run())
    assert len(calls) >= 4 and outcomes == []
