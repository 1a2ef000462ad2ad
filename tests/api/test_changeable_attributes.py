"""ACR's changeable attributes (image locking) through /acr/v1 PATCH, and their enforcement on the /v2 face."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from acrlink import unconfirmed
from tests.api.conftest import Arm, error_code
from tests.api.registry_client import RegistryClient, create_registry

HOST = "lockreg.azurecr.cn"
DISALLOWED = "REGISTRY_DISALLOWED_OPERATION"


@pytest.fixture
def reg(arm: Arm) -> RegistryClient:
    password = create_registry(arm, "lockreg")
    client = RegistryClient(arm.application, HOST)
    client.login(
        "lockreg",
        password,
        "repository:app:pull,push,delete,metadata_read,metadata_write",
        "repository:other:pull,push,delete,metadata_read,metadata_write",
        "registry:catalog:*",
    )
    return client


def codes(response: httpx.Response) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


def refused(response: httpx.Response) -> bool:
    return response.status_code == 405 and codes(response) == [DISALLOWED]


def patch(reg: RegistryClient, path: str, **attributes: Any) -> httpx.Response:
    return reg.request("PATCH", f"/acr/v1/{path}", json=attributes)


def pushed(reg: RegistryClient, tag: str, layer: bytes = b"layer", repo: str = "app") -> str:
    response = reg.push_manifest(repo, tag, reg.image(repo, layer=layer))
    assert response.status_code == 201, response.text
    return str(response.headers["docker-content-digest"])


def test_patch_shows_and_keeps_attributes(reg: RegistryClient) -> None:
    digest = pushed(reg, "v1")
    shown = reg.request("GET", "/acr/v1/app").json()["changeableAttributes"]
    assert shown == {
        "deleteEnabled": True,
        "writeEnabled": True,
        "readEnabled": True,
        "listEnabled": True,
        "teleportEnabled": False,
    }
    updated = patch(reg, "app", writeEnabled=False, teleportEnabled=True)
    assert updated.status_code == 200, updated.text
    assert updated.json()["changeableAttributes"]["writeEnabled"] is False
    assert updated.json()["imageName"] == "app"
    tag = patch(reg, "app/_tags/v1", deleteEnabled=False)
    assert tag.json()["tag"]["changeableAttributes"] == {
        "deleteEnabled": False,
        "writeEnabled": True,
        "readEnabled": True,
        "listEnabled": True,
    }
    manifest = patch(reg, f"app/_manifests/{digest}", readEnabled=False)
    assert manifest.json()["manifest"]["changeableAttributes"]["readEnabled"] is False
    again = patch(reg, "app/_tags/v1", listEnabled=False)
    assert again.json()["tag"]["changeableAttributes"]["deleteEnabled"] is False, "unsent attributes keep values"
    assert reg.request("GET", "/acr/v1/app/_tags/v1").json()["tag"]["changeableAttributes"]["listEnabled"] is False
    listed = reg.request("GET", "/acr/v1/app/_manifests").json()["manifests"]
    assert listed[0]["changeableAttributes"]["readEnabled"] is False


def test_patch_rules(reg: RegistryClient) -> None:
    pushed(reg, "v1")
    assert codes(patch(reg, "other", writeEnabled=False)) == ["NAME_UNKNOWN"]
    assert codes(patch(reg, "app/_tags/v9", writeEnabled=False)) == ["TAG_UNKNOWN"]
    assert codes(patch(reg, "app/_manifests/sha256:" + "3" * 64, writeEnabled=False)) == ["MANIFEST_UNKNOWN"]
    assert patch(reg, "app", writeEnabled="no").status_code == 400
    assert reg.request("PATCH", "/acr/v1/app", content=b"not json").status_code == 400
    reader = RegistryClient.__new__(RegistryClient)
    reader.__dict__.update(reg.__dict__)
    reader.token = None
    denied = reader.request("PATCH", "/acr/v1/app", json={"writeEnabled": False})
    assert denied.status_code == 401
    assert 'scope="repository:app:metadata_write"' in denied.headers["www-authenticate"]


def test_write_locked_repository_refuses_pushes_and_deletes(reg: RegistryClient) -> None:
    digest = pushed(reg, "v1")
    patch(reg, "app", writeEnabled=False)
    assert refused(reg.push_manifest("app", "v2", reg.image("app", layer=b"new")))
    assert refused(reg.push_manifest("app", "v1", reg.image("app", layer=b"new")))
    assert refused(reg.request("DELETE", f"/v2/app/manifests/{digest}"))
    assert refused(reg.request("DELETE", "/v2/app/manifests/v1"))
    assert refused(reg.request("DELETE", "/acr/v1/app"))
    assert refused(reg.request("DELETE", "/acr/v1/app/_tags/v1"))
    assert reg.request("GET", "/v2/app/tags/list").json()["tags"] == ["v1"], "refusals change nothing"
    assert reg.request("GET", "/v2/app/manifests/v1").status_code == 200, "a write lock does not stop pulls"
    pushed(reg, "v1", repo="other")
    patch(reg, "app", writeEnabled=True)
    pushed(reg, "v2", layer=b"new")
    assert reg.request("DELETE", "/acr/v1/app").status_code == 202


def test_tag_lock_stops_overwrite_and_delete_only_of_that_tag(reg: RegistryClient) -> None:
    digest = pushed(reg, "v1")
    patch(reg, "app/_tags/v1", writeEnabled=False)
    assert refused(reg.push_manifest("app", "v1", reg.image("app", layer=b"other")))
    assert reg.request("GET", "/v2/app/manifests/v1").headers["docker-content-digest"] == digest
    pushed(reg, "v2", layer=b"other")
    assert refused(reg.request("DELETE", "/v2/app/manifests/v1"))
    assert refused(reg.request("DELETE", f"/acr/v1/app/_manifests/{digest}")), "the manifest's tag is locked"
    assert reg.request("DELETE", "/v2/app/manifests/v2").status_code == 202
    patch(reg, "app/_tags/v1", writeEnabled=True, deleteEnabled=False)
    pushed(reg, "v1", layer=b"third")
    assert refused(reg.request("DELETE", "/acr/v1/app/_tags/v1"))
    assert refused(reg.request("DELETE", "/acr/v1/app"))
    patch(reg, "app/_tags/v1", deleteEnabled=True)
    assert reg.request("DELETE", "/acr/v1/app/_tags/v1").status_code == 202


def test_manifest_lock(reg: RegistryClient) -> None:
    image = reg.image("app")
    digest = reg.push_manifest("app", "v1", image).headers["docker-content-digest"]
    patch(reg, f"app/_manifests/{digest}", deleteEnabled=False)
    assert refused(reg.request("DELETE", f"/v2/app/manifests/{digest}"))
    assert reg.request("DELETE", "/v2/app/manifests/v1").status_code == 202, "the tag itself is not locked"
    assert reg.request("GET", f"/v2/app/manifests/{digest}").status_code == 200
    patch(reg, f"app/_manifests/{digest}", deleteEnabled=True, writeEnabled=False)
    assert refused(reg.push_manifest("app", digest, image)), "no push over a write-locked manifest"
    assert reg.push_manifest("app", "v3", image).status_code == 201, "a new tag for it is allowed"
    assert refused(reg.request("DELETE", f"/acr/v1/app/_manifests/{digest}"))
    patch(reg, f"app/_manifests/{digest}", writeEnabled=True)
    assert reg.request("DELETE", f"/acr/v1/app/_manifests/{digest}").status_code == 202


def test_read_disabled_refuses_pulls(reg: RegistryClient) -> None:
    digest = pushed(reg, "v1")
    pushed(reg, "v2", layer=b"other")
    layer = reg.image("app")["layers"][0]["digest"]
    patch(reg, "app/_tags/v1", readEnabled=False)
    assert refused(reg.request("GET", "/v2/app/manifests/v1"))
    assert reg.request("HEAD", "/v2/app/manifests/v1").status_code == 405
    assert reg.request("GET", f"/v2/app/manifests/{digest}").status_code == 200, "the digest is not locked"
    patch(reg, f"app/_manifests/{digest}", readEnabled=False)
    assert refused(reg.request("GET", f"/v2/app/manifests/{digest}"))
    assert reg.request("GET", "/v2/app/manifests/v2").status_code == 200
    patch(reg, "app", readEnabled=False)
    assert refused(reg.request("GET", "/v2/app/manifests/v2"))
    assert refused(reg.request("GET", f"/v2/app/blobs/{layer}"))
    assert reg.request("GET", "/acr/v1/app/_tags").status_code == 200, "metadata stays readable"
    patch(reg, "app", readEnabled=True)
    assert reg.request("GET", f"/v2/app/blobs/{layer}").status_code == 200
    assert reg.request("GET", "/v2/app/manifests/v2").status_code == 200


def test_list_disabled_hides_from_listings(reg: RegistryClient) -> None:
    digest = pushed(reg, "v1")
    for tag in ("a", "b", "c"):
        pushed(reg, tag, layer=tag.encode())
    pushed(reg, "v1", repo="other")
    patch(reg, "app/_tags/b", listEnabled=False)
    page = reg.request("GET", "/v2/app/tags/list", params={"n": 2})
    assert page.json()["tags"] == ["a", "c"], "pages are filled from the listed tags"
    assert [t["name"] for t in reg.request("GET", "/acr/v1/app/_tags").json()["tags"]] == ["a", "c", "v1"]
    assert reg.request("GET", "/acr/v1/app/_tags/b").status_code == 200, "hidden, not gone"
    assert reg.request("GET", "/v2/app/manifests/b").status_code == 200
    patch(reg, f"app/_manifests/{digest}", listEnabled=False)
    manifests = reg.request("GET", "/acr/v1/app/_manifests").json()["manifests"]
    assert digest not in [m["digest"] for m in manifests] and len(manifests) == 3
    patch(reg, "app", listEnabled=False)
    assert reg.request("GET", "/v2/_catalog").json()["repositories"] == ["other"]
    assert reg.request("GET", "/acr/v1/_catalog").json()["repositories"] == ["other"]
    assert reg.request("GET", "/v2/_catalog", params={"n": 1}).json()["repositories"] == ["other"]
    patch(reg, "app", listEnabled=True)
    assert reg.request("GET", "/v2/_catalog").json()["repositories"] == ["app", "other"]


def test_attributes_go_with_what_they_lock(reg: RegistryClient) -> None:
    digest = pushed(reg, "v1")
    patch(reg, "app/_tags/v1", listEnabled=False)
    patch(reg, f"app/_manifests/{digest}", readEnabled=False)
    assert reg.request("DELETE", f"/v2/app/manifests/{digest}").status_code == 202
    again = pushed(reg, "v1")
    assert again == digest
    assert reg.request("GET", "/v2/app/tags/list").json()["tags"] == ["v1"]
    assert reg.request("GET", "/v2/app/manifests/v1").status_code == 200
    patch(reg, "app", readEnabled=False, listEnabled=False)
    patch(reg, "app/_tags/v1", listEnabled=False)
    assert reg.request("DELETE", "/acr/v1/app").status_code == 202
    pushed(reg, "v1")
    assert reg.request("GET", "/v2/_catalog").json()["repositories"] == ["app"]
    assert reg.request("GET", "/v2/app/manifests/v1").status_code == 200
    assert reg.request("GET", "/acr/v1/app").json()["changeableAttributes"]["readEnabled"] is True


# importImage (the ARM face) takes the push path: the same locks hold ------------------------------------


def import_image(
    arm: Arm, source: str, *, tags: list[str] | None = None, untagged: list[str] | None = None
) -> httpx.Response:
    """``importImage`` into lockreg from lockreg itself (``Force``: a lock, not ``TagAlreadyExists``, refuses)."""
    body: dict[str, Any] = {"source": {"registryUri": HOST, "sourceImage": source}, "mode": "Force"}
    if tags is not None:
        body["targetTags"] = tags
    if untagged is not None:
        body["untaggedTargetRepositories"] = untagged
    return arm.request("POST", arm.registry_path("lockreg") + "/importImage", body)


def import_refused(response: httpx.Response) -> bool:
    return response.status_code == 409 and error_code(response) == unconfirmed.IMPORT_LOCKED_CODE


def test_import_onto_a_write_locked_tag_is_refused_and_changes_nothing(arm: Arm, reg: RegistryClient) -> None:
    kept = pushed(reg, "v1")
    source = pushed(reg, "v1", layer=b"imported", repo="other")
    layer = reg.image("other", layer=b"imported")["layers"][0]["digest"]
    patch(reg, "app/_tags/v1", writeEnabled=False)
    refusal = import_image(arm, "other:v1", tags=["app:v1"])
    assert import_refused(refusal), refusal.text
    assert "app:v1" in refusal.json()["error"]["message"]
    assert reg.request("GET", "/v2/app/manifests/v1").headers["docker-content-digest"] == kept
    assert reg.request("GET", f"/v2/app/manifests/{source}").status_code == 404, "no manifest copied"
    assert reg.request("HEAD", f"/v2/app/blobs/{layer}").status_code == 404, "no blob linked: rolled back whole"
    allowed = import_image(arm, "other:v1", tags=["app:v2"])
    assert allowed.status_code == 200, allowed.text
    assert reg.request("GET", "/v2/app/manifests/v2").headers["docker-content-digest"] == source
    patch(reg, "app/_tags/v1", writeEnabled=True)
    assert import_image(arm, "other:v1", tags=["app:v1"]).status_code == 200, "unlocked, the tag moves"
    assert reg.request("GET", "/v2/app/manifests/v1").headers["docker-content-digest"] == source


def test_import_into_a_write_locked_repository_is_refused(arm: Arm, reg: RegistryClient) -> None:
    pushed(reg, "v1")
    pushed(reg, "v1", layer=b"imported", repo="other")
    patch(reg, "app", writeEnabled=False)
    assert import_refused(import_image(arm, "other:v1", tags=["app:new"]))
    assert import_refused(import_image(arm, "other:v1", untagged=["app"]))
    assert reg.request("GET", "/v2/app/tags/list").json()["tags"] == ["v1"]
    assert import_image(arm, "other:v1", tags=["fresh:v1"]).status_code == 200, "other repositories are not locked"
    patch(reg, "app", writeEnabled=True)
    assert import_image(arm, "other:v1", tags=["app:new"]).status_code == 200


def test_untagged_import_over_a_write_locked_manifest_is_refused(arm: Arm, reg: RegistryClient) -> None:
    digest = pushed(reg, "v1", layer=b"imported", repo="other")
    assert import_image(arm, "other:v1", untagged=["app"]).status_code == 200
    patch(reg, f"app/_manifests/{digest}", writeEnabled=False)
    assert import_refused(import_image(arm, "other:v1", untagged=["app"])), "by digest over the locked manifest"
    assert import_image(arm, "other:v1", tags=["app:v9"]).status_code == 200, "a new tag for it is allowed"
