"""Every write of registry content moves the store's ``content`` change counter (what every process's read
cache follows); upload-session bookkeeping and refused writes do not."""

from __future__ import annotations

import hashlib

from acrlink.store.base import CONTENT
from tests.api.conftest import Arm
from tests.api.registry_client import RegistryClient, create_registry

HOST = "movereg.azurecr.cn"


def _version(arm: Arm) -> int:
    return arm.application.store.versions().get(CONTENT, 0)


def test_content_writes_move_the_content_counter(arm: Arm) -> None:
    password = create_registry(arm, "movereg")
    reg = RegistryClient(arm.application, HOST)
    reg.login("movereg", password, "repository:app:pull,push,delete,metadata_read,metadata_write")
    before = _version(arm)

    data = b"chunked layer"
    opened = reg.request("POST", "/v2/app/blobs/uploads/")
    assert opened.status_code == 202
    patched = reg.request("PATCH", opened.headers["location"], content=data[:5])
    assert patched.status_code == 202
    assert _version(arm) == before, "opening and appending to an upload session writes no content"
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    finished = reg.request("PUT", patched.headers["location"] + f"&digest={digest}", content=data[5:])
    assert finished.status_code == 201, finished.text
    linked = _version(arm)
    assert linked > before, "the finished upload links the blob"

    image = reg.image("app", layer=b"layer")
    assert reg.push_manifest("app", "v1", image).status_code == 201
    pushed = _version(arm)
    assert pushed > linked

    other = reg.image("app", layer=b"other")  # its blobs pushed (and linked) now
    locked = reg.request("PATCH", "/acr/v1/app/_tags/v1", json={"writeEnabled": False})
    assert locked.status_code == 200
    attributes = _version(arm)
    assert attributes > pushed
    refused = reg.push_manifest("app", "v1", other)
    assert refused.status_code == 405
    assert _version(arm) == attributes, "a refused write changes nothing, the counter included"

    imported = arm.request(
        "POST",
        arm.registry_path("movereg") + "/importImage",
        {"source": {"registryUri": "mcr.microsoft.com", "sourceImage": "hello-world:latest"}, "targetTags": ["hi:v1"]},
    )
    assert imported.status_code == 200, imported.text
    after_import = _version(arm)
    assert after_import > attributes

    assert reg.request("DELETE", "/v2/app/manifests/v2").status_code == 404
    assert _version(arm) == after_import
    reg.request("PATCH", "/acr/v1/app/_tags/v1", json={"writeEnabled": True})
    assert reg.request("DELETE", "/v2/app/manifests/v1").status_code == 202
    deleted = _version(arm)
    assert deleted > after_import

    assert arm.request("DELETE", arm.registry_path("movereg")).status_code in (200, 202)
    assert _version(arm) > deleted, "a deleted registry's content goes, and the counter says so"
